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

TEST_CASE("activations stay finite at extreme inputs") {
    for (double z : {-1000.0, 1000.0}) {
        CHECK(std::isfinite(latent::Sigmoid::value(z)));
        CHECK(std::isfinite(latent::Softplus::value(z)));
        CHECK(std::isfinite(latent::ELU::value(z)));
    }
    CHECK(latent::Softplus::value(1000.0) == doctest::Approx(1000.0));
    CHECK(latent::Sigmoid::value(-1000.0) == 0.0);
}
