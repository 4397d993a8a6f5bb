#pragma once

#include "latent/core/matrix.hpp"
#include "latent/losses/loss.hpp"

#include <string>

namespace latent {

/// Mean squared error: mean((y - t)^2).
struct MSE {
    Reduction reduction = Reduction::mean;

    static std::string name() { return "MSE"; }
    template <class OutputActivation>
    static constexpr bool uses_logits = false;

    /// requires: output and target have the same shape.
    template <class OutputActivation, class S>
    S value(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> /*logits*/) const {
        return (output - target).squaredNorm() * detail::reduction_scale(reduction, output);
    }

    /// Writes dL/dy = 2 (y - t) / N into gradient (N: the elements, or the samples for sum_per_sample).
    template <class OutputActivation, class S>
    S value_and_gradient(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> /*logits*/,
                         MatrixView<S> gradient) const {
        const S scale = detail::reduction_scale(reduction, output);
        gradient = output - target;
        const S loss = gradient.squaredNorm() * scale;
        gradient *= S(2) * scale;
        return loss;
    }
};

}  // namespace latent
