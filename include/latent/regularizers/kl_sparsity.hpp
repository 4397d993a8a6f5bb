#pragma once

#include "latent/core/error.hpp"
#include "latent/regularizers/regularizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>

namespace latent {

/// The classic sparse autoencoder's penalty: weight (beta) * sum_j KL(target || mean activation of
/// unit j over the batch), on network layer Layer, whose outputs must lie in (0, 1) (a Sigmoid layer).
template <std::size_t Layer>
struct KLSparsity {
    static constexpr std::size_t layer = Layer;
    double target = 0.05;  ///< rho, the desired mean activation
    double weight = 3.0;   ///< beta

    static std::string name() { return "KLSparsity<" + std::to_string(Layer) + ">"; }
    void validate() const {
        detail::check_weight("KLSparsity", weight);
        if (!(target > 0 && target < 1))
            throw argument_error("latent::KLSparsity: expected target in (0, 1), found " + std::to_string(target));
    }

    template <class S>
    S apply(ConstMatrixView<S> h, std::type_identity_t<MatrixView<S>>* dh) const {
        // Mean activations are kept off 0 and 1, where the divergence and its gradient are infinite.
        constexpr S margin = S(1e-6);
        const S rho = S(target), beta = S(weight), n = S(h.cols());
        S penalty = 0;
        for (Eigen::Index j = 0; j < h.rows(); ++j) {
            const S mean = std::clamp(h.row(j).mean(), margin, S(1) - margin);
            penalty += rho * std::log(rho / mean) + (S(1) - rho) * std::log((S(1) - rho) / (S(1) - mean));
            if (dh) dh->row(j).array() += beta * (-rho / mean + (S(1) - rho) / (S(1) - mean)) / n;
        }
        return beta * penalty;
    }
};

}  // namespace latent
