#pragma once

#include "latent/core/matrix.hpp"

#include <string>

namespace latent {

/// Mean squared error: mean((y - t)^2).
struct MSE {
    static std::string name() { return "MSE"; }
    template <class OutputActivation>
    static constexpr bool uses_logits = false;

    /// requires: output and target have the same shape.
    template <class OutputActivation, class S>
    S value(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> /*logits*/) const {
        return (output - target).squaredNorm() / S(output.size());
    }

    /// Writes dL/dy = 2 (y - t) / N into gradient.
    template <class OutputActivation, class S>
    S value_and_gradient(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> /*logits*/,
                         MatrixView<S> gradient) const {
        gradient = output - target;
        const S loss = gradient.squaredNorm() / S(output.size());
        gradient *= S(2) / S(output.size());
        return loss;
    }
};

}  // namespace latent
