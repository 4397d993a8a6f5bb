#pragma once
// Flatten and Reshape: the same values per sample under another shape. Samples are stored channel by
// channel, row by row, so both only relabel (Flatten of 64 x 7 x 7 is PyTorch's nn.Flatten order).

#include "latent/core/shape.hpp"
#include "latent/layers/layer.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace latent {

namespace detail {
/// A layer that passes its input's values on unchanged under the shape Out.
template <class Out>
struct Relabel {
    using output_shape = Out;
    static constexpr std::size_t parameter_count = 0;
    static constexpr std::size_t flops_per_sample = 0;
    template <class S>
    static void initialize(std::span<S>, Rng&) {}
};
}  // namespace detail

/// Any shape to one dimension: an image before a Dense layer.
struct Flatten {
    static std::string kind() { return "Flatten"; }
    static std::string name() { return "Flatten"; }
    template <class In>
    static constexpr bool fits = true;
    template <class In>
    static constexpr bool check() {
        return true;
    }
    template <class In>
    using bound_to = detail::Relabel<Shape<In::size>>;
};

/// To Shape<Extents...>, which must hold as many values as the input: a Dense output as an image.
template <std::size_t... Extents>
struct Reshape {
    static std::string kind() { return "Reshape"; }
    /// "Reshape<1, 28, 28>".
    static std::string name() {
        std::string text = "Reshape<";
        std::size_t i = 0;
        ((text += (i++ ? ", " : ""), text += std::to_string(Extents)), ...);
        text += '>';
        return text;
    }

    template <class In>
    static constexpr bool fits = In::size == Shape<Extents...>::size;

    /// Reports a count that differs; the compiler names this layer and its input shape with the message.
    template <class In>
    static constexpr bool check() {
        static_assert(fits<In>,
                      "latent::Reshape: the new shape holds a different number of values than the input shape "
                      "(the compiler names both shapes: this Reshape's and the one flowing into it)");
        return fits<In>;
    }

    template <class In>
    using bound_to = detail::Relabel<Shape<Extents...>>;
};

}  // namespace latent
