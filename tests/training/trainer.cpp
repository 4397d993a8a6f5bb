// The trainer: it learns, it is deterministic, its options and callbacks do what they say, and every
// invalid argument or numerical failure is reported with the figures involved.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

using namespace latent;

namespace {

// 8-D samples on a 2-D subspace (values in [0, 1]): a 2-unit linear code can represent them exactly.
Dataset<float> low_rank_data(std::size_t n, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<float> values(n * 8);
    for (std::size_t i = 0; i < n; ++i) {
        const double a = rng.uniform(), b = rng.uniform();
        for (std::size_t k = 0; k < 8; ++k)
            values[i * 8 + k] = float(0.5 * a * std::sin(double(k + 1)) + 0.5 * b * std::cos(double(k)) * 0.5 + 0.25);
    }
    return Dataset<float>(std::move(values), 1, 8);
}

using Linear = Autoencoder<Sequential<Dense<8, 2>>, Sequential<Dense<2, 8>>>;
using Tiny = Autoencoder<Sequential<Dense<8, 4, Tanh>, Dense<4, 2>>, Sequential<Dense<2, 4, Tanh>, Dense<4, 8, Sigmoid>>>;

FitOptions quiet(FitOptions options) {
    options.verbosity = Verbosity::silent;
    return options;
}

}  // namespace

TEST_CASE("a linear autoencoder learns low-rank data to a small error") {
    const auto data = low_rank_data(512, 1);
    Linear model{1};
    Trainer trainer{model, Adam{{.learning_rate = 1e-2}}, MSE{}};
    const double before = trainer.evaluate(data);
    const History history = trainer.fit(data, quiet({.epochs = 200, .batch_size = 32, .seed = 1}));
    REQUIRE(history.epochs.size() == 200);
    CHECK(history.epochs.front().train_loss > history.last().train_loss);
    CHECK(trainer.evaluate(data) < 1e-4);
    CHECK(trainer.evaluate(data) < before / 100);
}

TEST_CASE("the same seed gives bitwise identical weights, another seed does not") {
    const auto data = low_rank_data(256, 2);
    auto train = [&](std::uint64_t seed) {
        Tiny model{5};
        Trainer trainer{model, Adam{}, BCE{}};
        trainer.fit(data, quiet({.epochs = 3, .batch_size = 16, .seed = seed}));
        return std::vector<float>(model.parameters().begin(), model.parameters().end());
    };
    const auto a = train(7), b = train(7), c = train(8);
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    CHECK(a != c);
}

TEST_CASE("each epoch visits every sample once, in a new order") {
    // At rate 0 the weights never change, so a batch of one sample has that sample's loss, the same every epoch:
    // the losses seen in order are the order the samples were visited in.
    const auto data = low_rank_data(16, 11);
    Tiny model{4};
    Trainer trainer{model, SGD{{.learning_rate = 0.0}}, MSE{}};
    const auto sorted = [](std::vector<double> losses) {
        std::ranges::sort(losses);
        return losses;
    };
    std::vector<double> each;
    for (std::size_t i = 0; i < data.size(); ++i) each.push_back(trainer.evaluate(data.slice(i, 1)));
    each = sorted(each);
    REQUIRE(std::ranges::adjacent_find(each) == each.end());  // 16 distinct losses: each names its sample

    std::vector<std::vector<double>> epochs(3);
    trainer.on_batch_end([&](const BatchReport& report) { epochs.at(report.epoch - 1).push_back(report.loss); });
    trainer.fit(data, quiet({.epochs = 3, .batch_size = 1, .seed = 1}));
    for (std::size_t e = 0; e < epochs.size(); ++e) {
        INFO("epoch " << e + 1);
        const auto visited = sorted(epochs[e]);
        REQUIRE(visited.size() == each.size());
        for (std::size_t i = 0; i < each.size(); ++i) CHECK(visited[i] == doctest::Approx(each[i]).epsilon(1e-6));
        CHECK(visited == sorted(epochs[0]));  // the same samples, bit for bit, in another order
    }
    CHECK(epochs[0] != epochs[1]);
    CHECK(epochs[1] != epochs[2]);
    CHECK(epochs[0] != epochs[2]);
}

TEST_CASE("history records losses, rates and speed, and the validation split is held out") {
    const auto data = low_rank_data(200, 3);
    Tiny model;
    Trainer trainer{model, SGD{{.learning_rate = 0.5}}, MSE{}};
    std::size_t batches_seen = 0;
    trainer.on_batch_end([&](const BatchReport& report) {
        ++batches_seen;
        CHECK(report.batches == 5);  // 160 training samples in batches of 32
        CHECK(std::isfinite(report.loss));
    });
    const History history = trainer.fit(data, quiet({.epochs = 4, .batch_size = 32, .validation_split = 0.2,
                                                     .schedule = schedule::StepDecay{.step_size = 2, .gamma = 0.5}}));
    CHECK(batches_seen == 20);
    REQUIRE(history.epochs.size() == 4);
    for (const auto& e : history.epochs) {
        CHECK(e.validation_loss.has_value());
        CHECK(e.samples_per_second > 0);
    }
    CHECK(history.epochs[0].learning_rate == 0.5);
    CHECK(history.epochs[1].learning_rate == 0.5);
    CHECK(history.epochs[2].learning_rate == 0.25);
    CHECK(history.epochs[3].epoch == 4);
    // The validation loss is the loss on the last 40 samples, which training never saw.
    CHECK(*history.last().validation_loss == doctest::Approx(trainer.evaluate(data.slice(160, 40))).epsilon(1e-5));
}

TEST_CASE("a separate validation set is evaluated after every epoch") {
    const auto train = low_rank_data(128, 4), validation = low_rank_data(64, 5);
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    const History h = trainer.fit(train, validation, quiet({.epochs = 2, .batch_size = 64}));
    CHECK(*h.last().validation_loss == doctest::Approx(trainer.evaluate(validation)).epsilon(1e-5));
    CHECK_THROWS_AS(trainer.fit(train, validation, quiet({.epochs = 1, .validation_split = 0.1})), argument_error);
}

TEST_CASE("an epoch callback can stop training, and early stopping restores the best weights") {
    const auto data = low_rank_data(64, 6);
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    std::size_t seen = 0;
    trainer.on_epoch_end([&](const EpochRecord& r) { return r.epoch == 3 ? Control::stop : Control::proceed; });
    trainer.on_epoch_end([&](const EpochRecord&) { ++seen; });
    CHECK(trainer.fit(data, quiet({.epochs = 10, .batch_size = 16})).epochs.size() == 3);
    CHECK(seen == 3);

    // A learning rate of 0 never improves (unshuffled, every epoch's loss is bitwise the same): training
    // stops after `patience` epochs without improvement.
    Tiny still;
    Trainer stalled{still, SGD{{.learning_rate = 0.0}}, MSE{}};
    const auto stopped = stalled.fit(data, quiet({.epochs = 50, .batch_size = 16, .shuffle = false,
                                                   .early_stopping = EarlyStopping{.patience = 2}}));
    CHECK(stopped.epochs.size() == 3);

    // With a rate that diverges, the best epoch's weights come back.
    Tiny wild{3};
    Trainer diverging{wild, SGD{{.learning_rate = 40.0}}, MSE{}};
    std::vector<float> best;
    double best_loss = INFINITY;
    diverging.on_epoch_end([&](const EpochRecord& r) {
        if (r.train_loss < best_loss) {
            best_loss = r.train_loss;
            best.assign(wild.parameters().begin(), wild.parameters().end());
        }
    });
    diverging.fit(data, quiet({.epochs = 8, .batch_size = 64, .early_stopping = EarlyStopping{.patience = 1}}));
    CHECK(std::ranges::equal(wild.parameters(), best));
}

TEST_CASE("progress is one line per epoch when not on a terminal") {
    const auto data = low_rank_data(64, 7);
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    std::ostringstream out;
    trainer.fit(data, {.epochs = 2, .batch_size = 32, .validation_split = 0.5, .verbosity = Verbosity::per_epoch, .out = &out});
    const std::string text = out.str();
    INFO(text);
    CHECK(text.starts_with("Epoch 1/2  loss "));
    CHECK(text.find("val_loss") != std::string::npos);
    CHECK(text.find("samples/s\nEpoch 2/2") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') == 2);

    std::ostringstream bar;
    trainer.fit(data, {.epochs = 1, .batch_size = 16, .verbosity = Verbosity::progress_bar, .out = &bar});
    CHECK(bar.str().find("4/4 loss") != std::string::npos);
    CHECK(bar.str().find("ETA") != std::string::npos);
}

TEST_CASE("invalid arguments are refused with the value found") {
    const auto data = low_rank_data(10, 8);
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    CHECK_THROWS_WITH_AS(trainer.fit(data, quiet({.epochs = 0})), doctest::Contains("expected epochs >= 1, found 0"), argument_error);
    CHECK_THROWS_WITH_AS(trainer.fit(data, quiet({.batch_size = 0})), doctest::Contains("expected batch_size >= 1, found 0"),
                         argument_error);
    CHECK_THROWS_WITH_AS(trainer.fit(data, quiet({.batch_size = 11})), doctest::Contains("expected batch_size <= 10"),
                         argument_error);
    CHECK_THROWS_AS(trainer.fit(data, quiet({.validation_split = std::numeric_limits<double>::quiet_NaN()})), argument_error);
    CHECK_THROWS_AS(trainer.fit(data, quiet({.validation_split = 1.0})), argument_error);
    CHECK_THROWS_WITH_AS(trainer.fit(Dataset<float>(), quiet({})), doctest::Contains("data set is empty"), argument_error);
    CHECK_THROWS_AS(trainer.evaluate(data, {.batch_size = 0}), argument_error);
    CHECK_THROWS_AS(trainer.fit(data, {.out = nullptr}), argument_error);
}

TEST_CASE("images of the wrong size for the model are refused naming both sizes") {
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    const Dataset<std::uint8_t> images(std::vector<std::uint8_t>(3 * 9), 3, 3);
    CHECK_THROWS_WITH_AS(trainer.fit(images, quiet({.batch_size = 1})),
                         doctest::Contains("the model expects 8 values per sample, the training data has samples of 3 x 3 = 9"),
                         shape_error);
    CHECK_THROWS_AS(trainer.evaluate(images), shape_error);
}

TEST_CASE("a NaN loss stops training naming the epoch and batch, with the weights of the last good batch") {
    auto data = low_rank_data(64, 9);
    std::vector<float> values(data.values().begin(), data.values().end());
    values[40 * 8 + 3] = std::numeric_limits<float>::quiet_NaN();  // sample 40: the second batch of 32, unshuffled
    const Dataset<float> poisoned(std::move(values), 1, 8);
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    std::vector<float> after_first_batch;
    trainer.on_batch_end([&](const BatchReport&) { after_first_batch.assign(model.parameters().begin(), model.parameters().end()); });
    CHECK_THROWS_WITH_AS(trainer.fit(poisoned, quiet({.epochs = 1, .batch_size = 32, .shuffle = false})),
                         doctest::Contains("expected a finite loss, found nan at epoch 1, batch 2 of 2"), numerical_error);
    CHECK(std::ranges::equal(model.parameters(), after_first_batch));
}
