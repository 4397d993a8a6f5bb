#pragma once
// Conv2D: a 2-D convolution (cross-correlation, as in PyTorch and Keras) over channels x height x width
// samples, y = activation(W * x + b), written as a spec: Conv2D<32, 3, ReLU> takes its input channels
// and size from the shape flowing into it.

#include "latent/core/shape.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/initializers.hpp"
#include "latent/layers/layer.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

namespace latent {

/// How a convolution or pooling window treats the border.
enum class Padding {
    same,   ///< zeros around the input so that the output is input / stride (Keras' "same")
    valid,  ///< no padding: the window stays inside the input
};

namespace detail {
inline std::string padding_name(Padding padding) { return padding == Padding::same ? "same" : "valid"; }

/// "Kind<Filters, KernelSize, Act, Pad, Stride, Init>" with the trailing defaults left out (a convolution's
/// name as written).
template <std::size_t Filters, std::size_t KernelSize, class Act, Padding Pad, std::size_t Stride, class Init>
std::string convolution_name(std::string text) {
    text += '<';
    text += std::to_string(Filters);
    text += ", " + std::to_string(KernelSize);
    const bool named_init = !std::is_same_v<Init, init::TorchDefault>;
    const bool named_stride = Stride != 1 || named_init;
    const bool named_padding = Pad != Padding::same || named_stride;
    if (!std::is_same_v<Act, Identity> || named_padding) text += ", " + Act::name();
    if (named_padding) text += ", " + padding_name(Pad);
    if (named_stride) text += ", " + std::to_string(Stride);
    if (named_init) text += ", " + Init::name();
    text += '>';
    return text;
}

/// Output extent and leading padding of a window of `window` cells moved by `stride` along `extent`.
/// same: extent / stride outputs, padded by (window - stride) / 2 before (TensorFlow's split);
/// valid: (extent - window) / stride + 1. Fits when the stride divides what it walks over.
struct WindowAxis {
    std::size_t extent, window, stride;
    Padding padding;
    constexpr bool fits() const {
        return padding == Padding::same ? extent % stride == 0 : window <= extent && (extent - window) % stride == 0;
    }
    constexpr std::size_t outputs() const {
        if (!fits()) return 1;
        return padding == Padding::same ? extent / stride : (extent - window) / stride + 1;
    }
    constexpr std::size_t leading_padding() const {
        return padding == Padding::same && window > stride ? (window - stride) / 2 : 0;
    }
};
}  // namespace detail

/// Filters output channels from KernelSize x KernelSize windows moved by Stride, with Padding, an
/// element-wise Activation and an Initializer (fan-in channels x k x k, fan-out filters x k x k).
/// Parameters: W (filters x channels x k x k, PyTorch's order), then b (filters).
template <std::size_t Filters, std::size_t KernelSize, Activation Act = Identity, Padding Pad = Padding::same,
          std::size_t Stride = 1, Initializer Init = init::TorchDefault>
struct Conv2D {
    static_assert(Filters > 0 && KernelSize > 0 && Stride > 0,
                  "latent::Conv2D: filters, kernel size and stride must be at least 1");

    static std::string kind() { return "Conv2D"; }

    /// "Conv2D<32, 3, ReLU>", with padding, stride and initialiser named when not the defaults.
    static std::string name() { return detail::convolution_name<Filters, KernelSize, Act, Pad, Stride, Init>(kind()); }

    template <class In>
    static constexpr detail::WindowAxis rows{detail::image_extents<In>::height, KernelSize, Stride, Pad};
    template <class In>
    static constexpr detail::WindowAxis columns{detail::image_extents<In>::width, KernelSize, Stride, Pad};

    template <class In>
    static constexpr bool fits = ImageShape<In> && rows<In>.fits() && columns<In>.fits();

    /// Reports why In does not fit; the compiler names this layer and In with the message.
    template <class In>
    static constexpr bool check() {
        static_assert(ImageShape<In>,
                      "latent::Conv2D: its input must be an image, channels x height x width (the compiler names "
                      "this layer and the shape it was given); put Input<C, H, W> or Reshape<C, H, W> before it");
        static_assert(!ImageShape<In> || fits<In>,
                      "latent::Conv2D: the stride does not divide the input's height or width, or the kernel is "
                      "larger than the input (the compiler names this layer and its input shape)");
        return fits<In>;
    }

    /// The layer for input In (see Bound).
    template <class In>
    struct bound_to {
        static constexpr std::size_t channels = detail::image_extents<In>::channels;
        static constexpr std::size_t height = detail::image_extents<In>::height;
        static constexpr std::size_t width = detail::image_extents<In>::width;
        static constexpr std::size_t filters = Filters, kernel_size = KernelSize, stride = Stride;
        static constexpr std::size_t pad_top = rows<In>.leading_padding(), pad_left = columns<In>.leading_padding();
        static constexpr std::size_t out_height = rows<In>.outputs(), out_width = columns<In>.outputs();
        static constexpr std::size_t out_pixels = out_height * out_width;
        /// Values of one window over all input channels: a row of the im2col matrix.
        static constexpr std::size_t patch_size = channels * KernelSize * KernelSize;

        using output_shape = Shape<Filters, out_height, out_width>;
        using activation = Act;
        using initializer = Init;

        static constexpr std::size_t weight_count = Filters * patch_size;
        static constexpr std::size_t bias_offset = weight_count;
        static constexpr std::size_t parameter_count = weight_count + Filters;
        static constexpr std::size_t flops_per_sample = (2 * patch_size + 1) * Filters * out_pixels;

        /// requires: parameters.size() == parameter_count.
        template <class S>
        static void initialize(std::span<S> parameters, Rng& rng) {
            Init::fill(parameters.first(weight_count), parameters.subspan(bias_offset, Filters), patch_size,
                       Filters * KernelSize * KernelSize, rng);
        }
    };
};

}  // namespace latent
