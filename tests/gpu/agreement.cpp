// The cuda backend against the CPU backend, same seed, same data: forward, backward, one epoch of training (SGD
// and Adam; with the step captured as a CUDA graph and launched kernel by kernel), and what fit() offers on the
// GPU: several epochs (graph replay across epochs), AdamW with a step schedule, SGD's Nesterov, dampening and
// weight decay, on_batch_end, a partial last batch, a separate validation set, a second fit() continuing the
// optimizer, uint8 data and early stopping. Run as gpu.device (--expect-gpu): CTest reports it skipped where
// there is no usable GPU. Not yet run on a GPU (see docs/gpu.md).

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "gpu/device_support.hpp"
#include "support/files.hpp"

#include <algorithm>
#include <cmath>

using namespace latent;

using testing::gpu::Net;
using testing::gpu::max_abs;
using testing::gpu::max_abs_difference;
using testing::gpu::one_epoch;
using testing::gpu::uniform_data;

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

namespace {
// What the wide run below records on one backend.
struct WideRun {
    std::vector<History> histories;
    std::vector<BatchReport> batches;
    std::vector<float> parameters;
    OptimizerState<float> optimizer;
};

// 3 epochs of AdamW with a step schedule over 300 training samples in batches of 64 (4 full batches, then a
// partial one of 44), validated on a separate set of 70 after every epoch, reporting every batch; then a second
// fit() of 2 epochs that continues the optimizer (its moments and step count) on another shuffling.
template <class B>
WideRun wide_run() {
    Net<B> model{41};
    Trainer trainer(model, AdamW<float>({.learning_rate = 4e-3, .weight_decay = 0.05}), MSE{});
    WideRun run;
    trainer.on_batch_end([&](const BatchReport& report) { run.batches.push_back(report); });
    const Dataset<float> train = uniform_data(300, 42), validation = uniform_data(70, 43);
    FitOptions options{.epochs = 3, .batch_size = 64, .seed = 44,
                       .schedule = schedule::StepDecay{.step_size = 2, .gamma = 0.5}, .verbosity = Verbosity::silent};
    run.histories.push_back(trainer.fit(train, validation, options));
    CHECK(trainer.optimizer().steps() == 3 * 5);
    options.epochs = 2;
    options.seed = 45;
    run.histories.push_back(trainer.fit(train, validation, options));
    CHECK(trainer.optimizer().steps() == 5 * 5);
    run.parameters.assign(model.parameters().begin(), model.parameters().end());
    trainer.optimizer().save_state(run.optimizer);
    return run;
}

// The share of a and b's values within `tolerance` of each other.
double share_within(std::span<const float> a, std::span<const float> b, float tolerance) {
    REQUIRE(a.size() == b.size());
    std::size_t close = 0;
    for (std::size_t i = 0; i < a.size(); ++i) close += std::fabs(a[i] - b[i]) <= tolerance;
    return double(close) / double(a.size());
}
}  // namespace

TEST_SUITE("device") {
TEST_CASE("3 + 2 epochs of AdamW with a step schedule, batch callbacks, a partial last batch and a validation set: "
          "as on the CPU, and captured steps exactly as uncaptured ones") {
    const WideRun cpu = wide_run<backend::cpu>();
    const WideRun gpu = wide_run<backend::cuda>();
    const WideRun eager = wide_run<backend::basic_cuda<false>>();
    REQUIRE(gpu.histories.size() == 2);
    for (std::size_t fit = 0; fit < 2; ++fit) {
        const auto& expected = cpu.histories[fit].epochs;
        const auto& found = gpu.histories[fit].epochs;
        REQUIRE(found.size() == expected.size());
        for (std::size_t e = 0; e < found.size(); ++e) {
            CAPTURE(fit);
            CAPTURE(e);
            CHECK(found[e].epoch == expected[e].epoch);
            CHECK(found[e].learning_rate == expected[e].learning_rate);  // the schedule runs on the host
            CHECK(std::fabs(found[e].train_loss - expected[e].train_loss) <= 1e-4 * expected[e].train_loss);
            REQUIRE(found[e].validation_loss.has_value());
            CHECK(std::fabs(*found[e].validation_loss - *expected[e].validation_loss) <=
                  1e-4 * *expected[e].validation_loss);
            // Graph replay across epochs and fits: the same kernels in the same order, so the same bits.
            CHECK(found[e].train_loss == eager.histories[fit].epochs[e].train_loss);
            CHECK(*found[e].validation_loss == *eager.histories[fit].epochs[e].validation_loss);
        }
    }
    CHECK(cpu.histories[0].epochs[2].learning_rate == 2e-3);  // StepDecay halved it after 2 epochs
    REQUIRE(gpu.batches.size() == cpu.batches.size());
    REQUIRE(gpu.batches.size() == 5 * 5);
    for (std::size_t i = 0; i < gpu.batches.size(); ++i) {
        CAPTURE(i);
        CHECK(gpu.batches[i].epoch == cpu.batches[i].epoch);
        CHECK(gpu.batches[i].batch == cpu.batches[i].batch);
        CHECK(gpu.batches[i].batches == 5);
        CHECK(std::fabs(gpu.batches[i].loss - cpu.batches[i].loss) <= 1e-4 * cpu.batches[i].loss);
        CHECK(gpu.batches[i].loss == eager.batches[i].loss);
    }
    // AdamW's steps have about the learning rate's size whatever the gradient's (see the Adam test above): almost
    // every weight agrees closely, and none is further apart than a few steps in opposite directions.
    CHECK(share_within(gpu.parameters, cpu.parameters, 1e-4f) >= 0.99);
    CHECK(max_abs_difference(gpu.parameters, cpu.parameters) <= 4e-3f * 25);
    CHECK(std::ranges::equal(gpu.parameters, eager.parameters));
    // The optimizer's state came back from the device: the step count exactly, the moments to float precision.
    CHECK(gpu.optimizer.steps == cpu.optimizer.steps);
    CHECK(gpu.optimizer.learning_rate == cpu.optimizer.learning_rate);
    REQUIRE(gpu.optimizer.buffers.size() == 2);
    REQUIRE(cpu.optimizer.buffers.size() == 2);
    CHECK(share_within(gpu.optimizer.buffers[0], cpu.optimizer.buffers[0],
                       1e-3f * max_abs(cpu.optimizer.buffers[0])) >= 0.99);
    CHECK(share_within(gpu.optimizer.buffers[1], cpu.optimizer.buffers[1],
                       1e-3f * max_abs(cpu.optimizer.buffers[1])) >= 0.99);
}

TEST_CASE("SGD with Nesterov momentum and weight decay, and with dampening, over 2 epochs: as on the CPU") {
    const auto two_epochs = []<class B>(B, const SGD<float>& sgd) {
        Net<B> model{51};
        Trainer trainer(model, sgd, MSE{});
        const History history = trainer.fit(uniform_data(250, 52), FitOptions{.epochs = 2, .batch_size = 32,
                                                                               .seed = 53, .validation_split = 0.2,
                                                                               .verbosity = Verbosity::silent});
        return std::pair{history, std::vector<float>(model.parameters().begin(), model.parameters().end())};
    };
    for (const SGD<float>& sgd : {SGD<float>({.learning_rate = 0.05, .momentum = 0.9, .weight_decay = 1e-3,
                                             .nesterov = true}),
                                  SGD<float>({.learning_rate = 0.05, .momentum = 0.8, .dampening = 0.3})}) {
        const auto [cpu_history, cpu] = two_epochs(backend::cpu{}, sgd);
        const auto [gpu_history, gpu] = two_epochs(backend::cuda{}, sgd);
        REQUIRE(gpu_history.epochs.size() == 2);
        for (std::size_t e = 0; e < 2; ++e) {
            const double loss = cpu_history.epochs[e].train_loss;
            CHECK(std::fabs(gpu_history.epochs[e].train_loss - loss) <= 1e-4 * loss);
            CHECK(std::fabs(*gpu_history.epochs[e].validation_loss - *cpu_history.epochs[e].validation_loss) <=
                  1e-4 * loss);
        }
        CHECK(max_abs_difference(gpu, cpu) <= 1e-4f);
    }
}

TEST_CASE("uint8 data: scaled on the way to the device, trained as on the CPU") {
    Rng rng{61};
    std::vector<std::uint8_t> bytes(48 * 300);
    for (std::uint8_t& b : bytes) b = std::uint8_t(rng.uniform() * 256);
    const Dataset<std::uint8_t> data(std::move(bytes), 6, 8);  // scaled by 1/255 as it is read
    const auto train = [&]<class B>(B) {
        Net<B> model{62};
        Trainer trainer(model, SGD<float>({.learning_rate = 0.05, .momentum = 0.9}), MSE{});
        const History history = trainer.fit(data, FitOptions{.epochs = 2, .batch_size = 32, .seed = 63,
                                                              .validation_split = 0.2, .verbosity = Verbosity::silent});
        const Matrix<float> x = data.batch(0, 16);
        return std::tuple{history, std::vector<float>(model.parameters().begin(), model.parameters().end()),
                          Matrix<float>(model.reconstruct(x))};
    };
    const auto [cpu_history, cpu, cpu_reconstruction] = train(backend::cpu{});
    const auto [gpu_history, gpu, gpu_reconstruction] = train(backend::cuda{});
    const double loss = cpu_history.last().train_loss;
    CHECK(std::fabs(gpu_history.last().train_loss - loss) <= 1e-4 * loss);
    CHECK(std::fabs(*gpu_history.last().validation_loss - *cpu_history.last().validation_loss) <= 1e-4 * loss);
    CHECK(max_abs_difference(gpu, cpu) <= 1e-4f);
    CHECK((gpu_reconstruction - cpu_reconstruction).cwiseAbs().maxCoeff() <= 1e-4f);
}

TEST_CASE("early stopping: stops after the same epoch as the CPU and restores the best epoch's weights") {
    // With min_delta 1 no epoch improves on the first by enough: the run stops after 1 + patience epochs and
    // restores the weights of epoch 1.
    const auto train = []<class B>(B, std::size_t epochs, std::optional<EarlyStopping> stopping) {
        Net<B> model{71};
        Trainer trainer(model, SGD<float>({.learning_rate = 0.05, .momentum = 0.9}), MSE{});
        const History history = trainer.fit(uniform_data(200, 72),
                                            FitOptions{.epochs = epochs, .batch_size = 32, .seed = 73,
                                                       .validation_split = 0.25, .early_stopping = stopping,
                                                       .verbosity = Verbosity::silent});
        return std::pair{history, std::vector<float>(model.parameters().begin(), model.parameters().end())};
    };
    const EarlyStopping stopping{.patience = 2, .min_delta = 1.0, .restore_best_weights = true};
    const auto [cpu_history, cpu] = train(backend::cpu{}, 10, stopping);
    const auto [gpu_history, gpu] = train(backend::cuda{}, 10, stopping);
    REQUIRE(cpu_history.epochs.size() == 3);
    CHECK(gpu_history.epochs.size() == 3);
    CHECK(max_abs_difference(gpu, cpu) <= 1e-4f);
    // The restored weights are those one epoch gives on the GPU, bit for bit.
    const auto [one_history, one] = train(backend::cuda{}, 1, std::nullopt);
    CHECK(std::ranges::equal(gpu, one));
    CHECK(one_history.last().train_loss == gpu_history.epochs[0].train_loss);
}
}
