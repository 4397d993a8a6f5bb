// Anomaly scores: reconstruction errors, the nearest-rank percentile and the ROC AUC, against values worked out by
// hand.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <vector>

using namespace latent;

namespace {

using Cpu = backend::basic_cpu<double>;
using Tiny = Autoencoder<Sequential<Dense<3, 2, Tanh>>, Sequential<Dense<2, 3, Sigmoid>>, Cpu>;

}  // namespace

TEST_CASE("reconstruction_errors: each sample's mean squared error, for a matrix and a data set in chunks") {
    const Tiny model{7};
    Matrix<double> x(3, 5);
    x << 0.1, 0.9, 0.5, 0.0, 1.0,  //
        0.2, 0.8, 0.5, 0.0, 1.0,   //
        0.3, 0.7, 0.5, 1.0, 0.0;
    const Matrix<double> r = model.reconstruct(x);
    const std::vector<double> errors = reconstruction_errors(model, x);
    REQUIRE(errors.size() == 5);
    for (Eigen::Index j = 0; j < 5; ++j) {
        double sum = 0;
        for (Eigen::Index i = 0; i < 3; ++i) sum += (r(i, j) - x(i, j)) * (r(i, j) - x(i, j));
        CHECK(errors[std::size_t(j)] == doctest::Approx(sum / 3).epsilon(1e-15));
    }

    // The same samples as a data set of bytes (scaled by 1/255), in chunks of 2: same order, same values.
    const std::vector<std::uint8_t> bytes{0, 255, 128, 10, 20, 30, 255, 0, 255, 7, 7, 7, 1, 2, 3};
    const Dataset<std::uint8_t> data(bytes, 1, 3);
    const Matrix<double> all = data.batch<double>(0, data.size());
    const std::vector<double> whole = reconstruction_errors(model, all);
    CHECK(reconstruction_errors(model, data, 2) == whole);
    CHECK(reconstruction_errors(model, data) == whole);
    CHECK_THROWS_AS(reconstruction_errors(model, data, 0), argument_error);
}

TEST_CASE("percentile: the nearest rank, whatever the order of the values") {
    const std::vector<double> v{5, 1, 4, 2, 3, 10, 9, 8, 7, 6};  // 1..10
    CHECK(percentile(v, 100) == 10);
    CHECK(percentile(v, 95) == 10);  // rank ceil(9.5) = 10
    CHECK(percentile(v, 90) == 9);
    CHECK(percentile(v, 50) == 5);
    CHECK(percentile(v, 1) == 1);  // rank ceil(0.1) = 1
    CHECK(percentile({42}, 30) == 42);
    CHECK_THROWS_AS(percentile({}, 50), argument_error);
    CHECK_THROWS_AS(percentile(v, 0), argument_error);
    CHECK_THROWS_AS(percentile(v, 100.5), argument_error);
    CHECK_THROWS_AS(percentile({1, std::numeric_limits<double>::quiet_NaN()}, 50), argument_error);
}

TEST_CASE("roc_auc: the share of (anomalous, normal) pairs ordered right, ties counting half") {
    const std::vector<double> low{0.1, 0.2, 0.3};
    const std::vector<double> high{0.4, 0.5};
    CHECK(roc_auc(low, high) == 1.0);
    CHECK(roc_auc(high, low) == 0.0);
    CHECK(roc_auc(std::vector<double>{1, 1}, std::vector<double>{1, 1, 1}) == 0.5);
    // normal {1, 3, 5}, anomalous {2, 4, 6}: pairs ordered right 1 + 2 + 3 of 9.
    CHECK(roc_auc(std::vector<double>{1, 3, 5}, std::vector<double>{2, 4, 6}) == doctest::Approx(6.0 / 9));
    // a tie between 3 and 3 counts half: pairs right (2>1) + (3>1) + half (3=3) = 2.5 of 4.
    CHECK(roc_auc(std::vector<double>{1, 3}, std::vector<double>{2, 3}) == doctest::Approx(2.5 / 4));
    CHECK_THROWS_AS(roc_auc({}, high), argument_error);
    CHECK_THROWS_AS(roc_auc(low, {}), argument_error);
    CHECK_THROWS_AS(roc_auc(low, std::vector<double>{std::numeric_limits<double>::quiet_NaN()}), argument_error);
}
