#pragma once

#include "latent/regularizers/regularizer.hpp"

#include <cstddef>
#include <string>
#include <type_traits>

namespace latent {

/// Sparse activity by an L1 penalty: weight * mean over samples of sum_j |h_j|, on network layer Layer.
template <std::size_t Layer>
struct L1Activity {
    static constexpr std::size_t layer = Layer;
    double weight = 1e-3;

    static std::string name() { return "L1Activity<" + std::to_string(Layer) + ">"; }
    void validate() const { detail::check_weight("L1Activity", weight); }

    template <class S>
    S apply(ConstMatrixView<S> h, std::type_identity_t<MatrixView<S>>* dh) const {
        const S scale = S(weight) / S(h.cols());
        if (dh) dh->array() += scale * h.array().sign();
        return scale * h.cwiseAbs().sum();
    }
};

}  // namespace latent
