#pragma once
// MaxPool2D and AvgPool2D: the maximum or the mean of each Pool x Pool window, channel by channel,
// windows moved by Stride (Pool by default) without padding. Specs: the channels and size come from
// the shape flowing in.

#include "latent/core/shape.hpp"
#include "latent/layers/conv2d.hpp"
#include "latent/layers/image_geometry.hpp"
#include "latent/layers/layer.hpp"

#include <cstddef>
#include <string>

namespace latent {

namespace detail {

/// What the two poolings share: shapes, checks and names. Kind is the pooling type itself.
template <std::size_t Pool, std::size_t Stride>
struct Pooling {
    static_assert(Pool > 0 && Stride > 0, "latent: a pooling window and its stride must be at least 1");

    template <class In>
    static constexpr WindowAxis rows{image_extents<In>::height, Pool, Stride, Padding::valid};
    template <class In>
    static constexpr WindowAxis columns{image_extents<In>::width, Pool, Stride, Padding::valid};
    template <class In>
    static constexpr bool fits = ImageShape<In> && rows<In>.fits() && columns<In>.fits();

    static std::string arguments() {
        std::string text = std::to_string(Pool);
        if (Stride != Pool) text += ", " + std::to_string(Stride);
        return text;
    }

    template <class In>
    struct bound_to : ParameterFreeImage<In> {
        static constexpr std::size_t pool = Pool, stride = Stride;
        static constexpr std::size_t out_height = rows<In>.outputs(), out_width = columns<In>.outputs();
        using output_shape = Shape<image_extents<In>::channels, out_height, out_width>;
        static constexpr std::size_t flops_per_sample = output_shape::size * Pool * Pool;
    };
};

}  // namespace detail

/// The maximum of each window; the gradient flows to the position of that maximum.
template <std::size_t Pool, std::size_t Stride = Pool>
struct MaxPool2D : detail::Pooling<Pool, Stride> {
    static std::string kind() { return "MaxPool2D"; }
    static std::string name() { return "MaxPool2D<" + detail::Pooling<Pool, Stride>::arguments() + ">"; }

    /// Reports why In does not fit; the compiler names this layer and In with the message.
    template <class In>
    static constexpr bool check() {
        static_assert(ImageShape<In>,
                      "latent::MaxPool2D: its input must be an image, channels x height x width (the compiler "
                      "names this layer and the shape it was given)");
        static_assert(!ImageShape<In> || MaxPool2D::template fits<In>,
                      "latent::MaxPool2D: the windows do not tile the input: the stride does not divide its height "
                      "or width less the window (the compiler names this layer and its input shape)");
        return MaxPool2D::template fits<In>;
    }
};

/// The mean of each window; the gradient is shared equally by its cells.
template <std::size_t Pool, std::size_t Stride = Pool>
struct AvgPool2D : detail::Pooling<Pool, Stride> {
    static std::string kind() { return "AvgPool2D"; }
    static std::string name() { return "AvgPool2D<" + detail::Pooling<Pool, Stride>::arguments() + ">"; }

    /// Reports why In does not fit; the compiler names this layer and In with the message.
    template <class In>
    static constexpr bool check() {
        static_assert(ImageShape<In>,
                      "latent::AvgPool2D: its input must be an image, channels x height x width (the compiler "
                      "names this layer and the shape it was given)");
        static_assert(!ImageShape<In> || AvgPool2D::template fits<In>,
                      "latent::AvgPool2D: the windows do not tile the input: the stride does not divide its height "
                      "or width less the window (the compiler names this layer and its input shape)");
        return AvgPool2D::template fits<In>;
    }
};

}  // namespace latent
