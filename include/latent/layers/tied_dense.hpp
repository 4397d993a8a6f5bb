#pragma once
// A Dense layer whose weight matrix is the transpose of another Dense layer's ("tied weights"): the
// decoder of a tied autoencoder. It owns only its biases; the weights, and their gradient, are the
// twin's, so an autoencoder counts them once.

#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/dense.hpp"
#include "latent/models/sequential.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <tuple>

namespace latent {

/// y = act(W^T x + b), where W is the weight matrix of Twin, the layer at index TwinIndex of the same
/// network (encoder layers first). Biases start at zero.
template <class Twin, std::size_t TwinIndex, Activation Act = Identity>
struct TiedDense {
    using twin = Twin;
    static constexpr std::size_t twin_index = TwinIndex;
    using input_shape = Shape<Twin::outputs>;
    using output_shape = Shape<Twin::inputs>;
    using activation = Act;
    static constexpr std::size_t parameter_count = Twin::inputs;  // the biases
    static constexpr std::size_t flops_per_sample = 2 * Twin::inputs * Twin::outputs + Twin::inputs;

    static std::string kind() { return "TiedDense"; }
    static std::string name() {
        return "TiedDense<" + std::to_string(TwinIndex) + ", " + std::to_string(Twin::outputs) + ", " +
               std::to_string(Twin::inputs) + (std::is_same_v<Act, Identity> ? "" : ", " + Act::name()) + ">";
    }

    template <class S>
    static void initialize(std::span<S> parameters, Rng&) {
        for (S& b : parameters) b = S(0);
    }
};

namespace detail {
template <class Encoder, class OutputActivation, class Indices>
struct mirror;
template <class Encoder, class OutputActivation, std::size_t... I>
struct mirror<Encoder, OutputActivation, std::index_sequence<I...>> {
    static constexpr std::size_t depth = Encoder::depth;
    // Decoder layer k mirrors encoder layer depth-1-k and ends with the activation of the encoder
    // layer before that one (the last decoder layer with OutputActivation).
    template <std::size_t K>
    using activation_of = std::conditional_t<K + 1 == depth, OutputActivation,
                                             output_activation_t<typename Encoder::template layer<(depth >= K + 2 ? depth - 2 - K : 0)>>>;
    using type = Sequential<TiedDense<typename Encoder::template layer<depth - 1 - I>, depth - 1 - I, activation_of<I>>...>;
};
}  // namespace detail

/// The decoder that mirrors a Dense encoder with tied weights: Mirror<Sequential<Dense<784, 128, ReLU>,
/// Dense<128, 32>>> is Sequential<TiedDense<(128->32), 1, ReLU>, TiedDense<(784->128), 0, Sigmoid>>.
template <SequentialType Encoder, Activation OutputActivation = Sigmoid>
using Mirror = typename detail::mirror<typename Encoder::sequential_type, OutputActivation,
                                       std::make_index_sequence<Encoder::depth>>::type;

}  // namespace latent
