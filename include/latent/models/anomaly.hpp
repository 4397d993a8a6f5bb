#pragma once
// Anomaly detection with an autoencoder: a sample it reconstructs badly is unlike what it was trained on. The
// scores (per-sample reconstruction errors), a threshold taken from normal samples' scores, and the ROC AUC that
// rates the scores without a threshold.

#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/data/dataset.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace latent {

/// The mean squared error of each column's reconstruction by `model` (anything with reconstruct(), such as an
/// Autoencoder), summed in double precision, in column order.
template <class M, class Derived>
std::vector<double> reconstruction_errors(const M& model, const Eigen::MatrixBase<Derived>& samples) {
    const auto reconstructions = model.reconstruct(samples);
    std::vector<double> errors(static_cast<std::size_t>(samples.cols()));
    for (Eigen::Index j = 0; j < samples.cols(); ++j)
        errors[static_cast<std::size_t>(j)] =
            (reconstructions.col(j) - samples.col(j)).template cast<double>().squaredNorm() / double(samples.rows());
    return errors;
}

/// The same for every sample of a data set, scaled as for training, in its order; `chunk` samples are
/// reconstructed at a time, so memory stays bounded for large sets. requires: chunk > 0 (else argument_error).
template <class M, class Element>
std::vector<double> reconstruction_errors(const M& model, const Dataset<Element>& data, std::size_t chunk = 1024) {
    if (chunk == 0)
        throw argument_error("latent::reconstruction_errors: expected a chunk of at least 1 sample, found 0");
    using Scalar = typename M::scalar;
    std::vector<double> errors;
    errors.reserve(data.size());
    for (std::size_t first = 0; first < data.size(); first += chunk) {
        const std::vector<double> part =
            reconstruction_errors(model, data.template batch<Scalar>(first, std::min(chunk, data.size() - first)));
        errors.insert(errors.end(), part.begin(), part.end());
    }
    return errors;
}

/// The nearest-rank percentile: the smallest value with at least p% of the values at or below it (p = 95 over
/// normal samples' errors flags about 5% of normal samples). requires: values not empty, 0 < p <= 100, no NaN
/// (else argument_error).
inline double percentile(std::vector<double> values, double p) {
    if (values.empty()) throw argument_error("latent::percentile: expected at least one value, found none");
    if (!(p > 0 && p <= 100))
        throw argument_error("latent::percentile: expected a percentage in (0, 100], found " + std::to_string(p));
    if (std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); }))
        throw argument_error("latent::percentile: expected numbers, found NaN");
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100 * double(values.size())));
    return values[std::max<std::size_t>(rank, 1) - 1];
}

/// The area under the ROC curve of scores where higher means more anomalous: the probability that a random
/// anomalous sample scores above a random normal one, ties counting half. Exact, from the ranks of all scores (the
/// Mann-Whitney U statistic). requires: both sets non-empty, no NaN (else argument_error).
inline double roc_auc(std::span<const double> normal, std::span<const double> anomalous) {
    if (normal.empty() || anomalous.empty())
        throw argument_error("latent::roc_auc: expected normal and anomalous scores, found " +
                             std::to_string(normal.size()) + " and " + std::to_string(anomalous.size()));
    struct Scored {
        double score;
        bool anomaly;
    };
    std::vector<Scored> all;
    all.reserve(normal.size() + anomalous.size());
    for (const double s : normal) all.push_back({s, false});
    for (const double s : anomalous) all.push_back({s, true});
    if (std::any_of(all.begin(), all.end(), [](const Scored& s) { return std::isnan(s.score); }))
        throw argument_error("latent::roc_auc: expected numbers, found NaN");
    std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score < b.score; });
    double anomaly_rank_sum = 0;
    for (std::size_t first = 0; first < all.size();) {
        std::size_t last = first;  // a run of equal scores shares the mean of its ranks first + 1 .. last + 1
        while (last + 1 < all.size() && all[last + 1].score == all[first].score) ++last;
        const double mean_rank = double(first + last + 2) / 2;
        for (std::size_t i = first; i <= last; ++i)
            if (all[i].anomaly) anomaly_rank_sum += mean_rank;
        first = last + 1;
    }
    const double n_anomalous = double(anomalous.size());
    return (anomaly_rank_sum - n_anomalous * (n_anomalous + 1) / 2) / (n_anomalous * double(normal.size()));
}

}  // namespace latent
