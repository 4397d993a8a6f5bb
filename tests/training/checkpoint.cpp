// Checkpoints: a run saved every N epochs and resumed, in this process or after the process training it was
// killed, ends with the same weights, bit for bit, as the run that was never interrupted (same seed, one
// thread) - with shuffling, denoising noise, a VAE's sampling and early stopping all in play. A checkpoint
// of another model, optimizer, scalar type, data or setting is refused naming both; every bit flip and
// truncation of one is a typed error that leaves the model as it was.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace latent;
namespace fs = std::filesystem;

namespace {

using Tiny = Autoencoder<Sequential<Dense<8, 4, Tanh>, Dense<4, 2>>, Sequential<Dense<2, 4, Tanh>, Dense<4, 8, Sigmoid>>>;
using Other = Autoencoder<Sequential<Dense<8, 3, Tanh>>, Sequential<Dense<3, 8, Sigmoid>>>;
using TinyDouble = Autoencoder<Sequential<Dense<8, 4, Tanh>, Dense<4, 2>>,
                               Sequential<Dense<2, 4, Tanh>, Dense<4, 8, Sigmoid>>, backend::basic_cpu<double>>;
using Vae = VariationalAutoencoder<Sequential<Dense<8, 6, ReLU>, Dense<6, 4>, GaussianSample<2>>,
                                   Sequential<Dense<2, 6, ReLU>, Dense<6, 8, Sigmoid>>>;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("latent_checkpoint_" + std::to_string(::getpid()) + "_" +
                                                 std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

Dataset<float> data(std::size_t n, std::uint64_t seed = 1) {
    Rng rng{seed};
    std::vector<float> v(n * 8);
    for (float& x : v) x = float(0.1 + 0.8 * rng.uniform());
    return Dataset<float>(std::move(v), 1, 8);
}

template <class M>
std::vector<typename M::scalar> weights(const M& model) {
    return {model.parameters().begin(), model.parameters().end()};
}

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Shuffled, with a validation split, a schedule and denoising noise: every generator the trainer keeps is in
// use, and the rate of every epoch depends on the base rate.
FitOptions options(std::size_t epochs) {
    return {.epochs = epochs, .batch_size = 16, .seed = 7, .validation_split = 0.25,
            .schedule = schedule::ExponentialDecay{.gamma = 0.8}, .corruption = GaussianNoise{0.1},
            .verbosity = Verbosity::silent};
}

// Train `epochs` epochs of a model from `seed`, optionally checkpointing and resuming; the final weights.
template <class M = Tiny>
std::vector<typename M::scalar> train(std::size_t epochs, FitOptions extra = {}, std::uint64_t seed = 3,
                                      History* history = nullptr, double learning_rate = 5e-3) {
    M model{seed};
    Trainer trainer{model, Adam{{.learning_rate = learning_rate}}, MSE{}};
    FitOptions o = options(epochs);
    o.checkpoint = extra.checkpoint;
    o.checkpoint_every = extra.checkpoint_every;
    o.resume_from = extra.resume_from;
    const History h = trainer.fit(data(96), o);
    if (history) *history = h;
    return weights(model);
}

}  // namespace

TEST_CASE("a run resumed from its checkpoint ends bitwise as the uninterrupted run") {
    const TempDir dir;
    History full_history;
    const auto uninterrupted = train(6, {}, 3, &full_history);

    // Checkpoints every 2 epochs; a callback stops the run after epoch 3 (a checkpoint is written then too).
    {
        Tiny model{3};
        Trainer trainer{model, Adam{{.learning_rate = 5e-3}}, MSE{}};
        trainer.on_epoch_end([](const EpochRecord& r) { return r.epoch == 3 ? Control::stop : Control::proceed; });
        FitOptions o = options(6);
        o.checkpoint = dir.path / "run.ckpt";
        o.checkpoint_every = 2;
        CHECK(trainer.fit(data(96), o).epochs.size() == 3);
    }
    CHECK(load_checkpoint<float>(dir.path / "run.ckpt").epochs_done == 3);
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);  // no temporary left

    // Another initialisation and learning rate: the checkpoint's weights, rates and state replace them.
    History resumed_history;
    const auto resumed = train(6, {.resume_from = dir.path / "run.ckpt"}, 99, &resumed_history, 0.5);
    CHECK(bitwise_equal(resumed, uninterrupted));
    REQUIRE(resumed_history.epochs.size() == 6);
    for (std::size_t i = 0; i < 6; ++i) {
        CAPTURE(i);
        CHECK(resumed_history.epochs[i].train_loss == full_history.epochs[i].train_loss);
        CHECK(resumed_history.epochs[i].validation_loss == full_history.epochs[i].validation_loss);
        CHECK(resumed_history.epochs[i].learning_rate == full_history.epochs[i].learning_rate);
    }

    // Checkpoints every 2 epochs of a run that is not stopped: the one after epoch 4, resumed, also matches.
    const auto checkpointed = train(4, {.checkpoint = dir.path / "every2.ckpt", .checkpoint_every = 2});
    CHECK(bitwise_equal(train(6, {.resume_from = dir.path / "every2.ckpt"}, 5), uninterrupted));
    (void)checkpointed;

    // A checkpoint of a finished run: resuming it with the same epochs changes nothing.
    const auto finished = train(6, {.checkpoint = dir.path / "done.ckpt", .checkpoint_every = 4});
    CHECK(bitwise_equal(finished, uninterrupted));
    CHECK(bitwise_equal(train(6, {.resume_from = dir.path / "done.ckpt"}, 11), uninterrupted));
}

TEST_CASE("a training process killed mid-epoch resumes from its last checkpoint to the same weights") {
    const TempDir dir;
    const fs::path checkpoint = dir.path / "killed.ckpt";
    const auto uninterrupted = train(5);

    const ::pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        try {
            Tiny model{3};
            Trainer trainer{model, Adam{{.learning_rate = 5e-3}}, MSE{}};
            // Killed in the middle of epoch 4, after the checkpoint of epoch 2 (every 2 epochs).
            trainer.on_batch_end([](const BatchReport& r) {
                if (r.epoch == 4 && r.batch == 2) std::raise(SIGKILL);
            });
            FitOptions o = options(5);
            o.checkpoint = checkpoint;
            o.checkpoint_every = 2;
            trainer.fit(data(96), o);
        } catch (...) {
        }
        ::_exit(3);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);

    CHECK(load_checkpoint<float>(checkpoint).epochs_done == 2);
    CHECK(bitwise_equal(train(5, {.resume_from = checkpoint}, 42), uninterrupted));
}

TEST_CASE("a VAE's sampling stream resumes exactly") {
    const TempDir dir;
    auto run = [&](std::size_t stop_after, FitOptions extra, std::uint64_t seed) {
        Vae vae{seed};
        Trainer trainer{vae, Adam{{.learning_rate = 2e-2}}, BCE{.reduction = Reduction::sum_per_sample}};
        if (stop_after)
            trainer.on_epoch_end([stop_after](const EpochRecord& r) {
                return r.epoch == stop_after ? Control::stop : Control::proceed;
            });
        FitOptions o{.epochs = 6, .batch_size = 8, .seed = 5, .validation_split = 0.25, .verbosity = Verbosity::silent};
        o.checkpoint = extra.checkpoint;
        o.resume_from = extra.resume_from;
        trainer.fit(data(64, 4), o);
        return weights(vae);
    };
    const auto uninterrupted = run(0, {}, 1);
    run(3, {.checkpoint = dir.path / "vae.ckpt"}, 1);
    CHECK(bitwise_equal(run(0, {.resume_from = dir.path / "vae.ckpt"}, 2), uninterrupted));
}

TEST_CASE("early stopping's state resumes exactly: its best weights, best loss and patience count") {
    const TempDir dir;
    auto run = [&](std::size_t stop_after, FitOptions extra, std::uint64_t seed, History* history = nullptr) {
        Tiny model{seed};
        Trainer trainer{model, Adam{{.learning_rate = 2e-2}}, MSE{}};
        if (stop_after)
            trainer.on_epoch_end([stop_after](const EpochRecord& r) {
                return r.epoch == stop_after ? Control::stop : Control::proceed;
            });
        FitOptions o = options(60);
        o.early_stopping = EarlyStopping{.patience = 3, .min_delta = 2e-4};
        o.checkpoint = extra.checkpoint;
        o.resume_from = extra.resume_from;
        const History h = trainer.fit(data(96), o);
        if (history) *history = h;
        return weights(model);
    };
    History full;
    const auto uninterrupted = run(0, {.checkpoint = dir.path / "final.ckpt"}, 1, &full);
    const std::size_t stopped = full.epochs.size();
    REQUIRE(stopped < 60);  // early stopping ended it, restoring the best weights of epoch stopped - 3
    REQUIRE(stopped > 6);
    // Resumed one epoch before it stopped (two epochs without improvement counted), and earlier.
    for (const std::size_t at : {stopped - 1, stopped - 2, stopped / 2}) {
        CAPTURE(at);
        run(at, {.checkpoint = dir.path / "middle.ckpt"}, 1);
        History resumed;
        CHECK(bitwise_equal(run(0, {.resume_from = dir.path / "middle.ckpt"}, 2, &resumed), uninterrupted));
        CHECK(resumed.epochs.size() == stopped);
    }
    // The early-stopped run's own last checkpoint: resuming it trains no further.
    History again;
    CHECK(bitwise_equal(run(0, {.resume_from = dir.path / "final.ckpt"}, 3, &again), uninterrupted));
    CHECK(again.epochs.size() == stopped);
}

TEST_CASE("a checkpoint of another model, optimizer, scalar type, data or run setting is refused naming both") {
    const TempDir dir;
    const fs::path saved = dir.path / "tiny.ckpt";
    train(2, {.checkpoint = saved});

    Tiny model{8};
    const auto before = weights(model);
    auto resume_with = [&](auto optimizer, FitOptions o, const Dataset<float>& d = data(96)) {
        Trainer trainer{model, optimizer, MSE{}};
        o.resume_from = saved;
        trainer.fit(d, o);
    };
    CHECK_THROWS_WITH_AS(resume_with(Adam{}, [] { auto o = options(4); o.batch_size = 8; return o; }()),
                         doctest::Contains("was saved by a run with batch_size 16, found batch_size 8"), argument_error);
    CHECK_THROWS_WITH_AS(resume_with(Adam{}, [] { auto o = options(4); o.seed = 8; return o; }()),
                         doctest::Contains("was saved by a run with seed 7, found seed 8"), argument_error);
    CHECK_THROWS_WITH_AS(resume_with(Adam{}, options(4), data(96, 2)),
                         doctest::Contains("was saved by a run with training data 72 samples of 8, crc32 "), argument_error);
    CHECK_THROWS_WITH_AS(resume_with(Adam{}, [] { auto o = options(4); o.corruption = {}; return o; }()),
                         doctest::Contains("corruption GaussianNoise(0.100000), found corruption none"), argument_error);
    CHECK_THROWS_WITH_AS(resume_with(Adam{{.beta1 = 0.5}}, options(4)),
                         doctest::Contains("expected the state of Adam(beta1=0.5, beta2=0.999, epsilon=1e-08, "
                                           "weight_decay=0), found that of Adam(beta1=0.9"),
                         argument_error);
    CHECK_THROWS_WITH_AS(resume_with(SGD{}, options(4)), doctest::Contains("found that of Adam("), argument_error);
    CHECK_THROWS_WITH_AS(resume_with(Adam{}, options(1)),
                         doctest::Contains("has 2 epochs done: expected epochs >= 2, found 1"), argument_error);
    CHECK(bitwise_equal(weights(model), before));

    Other other;
    Trainer other_trainer{other, Adam{}, MSE{}};
    FitOptions o = options(4);
    o.resume_from = saved;
    const std::string expected = "holds another architecture: expected " + Other::signature() + ", found " + Tiny::signature();
    CHECK_THROWS_WITH_AS(other_trainer.fit(data(96), o), doctest::Contains(expected.c_str()), architecture_error);

    TinyDouble precise;
    Trainer precise_trainer{precise, Adam<double>{}, MSE{}};
    CHECK_THROWS_WITH_AS(precise_trainer.fit(data(96), o),
                         doctest::Contains("expected a checkpoint of float64 parameters, found float32"), architecture_error);

    o.resume_from = dir.path / "absent.ckpt";
    Trainer trainer{model, Adam{}, MSE{}};
    CHECK_THROWS_WITH_AS(trainer.fit(data(96), o), doctest::Contains("absent.ckpt"), file_error);
    o.resume_from = dir.path;
    CHECK_THROWS_AS(trainer.fit(data(96), o), file_error);
}

TEST_CASE("every bit flip and truncation of a checkpoint is a typed error, and the model stays as it was") {
    const TempDir dir;
    const fs::path saved = dir.path / "small.ckpt";
    {
        // A small run: 4 samples, batch 2, so the file is a few hundred bytes.
        Tiny model{1};
        Trainer trainer{model, SGD{{.learning_rate = 0.1, .momentum = 0.5}}, MSE{}};
        trainer.fit(data(4), {.epochs = 1, .batch_size = 2, .verbosity = Verbosity::silent, .checkpoint = saved});
    }
    const auto bytes = read_bytes(saved);
    REQUIRE(bytes.size() > 100);
    const auto good = deserialize_checkpoint<float>(bytes);
    CHECK(serialize_checkpoint(good) == bytes);

    std::size_t refused = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            auto flipped = bytes;
            flipped[i] ^= std::uint8_t(1u << bit);
            try {
                (void)deserialize_checkpoint<float>(flipped);
            } catch (const format_error&) {
                ++refused;
            } catch (const architecture_error&) {
                ++refused;
            }
        }
    CHECK(refused == bytes.size() * 8);
    for (std::size_t length = 0; length < bytes.size(); ++length)
        CHECK_THROWS_AS((void)deserialize_checkpoint<float>(std::span(bytes).first(length)), format_error);

    // Through fit(): a corrupt checkpoint changes nothing.
    auto corrupt = bytes;
    corrupt[bytes.size() / 2] ^= 0x10;
    {
        std::ofstream out(dir.path / "corrupt.ckpt", std::ios::binary);
        out.write(reinterpret_cast<const char*>(corrupt.data()), std::streamsize(corrupt.size()));
    }
    Tiny model{2};
    const auto before = weights(model);
    Trainer trainer{model, SGD{{.learning_rate = 0.1, .momentum = 0.5}}, MSE{}};
    CHECK_THROWS_WITH_AS(trainer.fit(data(4), {.epochs = 2, .batch_size = 2, .verbosity = Verbosity::silent,
                                               .resume_from = dir.path / "corrupt.ckpt"}),
                         doctest::Contains("is corrupt or truncated: expected checksum"), format_error);
    CHECK(bitwise_equal(weights(model), before));
    CHECK(trainer.optimizer().steps() == 0);
}

TEST_CASE("checkpoint options are checked") {
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    const TempDir dir;
    FitOptions o = options(1);
    o.checkpoint = dir.path / "c.ckpt";
    o.checkpoint_every = 0;
    CHECK_THROWS_WITH_AS(trainer.fit(data(96), o), doctest::Contains("expected checkpoint_every >= 1, found 0"),
                         argument_error);
    // Paths that cannot be written are refused before any training.
    const auto before = weights(model);
    o.checkpoint = dir.path / "sub" / "";
    o.checkpoint_every = 1;
    CHECK_THROWS_WITH_AS(trainer.fit(data(96), o), doctest::Contains("expected a checkpoint file path"), argument_error);
    o.checkpoint = dir.path / "missing" / "c.ckpt";
    CHECK_THROWS_WITH_AS(trainer.fit(data(96), o), doctest::Contains("missing for the checkpoint"), file_error);
    CHECK(bitwise_equal(weights(model), before));
}

TEST_CASE("the fuzzing seed corpus holds checkpoints that load") {
    // tests/fuzz/corpus/checkpoint/ starts libFuzzer from valid files; a format change must rewrite them
    // (latent_fuzz_write_seeds).
    const fs::path corpus = fs::path(LATENT_TEST_SOURCE_DIR) / "fuzz" / "corpus" / "checkpoint";
    const auto sgd = load_checkpoint<float>(corpus / "sgd_validation.ckpt");
    CHECK(sgd.epochs_done == 2);
    CHECK(sgd.history.epochs[1].validation_loss.has_value());
    CHECK(sgd.optimizer.settings.starts_with("SGD("));
    const auto adam = load_checkpoint<float>(corpus / "adam_early_stopping.ckpt");
    CHECK(adam.best_parameters.size() == adam.parameters.size());
    CHECK(serialize_checkpoint(adam) == read_bytes(corpus / "adam_early_stopping.ckpt"));
    const auto normed = load_checkpoint<float>(corpus / "batchnorm_early_stopping.ckpt");  // format 1.1
    CHECK(normed.buffers.size() == 6);
    CHECK(normed.best_buffers.size() == 6);
    CHECK(serialize_checkpoint(normed) == read_bytes(corpus / "batchnorm_early_stopping.ckpt"));
}
