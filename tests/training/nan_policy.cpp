// The trainer's NaN policy: a NaN or infinite loss, gradient, or updated weight is found by its bit pattern
// and either stops training naming the epoch and batch (NanPolicy::stop), or leaves the batch out with the
// weights and optimizer state of before it (NanPolicy::skip_batch), until too many come in a row. The
// skipped run is compared bit for bit with a run that never saw the bad batches.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

using namespace latent;

namespace {

using Tiny = Autoencoder<Sequential<Dense<8, 4, Tanh>, Dense<4, 2>>, Sequential<Dense<2, 4, Tanh>, Dense<4, 8, Sigmoid>>>;
constexpr float not_a_number = std::numeric_limits<float>::quiet_NaN();

// n samples of 8 values in (0, 1), different from each other.
std::vector<float> values(std::size_t n) {
    Rng rng{42};
    std::vector<float> v(n * 8);
    for (float& x : v) x = float(0.1 + 0.8 * rng.uniform());
    return v;
}

// Samples [first, first + count) of every batch of 8 set to `value` in one element.
Dataset<float> poisoned(std::vector<float> v, std::initializer_list<std::size_t> batches, float value) {
    for (const std::size_t b : batches) v[(b * 8 + 3) * 8 + 5] = value;  // sample 3 of batch b
    return Dataset<float>(std::move(v), 1, 8);
}

// The same samples without the listed batches of 8.
Dataset<float> without(const std::vector<float>& v, std::initializer_list<std::size_t> batches) {
    std::vector<float> kept;
    for (std::size_t b = 0; b < v.size() / 64; ++b)
        if (std::find(batches.begin(), batches.end(), b) == batches.end())
            kept.insert(kept.end(), v.begin() + std::ptrdiff_t(b * 64), v.begin() + std::ptrdiff_t((b + 1) * 64));
    return Dataset<float>(std::move(kept), 1, 8);
}

std::vector<float> weights(const Tiny& model) { return {model.parameters().begin(), model.parameters().end()}; }

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

FitOptions unshuffled(std::size_t epochs, NanPolicy policy, std::size_t max_skips = 3) {
    return {.epochs = epochs, .batch_size = 8, .shuffle = false, .verbosity = Verbosity::silent, .on_nan = policy,
            .max_consecutive_skips = max_skips};
}

// MSE whose gradient is multiplied by `factor` on the calls listed and by `base` on the others: a finite loss
// with an infinite gradient, or (factor 1e36, base 1e-10, learning rate 1e10) a finite gradient whose update
// overflows while every other update is of ordinary size.
struct PoisonedGradient {
    std::shared_ptr<std::size_t> calls = std::make_shared<std::size_t>(0);
    std::vector<std::size_t> poisoned_calls;
    float factor = std::numeric_limits<float>::infinity();
    float base = 1;
    MSE mse{};

    static std::string name() { return "PoisonedGradient"; }
    template <class Activation>
    static constexpr bool uses_logits = MSE::uses_logits<Activation>;
    template <class Activation, class S>
    S value(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> logits) const {
        return mse.value<Activation>(output, target, logits);
    }
    template <class Activation, class S>
    S value_and_gradient(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> logits,
                         MatrixView<S> gradient) const {
        const S loss = mse.value_and_gradient<Activation>(output, target, logits, gradient);
        const bool poison = std::find(poisoned_calls.begin(), poisoned_calls.end(), (*calls)++) != poisoned_calls.end();
        gradient *= S(poison ? factor : base);
        return loss;
    }
};

}  // namespace

TEST_CASE("stop: a NaN loss names the epoch and batch, and the weights are those from before it") {
    const auto v = values(32);
    Tiny model{1};
    Trainer trainer{model, Adam{}, MSE{}};
    std::vector<float> before_bad;
    trainer.on_batch_end([&](const BatchReport&) { before_bad = weights(model); });
    CHECK_THROWS_WITH_AS(trainer.fit(poisoned(v, {2}, not_a_number), unshuffled(2, NanPolicy::stop)),
                         doctest::Contains("expected a finite loss, found nan at epoch 1, batch 3 of 4"), numerical_error);
    CHECK(bitwise_equal(weights(model), before_bad));
    CHECK(trainer.optimizer().steps() == 2);
}

TEST_CASE("stop: an infinite gradient with a finite loss is found too") {
    const auto v = values(32);
    Tiny model{1};
    PoisonedGradient loss{.poisoned_calls = {5}};  // epoch 2, batch 2
    Trainer trainer{model, Adam{}, loss};
    std::vector<float> before_bad;
    trainer.on_batch_end([&](const BatchReport&) { before_bad = weights(model); });
    CHECK_THROWS_WITH_AS(trainer.fit(Dataset<float>(v, 1, 8), unshuffled(3, NanPolicy::stop)),
                         doctest::Contains("expected finite gradients, found a NaN or infinite one at epoch 2, batch 2 of 4"),
                         numerical_error);
    CHECK(bitwise_equal(weights(model), before_bad));
    CHECK(trainer.optimizer().steps() == 5);
}

TEST_CASE("stop: an update that overflows although its gradients are finite is reported") {
    const auto v = values(16);
    Tiny model{1};
    Trainer trainer{model, SGD{{.learning_rate = 1e10}}, PoisonedGradient{.poisoned_calls = {0}, .factor = 1e36f, .base = 1e-10f}};
    CHECK_THROWS_WITH_AS(trainer.fit(Dataset<float>(v, 1, 8), unshuffled(1, NanPolicy::stop)),
                         doctest::Contains("expected finite weights after the update at epoch 1, batch 1 of 2"),
                         numerical_error);
}

TEST_CASE("skip_batch: a NaN batch is left out, counted, and the run equals one that never saw it") {
    const auto v = values(48);  // 6 batches of 8, unshuffled
    Tiny skipping{3};
    Trainer trainer{skipping, Adam{}, MSE{}};
    const History history = trainer.fit(poisoned(v, {1, 4}, not_a_number), unshuffled(3, NanPolicy::skip_batch));
    REQUIRE(history.epochs.size() == 3);
    for (const EpochRecord& record : history.epochs) {
        CHECK(record.skipped_batches == 2);
        CHECK(latent::is_finite(record.train_loss));
    }

    Tiny reference{3};
    Trainer clean{reference, Adam{}, MSE{}};
    const History expected = clean.fit(without(v, {1, 4}), unshuffled(3, NanPolicy::stop));
    CHECK(bitwise_equal(weights(skipping), weights(reference)));
    CHECK(trainer.optimizer().steps() == clean.optimizer().steps());
    // The epoch's loss is the mean over the batches trained on.
    CHECK(history.last().train_loss == expected.last().train_loss);
}

TEST_CASE("skip_batch: an infinite gradient and an overflowing update are rolled back, optimizer state included") {
    const auto v = values(32);
    {
        Tiny skipping{4};
        PoisonedGradient loss{.poisoned_calls = {2, 6}};  // batch 3 of each of two epochs
        Trainer trainer{skipping, Adam{}, loss};
        const History history = trainer.fit(Dataset<float>(v, 1, 8), unshuffled(2, NanPolicy::skip_batch));
        CHECK(history.epochs[0].skipped_batches == 1);
        CHECK(history.epochs[1].skipped_batches == 1);
        Tiny reference{4};
        Trainer clean{reference, Adam{}, MSE{}};
        clean.fit(without(v, {2}), unshuffled(2, NanPolicy::stop));
        CHECK(bitwise_equal(weights(skipping), weights(reference)));
    }
    {
        // A finite gradient whose update overflows; the momentum must be rolled back too.
        Tiny skipping{5};
        const SGD sgd{{.learning_rate = 1e10, .momentum = 0.9}};
        Trainer trainer{skipping, sgd, PoisonedGradient{.poisoned_calls = {1}, .factor = 1e36f, .base = 1e-10f}};
        const History history = trainer.fit(Dataset<float>(v, 1, 8), unshuffled(2, NanPolicy::skip_batch));
        CHECK(history.epochs[0].skipped_batches == 1);
        CHECK(history.epochs[1].skipped_batches == 0);
        CHECK(all_finite(std::span<const float>(skipping.parameters())));
        Tiny reference{5};
        PoisonedGradient scaled;  // every gradient times 1e-10, as the skipping run's good batches
        scaled.base = 1e-10f;
        Trainer clean{reference, sgd, scaled};
        clean.fit(without(v, {1}), unshuffled(1, NanPolicy::stop));
        clean.fit(Dataset<float>(v, 1, 8), unshuffled(1, NanPolicy::stop));
        CHECK(bitwise_equal(weights(skipping), weights(reference)));
    }
}

TEST_CASE("skip_batch: too many bad batches in a row stop training, with the weights from before them") {
    const auto v = values(32);
    Tiny model{6};
    Trainer trainer{model, Adam{}, MSE{}};
    std::vector<float> last_good;
    trainer.on_batch_end([&](const BatchReport&) { last_good = weights(model); });
    // Batches 2, 3, 4 of every epoch are NaN: three in a row at epoch 1 with max_consecutive_skips 3.
    CHECK_THROWS_WITH_AS(trainer.fit(poisoned(v, {1, 2, 3}, not_a_number), unshuffled(2, NanPolicy::skip_batch, 3)),
                         doctest::Contains("expected at most 2 batches in a row with a NaN or infinite loss, gradient or "
                                           "update, found 3, the last at epoch 1, batch 4 of 4 (loss nan)"),
                         numerical_error);
    CHECK(bitwise_equal(weights(model), last_good));
    CHECK(trainer.optimizer().steps() == 1);

    // With 4 allowed, the good first batch of epoch 2 ends the streak: training completes.
    Tiny patient{6};
    Trainer lenient{patient, Adam{}, MSE{}};
    const History history = lenient.fit(poisoned(v, {1, 2, 3}, not_a_number), unshuffled(2, NanPolicy::skip_batch, 4));
    CHECK(history.epochs[1].skipped_batches == 3);
    CHECK(lenient.optimizer().steps() == 2);

    // An update that always overflows: every batch is rolled back, and the optimizer never took a step.
    Tiny frozen{7};
    const std::vector<float> initial = weights(frozen);
    Trainer overflowing{frozen, SGD{{.learning_rate = 1e10, .momentum = 0.5}},
                        PoisonedGradient{.poisoned_calls = {0, 1, 2, 3}, .factor = 1e36f, .base = 1e-10f}};
    CHECK_THROWS_WITH_AS(overflowing.fit(Dataset<float>(v, 1, 8), unshuffled(1, NanPolicy::skip_batch, 2)),
                         doctest::Contains("found 2, the last at epoch 1, batch 2 of 4 (update)"), numerical_error);
    CHECK(bitwise_equal(weights(frozen), initial));
    CHECK(overflowing.optimizer().steps() == 0);
}

TEST_CASE("NaN policy options are checked") {
    const Dataset<float> data(values(16), 1, 8);
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    CHECK_THROWS_WITH_AS(trainer.fit(data, unshuffled(1, NanPolicy::skip_batch, 0)),
                         doctest::Contains("expected max_consecutive_skips >= 1, found 0"), argument_error);
    CHECK_THROWS_WITH_AS(trainer.fit(data, unshuffled(1, NanPolicy(7))),
                         doctest::Contains("expected on_nan to be NanPolicy::stop or NanPolicy::skip_batch, found the value 7"),
                         argument_error);
}
