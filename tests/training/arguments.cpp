// Every size, rate and path the trainer and the gradient checks take is checked, one case at a time, with a
// message that names the argument and the value found (the trainer's basic cases are in trainer.cpp).

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace latent;

namespace {

using Tiny = Autoencoder<Sequential<Dense<8, 4, Tanh>>, Sequential<Dense<4, 8, Sigmoid>>>;
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

Dataset<float> samples(std::size_t n, std::size_t width = 8) {
    return Dataset<float>(std::vector<float>(n * width, 0.5f), 1, width);
}

FitOptions quiet(FitOptions options) {
    options.verbosity = Verbosity::silent;
    return options;
}

}  // namespace

TEST_CASE("fit with a validation set refuses an empty one or one of another sample size") {
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    CHECK_THROWS_WITH_AS(trainer.fit(samples(16), Dataset<float>(), quiet({.batch_size = 4})),
                         doctest::Contains("the validation data set is empty"), argument_error);
    CHECK_THROWS_WITH_AS(trainer.fit(samples(16), samples(4, 9), quiet({.batch_size = 4})),
                         doctest::Contains("the model expects 8 values per sample, the validation data has samples of "
                                           "1 x 9 = 9"),
                         shape_error);
}

TEST_CASE("evaluate refuses an empty data set, a batch size of 0 and samples of another size") {
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    CHECK_THROWS_WITH_AS(trainer.evaluate(Dataset<float>()), doctest::Contains("the evaluation data set is empty"),
                         argument_error);
    CHECK_THROWS_WITH_AS(trainer.evaluate(samples(4), {.batch_size = 0}),
                         doctest::Contains("expected batch_size >= 1, found 0"), argument_error);
    CHECK_THROWS_AS(trainer.evaluate(samples(4, 7)), shape_error);
}

TEST_CASE("fit refuses a batch larger than what the validation split leaves, and a negative split") {
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    // 10 samples, 30% held out: 7 remain for training.
    CHECK_THROWS_WITH_AS(trainer.fit(samples(10), quiet({.batch_size = 8, .validation_split = 0.3})),
                         doctest::Contains("expected batch_size <= 7 (the training samples), found 8"), argument_error);
    CHECK_THROWS_WITH_AS(trainer.fit(samples(10), quiet({.batch_size = 1, .validation_split = -0.1})),
                         doctest::Contains("expected validation_split in [0, 1), found -0.1"), argument_error);
    CHECK_THROWS_WITH_AS(trainer.fit(samples(10), quiet({.batch_size = 2, .validation_split = 0.95})),
                         doctest::Contains("expected batch_size <= 1 (the training samples), found 2"), argument_error);
}

TEST_CASE("fit refuses early stopping's min_delta when negative or not finite, and a schedule's NaN rate") {
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    for (const double bad : {not_a_number, -1e-3, std::numeric_limits<double>::infinity()})
        CHECK_THROWS_WITH_AS(trainer.fit(samples(8), quiet({.batch_size = 4, .early_stopping = EarlyStopping{.min_delta = bad}})),
                             doctest::Contains("expected early_stopping.min_delta to be finite and >= 0"), argument_error);
    const Schedule broken = [](std::size_t epoch, double rate) { return epoch == 1 ? not_a_number : rate; };
    CHECK_THROWS_WITH_AS(trainer.fit(samples(8), quiet({.epochs = 3, .batch_size = 4, .schedule = broken})),
                         doctest::Contains("expected the schedule to give a finite learning rate >= 0, found nan for epoch 2"),
                         argument_error);
    const Schedule negative = [](std::size_t, double) { return -0.5; };
    CHECK_THROWS_AS(trainer.fit(samples(8), quiet({.batch_size = 4, .schedule = negative})), argument_error);
    CHECK(trainer.optimizer().learning_rate() == Adam{}.learning_rate());
}

TEST_CASE("the gradient checks refuse a batch of 0, a step that is not positive and finite, and a bad tolerance") {
    // A batch of 0 would compare two empty gradients and pass, whatever the code does.
    using Layer = Dense<3, 2, Tanh>;
    CHECK_THROWS_WITH_AS(check_layer_gradients<Layer>({.batch = 0}),
                         doctest::Contains("latent::check_layer_gradients: expected batch >= 1, found 0"), argument_error);
    CHECK_THROWS_WITH_AS((check_loss_gradients<MSE, Sigmoid>({}, {.step = 0})),
                         doctest::Contains("latent::check_loss_gradients: expected a step that is finite and > 0, found 0"),
                         argument_error);
    CHECK_THROWS_AS((check_loss_gradients<MSE, Sigmoid>({}, {.step = not_a_number})), argument_error);
    CHECK_THROWS_AS((check_loss_gradients<MSE, Sigmoid>({}, {.step = -1e-6})), argument_error);
    CHECK_THROWS_AS(check_layer_gradients<Layer>({.tolerance = not_a_number}), argument_error);
    Autoencoder<Sequential<Dense<4, 2, Tanh>>, Sequential<Dense<2, 4>>, backend::basic_cpu<double>> model{1};
    CHECK_THROWS_WITH_AS(check_model_gradients(model, MSE{}, {.batch = 0}),
                         doctest::Contains("latent::check_model_gradients: expected batch >= 1, found 0"), argument_error);
    CHECK(check_layer_gradients<Layer>({.batch = 1}).passed());  // the smallest valid batch works
}

TEST_CASE("fit and evaluate refuse 0 threads") {
    Tiny model;
    Trainer trainer{model, Adam{}, MSE{}};
    CHECK_THROWS_WITH_AS(trainer.fit(samples(16), quiet({.batch_size = 4, .threads = 0})),
                         doctest::Contains("expected threads >= 1, found 0"), argument_error);
    CHECK_THROWS_WITH_AS(trainer.evaluate(samples(4), {.threads = 0}), doctest::Contains("expected threads >= 1, found 0"),
                         argument_error);
}
