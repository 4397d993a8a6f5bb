#pragma once
// Mirror<Encoder>: the decoder of a tied autoencoder, the encoder's Dense layers in reverse order as TiedDense
// layers that read the encoder's weights transposed (layers/tied_dense.hpp).

#include "latent/layers/layer.hpp"
#include "latent/layers/tied_dense.hpp"
#include "latent/models/sequential.hpp"

#include <cstddef>
#include <type_traits>
#include <utility>

namespace latent {

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
