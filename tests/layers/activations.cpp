// Each activation: its first and second derivatives (written through its output) against finite
// differences, and its vectorised Eigen form against its scalar form.

#include <latent/layers/activations.hpp>

#include <doctest/doctest.h>

#include <Eigen/Core>

#include <cmath>
#include <vector>

namespace {

const std::vector<double> points{-7.5, -2.0, -0.6, -0.05, 0.07, 0.4, 1.5, 3.0, 9.0};

template <class A>
void check_activation() {
    INFO(A::name());
    for (double z : points) {
        INFO("z = " << z);
        const double h = 1e-6;
        const double numeric = (A::value(z + h) - A::value(z - h)) / (2 * h);
        CHECK(A::derivative_from_output(A::value(z)) == doctest::Approx(numeric).epsilon(1e-7));
        // The second derivative, through the first: d/dz act'(z).
        auto first = [](double v) { return A::derivative_from_output(A::value(v)); };
        const double numeric_second = (first(z + h) - first(z - h)) / (2 * h);
        CHECK(A::second_derivative_from_output(A::value(z)) == doctest::Approx(numeric_second).epsilon(1e-6));
    }
    Eigen::ArrayXd z = Eigen::Map<const Eigen::ArrayXd>(points.data(), Eigen::Index(points.size()));
    const Eigen::ArrayXd vectorised = A::apply(z);
    const Eigen::ArrayXd derivative = A::derivative(vectorised);
    const Eigen::ArrayXd second = A::second_derivative(vectorised);
    for (Eigen::Index i = 0; i < z.size(); ++i) {
        CHECK(second[i] == doctest::Approx(A::second_derivative_from_output(A::value(z[i]))).epsilon(1e-12));
        CHECK(vectorised[i] == doctest::Approx(A::value(z[i])).epsilon(1e-12));
        CHECK(derivative[i] == doctest::Approx(A::derivative_from_output(A::value(z[i]))).epsilon(1e-12));
    }
    // The float path (Eigen's packet math) agrees with the double reference to float precision.
    const Eigen::ArrayXf zf = z.cast<float>();
    const Eigen::ArrayXf yf = A::apply(zf);
    for (Eigen::Index i = 0; i < z.size(); ++i) CHECK(double(yf[i]) == doctest::Approx(A::value(z[i])).epsilon(1e-6));
}

}  // namespace

TEST_CASE("Identity") { check_activation<latent::Identity>(); }
TEST_CASE("ReLU") { check_activation<latent::ReLU>(); }
TEST_CASE("LeakyReLU, default and custom slopes") {
    check_activation<latent::LeakyReLU>();
    check_activation<latent::BasicLeakyReLU<1, 5>>();
    CHECK(latent::LeakyReLU::value(-2.0) == doctest::Approx(-0.02));
    CHECK(latent::BasicLeakyReLU<1, 5>::name() == "LeakyReLU(1/5)");
}
TEST_CASE("ELU") { check_activation<latent::ELU>(); }
TEST_CASE("Sigmoid") { check_activation<latent::Sigmoid>(); }
TEST_CASE("Tanh") { check_activation<latent::Tanh>(); }
TEST_CASE("Softplus") { check_activation<latent::Softplus>(); }

namespace {

// PyTorch 1.13's value, first and second derivatives (autograd, float64 and float32) at z = 0 and z = -0: where
// a branch meets, ReLU's gradient is 0, LeakyReLU's the slope, and ELU's second derivative 0 (its first is 1
// on both sides). Zero pre-activations are common (zero-padded borders, black backgrounds, zero biases).
struct AtZero {
    double value, first, second;
};

template <class A, class S>
void check_at_zero(AtZero torch) {
    INFO(A::name() << (sizeof(S) == 4 ? " float" : " double"));
    const double epsilon = sizeof(S) == 4 ? 1e-6 : 1e-12;
    for (const S z : {S(0), S(-0.0)}) {
        INFO("z = " << z << " (scalar)");
        const S y = A::value(z);
        CHECK(double(y) == doctest::Approx(torch.value).epsilon(epsilon));
        CHECK(double(A::derivative_from_output(y)) == doctest::Approx(torch.first).epsilon(epsilon));
        CHECK(double(A::second_derivative_from_output(y)) == doctest::Approx(torch.second).epsilon(epsilon));
    }
    // 17 values: whole packets of Eigen's vectorised path for either type, and a scalar tail.
    Eigen::Array<S, Eigen::Dynamic, 1> z = Eigen::Array<S, Eigen::Dynamic, 1>::Zero(17);
    for (Eigen::Index i = 1; i < z.size(); i += 2) z[i] = S(-0.0);
    const Eigen::Array<S, Eigen::Dynamic, 1> y = A::apply(z);
    const Eigen::Array<S, Eigen::Dynamic, 1> first = A::derivative(y);
    const Eigen::Array<S, Eigen::Dynamic, 1> second = A::second_derivative(y);
    for (Eigen::Index i = 0; i < z.size(); ++i) {
        INFO("z = " << z[i] << " (vectorised, element " << i << ")");
        CHECK(double(y[i]) == doctest::Approx(torch.value).epsilon(epsilon));
        CHECK(double(first[i]) == doctest::Approx(torch.first).epsilon(epsilon));
        CHECK(double(second[i]) == doctest::Approx(torch.second).epsilon(epsilon));
    }
}

template <class A>
void check_at_zero(AtZero torch) {
    check_at_zero<A, double>(torch);
    check_at_zero<A, float>(torch);
}

}  // namespace

TEST_CASE("every activation at exactly z = 0 follows PyTorch's convention, scalar and vectorised") {
    check_at_zero<latent::Identity>({0.0, 1.0, 0.0});
    check_at_zero<latent::ReLU>({0.0, 0.0, 0.0});
    check_at_zero<latent::LeakyReLU>({0.0, 0.01, 0.0});
    check_at_zero<latent::BasicLeakyReLU<1, 5>>({0.0, 0.2, 0.0});
    check_at_zero<latent::ELU>({0.0, 1.0, 0.0});
    check_at_zero<latent::Sigmoid>({0.5, 0.25, 0.0});
    check_at_zero<latent::Tanh>({0.0, 1.0, 0.0});
    check_at_zero<latent::Softplus>({0.6931471805599453, 0.5, 0.25});
}

TEST_CASE("activations stay finite at extreme inputs") {
    for (double z : {-1000.0, 1000.0}) {
        CHECK(std::isfinite(latent::Sigmoid::value(z)));
        CHECK(std::isfinite(latent::Softplus::value(z)));
        CHECK(std::isfinite(latent::ELU::value(z)));
    }
    CHECK(latent::Softplus::value(1000.0) == doctest::Approx(1000.0));
    CHECK(latent::Sigmoid::value(-1000.0) == 0.0);
}
