// Dropout: the identity outside training, a scaled mask in training (the expected output is the input),
// and gradients against finite differences with the mask held fixed.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

using namespace latent;

using Drop = Bound<Dropout<25>, Shape<2, 3, 4>>;
static_assert(std::is_same_v<Drop::output_shape, Shape<2, 3, 4>> && Drop::parameter_count == 0);

TEST_CASE("Dropout names itself as written") {
    CHECK(Dropout<25>::name() == "Dropout<25>");
    CHECK(Dropout<1, 3>::name() == "Dropout<1, 3>");
}

TEST_CASE("Dropout drops values only in training passes, keeping the expected value") {
    using K = Kernel<backend::basic_cpu<double>, Drop>;
    constexpr Eigen::Index n = 500, size = 24;
    Matrix<double> x = Matrix<double>::Constant(size, n, 2.0), y(size, n);
    MatrixView<double> yv(y.data(), size, n);
    K::State state(n);
    PassContext context{PassMode::inference, Rng{3}};
    for (PassMode mode : {PassMode::inference, PassMode::evaluation}) {
        context.mode = mode;
        K::forward(nullptr, ConstMatrixView<double>(x.data(), size, n), yv, nullptr, state, context);
        CHECK(y == x);
    }
    context.mode = PassMode::training;
    K::forward(nullptr, ConstMatrixView<double>(x.data(), size, n), yv, nullptr, state, context);
    const double dropped = double((y.array() == 0).count()) / double(y.size());
    CHECK(dropped == doctest::Approx(0.25).epsilon(0.05));
    CHECK(((y.array() == 0) || (y.array() == 2.0 / 0.75)).all());
    CHECK(y.mean() == doctest::Approx(2.0).epsilon(0.03));
}

TEST_CASE("Dropout gradients match finite differences") {
    for (std::uint64_t seed : {6u, 7u}) {
        const auto result = check_layer_gradients<Drop>({.seed = seed, .batch = 3, .tolerance = 1e-9});
        CHECK(result.passed());
    }
}

TEST_CASE("a model with Dropout reconstructs deterministically and trains with it") {
    using Model = Autoencoder<Sequential<Dense<6, 5, Tanh>, Dropout<30>, Dense<5, 3, Tanh>>, Sequential<Dense<3, 6, Sigmoid>>>;
    const Model model{2};
    Matrix<float> x = Matrix<float>::Constant(6, 4, 0.5f);
    CHECK(model.reconstruct(x) == model.reconstruct(x));
    Model::workspace ws(4);
    std::vector<float> gradients(Model::parameter_count);
    const ConstMatrixView<float> xv(x.data(), 6, 4);
    // Training drops values of the hidden layer, validation does not: the two losses differ.
    CHECK(model.loss_and_gradients(MSE{}, xv, xv, ws, std::span<float>(gradients)) != model.loss_value(MSE{}, xv, xv, ws));
}
