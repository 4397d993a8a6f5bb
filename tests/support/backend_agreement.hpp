#pragma once
// The small model and data with which the GPU tests that run without a GPU check that backend::automatic
// computes exactly as backend::cpu: shared by tests/backends (built without latent::cuda) and tests/gpu
// (built with it).

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace latent::testing {

using SmallEncoder = Sequential<Dense<6, 4, Tanh>, Dense<4, 2>>;
using SmallDecoder = Sequential<Dense<2, 4, ReLU>, Dense<4, 6, Sigmoid>>;

/// 40 samples of 6 values, uniform in [0, 1).
inline Dataset<float> small_data() {
    Rng rng{5};
    std::vector<float> values(6 * 40);
    for (float& v : values) v = float(rng.uniform());
    return Dataset<float>(std::move(values), 1, 6, {}, 1.0);
}

/// Trains and runs the small model on backend::automatic and on backend::cpu from the same seed, and
/// checks that both give the same loss, weights, reconstructions and codes, bit for bit.
template <class Loss>
void check_automatic_computes_as_cpu(Loss loss) {
    Autoencoder<SmallEncoder, SmallDecoder, backend::automatic> automatic{3};
    Autoencoder<SmallEncoder, SmallDecoder> cpu{3};
    REQUIRE(std::ranges::equal(automatic.parameters(), cpu.parameters()));
    const Dataset<float> data = small_data();
    const FitOptions options{.epochs = 2, .batch_size = 8, .seed = 4, .verbosity = Verbosity::silent};
    Trainer on_automatic(automatic, Adam<float>{}, loss);
    Trainer on_cpu(cpu, Adam<float>{}, loss);
    CHECK(on_automatic.fit(data, options).last().train_loss == on_cpu.fit(data, options).last().train_loss);
    CHECK(std::ranges::equal(automatic.parameters(), cpu.parameters()));
    const Matrix<float> x = data.batch(0, 5);
    CHECK(automatic.reconstruct(x) == cpu.reconstruct(x));
    CHECK(automatic.encoder().predict(x) == cpu.encoder().predict(x));
}

}  // namespace latent::testing
