#pragma once

#include "latent/core/matrix.hpp"
#include "latent/layers/activations.hpp"
#include "latent/losses/loss.hpp"

#include <string>
#include <type_traits>

namespace latent {

/// Binary cross-entropy, mean(-(t log y + (1 - t) log(1 - y))), for targets in [0, 1].
/// After a Sigmoid it is computed from the logits z as max(z, 0) - z t + log(1 + e^-|z|), which never
/// takes the log of 0, and its gradient with respect to z is (y - t) / N. After any other activation
/// the logs are clamped at -100, as PyTorch's BCELoss does.
struct BCE {
    Reduction reduction = Reduction::mean;

    static std::string name() { return "BCE"; }
    template <class OutputActivation>
    static constexpr bool uses_logits = std::is_same_v<OutputActivation, Sigmoid>;

    template <class OutputActivation, class S>
    S value(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> logits) const {
        const S scale = detail::reduction_scale(reduction, output);
        if constexpr (uses_logits<OutputActivation>)
            return from_logits(logits, target) * scale;
        else
            return from_probabilities(output, target) * scale;
    }

    template <class OutputActivation, class S>
    S value_and_gradient(ConstMatrixView<S> output, ConstMatrixView<S> target, ConstMatrixView<S> logits,
                         MatrixView<S> gradient) const {
        const S scale = detail::reduction_scale(reduction, output);
        if constexpr (uses_logits<OutputActivation>) {
            gradient = (output - target) * scale;
            return from_logits(logits, target) * scale;
        } else {
            constexpr S epsilon = S(1e-12);  // PyTorch's floor for y (1 - y) in BCELoss's gradient
            gradient.array() = (output - target).array() /
                               ((S(1) - output.array()) * output.array()).max(epsilon) * scale;
            return from_probabilities(output, target) * scale;
        }
    }

private:
    template <class S>
    static S from_logits(ConstMatrixView<S> z, ConstMatrixView<S> t) {
        return (z.array().max(S(0)) - z.array() * t.array() + (-z.array().abs()).exp().log1p()).sum();
    }
    template <class S>
    static S from_probabilities(ConstMatrixView<S> y, ConstMatrixView<S> t) {
        const auto log_y = y.array().log().max(S(-100));
        const auto log_not_y = (S(1) - y.array()).log().max(S(-100));
        return -(t.array() * log_y + (S(1) - t.array()) * log_not_y).sum();
    }
};

}  // namespace latent
