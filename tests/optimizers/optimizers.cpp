// One optimizer at a time against torch.optim (PyTorch 1.13, float32): three steps on fixed
// parameters and gradients. Reference values from make_reference.py beside this file.

#include <latent/optimizers/adam.hpp>
#include <latent/optimizers/rmsprop.hpp>
#include <latent/optimizers/sgd.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr std::array<float, 5> initial{0.5f, -1.2f, 2.0f, 0.0f, -0.3f};
constexpr std::array<std::array<float, 5>, 3> gradients{{{0.1f, -0.2f, 0.3f, -0.4f, 0.5f},
                                                         {-0.05f, 0.4f, 0.0f, 0.2f, -0.1f},
                                                         {0.3f, 0.3f, -0.6f, 0.01f, 0.2f}}};

template <class O>
std::vector<float> three_steps(O optimizer) {
    std::vector<float> p(initial.begin(), initial.end());
    optimizer.prepare(p.size());
    for (const auto& g : gradients) optimizer.step(std::span<float>(p), std::span<const float>(g));
    return p;
}

// Float rounding: a few units in the last place of values around 1.
void check_matches(const std::vector<float>& found, const std::array<float, 5>& expected) {
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("parameter " << i);
        CHECK(found[i] == doctest::Approx(expected[i]).epsilon(2e-6));
    }
}

}  // namespace

TEST_CASE("SGD matches torch.optim.SGD") {
    check_matches(three_steps(latent::SGD{{.learning_rate = 0.1}}),
                  {0.465000004f, -1.25f, 2.02999997f, 0.0190000013f, -0.360000044f});
    check_matches(
        three_steps(latent::SGD{{.learning_rate = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01}}),
        {0.451822251f, -1.2348572f, 1.96217108f, 0.0731794313f, -0.434642404f});
    check_matches(three_steps(latent::SGD{{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true}}),
                  {0.42216f, -1.29662013f, 2.01082993f, 0.0814599916f, -0.482849985f});
}

TEST_CASE("Adam matches torch.optim.Adam, with coupled weight decay") {
    check_matches(three_steps(latent::Adam{{.learning_rate = 0.01}}),
                  {0.48063162f, -1.19957101f, 1.9866997f, 0.0145787112f, -0.321121871f});
    check_matches(
        three_steps(latent::Adam{{.learning_rate = 0.01, .beta1 = 0.8, .beta2 = 0.99, .epsilon = 1e-6, .weight_decay = 0.1}}),
        {0.475478619f, -1.19354928f, 1.98042083f, 0.0134284133f, -0.318985552f});
}

TEST_CASE("AdamW matches torch.optim.AdamW, with decoupled weight decay") {
    check_matches(three_steps(latent::AdamW{{.learning_rate = 0.01, .weight_decay = 0.1}}),
                  {0.479155779f, -1.19599104f, 1.98073256f, 0.0145560596f, -0.320197672f});
    CHECK(latent::AdamW{}.options().weight_decay == 1e-2);
}

TEST_CASE("RMSProp matches torch.optim.RMSprop, plain and centred with momentum") {
    check_matches(three_steps(latent::RMSProp{{.learning_rate = 0.01}}),
                  {0.351094604f, -1.24547255f, 1.98962128f, 0.0528428666f, -0.417121053f});
    check_matches(three_steps(latent::RMSProp{{.learning_rate = 0.01, .alpha = 0.9, .weight_decay = 0.05,
                                               .momentum = 0.5, .centered = true}}),
                  {0.420300692f, -1.19703507f, 1.95431352f, 0.0350045562f, -0.358901262f});
}

TEST_CASE("optimizers keep their state across prepare() calls of the same size") {
    latent::Adam adam{{.learning_rate = 0.01}};
    std::vector<float> p(initial.begin(), initial.end());
    adam.prepare(p.size());
    adam.step(std::span<float>(p), std::span<const float>(gradients[0]));
    adam.prepare(p.size());  // a second fit() on the same model
    adam.step(std::span<float>(p), std::span<const float>(gradients[1]));
    adam.step(std::span<float>(p), std::span<const float>(gradients[2]));
    check_matches(p, {0.48063162f, -1.19957101f, 1.9866997f, 0.0145787112f, -0.321121871f});
}

TEST_CASE("invalid hyper-parameters are refused with the value found") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(latent::Adam{{.learning_rate = nan}}, doctest::Contains("expected learning_rate to be finite and >= 0, found nan"),
                         latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::SGD{{.learning_rate = -1}}, doctest::Contains("found -1"), latent::argument_error);
    CHECK_THROWS_AS(latent::Adam{{.beta1 = 1.0}}, latent::argument_error);
    CHECK_THROWS_AS(latent::Adam{{.beta2 = -0.1}}, latent::argument_error);
    CHECK_THROWS_AS(latent::AdamW{{.epsilon = -1}}, latent::argument_error);
    CHECK_THROWS_AS(latent::Adam{{.weight_decay = -1e-5}}, latent::argument_error);
    CHECK_THROWS_WITH_AS((latent::SGD{{.momentum = 0, .nesterov = true}}), doctest::Contains("Nesterov"), latent::argument_error);
    CHECK_THROWS_AS(latent::RMSProp{{.alpha = 1.5}}, latent::argument_error);
    CHECK_THROWS_AS(latent::RMSProp{{.momentum = -0.5}}, latent::argument_error);

    latent::Adam adam;
    CHECK_THROWS_AS(adam.set_learning_rate(nan), latent::argument_error);
    adam.set_learning_rate(0.5);
    CHECK(adam.learning_rate() == 0.5);
}

TEST_CASE("a step with sizes other than the prepared ones is refused") {
    latent::Adam adam;
    adam.prepare(5);
    std::vector<float> p(4), g(4);
    CHECK_THROWS_WITH_AS(adam.step(std::span<float>(p), std::span<const float>(g)),
                         doctest::Contains("expected 5 parameters and gradients"), latent::argument_error);
}

namespace {
// Constructs the optimizer `make` builds and expects argument_error naming `name` and the value found.
template <class Make>
void check_refused(Make make, const char* optimizer, const char* name, const char* found) {
    INFO(optimizer << "." << name << " = " << found);
    try {
        (void)make();
        FAIL("expected argument_error");
    } catch (const latent::argument_error& e) {
        const std::string message = e.what();
        CHECK(message.find(std::string("latent::") + optimizer + ": expected " + name) != std::string::npos);
        CHECK(message.find(std::string("found ") + found) != std::string::npos);
    }
}
}  // namespace

TEST_CASE("every hyper-parameter of every optimizer refuses NaN, infinities and values out of its range") {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    constexpr double inf = std::numeric_limits<double>::infinity();
    for (const double bad : {nan, inf, -inf, -0.5}) {
        const std::string text = std::to_string(bad);
        const char* found = text.c_str();
        check_refused([&] { return latent::SGD{{.learning_rate = bad}}; }, "SGD", "learning_rate", found);
        check_refused([&] { return latent::SGD{{.momentum = bad}}; }, "SGD", "momentum", found);
        check_refused([&] { return latent::SGD{{.weight_decay = bad}}; }, "SGD", "weight_decay", found);
        check_refused([&] { return latent::Adam{{.learning_rate = bad}}; }, "Adam", "learning_rate", found);
        check_refused([&] { return latent::Adam{{.beta1 = bad}}; }, "Adam", "beta1", found);
        check_refused([&] { return latent::Adam{{.beta2 = bad}}; }, "Adam", "beta2", found);
        check_refused([&] { return latent::Adam{{.epsilon = bad}}; }, "Adam", "epsilon", found);
        check_refused([&] { return latent::Adam{{.weight_decay = bad}}; }, "Adam", "weight_decay", found);
        check_refused([&] { return latent::AdamW{{.learning_rate = bad}}; }, "AdamW", "learning_rate", found);
        check_refused([&] { return latent::AdamW{{.beta2 = bad}}; }, "AdamW", "beta2", found);
        check_refused([&] { return latent::AdamW{{.weight_decay = bad}}; }, "AdamW", "weight_decay", found);
        check_refused([&] { return latent::RMSProp{{.learning_rate = bad}}; }, "RMSProp", "learning_rate", found);
        check_refused([&] { return latent::RMSProp{{.alpha = bad}}; }, "RMSProp", "alpha", found);
        check_refused([&] { return latent::RMSProp{{.epsilon = bad}}; }, "RMSProp", "epsilon", found);
        check_refused([&] { return latent::RMSProp{{.weight_decay = bad}}; }, "RMSProp", "weight_decay", found);
        check_refused([&] { return latent::RMSProp{{.momentum = bad}}; }, "RMSProp", "momentum", found);
    }
    for (const double bad : {nan, inf, -inf})  // any finite dampening is allowed, as in PyTorch
        check_refused([&] { return latent::SGD{{.dampening = bad}}; }, "SGD", "dampening", std::to_string(bad).c_str());
    for (const double bad : {1.0, 1.5}) {  // betas must stay below 1, alpha at most 1
        check_refused([&] { return latent::Adam{{.beta1 = bad}}; }, "Adam", "beta1", std::to_string(bad).c_str());
        check_refused([&] { return latent::AdamW{{.beta2 = bad}}; }, "AdamW", "beta2", std::to_string(bad).c_str());
    }
    check_refused([&] { return latent::RMSProp{{.alpha = 1.5}}; }, "RMSProp", "alpha", "1.5");
}

TEST_CASE("set_learning_rate refuses NaN, infinity and negative rates and keeps the rate it had") {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    constexpr double inf = std::numeric_limits<double>::infinity();
    auto check = [&](auto optimizer) {
        optimizer.set_learning_rate(0.25);
        for (const double bad : {nan, inf, -1e-3}) {
            CHECK_THROWS_AS(optimizer.set_learning_rate(bad), latent::argument_error);
            CHECK(optimizer.learning_rate() == 0.25);
        }
        optimizer.set_learning_rate(0.0);  // a rate of 0 is allowed: it freezes the parameters
        CHECK(optimizer.learning_rate() == 0.0);
    };
    check(latent::SGD{});
    check(latent::Adam{});
    check(latent::AdamW{});
    check(latent::RMSProp{});
}

namespace {
// One step, save the state, two more steps; then a fresh optimizer restored from the saved state takes the same
// two steps from the saved parameters: both must end bitwise equal.
template <class O>
void check_state_round_trip(O original, O fresh) {
    INFO(O::name());
    std::vector<float> p(initial.begin(), initial.end());
    original.prepare(p.size());
    original.step(std::span<float>(p), std::span<const float>(gradients[0]));
    latent::OptimizerState<float> saved;
    original.save_state(saved);
    const std::vector<float> after_one = p;
    original.set_learning_rate(original.learning_rate() * 0.5);  // the rate is part of the state
    const double rate = original.learning_rate();
    for (std::size_t k = 1; k < 3; ++k) original.step(std::span<float>(p), std::span<const float>(gradients[k]));

    std::vector<float> q = after_one;
    fresh.prepare(q.size());
    fresh.restore_state(saved);
    CHECK(fresh.steps() == 1);
    CHECK(fresh.learning_rate() == saved.learning_rate);
    fresh.set_learning_rate(rate);
    for (std::size_t k = 1; k < 3; ++k) fresh.step(std::span<float>(q), std::span<const float>(gradients[k]));
    CHECK(std::memcmp(p.data(), q.data(), p.size() * sizeof(float)) == 0);
    CHECK(original.steps() == 3);
}
}  // namespace

TEST_CASE("an optimizer restored from its saved state continues bitwise as the original") {
    check_state_round_trip(latent::SGD{{.learning_rate = 0.1}}, latent::SGD{{.learning_rate = 0.3}});
    check_state_round_trip(latent::SGD{{.learning_rate = 0.1, .momentum = 0.9, .dampening = 0.1}},
                           latent::SGD{{.momentum = 0.9, .dampening = 0.1}});
    check_state_round_trip(latent::SGD{{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true}},
                           latent::SGD{{.momentum = 0.9, .nesterov = true}});
    check_state_round_trip(latent::Adam{{.learning_rate = 0.01, .weight_decay = 0.1}}, latent::Adam{{.weight_decay = 0.1}});
    check_state_round_trip(latent::AdamW{{.learning_rate = 0.01, .weight_decay = 0.01}}, latent::AdamW{});
    check_state_round_trip(latent::RMSProp{{.learning_rate = 0.01, .momentum = 0.5, .centered = true}},
                           latent::RMSProp{{.momentum = 0.5, .centered = true}});
    check_state_round_trip(latent::RMSProp{{.learning_rate = 0.01}}, latent::RMSProp{});
}

TEST_CASE("a saved state is refused by an optimizer of other settings or size, which stays as it was") {
    latent::Adam adam{{.beta1 = 0.8}};
    adam.prepare(5);
    latent::OptimizerState<float> saved;
    adam.save_state(saved);
    CHECK(saved.settings == "Adam(beta1=0.8, beta2=0.999, epsilon=1e-08, weight_decay=0)");

    latent::Adam other;
    other.prepare(5);
    CHECK_THROWS_WITH_AS(other.restore_state(saved),
                         doctest::Contains("latent::Adam::restore_state: expected the state of Adam(beta1=0.9, "
                                           "beta2=0.999, epsilon=1e-08, weight_decay=0), found that of Adam(beta1=0.8"),
                         latent::argument_error);
    latent::AdamW adamw{{.beta1 = 0.8, .weight_decay = 0}};
    adamw.prepare(5);
    CHECK_THROWS_WITH_AS(adamw.restore_state(saved), doctest::Contains("found that of Adam("), latent::argument_error);

    latent::Adam bigger{{.beta1 = 0.8}};
    bigger.prepare(6);
    CHECK_THROWS_WITH_AS(bigger.restore_state(saved), doctest::Contains("expected buffers of 6, 6 values"),
                         latent::argument_error);
    latent::Adam unprepared{{.beta1 = 0.8}};
    CHECK_THROWS_AS(unprepared.restore_state(saved), latent::argument_error);

    latent::SGD sgd{{.learning_rate = 0.5, .momentum = 0.9}};
    sgd.prepare(5);
    latent::OptimizerState<float> sgd_state;
    sgd.save_state(sgd_state);
    sgd_state.learning_rate = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(sgd.restore_state(sgd_state), latent::argument_error);
    CHECK(sgd.learning_rate() == 0.5);
    CHECK_THROWS_WITH_AS(latent::RMSProp{}.restore_state(sgd_state), doctest::Contains("found that of SGD(momentum=0.9"),
                         latent::argument_error);
}
