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
// Shapes that the Winograd kernel serves (3x3, stride 1, even output sides, 8 channels or more), and near misses.
using WinogradSame = Bound<Conv2D<3, 3, Tanh>, Shape<8, 4, 6>>;
using WinogradValid = Bound<Conv2D<2, 3, ELU, Padding::valid>, Shape<9, 6, 4>>;
using OddSides = Bound<Conv2D<3, 3, Tanh>, Shape<8, 5, 3>>;
using Stride2Channels8 = Bound<Conv2D<3, 3, Tanh, Padding::same, 2>, Shape<8, 4, 6>>;

static_assert(Layer<Same> && LayerSpec<Conv2D<3, 3>>);
static_assert(detail::winograd_fits<WinogradSame> && detail::winograd_fits<WinogradValid>);
static_assert(!detail::winograd_fits<OddSides> && !detail::winograd_fits<Stride2Channels8> && !detail::winograd_fits<Same>);
static_assert(detail::winograd_fits<Bound<Conv2D<64, 3, ReLU>, Shape<32, 14, 14>>>);  // the seed model's conv2
// Images whose padded plane would not fit on the stack take im2col.
static_assert(detail::winograd_fits<Bound<Conv2D<8, 3>, Shape<8, 128, 128>>> &&
              !detail::winograd_fits<Bound<Conv2D<8, 3>, Shape<8, 130, 130>>>);
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

TEST_CASE_TEMPLATE("Conv2D forward equals a direct convolution, channels first", L, Same, ValidStride2, SameStride2,
                   WinogradSame, WinogradValid, OddSides, Stride2Channels8) {
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
                   Bound<Conv2D<2, 3, ReLU, Padding::valid>, Shape<1, 4, 4>>, WinogradSame, WinogradValid, OddSides,
                   Stride2Channels8) {
    for (std::uint64_t seed : {1u, 2u}) {
        const auto result = check_layer_gradients<L>({.seed = seed, .batch = 2, .tolerance = 1e-7});
        INFO(L::name() << " seed " << seed << ": parameters " << result.parameter_error << ", input " << result.input_error);
        CHECK(result.passed());
    }
}

TEST_CASE("Conv2D in float through Winograd stays within float rounding of a direct convolution in double") {
    using L = Bound<Conv2D<64, 3, ReLU, Padding::same, 1, init::GlorotUniform>, Shape<32, 14, 14>>;  // the seed's conv2
    using Linear = Bound<Conv2D<64, 3, Identity, Padding::same, 1, init::GlorotUniform>, Shape<32, 14, 14>>;
    static_assert(detail::winograd_fits<L>);
    Rng rng{4};
    std::vector<double> p(L::parameter_count);
    L::initialize(std::span<double>(p), rng);
    constexpr Eigen::Index n = 3, in = L::input_shape::size, out = L::output_shape::size;
    Matrix<double> x(in, n);
    for (double& v : x.reshaped()) v = rng.uniform();  // like the ReLU and pooled activations it sees in training
    const std::vector<float> pf(p.begin(), p.end());
    const Matrix<float> xf = x.cast<float>();
    Matrix<float> z(out, n);
    typename Kernel<backend::cpu, Linear>::State state(n);
    PassContext context;
    Kernel<backend::cpu, Linear>::forward(pf.data(), ConstMatrixView<float>(xf.data(), in, n), MatrixView<float>(z.data(), out, n),
                                          nullptr, state, context);
    double worst = 0, scale = 0;
    for (Eigen::Index j = 0; j < n; ++j) {
        const auto expected = direct_convolution<Linear>(p, x.col(j).data());
        for (Eigen::Index i = 0; i < out; ++i) {
            worst = std::max(worst, std::abs(double(z(i, j)) - expected[std::size_t(i)]));
            scale = std::max(scale, std::abs(expected[std::size_t(i)]));
        }
    }
    INFO("largest error " << worst << " for outputs up to " << scale);
    // A float sum of 288 products is good to about 288 x 6e-8 of its largest terms; the transforms add a few ulps.
    CHECK(worst < 1e-5 * scale);
    CHECK(worst > 0);  // the float path ran, not an exact copy of the reference
}
