#pragma once
// What the geometries of the parameter-free image layers (pooling, upsampling) share: the input's channels,
// height and width, and no parameters to count or initialise.

#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"

#include <cstddef>
#include <span>

namespace latent::detail {

/// channels, height and width of image shape In; parameter_count 0 and an initialize that does nothing.
template <class In>
struct ParameterFreeImage : image_extents<In> {
    static constexpr std::size_t parameter_count = 0;
    template <class S>
    static void initialize(std::span<S>, Rng&) {}
};

}  // namespace latent::detail
