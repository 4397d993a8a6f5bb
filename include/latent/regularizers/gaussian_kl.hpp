#pragma once

#include "latent/regularizers/regularizer.hpp"

#include <cstddef>
#include <string>
#include <type_traits>

namespace latent {

/// The KL divergence of a VAE's posterior N(mean, exp(logvar)) from the prior N(0, I), in closed form:
/// weight * mean over samples of -1/2 sum_j (1 + logvar_j - mean_j^2 - exp(logvar_j)). It applies to
/// network layer Layer, whose output is the means then the log-variances (what GaussianSample takes).
template <std::size_t Layer>
struct GaussianKL {
    static constexpr std::size_t layer = Layer;
    double weight = 1.0;

    static std::string name() { return "GaussianKL<" + std::to_string(Layer) + ">"; }
    void validate() const { detail::check_weight("GaussianKL", weight); }

    template <class S>
    S apply(ConstMatrixView<S> h, std::type_identity_t<MatrixView<S>>* dh) const {
        const Eigen::Index latent = h.rows() / 2;
        const auto mean = h.topRows(latent).array();
        const auto logvar = h.bottomRows(latent).array();
        const S scale = S(weight) / S(h.cols());
        if (dh) {
            dh->topRows(latent).array() += scale * mean;
            dh->bottomRows(latent).array() += scale * S(0.5) * (logvar.exp() - S(1));
        }
        return scale * S(-0.5) * (S(1) + logvar - mean.square() - logvar.exp()).sum();
    }
};

}  // namespace latent
