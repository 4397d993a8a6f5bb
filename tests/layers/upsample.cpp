// UpSample2D and ConvTranspose2D: shapes, names, forward passes against hand and direct computations, and
// gradients against finite differences.

#include <latent/backends/cpu.hpp>
#include <latent/layers/conv_transpose2d.hpp>
#include <latent/layers/upsample.hpp>
#include <latent/training/gradient_check.hpp>

#include <doctest/doctest.h>

#include <vector>

using namespace latent;

using Nearest = Bound<UpSample2D<2>, Shape<2, 2, 3>>;
using Bilinear = Bound<UpSample2D<2, Interpolation::bilinear>, Shape<2, 3, 2>>;
using TransposeSame = Bound<ConvTranspose2D<2, 3, Tanh, Padding::same, 2>, Shape<3, 2, 3>>;
using TransposeValid = Bound<ConvTranspose2D<2, 3, Sigmoid, Padding::valid, 1>, Shape<2, 3, 2>>;
using TransposeEven = Bound<ConvTranspose2D<3, 2, Identity, Padding::same, 2>, Shape<2, 3, 3>>;

static_assert(std::is_same_v<Nearest::output_shape, Shape<2, 4, 6>>);
static_assert(std::is_same_v<TransposeSame::output_shape, Shape<2, 4, 6>>);
static_assert(std::is_same_v<TransposeValid::output_shape, Shape<2, 5, 4>>);
static_assert(std::is_same_v<TransposeEven::output_shape, Shape<3, 6, 6>>);
static_assert(TransposeSame::parameter_count == 3 * 2 * 3 * 3 + 2);

TEST_CASE("UpSample2D and ConvTranspose2D name themselves as written") {
    CHECK(UpSample2D<2>::name() == "UpSample2D<2>");
    CHECK(UpSample2D<3, Interpolation::bilinear>::name() == "UpSample2D<3, bilinear>");
    CHECK(ConvTranspose2D<32, 3, ReLU, Padding::same, 2>::name() == "ConvTranspose2D<32, 3, ReLU, same, 2>");
    CHECK(ConvTranspose2D<8, 3>::name() == "ConvTranspose2D<8, 3>");
}

TEST_CASE("UpSample2D repeats pixels, or interpolates them as PyTorch's align_corners=False") {
    using Small = Bound<UpSample2D<2, Interpolation::bilinear>, Shape<1, 1, 2>>;
    Matrix<float> x(2, 1);  // 1 x 1 x 2 -> 1 x 2 x 4
    x << 1, 3;
    PassContext context;
    Kernel<backend::cpu, Small>::State state(1);
    Matrix<float> wide(8, 1);
    MatrixView<float> wv(wide.data(), 8, 1);
    Kernel<backend::cpu, Small>::forward(nullptr, ConstMatrixView<float>(x.data(), 2, 1), wv, nullptr, state, context);
    // torch.nn.functional.interpolate(tensor([[[[1., 3.]]]]), scale_factor=2, mode="bilinear") = [1, 1.5, 2.5, 3] per row.
    Matrix<float> expected(8, 1);
    expected << 1, 1.5f, 2.5f, 3, 1, 1.5f, 2.5f, 3;
    CHECK(wide.isApprox(expected));

    using Repeat = Bound<UpSample2D<2>, Shape<1, 1, 2>>;
    Kernel<backend::cpu, Repeat>::State repeat_state(1);
    Kernel<backend::cpu, Repeat>::forward(nullptr, ConstMatrixView<float>(x.data(), 2, 1), wv, nullptr, repeat_state, context);
    expected << 1, 1, 3, 3, 1, 1, 3, 3;
    CHECK(wide == expected);
}

namespace {
/// y[f][iy*s + ky - pad][ix*s + kx - pad] += W[c][f][ky][kx] x[c][iy][ix], plus b[f], then the activation.
template <class L>
std::vector<double> direct_transposed_convolution(const std::vector<double>& p, const double* x) {
    const std::ptrdiff_t C = L::in_channels, H = L::in_height, W = L::in_width, F = L::filters, K = L::kernel_size,
                         S = L::stride, OH = L::height, OW = L::width;
    std::vector<double> y(L::output_shape::size);
    for (std::ptrdiff_t f = 0; f < F; ++f)
        for (std::ptrdiff_t i = 0; i < OH * OW; ++i) y[std::size_t(f * OH * OW + i)] = p[L::bias_offset + std::size_t(f)];
    for (std::ptrdiff_t c = 0; c < C; ++c)
        for (std::ptrdiff_t iy = 0; iy < H; ++iy)
            for (std::ptrdiff_t ix = 0; ix < W; ++ix)
                for (std::ptrdiff_t f = 0; f < F; ++f)
                    for (std::ptrdiff_t ky = 0; ky < K; ++ky)
                        for (std::ptrdiff_t kx = 0; kx < K; ++kx) {
                            const std::ptrdiff_t oy = iy * S + ky - std::ptrdiff_t(L::pad_top);
                            const std::ptrdiff_t ox = ix * S + kx - std::ptrdiff_t(L::pad_left);
                            if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                            y[std::size_t((f * OH + oy) * OW + ox)] +=
                                p[std::size_t(((c * F + f) * K + ky) * K + kx)] * x[(c * H + iy) * W + ix];
                        }
    for (double& v : y) v = L::activation::value(v);
    return y;
}
}  // namespace

TEST_CASE_TEMPLATE("ConvTranspose2D forward equals a direct transposed convolution", L, TransposeSame, TransposeValid,
                   TransposeEven) {
    using K = Kernel<backend::basic_cpu<double>, L>;
    Rng rng{8};
    std::vector<double> p(L::parameter_count);
    L::initialize(std::span<double>(p), rng);
    for (double& v : p) v += 0.1 * rng.normal();
    constexpr Eigen::Index n = 2, in = L::input_shape::size, out = L::output_shape::size;
    Matrix<double> x(in, n), y(out, n);
    for (double& v : x.reshaped()) v = rng.normal();
    typename K::State state(n);
    PassContext context;
    MatrixView<double> yv(y.data(), out, n);
    K::forward(p.data(), ConstMatrixView<double>(x.data(), in, n), yv, nullptr, state, context);
    for (Eigen::Index j = 0; j < n; ++j) {
        const auto expected = direct_transposed_convolution<L>(p, x.col(j).data());
        for (Eigen::Index i = 0; i < out; ++i) CHECK(y(i, j) == doctest::Approx(expected[std::size_t(i)]).epsilon(1e-12));
    }
}

TEST_CASE_TEMPLATE("UpSample2D and ConvTranspose2D gradients match finite differences", L, Nearest, Bilinear,
                   TransposeSame, TransposeValid, TransposeEven) {
    for (std::uint64_t seed : {1u, 2u}) {
        const auto result = check_layer_gradients<L>({.seed = seed, .batch = 2, .tolerance = 1e-7});
        INFO(L::name() << " seed " << seed << ": parameters " << result.parameter_error << ", input " << result.input_error);
        CHECK(result.passed());
    }
}
