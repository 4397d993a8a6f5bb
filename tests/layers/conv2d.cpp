// Conv2D: shapes bound from the input, names, the forward pass against a direct convolution for every
// padding and stride, and gradients against finite differences.

#include <latent/backends/cpu.hpp>
#include <latent/layers/conv2d.hpp>
#include <latent/training/gradient_check.hpp>

#include <doctest/doctest.h>

#include <vector>

using namespace latent;

using Same = Bound<Conv2D<3, 3, Tanh>, Shape<2, 5, 4>>;
using ValidStride2 = Bound<Conv2D<3, 3, Tanh, Padding::valid, 2>, Shape<2, 7, 5>>;
using SameStride2 = Bound<Conv2D<2, 2, Sigmoid, Padding::same, 2>, Shape<2, 6, 4>>;

static_assert(Layer<Same> && LayerSpec<Conv2D<3, 3>>);
static_assert(std::is_same_v<Same::output_shape, Shape<3, 5, 4>>);
static_assert(std::is_same_v<ValidStride2::output_shape, Shape<3, 3, 2>>);
static_assert(std::is_same_v<SameStride2::output_shape, Shape<2, 3, 2>>);
static_assert(Same::parameter_count == 3 * 2 * 3 * 3 + 3);
static_assert(Same::flops_per_sample == (2 * 18 + 1) * 3 * 20);
static_assert(Same::pad_top == 1 && ValidStride2::pad_top == 0 && SameStride2::pad_top == 0);
static_assert(Conv2D<8, 3, ReLU, Padding::valid>::fits<Shape<1, 3, 3>> && !Conv2D<8, 3, ReLU, Padding::valid>::fits<Shape<1, 2, 3>>);
static_assert(!Conv2D<8, 3, ReLU, Padding::same, 2>::fits<Shape<1, 28, 27>> && !Conv2D<8, 3>::fits<Shape<784>>);

TEST_CASE("Conv2D names itself as written, defaults left out") {
    CHECK(Conv2D<32, 3, ReLU>::name() == "Conv2D<32, 3, ReLU>");
    CHECK(Conv2D<32, 3>::name() == "Conv2D<32, 3>");
    CHECK(Conv2D<8, 5, Identity, Padding::valid>::name() == "Conv2D<8, 5, Identity, valid>");
    CHECK(Conv2D<8, 3, ReLU, Padding::same, 2, init::GlorotUniform>::name() == "Conv2D<8, 3, ReLU, same, 2, glorot_uniform>");
    CHECK(Same::name() == "Conv2D<3, 3, Tanh>");
}

namespace {
/// y[f][oy][ox] = act(b[f] + sum over c, ky, kx of W[f][c][ky][kx] x[c][oy*s + ky - pad][ox*s + kx - pad]).
template <class L>
std::vector<double> direct_convolution(const std::vector<double>& p, const double* x) {
    using Act = typename L::activation;
    std::vector<double> y(L::output_shape::size);
    const std::ptrdiff_t C = L::channels, H = L::height, W = L::width, K = L::kernel_size, S = L::stride;
    for (std::ptrdiff_t f = 0; f < std::ptrdiff_t(L::filters); ++f)
        for (std::ptrdiff_t oy = 0; oy < std::ptrdiff_t(L::out_height); ++oy)
            for (std::ptrdiff_t ox = 0; ox < std::ptrdiff_t(L::out_width); ++ox) {
                double z = p[L::bias_offset + std::size_t(f)];
                for (std::ptrdiff_t c = 0; c < C; ++c)
                    for (std::ptrdiff_t ky = 0; ky < K; ++ky)
                        for (std::ptrdiff_t kx = 0; kx < K; ++kx) {
                            const std::ptrdiff_t iy = oy * S + ky - std::ptrdiff_t(L::pad_top);
                            const std::ptrdiff_t ix = ox * S + kx - std::ptrdiff_t(L::pad_left);
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            z += p[std::size_t(((f * C + c) * K + ky) * K + kx)] * x[(c * H + iy) * W + ix];
                        }
                y[std::size_t((f * std::ptrdiff_t(L::out_height) + oy) * std::ptrdiff_t(L::out_width) + ox)] = Act::value(z);
            }
    return y;
}
}  // namespace

TEST_CASE_TEMPLATE("Conv2D forward equals a direct convolution, channels first", L, Same, ValidStride2, SameStride2) {
    using K = Kernel<backend::basic_cpu<double>, L>;
    Rng rng{3};
    std::vector<double> p(L::parameter_count);
    L::initialize(std::span<double>(p), rng);
    for (double& v : p) v += 0.1 * rng.normal();
    constexpr Eigen::Index n = 2, in = L::input_shape::size, out = L::output_shape::size;
    Matrix<double> x(in, n), y(out, n), z(out, n);
    for (double& v : x.reshaped()) v = rng.normal();
    typename K::State state(n);
    PassContext context;
    MatrixView<double> yv(y.data(), out, n), zv(z.data(), out, n);
    K::forward(p.data(), ConstMatrixView<double>(x.data(), in, n), yv, &zv, state, context);
    for (Eigen::Index j = 0; j < n; ++j) {
        const auto expected = direct_convolution<L>(p, x.col(j).data());
        for (Eigen::Index i = 0; i < out; ++i) CHECK(y(i, j) == doctest::Approx(expected[std::size_t(i)]).epsilon(1e-12));
    }
    CHECK(y.isApprox(z.unaryExpr([](double v) { return L::activation::value(v); })));
}

TEST_CASE_TEMPLATE("Conv2D gradients match finite differences", L, Same, ValidStride2, SameStride2,
                   Bound<Conv2D<2, 3, ReLU, Padding::valid>, Shape<1, 4, 4>>) {
    for (std::uint64_t seed : {1u, 2u}) {
        const auto result = check_layer_gradients<L>({.seed = seed, .batch = 2, .tolerance = 1e-7});
        INFO(L::name() << " seed " << seed << ": parameters " << result.parameter_error << ", input " << result.input_error);
        CHECK(result.passed());
    }
}
