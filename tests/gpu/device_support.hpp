#pragma once
// The model, data and comparisons of the tests that need a GPU (agreement.cpp, defects.cpp).

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>
#include <vector>

namespace latent::testing::gpu {

// Small, but deep enough to have every kind of layer position, and one activation of each kind.
using Encoder = Sequential<Dense<48, 24, ReLU>, Dense<24, 12, LeakyReLU>, Dense<12, 6, ELU>, Dense<6, 3>>;
using Decoder = Sequential<Dense<3, 6, Tanh>, Dense<6, 24, Softplus>, Dense<24, 48, Sigmoid>>;
template <class B>
using Net = Autoencoder<Encoder, Decoder, B>;

/// n samples of 6 x 8 values, uniform in [0, 1).
inline Dataset<float> uniform_data(std::size_t n, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<float> values(48 * n);
    for (float& v : values) v = float(rng.uniform());
    return Dataset<float>(std::move(values), 6, 8, {}, 1.0);
}

inline float max_abs_difference(std::span<const float> a, std::span<const float> b) {
    REQUIRE(a.size() == b.size());
    float worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
    return worst;
}

inline float max_abs(std::span<const float> a) {
    float worst = 0;
    for (const float v : a) worst = std::max(worst, std::fabs(v));
    return worst;
}

/// One epoch of 400 training samples and 100 validation samples, from seed 21 (model) and 23 (shuffling).
template <class B, class O, class L>
std::pair<History, Net<B>> one_epoch(O optimizer, L loss, std::size_t batch_size) {
    Net<B> model{21};
    Trainer trainer(model, optimizer, loss);
    const History history = trainer.fit(uniform_data(500, 22), FitOptions{.epochs = 1, .batch_size = batch_size,
                                                                          .seed = 23, .validation_split = 0.2,
                                                                          .verbosity = Verbosity::silent});
    CHECK(trainer.optimizer().steps() == (400 + batch_size - 1) / batch_size);
    return {history, model};
}

}  // namespace latent::testing::gpu
