// Loss values against PyTorch (torch.nn.functional, float64) and loss gradients against finite
// differences, including BCE fused with the Sigmoid through its logits.

#include <latent/losses/bce.hpp>
#include <latent/losses/l1.hpp>
#include <latent/losses/loss.hpp>
#include <latent/losses/mse.hpp>
#include <latent/training/gradient_check.hpp>

#include <doctest/doctest.h>

#include <cmath>

static_assert(latent::Loss<latent::MSE> && latent::Loss<latent::BCE> && latent::Loss<latent::L1>);
static_assert(latent::BCE::uses_logits<latent::Sigmoid> && !latent::BCE::uses_logits<latent::ReLU>);
static_assert(!latent::MSE::uses_logits<latent::Sigmoid>);

namespace {

struct Batch {
    latent::Matrix<double> z{3, 2}, y{3, 2}, t{3, 2}, g{3, 2};
    Batch() {
        z << -3.0, 0.5, 2.0, -0.25, 10.0, -40.0;
        t << 0.0, 1.0, 0.3, 0.9, 1.0, 0.0;
        y = z.unaryExpr([](double v) { return latent::Sigmoid::value(v); });
    }
    latent::ConstMatrixView<double> view(const latent::Matrix<double>& m) const { return {m.data(), 3, 2}; }
    latent::MatrixView<double> gradient() { return {g.data(), 3, 2}; }
};

}  // namespace

TEST_CASE("MSE, L1 and BCE values equal PyTorch's") {
    Batch b;
    CHECK(latent::MSE{}.value<latent::Sigmoid>(b.view(b.y), b.view(b.t), b.view(b.z)) ==
          doctest::Approx(0.11595308931047643).epsilon(1e-12));
    CHECK(latent::L1{}.value<latent::Sigmoid>(b.view(b.y), b.view(b.t), b.view(b.z)) ==
          doctest::Approx(0.24466425311801585).epsilon(1e-12));
    // After a Sigmoid, from the logits (binary_cross_entropy_with_logits) ...
    CHECK(latent::BCE{}.value<latent::Sigmoid>(b.view(b.y), b.view(b.t), b.view(b.z)) ==
          doctest::Approx(0.4750961942624803).epsilon(1e-12));
    // ... and from probabilities after another activation (binary_cross_entropy).
    CHECK(latent::BCE{}.value<latent::Identity>(b.view(b.y), b.view(b.t), b.view(b.z)) ==
          doctest::Approx(0.47509619426248006).epsilon(1e-9));
}

TEST_CASE("value_and_gradient returns the same value as value") {
    Batch b;
    CHECK(latent::MSE{}.value_and_gradient<latent::Sigmoid>(b.view(b.y), b.view(b.t), b.view(b.z), b.gradient()) ==
          doctest::Approx(0.11595308931047643).epsilon(1e-12));
    CHECK(latent::BCE{}.value_and_gradient<latent::Sigmoid>(b.view(b.y), b.view(b.t), b.view(b.z), b.gradient()) ==
          doctest::Approx(0.4750961942624803).epsilon(1e-12));
    CHECK(latent::L1{}.value_and_gradient<latent::Identity>(b.view(b.y), b.view(b.t), b.view(b.z), b.gradient()) ==
          doctest::Approx(0.24466425311801585).epsilon(1e-12));
}

TEST_CASE("BCE on probabilities clamps log(0) at -100 as PyTorch does") {
    latent::Matrix<double> y(3, 2), t(3, 2);
    y << 0.0, 1.0, 0.3, 0.9, 1.0, 0.0;
    t << 1.0, 0.0, 0.3, 0.9, 1.0, 0.0;
    const latent::ConstMatrixView<double> yv(y.data(), 3, 2), tv(t.data(), 3, 2);
    CHECK(latent::BCE{}.value<latent::Identity>(yv, tv, yv) == doctest::Approx(33.48932454590773).epsilon(1e-9));
}

TEST_CASE("BCE from logits stays finite and exact where probabilities saturate") {
    // sigmoid(-40) rounds to 0 in float: log(y) would be -inf; from the logit the loss is exactly 40.
    latent::Matrix<float> z(1, 1), t(1, 1), y(1, 1), g(1, 1);
    z << -40.0f;
    t << 1.0f;
    y << latent::Sigmoid::value(-40.0f);
    const float loss = latent::BCE{}.value_and_gradient<latent::Sigmoid>(latent::ConstMatrixView<float>(y.data(), 1, 1),
                                                                        latent::ConstMatrixView<float>(t.data(), 1, 1),
                                                                        latent::ConstMatrixView<float>(z.data(), 1, 1),
                                                                        latent::MatrixView<float>(g.data(), 1, 1));
    CHECK(loss == doctest::Approx(40.0f));
    CHECK(g(0, 0) == doctest::Approx(-1.0f));
}

TEST_CASE_TEMPLATE("loss gradients match finite differences", Act, latent::Identity, latent::Sigmoid, latent::Tanh) {
    for (std::uint64_t seed : {1u, 2u}) {
        INFO(Act::name() << " seed " << seed);
        CHECK(latent::check_loss_gradients<latent::MSE, Act>({}, {.seed = seed, .tolerance = 1e-7}).passed());
        CHECK(latent::check_loss_gradients<latent::L1, Act>({}, {.seed = seed, .tolerance = 1e-7}).passed());
    }
}

TEST_CASE("BCE gradients match finite differences, fused with Sigmoid and on probabilities") {
    for (std::uint64_t seed : {1u, 2u}) {
        INFO("seed " << seed);
        CHECK(latent::check_loss_gradients<latent::BCE, latent::Sigmoid>({}, {.seed = seed, .tolerance = 1e-7}).passed());
        // Probabilities strictly inside (0, 1): a Softplus output would not be, so use a sigmoid-like
        // activation that is not fused: the clamped-log path is then what is checked.
        struct ScaledSigmoid : latent::Sigmoid {};
        CHECK(latent::check_loss_gradients<latent::BCE, ScaledSigmoid>({}, {.seed = seed, .tolerance = 1e-7}).passed());
    }
}

namespace {
struct WrongMSE : latent::MSE {
    template <class A, class S>
    S value_and_gradient(latent::ConstMatrixView<S> y, latent::ConstMatrixView<S> t, latent::ConstMatrixView<S> z,
                         latent::MatrixView<S> g) const {
        const S v = latent::MSE::value_and_gradient<A>(y, t, z, g);
        g *= S(1.01);
        return v;
    }
};
}  // namespace

TEST_CASE("the loss checker catches a wrong gradient") {
    CHECK_FALSE(latent::check_loss_gradients<WrongMSE, latent::Identity>({}, {.tolerance = 1e-7}).passed());
}
