// The cuda backend against the CPU backend, same seed, same data: forward, backward, and one epoch of training
// (SGD and Adam; with the step captured as a CUDA graph and launched kernel by kernel). Run as gpu.device
// (--expect-gpu): CTest reports it skipped where there is no GPU.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "support/files.hpp"

#include <algorithm>
#include <cmath>

using namespace latent;

namespace {
// Small, but deep enough to have every kind of layer position, and one activation of each kind.
using Encoder = Sequential<Dense<48, 24, ReLU>, Dense<24, 12, LeakyReLU>, Dense<12, 6, ELU>, Dense<6, 3>>;
using Decoder = Sequential<Dense<3, 6, Tanh>, Dense<6, 24, Softplus>, Dense<24, 48, Sigmoid>>;
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

float max_abs(std::span<const float> a) {
    float worst = 0;
    for (const float v : a) worst = std::max(worst, std::fabs(v));
    return worst;
}

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
}  // namespace

TEST_SUITE("device") {
TEST_CASE("forward: encode, decode and reconstruct agree with the CPU to float precision") {
    const Net<backend::cpu> cpu{7};
    const Net<backend::cuda> gpu{7};
    const Matrix<float> x = uniform_data(5000, 8).batch(0, 5000);  // more than one inference chunk
    CHECK((gpu.encode(x) - cpu.encode(x)).cwiseAbs().maxCoeff() <= 1e-5f);
    CHECK((gpu.reconstruct(x) - cpu.reconstruct(x)).cwiseAbs().maxCoeff() <= 1e-5f);
    const Matrix<float> codes = cpu.encode(x);
    CHECK((gpu.decode(codes) - cpu.decode(codes)).cwiseAbs().maxCoeff() <= 1e-5f);
    CHECK((gpu.encoder().predict(x) - cpu.encoder().predict(x)).cwiseAbs().maxCoeff() <= 1e-5f);
}

TEST_CASE("backward: the loss and every gradient agree with the CPU, for each loss") {
    const Net<backend::cpu> cpu{7};
    const Net<backend::cuda> gpu{7};
    const Matrix<float> x = uniform_data(64, 9).batch(0, 64);
    const ConstMatrixView<float> view(x.data(), x.rows(), x.cols());
    typename Net<backend::cpu>::workspace cpu_ws(64);
    typename Net<backend::cuda>::workspace gpu_ws(64);
    std::vector<float> cpu_gradients(Net<backend::cpu>::parameter_count), gpu_gradients(cpu_gradients.size());
    const auto compare = [&](const auto& loss) {
        const float a = cpu.loss_and_gradients(loss, view, view, cpu_ws, std::span(cpu_gradients));
        const float b = gpu.loss_and_gradients(loss, view, view, gpu_ws, std::span(gpu_gradients));
        CHECK(std::fabs(a - b) <= 1e-5f * std::fabs(a));
        CHECK(max_abs_difference(cpu_gradients, gpu_gradients) <= 1e-4f * max_abs(cpu_gradients));
        CHECK(std::fabs(gpu.loss_value(loss, view, view, gpu_ws) - b) <= 1e-6f * std::fabs(b));
    };
    compare(MSE{});
    compare(BCE{});  // after a Sigmoid: from the logits
    compare(L1{});
    compare(MSE{.reduction = Reduction::sum_per_sample});
}

TEST_CASE("one epoch of SGD with momentum: the same losses and weights as the CPU, captured or not") {
    const SGD<float> sgd{{.learning_rate = 0.05, .momentum = 0.9}};
    const auto [cpu_history, cpu] = one_epoch<backend::cpu>(sgd, MSE{}, 32);
    const auto [gpu_history, gpu] = one_epoch<backend::cuda>(sgd, MSE{}, 32);
    const auto [eager_history, eager] = one_epoch<backend::basic_cuda<false>>(sgd, MSE{}, 32);
    const double loss = cpu_history.last().train_loss;
    CHECK(std::fabs(gpu_history.last().train_loss - loss) <= 1e-4 * loss);
    CHECK(std::fabs(*gpu_history.last().validation_loss - *cpu_history.last().validation_loss) <= 1e-4 * loss);
    CHECK(max_abs_difference(gpu.parameters(), cpu.parameters()) <= 1e-4f);
    // Captured and uncaptured steps run the same kernels in the same order.
    CHECK(std::ranges::equal(gpu.parameters(), eager.parameters()));
    CHECK(gpu_history.last().train_loss == eager_history.last().train_loss);
}

TEST_CASE("one epoch of Adam with BCE: the same loss as the CPU, and the weights within what Adam's sign steps allow") {
    const auto [cpu_history, cpu] = one_epoch<backend::cpu>(Adam<float>{}, BCE{}, 16);
    const auto [gpu_history, gpu] = one_epoch<backend::cuda>(Adam<float>{}, BCE{}, 16);
    const double loss = cpu_history.last().train_loss;
    CHECK(std::fabs(gpu_history.last().train_loss - loss) <= 1e-4 * loss);
    // Adam moves each weight by about the learning rate whatever the gradient's size, so a gradient that is
    // zero up to rounding (opposite signs on the two backends) may move a weight 2e-3 apart in one step;
    // almost every weight must still agree closely.
    std::size_t close = 0;
    for (std::size_t i = 0; i < gpu.parameters().size(); ++i)
        close += std::fabs(gpu.parameters()[i] - cpu.parameters()[i]) <= 1e-4f;
    CHECK(double(close) >= 0.999 * double(gpu.parameters().size()));
    CHECK(max_abs_difference(gpu.parameters(), cpu.parameters()) <= 2e-3f * 25);
}

TEST_CASE("a model trained on the GPU, saved, loads into a CPU model that reconstructs the same") {
    const testing::ScratchDirectory scratch;
    auto [history, gpu] = one_epoch<backend::cuda>(Adam<float>{}, MSE{}, 64);
    save_model(gpu, scratch.path / "gpu.latent");
    Net<backend::cpu> cpu{0};
    load_model(cpu, scratch.path / "gpu.latent");
    CHECK(std::ranges::equal(cpu.parameters(), gpu.parameters()));
    const Matrix<float> x = uniform_data(10, 30).batch(0, 10);
    CHECK((gpu.reconstruct(x) - cpu.reconstruct(x)).cwiseAbs().maxCoeff() <= 1e-5f);
}

TEST_CASE("backend::automatic trains on the GPU where there is one") {
    REQUIRE(backend::cuda_available());
    const auto [automatic_history, automatic] = one_epoch<backend::automatic>(SGD<float>{}, MSE{}, 32);
    const auto [gpu_history, gpu] = one_epoch<backend::cuda>(SGD<float>{}, MSE{}, 32);
    CHECK(std::ranges::equal(automatic.parameters(), gpu.parameters()));
}
}
