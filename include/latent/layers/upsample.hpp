#pragma once
// UpSample2D: each channel enlarged Factor times in height and width, by repeating pixels (nearest) or by
// bilinear interpolation (PyTorch's align_corners=False, Keras' UpSampling2D(interpolation="bilinear")).
// A spec: the channels and size come from the shape flowing in.

#include "latent/core/shape.hpp"
#include "latent/layers/image_geometry.hpp"
#include "latent/layers/layer.hpp"

#include <cstddef>
#include <string>

namespace latent {

/// How UpSample2D fills the new pixels.
enum class Interpolation {
    nearest,   ///< each input pixel repeated Factor x Factor times
    bilinear,  ///< weighted by distance between the centres of the input pixels
};

/// Enlarges each channel Factor times in both directions; no parameters.
template <std::size_t Factor, Interpolation Mode = Interpolation::nearest>
struct UpSample2D {
    static_assert(Factor > 0, "latent::UpSample2D: the factor must be at least 1");

    static std::string kind() { return "UpSample2D"; }
    /// "UpSample2D<2>" or "UpSample2D<2, bilinear>".
    static std::string name() {
        std::string text = "UpSample2D<" + std::to_string(Factor);
        if (Mode == Interpolation::bilinear) text += ", bilinear";
        text += '>';
        return text;
    }

    template <class In>
    static constexpr bool fits = ImageShape<In>;

    /// Reports an input that is not an image; the compiler names this layer and its input shape.
    template <class In>
    static constexpr bool check() {
        static_assert(fits<In>,
                      "latent::UpSample2D: its input must be an image, channels x height x width (the compiler names "
                      "this layer and the shape it was given)");
        return fits<In>;
    }

    /// The layer for input In (see Bound).
    template <class In>
    struct bound_to : detail::ParameterFreeImage<In> {
        using extents = detail::image_extents<In>;
        static constexpr std::size_t factor = Factor;
        static constexpr Interpolation interpolation = Mode;
        using output_shape = Shape<extents::channels, extents::height * Factor, extents::width * Factor>;
        /// Bilinear: four multiply-adds per output.
        static constexpr std::size_t flops_per_sample = Mode == Interpolation::bilinear ? 8 * output_shape::size : 0;
    };
};

}  // namespace latent
