// Dense: compile-time description, forward against a hand computation, gradients against finite
// differences for every activation, and a deliberately wrong kernel that the checker must catch.

#include <latent/backends/cpu.hpp>
#include <latent/layers/dense.hpp>
#include <latent/training/gradient_check.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using latent::Dense;

static_assert(Dense<784, 128>::parameter_count == 784 * 128 + 128);
static_assert(Dense<784, 128>::flops_per_sample == 2 * 784 * 128 + 128);
static_assert(std::is_same_v<Dense<3, 5>::input_shape, latent::Shape<3>>);
static_assert(std::is_same_v<Dense<3, 5>::output_shape, latent::Shape<5>>);
static_assert(latent::Layer<Dense<3, 5, latent::Tanh>>);

TEST_CASE("Dense names itself as written") {
    CHECK(Dense<784, 128, latent::ReLU>::name() == "Dense<784, 128, ReLU>");
    CHECK(Dense<12, 3>::name() == "Dense<12, 3>");
    CHECK(Dense<12, 3, latent::Identity, latent::init::GlorotUniform>::name() == "Dense<12, 3, Identity, glorot_uniform>");
}

TEST_CASE("Dense forward computes activation(W x + b) for every column") {
    using L = Dense<2, 3, latent::ReLU>;
    // W (3 x 2, column-major) then b.
    const std::vector<float> p{1, -1, 0.5f, 2, 0, -3, 0.1f, 0.2f, 0.3f};
    latent::Matrix<float> x(2, 2);
    x << 1, -1, 2, 0.5f;
    latent::Matrix<float> y(3, 2);
    latent::MatrixView<float> yv(y.data(), 3, 2);
    using K = latent::Kernel<latent::backend::cpu, L>;
    K::State state(2);
    latent::PassContext context;
    K::forward(p.data(), latent::ConstMatrixView<float>(x.data(), 2, 2), yv, nullptr, state, context);
    // Column 0: W x = (1*1 + 2*2, -1*1 + 0*2, 0.5*1 - 3*2) = (5, -1, -5.5), plus b, then ReLU.
    CHECK(y(0, 0) == doctest::Approx(5.1));
    CHECK(y(1, 0) == 0.0f);
    CHECK(y(2, 0) == 0.0f);
    // Column 1: (-1 + 1, 1 + 0, -0.5 - 1.5) + b = (0.1, 1.2, -1.7).
    CHECK(y(0, 1) == doctest::Approx(0.1));
    CHECK(y(1, 1) == doctest::Approx(1.2));
    CHECK(y(2, 1) == 0.0f);

    latent::Matrix<float> logits(3, 2);
    latent::MatrixView<float> lv(logits.data(), 3, 2);
    K::forward(p.data(), latent::ConstMatrixView<float>(x.data(), 2, 2), yv, &lv, state, context);
    CHECK(logits(2, 1) == doctest::Approx(-1.7));
    CHECK(y(2, 1) == 0.0f);
}

TEST_CASE_TEMPLATE("Dense gradients match finite differences", Act, latent::Identity, latent::ReLU,
                   latent::LeakyReLU, latent::ELU, latent::Sigmoid, latent::Tanh, latent::Softplus) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        const auto result = latent::check_layer_gradients<Dense<7, 5, Act>>({.seed = seed, .batch = 4, .tolerance = 1e-7});
        INFO(Act::name() << " seed " << seed << ": parameters " << result.parameter_error << ", input " << result.input_error);
        CHECK(result.passed());
    }
}

namespace {
// A Dense whose backward is 1% off: the checker must notice.
struct WrongGradientDense : Dense<4, 3, latent::Tanh> {};
}  // namespace

template <>
struct latent::Kernel<latent::backend::basic_cpu<double>, WrongGradientDense> {
    using Right = latent::Kernel<latent::backend::basic_cpu<double>, Dense<4, 3, latent::Tanh>>;
    using State = Right::State;
    static void forward(const double* p, ConstMatrixView<double> x, MatrixView<double> y, MatrixView<double>* logits,
                        State& state, PassContext& context) {
        Right::forward(p, x, y, logits, state, context);
    }
    static void backward(const double* p, ConstMatrixView<double> x, ConstMatrixView<double> y, MatrixView<double> dy,
                         bool logit, double* g, MatrixView<double>* dx, State& state) {
        Right::backward(p, x, y, dy, logit, g, dx, state);
        g[0] *= 1.01;
    }
};

TEST_CASE("the gradient checker catches a wrong gradient") {
    const auto wrong = latent::check_layer_gradients<WrongGradientDense>({.tolerance = 1e-7});
    CHECK_FALSE(wrong.passed());
    CHECK(wrong.parameter_error > 1e-4);
    CHECK(wrong.input_error <= 1e-7);  // only the weight gradient was broken
}

TEST_CASE("initialisers draw from their documented ranges") {
    latent::Rng rng{5};
    std::vector<double> p(Dense<100, 50>::parameter_count);
    Dense<100, 50>::initialize(std::span<double>(p), rng);
    const double torch_bound = 1 / std::sqrt(100.0);
    double max_abs = 0;
    for (double v : p) max_abs = std::max(max_abs, std::abs(v));
    CHECK(max_abs <= torch_bound);
    CHECK(max_abs > 0.95 * torch_bound);  // the whole range is used

    using Glorot = Dense<100, 50, latent::Identity, latent::init::GlorotUniform>;
    Glorot::initialize(std::span<double>(p), rng);
    const double glorot_bound = std::sqrt(6.0 / 150.0);
    max_abs = 0;
    for (std::size_t i = 0; i < Glorot::weight_count; ++i) max_abs = std::max(max_abs, std::abs(p[i]));
    CHECK(max_abs <= glorot_bound);
    CHECK(max_abs > 0.95 * glorot_bound);
    for (std::size_t i = Glorot::bias_offset; i < p.size(); ++i) CHECK(p[i] == 0.0);

    using He = Dense<100, 50, latent::ReLU, latent::init::HeNormal>;
    He::initialize(std::span<double>(p), rng);
    double sum_squares = 0;
    for (std::size_t i = 0; i < He::weight_count; ++i) sum_squares += p[i] * p[i];
    CHECK(sum_squares / He::weight_count == doctest::Approx(2.0 / 100).epsilon(0.1));
}
