// The trainer's one loop on the cuda backend: what only the CPU had before it (a corruption, NanPolicy::skip_batch,
// checkpoints and resuming), each against the CPU backend, same seed, same data. Run as gpu.device
// (--expect-gpu): CTest reports it skipped where there is no GPU.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "support/files.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace latent;

namespace {
using Encoder = Sequential<Dense<48, 16, ReLU>, Dense<16, 4>>;
using Decoder = Sequential<Dense<4, 16, Tanh>, Dense<16, 48, Sigmoid>>;
template <class B>
using Net = Autoencoder<Encoder, Decoder, B>;

Dataset<float> uniform_data(std::size_t n, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<float> values(48 * n);
    for (float& v : values) v = float(rng.uniform());
    return Dataset<float>(std::move(values), 6, 8, {}, 1.0);
}

float max_abs_difference(std::span<const float> a, std::span<const float> b) {
    REQUIRE(a.size() == b.size());
    float worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
    return worst;
}

// Both backends trained alike; the weights agree to float precision after a few epochs of Adam.
template <class B>
std::pair<History, Net<B>> train(const Dataset<float>& data, FitOptions options) {
    Net<B> model{31};
    Trainer trainer(model, Adam<float>{{.learning_rate = 1e-2}}, MSE{});
    options.verbosity = Verbosity::silent;
    History history = trainer.fit(data, options);
    return {std::move(history), std::move(model)};
}

void check_agreement(const Dataset<float>& data, const FitOptions& options) {
    const auto [cpu_history, cpu] = train<backend::cpu>(data, options);
    const auto [gpu_history, gpu] = train<backend::cuda>(data, options);
    REQUIRE(cpu_history.epochs.size() == gpu_history.epochs.size());
    for (std::size_t e = 0; e < cpu_history.epochs.size(); ++e) {
        CHECK(std::fabs(gpu_history.epochs[e].train_loss - cpu_history.epochs[e].train_loss) <=
              1e-4 * cpu_history.epochs[e].train_loss);
        CHECK(gpu_history.epochs[e].skipped_batches == cpu_history.epochs[e].skipped_batches);
    }
    CHECK(max_abs_difference(cpu.parameters(), gpu.parameters()) <= 1e-3f);
}
}  // namespace

TEST_SUITE("device") {
TEST_CASE("denoising: the GPU corrupts each batch from the CPU's noise stream and trains as the CPU") {
    check_agreement(uniform_data(300, 41),
                    FitOptions{.epochs = 3, .batch_size = 32, .seed = 42, .validation_split = 0.2,
                               .corruption = GaussianNoise{0.2}});
}

TEST_CASE("skip_batch: a batch with a NaN is left out on the GPU as on the CPU, and training goes on") {
    Dataset<float> data = uniform_data(256, 43);
    std::vector<float> values(data.values().begin(), data.values().end());
    values[48 * 70 + 5] = std::numeric_limits<float>::quiet_NaN();  // one sample: its batch's loss is NaN
    const Dataset<float> poisoned(std::move(values), 6, 8, {}, 1.0);
    const FitOptions options{.epochs = 2, .batch_size = 32, .seed = 44, .on_nan = NanPolicy::skip_batch};
    check_agreement(poisoned, options);
    const auto [history, gpu] = train<backend::cuda>(poisoned, options);
    CHECK(history.epochs[0].skipped_batches == 1);
    CHECK(std::ranges::all_of(gpu.parameters(), [](float v) { return std::isfinite(v); }));
}

TEST_CASE("checkpoints: a GPU run stopped after 2 epochs and resumed ends as the uninterrupted one") {
    const testing::ScratchDirectory scratch;
    const Dataset<float> data = uniform_data(200, 45);
    const FitOptions whole{.epochs = 4, .batch_size = 25, .seed = 46};
    const auto [whole_history, uninterrupted] = train<backend::cuda>(data, whole);

    FitOptions first = whole;
    first.epochs = 2;
    first.checkpoint = scratch.path / "run.ckpt";
    (void)train<backend::cuda>(data, first);
    FitOptions rest = whole;
    rest.resume_from = scratch.path / "run.ckpt";
    const auto [resumed_history, resumed] = train<backend::cuda>(data, rest);
    REQUIRE(resumed_history.epochs.size() == 4);
    CHECK(resumed_history.epochs[3].train_loss == whole_history.epochs[3].train_loss);
    CHECK(std::ranges::equal(resumed.parameters(), uninterrupted.parameters()));

    // The same checkpoint resumes on the CPU: the file leaves the backend out.
    const auto [cpu_history, cpu] = train<backend::cpu>(data, rest);
    CHECK(max_abs_difference(cpu.parameters(), uninterrupted.parameters()) <= 1e-3f);
}

TEST_CASE("stop: a NaN loss throws numerical_error at its batch, with the weights from before it") {
    Dataset<float> data = uniform_data(128, 47);
    std::vector<float> values(data.values().begin(), data.values().end());
    values[48 * 100] = std::numeric_limits<float>::infinity();
    const Dataset<float> poisoned(std::move(values), 6, 8, {}, 1.0);
    Net<backend::cuda> model{48};
    Trainer trainer(model, Adam<float>{}, MSE{});
    CHECK_THROWS_AS(trainer.fit(poisoned, FitOptions{.epochs = 1, .batch_size = 32, .shuffle = false,
                                                     .verbosity = Verbosity::silent}),
                    numerical_error);
}
}
