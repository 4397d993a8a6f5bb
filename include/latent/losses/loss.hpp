#pragma once
// A reconstruction loss compares a batch of outputs with targets (one sample per column). By default it
// is the mean over all elements, as PyTorch's reduction='mean'; Reduction::sum_per_sample sums over each
// sample's elements and averages over the batch (a VAE's reconstruction term, per sample).

#include "latent/core/matrix.hpp"
#include "latent/layers/activations.hpp"

#include <concepts>
#include <string>

namespace latent {

enum class Reduction {
    mean,            ///< mean over every element of the batch
    sum_per_sample,  ///< sum over a sample's elements, mean over the samples
};

namespace detail {
/// The factor that turns a sum over the batch into the reduction's value.
template <class S>
S reduction_scale(Reduction reduction, const ConstMatrixView<S>& output) {
    return reduction == Reduction::mean ? S(1) / S(output.size()) : S(1) / S(output.cols());
}
}  // namespace detail

/// value() gives the mean loss; value_and_gradient() also writes its gradient: with respect to the
/// output, or with respect to the output layer's pre-activation when uses_logits<OutputActivation>
/// (then `logits` is given), which is how BCE after a Sigmoid stays numerically stable.
template <class L>
concept Loss = requires(const L& loss, ConstMatrixView<float> y, MatrixView<float> g) {
    { L::name() } -> std::convertible_to<std::string>;
    { L::template uses_logits<Identity> } -> std::convertible_to<bool>;
    { loss.template value<Identity>(y, y, y) } -> std::same_as<float>;
    { loss.template value_and_gradient<Identity>(y, y, y, g) } -> std::same_as<float>;
};

}  // namespace latent
