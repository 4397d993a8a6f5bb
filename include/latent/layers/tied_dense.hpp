#pragma once
// A Dense layer whose weight matrix is the transpose of another Dense layer's ("tied weights"): the
// decoder of a tied autoencoder. It owns only its biases; the weights, and their gradient, are the
// twin's, so an autoencoder counts them once. Mirror<Encoder> (models/mirror.hpp) builds a whole tied decoder.

#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/dense.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

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

}  // namespace latent
