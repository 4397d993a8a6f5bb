#pragma once
// Input<C, H, W>: the shape of the samples that enter a layer list, stated once at its start, so that
// the image layers after it (Conv2D<32, 3>, MaxPool2D<2>, ...) need not repeat the shapes they receive.

#include "latent/core/shape.hpp"

#include <cstddef>
#include <string>

namespace latent {

/// States the shape flowing into the next layer: the first entry of a Sequential whose first layer
/// is a spec. It computes nothing and is not one of the list's layers. Anywhere else in a list it is
/// a checked assertion of the shape flowing there.
template <std::size_t... Extents>
struct Input {
    using input_shape = Shape<Extents...>;
    using output_shape = Shape<Extents...>;

    /// "Input<1, 28, 28>".
    static std::string name() {
        std::string text = "Input<";
        std::size_t i = 0;
        ((text += (i++ ? ", " : ""), text += std::to_string(Extents)), ...);
        text += '>';
        return text;
    }
};

template <class T>
inline constexpr bool is_input_v = false;
template <std::size_t... Extents>
inline constexpr bool is_input_v<Input<Extents...>> = true;

}  // namespace latent
