#pragma once
// ConvTranspose2D: the transpose of a Conv2D (PyTorch's ConvTranspose2d, Keras' Conv2DTranspose), which
// enlarges an image: with padding same the output is Stride times the input, with valid it is
// (input - 1) x Stride + KernelSize. A spec: the input channels and size come from the shape flowing in.

#include "latent/core/shape.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/conv2d.hpp"
#include "latent/layers/initializers.hpp"
#include "latent/layers/layer.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

namespace latent {

/// Filters output channels, each input pixel spreading a KernelSize x KernelSize window of weights over the
/// output, Stride apart; then an element-wise Activation. Parameters: W (channels x filters x k x k,
/// PyTorch's order), then b (filters).
template <std::size_t Filters, std::size_t KernelSize, Activation Act = Identity, Padding Pad = Padding::same,
          std::size_t Stride = 1, Initializer Init = init::TorchDefault>
struct ConvTranspose2D {
    static_assert(Filters > 0 && KernelSize > 0 && Stride > 0,
                  "latent::ConvTranspose2D: filters, kernel size and stride must be at least 1");

    static std::string kind() { return "ConvTranspose2D"; }

    /// "ConvTranspose2D<32, 3, ReLU, same, 2>", with the trailing defaults left out.
    static std::string name() { return detail::convolution_name<Filters, KernelSize, Act, Pad, Stride, Init>(kind()); }

    template <class In>
    static constexpr bool fits = ImageShape<In>;

    /// Reports an input that is not an image; the compiler names this layer and its input shape.
    template <class In>
    static constexpr bool check() {
        static_assert(fits<In>,
                      "latent::ConvTranspose2D: its input must be an image, channels x height x width (the compiler "
                      "names this layer and the shape it was given); put Input<C, H, W> or Reshape<C, H, W> before it");
        return fits<In>;
    }

    /// The layer for input In (see Bound). It is the adjoint of the Conv2D that maps its output shape back to
    /// its input shape, whose window geometry (height, width: this layer's output; out_height, out_width:
    /// its input) the CPU kernel shares with Conv2D.
    template <class In>
    struct bound_to {
        static constexpr std::size_t in_channels = detail::image_extents<In>::channels;
        static constexpr std::size_t in_height = detail::image_extents<In>::height;
        static constexpr std::size_t in_width = detail::image_extents<In>::width;
        static constexpr std::size_t height =
            Pad == Padding::same ? in_height * Stride : (in_height - 1) * Stride + KernelSize;
        static constexpr std::size_t width = Pad == Padding::same ? in_width * Stride : (in_width - 1) * Stride + KernelSize;
        static constexpr std::size_t channels = Filters;  // of the output, the adjoint convolution's input
        static constexpr std::size_t filters = Filters, kernel_size = KernelSize, stride = Stride;
        static constexpr std::size_t out_height = in_height, out_width = in_width, out_pixels = in_height * in_width;
        static constexpr std::size_t pad_top = detail::WindowAxis{height, KernelSize, Stride, Pad}.leading_padding();
        static constexpr std::size_t pad_left = detail::WindowAxis{width, KernelSize, Stride, Pad}.leading_padding();
        /// One input pixel's window over all output channels.
        static constexpr std::size_t patch_size = Filters * KernelSize * KernelSize;

        using output_shape = Shape<Filters, height, width>;
        using activation = Act;
        using initializer = Init;

        static constexpr std::size_t weight_count = in_channels * patch_size;
        static constexpr std::size_t bias_offset = weight_count;
        static constexpr std::size_t parameter_count = weight_count + Filters;
        static constexpr std::size_t flops_per_sample = 2 * weight_count * out_pixels + output_shape::size;

        /// PyTorch's fan-in of a transposed convolution: filters x k x k.
        template <class S>
        static void initialize(std::span<S> parameters, Rng& rng) {
            Init::fill(parameters.first(weight_count), parameters.subspan(bias_offset, Filters), patch_size,
                       in_channels * KernelSize * KernelSize, rng);
        }
    };
};

}  // namespace latent
