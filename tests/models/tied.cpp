// Tied weights: the mirrored decoder's layer types, the shared weights counted once, gradients through
// the shared weights against finite differences, and the decoder reading the encoder's weights.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

using namespace latent;

namespace {
using Encoder = Sequential<Dense<6, 4, Tanh>, Dense<4, 2, ELU>>;
using Tied = Autoencoder<Encoder, Mirror<Encoder>, backend::basic_cpu<double>>;
}  // namespace

static_assert(std::is_same_v<Mirror<Encoder>, Sequential<TiedDense<Dense<4, 2, ELU>, 1, Tanh>, TiedDense<Dense<6, 4, Tanh>, 0, Sigmoid>>>);
static_assert(std::is_same_v<Mirror<Sequential<Dense<9, 3>>, Identity>, Sequential<TiedDense<Dense<9, 3>, 0, Identity>>>);
// Weights once: the decoder adds only its biases.
static_assert(Tied::parameter_count == (6 * 4 + 4) + (4 * 2 + 2) + 4 + 6);

TEST_CASE("gradients through tied weights match finite differences") {
    Tied model{3};
    Rng rng{1};
    for (double& p : model.parameters()) p += 0.1 * rng.normal();  // non-zero decoder biases too
    for (auto loss_name : {"BCE", "MSE"}) {
        INFO(loss_name);
        const auto result = std::string(loss_name) == "BCE" ? check_model_gradients(model, BCE{}, {.batch = 4, .tolerance = 1e-7})
                                                            : check_model_gradients(model, MSE{}, {.batch = 4, .tolerance = 1e-7});
        CHECK(result.passed());
    }
}

TEST_CASE("the tied decoder computes with the transpose of the encoder's weights") {
    using Linear = Autoencoder<Sequential<Dense<5, 3>>, Mirror<Sequential<Dense<5, 3>>, Identity>, backend::basic_cpu<double>>;
    Linear model{2};
    const Eigen::Map<const Matrix<double>> W(model.layer_parameters<0>().data(), 3, 5);
    const auto decoder_bias = model.layer_parameters<1>();
    Matrix<double> code(3, 1);
    code << 0.5, -1.0, 2.0;
    const Matrix<double> expected = W.transpose() * code + Eigen::Map<const Vector<double>>(decoder_bias.data(), 5);
    CHECK((model.decode(code) - expected).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(Linear::signature() == "Autoencoder<Sequential<Dense<5, 3>>, Sequential<TiedDense<0, 3, 5>>>");
}

TEST_CASE("a tied autoencoder trains, and its file round-trips") {
    using Small = Autoencoder<Sequential<Dense<16, 4, Sigmoid>>, Mirror<Sequential<Dense<16, 4, Sigmoid>>>>;
    Rng rng{5};
    std::vector<float> values(256 * 16);
    for (std::size_t i = 0; i < 256; ++i) {
        const double a = rng.uniform();
        for (std::size_t k = 0; k < 16; ++k) values[i * 16 + k] = float(k % 2 ? a : 1 - a);
    }
    const Dataset<float> data(std::move(values), 4, 4);
    Small model{1};
    Trainer trainer{model, Adam{{.learning_rate = 1e-2}}, MSE{}};
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 30, .batch_size = 32, .verbosity = Verbosity::silent});
    CHECK(trainer.evaluate(data) < before / 10);
    Small loaded;
    deserialize_model(loaded, serialize_model(model));
    CHECK(loaded.reconstruct(data.batch(0, 4)) == model.reconstruct(data.batch(0, 4)));
}
