// Flatten, Reshape and Input: shapes, names, values passed on unchanged, gradients.

#include <latent/backends/cpu.hpp>
#include <latent/layers/input.hpp>
#include <latent/layers/reshape.hpp>
#include <latent/training/gradient_check.hpp>

#include <doctest/doctest.h>

using namespace latent;

static_assert(std::is_same_v<Bound<Flatten, Shape<64, 7, 7>>::output_shape, Shape<3136>>);
static_assert(std::is_same_v<Bound<Reshape<1, 28, 28>, Shape<784>>::output_shape, Shape<1, 28, 28>>);
static_assert(Reshape<4, 7, 7>::fits<Shape<196>> && !Reshape<4, 7, 7>::fits<Shape<195>>);
static_assert(!Layer<Input<1, 28, 28>> && std::is_same_v<Input<1, 28, 28>::output_shape, Shape<1, 28, 28>>);

TEST_CASE("Flatten, Reshape and Input name themselves as written") {
    CHECK(Flatten::name() == "Flatten");
    CHECK(Reshape<1, 28, 28>::name() == "Reshape<1, 28, 28>");
    CHECK(Input<1, 28, 28>::name() == "Input<1, 28, 28>");
}

TEST_CASE("Reshape passes the values on in the same order") {
    using L = Bound<Reshape<2, 1, 3>, Shape<6>>;
    Matrix<float> x(6, 2), y(6, 2);
    x.setRandom();
    MatrixView<float> yv(y.data(), 6, 2);
    Kernel<backend::cpu, L>::State state(2);
    PassContext context;
    Kernel<backend::cpu, L>::forward(nullptr, ConstMatrixView<float>(x.data(), 6, 2), yv, nullptr, state, context);
    CHECK(y == x);
}

TEST_CASE_TEMPLATE("Flatten and Reshape gradients match finite differences", L, Bound<Flatten, Shape<2, 3, 2>>,
                   Bound<Reshape<3, 2, 2>, Shape<12>>) {
    const auto result = check_layer_gradients<L>({.seed = 4, .batch = 2, .tolerance = 1e-9});
    CHECK(result.passed());
}
