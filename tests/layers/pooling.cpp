// MaxPool2D and AvgPool2D: shapes, names, the forward pass on a hand-made image, and gradients against
// finite differences.

#include <latent/backends/cpu.hpp>
#include <latent/layers/pooling.hpp>
#include <latent/training/gradient_check.hpp>

#include <doctest/doctest.h>

using namespace latent;

static_assert(std::is_same_v<Bound<MaxPool2D<2>, Shape<32, 28, 28>>::output_shape, Shape<32, 14, 14>>);
static_assert(std::is_same_v<Bound<AvgPool2D<3, 2>, Shape<2, 5, 7>>::output_shape, Shape<2, 2, 3>>);
static_assert(MaxPool2D<2>::fits<Shape<1, 4, 4>> && !MaxPool2D<2>::fits<Shape<64, 7, 7>> && !MaxPool2D<2>::fits<Shape<4>>);
static_assert(Bound<MaxPool2D<2>, Shape<1, 4, 4>>::parameter_count == 0);

TEST_CASE("pooling layers name themselves as written") {
    CHECK(MaxPool2D<2>::name() == "MaxPool2D<2>");
    CHECK(MaxPool2D<3, 2>::name() == "MaxPool2D<3, 2>");
    CHECK(AvgPool2D<2>::name() == "AvgPool2D<2>");
}

TEST_CASE("pooling takes each window's maximum or mean, channel by channel") {
    using Max = Bound<MaxPool2D<2>, Shape<2, 2, 4>>;
    using Avg = Bound<AvgPool2D<2>, Shape<2, 2, 4>>;
    // Channel 0 rows (1 5 2 0) (3 4 -1 -2); channel 1 rows (0 0 7 8) (0 -9 6 5).
    Matrix<float> x(16, 1);
    x << 1, 5, 2, 0, 3, 4, -1, -2, 0, 0, 7, 8, 0, -9, 6, 5;
    Matrix<float> y(4, 1), dy(4, 1), dx(16, 1);
    MatrixView<float> yv(y.data(), 4, 1), dyv(dy.data(), 4, 1), dxv(dx.data(), 16, 1);
    PassContext context;

    Kernel<backend::cpu, Max>::State max_state(1);
    Kernel<backend::cpu, Max>::forward(nullptr, ConstMatrixView<float>(x.data(), 16, 1), yv, nullptr, max_state, context);
    CHECK(y(0) == 5.0f);
    CHECK(y(1) == 2.0f);
    CHECK(y(2) == 0.0f);
    CHECK(y(3) == 8.0f);
    dy << 1, 2, 3, 4;
    Kernel<backend::cpu, Max>::backward(nullptr, ConstMatrixView<float>(x.data(), 16, 1), as_const(yv), dyv, false,
                                        nullptr, &dxv, max_state);
    Matrix<float> expected(16, 1);
    expected << 0, 1, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4, 0, 0, 0, 0;  // ties go to the first cell
    CHECK(dx == expected);

    Kernel<backend::cpu, Avg>::State avg_state(1);
    Kernel<backend::cpu, Avg>::forward(nullptr, ConstMatrixView<float>(x.data(), 16, 1), yv, nullptr, avg_state, context);
    CHECK(y(0) == doctest::Approx(13.0 / 4));
    CHECK(y(1) == doctest::Approx(-1.0 / 4));
    CHECK(y(2) == doctest::Approx(-9.0 / 4));
    CHECK(y(3) == doctest::Approx(26.0 / 4));
}

TEST_CASE_TEMPLATE("pooling gradients match finite differences", L, Bound<MaxPool2D<2>, Shape<2, 4, 6>>,
                   Bound<MaxPool2D<3, 2>, Shape<1, 5, 5>>, Bound<AvgPool2D<2>, Shape<2, 4, 6>>,
                   Bound<AvgPool2D<3, 2>, Shape<2, 5, 7>>) {
    for (std::uint64_t seed : {1u, 2u}) {
        const auto result = check_layer_gradients<L>({.seed = seed, .batch = 2, .tolerance = 1e-7});
        INFO(L::name() << " seed " << seed << ": input " << result.input_error);
        CHECK(result.passed());
        CHECK(result.input_error < 1e-7);
    }
}
