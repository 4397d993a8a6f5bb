// Learning-rate schedules: the rates of torch.optim.lr_scheduler's StepLR, ExponentialLR and
// CosineAnnealingLR, and settings that would divide by zero or give a NaN rate refused by name.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

using namespace latent;

TEST_CASE("schedules give the rates of their PyTorch counterparts") {
    const schedule::StepDecay step{.step_size = 3, .gamma = 0.5};
    CHECK(step(0, 0.1) == 0.1);
    CHECK(step(2, 0.1) == 0.1);
    CHECK(step(3, 0.1) == doctest::Approx(0.05));
    CHECK(step(7, 0.1) == doctest::Approx(0.025));
    CHECK(schedule::ExponentialDecay{.gamma = 0.9}(2, 1.0) == doctest::Approx(0.81));
    const schedule::CosineAnnealing cosine{.period = 4, .min_rate = 0.01};
    CHECK(cosine(0, 0.1) == doctest::Approx(0.1));
    CHECK(cosine(2, 0.1) == doctest::Approx(0.055));
    CHECK(cosine(4, 0.1) == doctest::Approx(0.01));
    CHECK(cosine(9, 0.1) == doctest::Approx(0.01));  // stays at the end of its half-cycle
    CHECK(schedule::Constant{}(5, 0.3) == 0.3);
}

TEST_CASE("schedule settings that make no rate are refused with the value found") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    // step_size 0 would divide by zero (a crash, SIGFPE), period 0 would give 0/0.
    CHECK_THROWS_WITH_AS(schedule::StepDecay{.step_size = 0}(1, 0.1),
                         doctest::Contains("latent::schedule::StepDecay: expected step_size >= 1, found 0"),
                         argument_error);
    CHECK_THROWS_WITH_AS(schedule::CosineAnnealing{.period = 0}(1, 0.1),
                         doctest::Contains("latent::schedule::CosineAnnealing: expected period >= 1, found 0"),
                         argument_error);
    CHECK_THROWS_WITH_AS(schedule::StepDecay{.gamma = -0.5}(1, 0.1),
                         doctest::Contains("expected gamma to be finite and >= 0, found -0.5"), argument_error);
    CHECK_THROWS_AS(schedule::StepDecay{.gamma = nan}(1, 0.1), argument_error);
    CHECK_THROWS_AS(schedule::ExponentialDecay{.gamma = inf}(1, 0.1), argument_error);
    CHECK_THROWS_WITH_AS(schedule::ExponentialDecay{.gamma = nan}(0, 0.1),
                         doctest::Contains("latent::schedule::ExponentialDecay: expected gamma"), argument_error);
    CHECK_THROWS_WITH_AS(schedule::CosineAnnealing{.min_rate = -1e-3}(1, 0.1),
                         doctest::Contains("expected min_rate to be finite and >= 0, found -0.001"), argument_error);
    CHECK_THROWS_AS(schedule::CosineAnnealing{.min_rate = nan}(1, 0.1), argument_error);
}

TEST_CASE("a schedule with a bad setting stops fit with argument_error, before any step") {
    using Tiny = Autoencoder<Sequential<Dense<4, 2>>, Sequential<Dense<2, 4>>>;
    const Dataset<float> data(std::vector<float>(4 * 8, 0.5f), 1, 4);
    Tiny model{1};
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    Trainer trainer{model, SGD{}, MSE{}};
    CHECK_THROWS_AS(trainer.fit(data, {.epochs = 2, .batch_size = 4, .schedule = schedule::StepDecay{.step_size = 0},
                                       .verbosity = Verbosity::silent}),
                    argument_error);
    CHECK(std::ranges::equal(model.parameters(), before));
}
