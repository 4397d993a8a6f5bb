#pragma once

#include "latent/core/matrix.hpp"
#include "latent/losses/loss.hpp"

#include <string>

namespace latent {

/// Mean absolute error: mean(|y - t|). Its gradient at y == t is taken as 0, as in PyTorch.
struct L1 {
    Reduction reduction = Reduction::mean;

    static std::string name() { return "L1"; }
    template <class OutputActivation>
    static constexpr bool uses_logits = false;

    template <class OutputActivation, class S>
    S value(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> /*logits*/) const {
        return (output - target).cwiseAbs().sum() * detail::reduction_scale(reduction, output);
    }

    /// Writes dL/dy = sign(y - t) / N into gradient.
    template <class OutputActivation, class S>
    S value_and_gradient(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> /*logits*/,
                         MatrixView<S> gradient) const {
        const S scale = detail::reduction_scale(reduction, output);
        gradient = output - target;
        const S loss = gradient.cwiseAbs().sum() * scale;
        gradient = gradient.cwiseSign() * scale;
        return loss;
    }
};

}  // namespace latent
