#pragma once
// BatchNorm: normalises each channel of an image (over the batch and the positions, as PyTorch's
// BatchNorm2d) or each feature of a flat input (over the batch, as BatchNorm1d), then scales and shifts
// it by trainable gamma and beta. Training passes use the batch's mean and (biased) variance; inference
// and evaluation passes use running estimates, which fit() updates after each step with momentum:
// running = (1 - momentum) running + momentum batch, the variance unbiased, as PyTorch. The running
// statistics are the layer's buffers: saved with the model, never trained. A spec: it keeps the shape.

#include "latent/core/shape.hpp"
#include "latent/layers/layer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace latent {

/// Batch normalisation with momentum MomentumNumerator / MomentumDenominator (PyTorch's 0.1 by default;
/// Keras' momentum 0.99 is BatchNorm<1, 100> here) and epsilon EpsilonNumerator / EpsilonDenominator
/// (1e-5). Ratios because clang 14 has no floating-point template parameters.
template <std::uint64_t MomentumNumerator = 1, std::uint64_t MomentumDenominator = 10,
          std::uint64_t EpsilonNumerator = 1, std::uint64_t EpsilonDenominator = 100000>
struct BatchNorm {
    static_assert(MomentumDenominator > 0 && MomentumNumerator <= MomentumDenominator,
                  "latent::BatchNorm: the momentum must be in [0, 1]: a numerator at most the denominator");
    static_assert(EpsilonDenominator > 0 && EpsilonNumerator > 0,
                  "latent::BatchNorm: epsilon must be above 0: a positive numerator and denominator");
    static constexpr double momentum = double(MomentumNumerator) / double(MomentumDenominator);
    static constexpr double epsilon = double(EpsilonNumerator) / double(EpsilonDenominator);

    static std::string kind() { return "BatchNorm"; }
    /// "BatchNorm<>", "BatchNorm<1, 100>" (momentum 0.01) or "BatchNorm<1, 10, 1, 1000>" (epsilon 1e-3):
    /// the arguments up to the last one that differs from its default.
    static std::string name() {
        std::string text = "BatchNorm<";
        if (EpsilonNumerator != 1 || EpsilonDenominator != 100000)
            text.append(std::to_string(MomentumNumerator))
                .append(", ")
                .append(std::to_string(MomentumDenominator))
                .append(", ")
                .append(std::to_string(EpsilonNumerator))
                .append(", ")
                .append(std::to_string(EpsilonDenominator));
        else if (MomentumNumerator != 1 || MomentumDenominator != 10)
            text.append(std::to_string(MomentumNumerator)).append(", ").append(std::to_string(MomentumDenominator));
        text += '>';
        return text;
    }

    /// Images (channels x height x width) and flat inputs; a shape of rank 2 has no channel axis.
    template <class In>
    static constexpr bool fits = In::rank == 1 || In::rank == 3;
    /// Reports why In does not fit; the compiler names this layer and In with the message.
    template <class In>
    static constexpr bool check() {
        static_assert(fits<In>,
                      "latent::BatchNorm: its input must be an image (channels x height x width) or flat (features); "
                      "the compiler names this layer and the shape it was given");
        return fits<In>;
    }

    /// The layer for input In (see Bound): gamma then beta, one per channel, as parameters; the running
    /// mean then the running variance, one per channel, as buffers.
    template <class In>
    struct bound_to {
        static constexpr std::size_t channels = In::rank == 3 ? detail::image_extents<In>::channels : In::size;
        /// Values per channel in one sample: height x width of an image, 1 for a flat input.
        static constexpr std::size_t positions = In::size / channels;
        static constexpr double momentum = BatchNorm::momentum, epsilon = BatchNorm::epsilon;

        using output_shape = In;
        static constexpr std::size_t parameter_count = 2 * channels;
        static constexpr std::size_t buffer_count = 2 * channels;
        static constexpr std::size_t min_training_batch = positions > 1 ? 1 : 2;
        static constexpr std::size_t flops_per_sample = 2 * In::size;

        /// gamma = 1, beta = 0 (draws nothing from rng).
        template <class S>
        static void initialize(std::span<S> parameters, Rng&) {
            std::fill_n(parameters.begin(), channels, S(1));
            std::fill_n(parameters.begin() + channels, channels, S(0));
        }
        /// Running mean 0, running variance 1.
        template <class S>
        static void initialize_buffers(std::span<S> buffers) {
            std::fill_n(buffers.begin(), channels, S(0));
            std::fill_n(buffers.begin() + channels, channels, S(1));
        }
    };
};

}  // namespace latent
