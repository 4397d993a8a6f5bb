#pragma once
// Models generated from a few numbers: DenseStack<ReLU, 784, 128, 3> for a stack of Dense layers,
// DecoderFor<Encoder> for an untied decoder that undoes any encoder layer by layer, and
// AutoencoderFor<Encoder> for the autoencoder made from an encoder alone. Each is an alias of the plain
// Sequential or Autoencoder the user would have written, so signatures, model files and error messages
// name the generated layers themselves.

#include "latent/core/shape.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/batch_norm.hpp"
#include "latent/layers/conv2d.hpp"
#include "latent/layers/conv_transpose2d.hpp"
#include "latent/layers/dense.hpp"
#include "latent/layers/dropout.hpp"
#include "latent/layers/input.hpp"
#include "latent/layers/layer.hpp"
#include "latent/layers/pooling.hpp"
#include "latent/layers/reshape.hpp"
#include "latent/layers/upsample.hpp"
#include "latent/models/autoencoder.hpp"
#include "latent/models/sequential.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace latent {

/// How DecoderFor undoes a convolution: a ConvTranspose2D with the same kernel, padding and stride, or
/// (Keras' tutorials) an UpSample2D by the stride followed by a stride-1 Conv2D with padding same.
enum class DecoderStyle {
    transposed,  ///< Conv2D<F, K, A, Pad, S> becomes ConvTranspose2D<C, K, A', Pad, S>
    upsample,    ///< Conv2D<F, K, A, same, S> becomes UpSample2D by S, then Conv2D<C, K, A', same, 1>
};

namespace detail {

template <class Hidden, class Code, std::size_t... Widths>
struct dense_stack {
    static_assert(sizeof...(Widths) >= 2,
                  "latent::DenseStack: give at least two widths, the input's and the code's");
    static constexpr std::size_t count = sizeof...(Widths);
    static constexpr std::array<std::size_t, count> widths{Widths...};
    template <std::size_t... I>
    static auto make(std::index_sequence<I...>)
        -> Sequential<Dense<widths[I], widths[I + 1], std::conditional_t<I + 2 == count, Code, Hidden>>...>;
    // One width stands in for two, so that only the message above is printed.
    using type = std::conditional_t<(count >= 2), decltype(make(std::make_index_sequence<(count >= 2 ? count - 1 : 0)>{})),
                                    Sequential<Dense<1, 1>>>;
};

}  // namespace detail

/// Dense layers through the given widths, Hidden after each but the last (the code layer), which is linear
/// as in the tutorials: DenseStack<ReLU, 784, 128, 3> is Sequential<Dense<784, 128, ReLU>, Dense<128, 3>>.
template <Activation Hidden, std::size_t... Widths>
using DenseStack = typename detail::dense_stack<Hidden, Identity, Widths...>::type;

/// DenseStack with the code layer's activation chosen: DenseStackWith<ReLU, Tanh, 784, 128, 3> is
/// Sequential<Dense<784, 128, ReLU>, Dense<128, 3, Tanh>>.
template <Activation Hidden, Activation Code, std::size_t... Widths>
using DenseStackWith = typename detail::dense_stack<Hidden, Code, Widths...>::type;

namespace detail {

// Joins the entries of the layers' mirrors in one fold, without recursion.
template <class... Ts, class... Us>
type_list<Ts..., Us...> operator+(type_list<Ts...>, type_list<Us...>);

/// Reports an encoder layer DecoderFor cannot undo; the compiler names it as this check's template argument.
template <class EncoderLayer>
struct decoder_for_has_no_mirror_of_this_layer {
    static_assert(always_false<EncoderLayer>,
                  "latent::DecoderFor: no decoder layer undoes this encoder layer (it undoes Dense, Conv2D, "
                  "ConvTranspose2D, pooling, UpSample2D, Flatten, Reshape, BatchNorm and Dropout); write the decoder");
    using type = type_list<>;
};

template <class Shape>
struct reshape_to;
template <std::size_t... Extents>
struct reshape_to<Shape<Extents...>> {
    using type = Reshape<Extents...>;
};
template <class Shape>
struct input_of;
template <std::size_t... Extents>
struct input_of<Shape<Extents...>> {
    using type = Input<Extents...>;
};

/// The decoder entries that undo spec Spec bound to input shape In, as a type_list: they map Spec's output
/// shape back to In. Act is the activation they end with; KeepNorm says whether a BatchNorm is mirrored.
template <class Spec, class In, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_spec : decoder_for_has_no_mirror_of_this_layer<Bound<Spec, In>> {};

template <std::size_t F, std::size_t K, class A, Padding Pad, std::size_t S, class Init, class In, class Act,
          DecoderStyle Style, bool KeepNorm>
struct mirror_spec<Conv2D<F, K, A, Pad, S, Init>, In, Act, Style, KeepNorm> {
    static constexpr std::size_t channels = image_extents<In>::channels;
    // Only padding same grows by exactly the stride; valid padding always takes the transposed convolution.
    using type = std::conditional_t<
        Style == DecoderStyle::transposed || Pad == Padding::valid,
        type_list<ConvTranspose2D<channels, K, Act, Pad, S, Init>>,
        std::conditional_t<S == 1, type_list<Conv2D<channels, K, Act, Padding::same, 1, Init>>,
                           type_list<UpSample2D<S>, Conv2D<channels, K, Act, Padding::same, 1, Init>>>>;
};
template <std::size_t F, std::size_t K, class A, Padding Pad, std::size_t S, class Init, class In, class Act,
          DecoderStyle Style, bool KeepNorm>
struct mirror_spec<ConvTranspose2D<F, K, A, Pad, S, Init>, In, Act, Style, KeepNorm> {
    using type = type_list<Conv2D<image_extents<In>::channels, K, Act, Pad, S, Init>>;
};
// Upsampling by the stride undoes a pooling whose window equals its stride; another window does not fit, and
// the decoder's output shape then differs from the encoder's input (Autoencoder's message names both).
template <std::size_t P, std::size_t S, class In, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_spec<MaxPool2D<P, S>, In, Act, Style, KeepNorm> {
    using type = type_list<UpSample2D<S>>;
};
template <std::size_t P, std::size_t S, class In, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_spec<AvgPool2D<P, S>, In, Act, Style, KeepNorm> {
    using type = type_list<UpSample2D<S>>;
};
template <std::size_t Factor, Interpolation Mode, class In, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_spec<UpSample2D<Factor, Mode>, In, Act, Style, KeepNorm> {
    using type = type_list<AvgPool2D<Factor>>;
};
template <class In, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_spec<Flatten, In, Act, Style, KeepNorm> {
    using type = type_list<typename reshape_to<In>::type>;
};
template <std::size_t... Extents, class In, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_spec<Reshape<Extents...>, In, Act, Style, KeepNorm> {
    using type = type_list<typename reshape_to<In>::type>;
};
// Dropout regularises the encoder; a decoder generated from it does not drop.
template <std::uint64_t N, std::uint64_t D, class In, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_spec<Dropout<N, D>, In, Act, Style, KeepNorm> {
    using type = type_list<>;
};
template <std::uint64_t MN, std::uint64_t MD, std::uint64_t EN, std::uint64_t ED, class In, class Act,
          DecoderStyle Style, bool KeepNorm>
struct mirror_spec<BatchNorm<MN, MD, EN, ED>, In, Act, Style, KeepNorm> {
    using type = std::conditional_t<KeepNorm, type_list<BatchNorm<MN, MD, EN, ED>>, type_list<>>;
};

template <class L, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_layer : decoder_for_has_no_mirror_of_this_layer<L> {};
template <class L, class Act, DecoderStyle Style, bool KeepNorm>
    requires requires { typename L::spec; }
struct mirror_layer<L, Act, Style, KeepNorm>
    : mirror_spec<typename L::spec, typename L::input_shape, Act, Style, KeepNorm> {};
template <std::size_t In, std::size_t Out, class A, class Init, class Act, DecoderStyle Style, bool KeepNorm>
struct mirror_layer<Dense<In, Out, A, Init>, Act, Style, KeepNorm> {
    using type = type_list<Dense<Out, In, Act, Init>>;
};

template <class Entries>
struct sequential_of;
template <class... Entries>
struct sequential_of<type_list<Entries...>> {
    using type = Sequential<Entries...>;
};
template <class Code, class First, class... Rest>
struct sequential_of<type_list<Code, First, Rest...>> {
    // A decoder that starts with a spec states the code's shape first.
    using type = std::conditional_t<LayerSpec<First>, Sequential<typename input_of<Code>::type, First, Rest...>,
                                    Sequential<First, Rest...>>;
};

template <class Encoder, class OutputActivation, DecoderStyle Style>
struct decoder_for {
    static constexpr std::size_t depth = Encoder::depth;
    static constexpr std::size_t none = depth;
    /// For each encoder layer, the nearest layer before it that ends with an activation (Dense and the
    /// convolutions), or `none`: the decoder layer that undoes layer i reconstructs that layer's output.
    static constexpr std::array<std::size_t, depth> activated_before = [] {
        constexpr std::array<bool, depth> activated = []<std::size_t... I>(std::index_sequence<I...>) {
            return std::array<bool, depth>{requires { typename Encoder::template layer<I>::activation; }...};
        }(std::make_index_sequence<depth>{});
        std::array<std::size_t, depth> before{};
        std::size_t last = none;
        for (std::size_t i = 0; i < depth; ++i) {
            before[i] = last;
            if (activated[i]) last = i;
        }
        return before;
    }();
    template <std::size_t I>
    using activation_of = typename std::conditional_t<
        activated_before[I] == none, std::type_identity<OutputActivation>,
        output_activation<typename Encoder::template layer<(activated_before[I] == none ? 0 : activated_before[I])>>>::type;
    // A BatchNorm before every weighted layer would follow the output activation: it is left out.
    template <std::size_t I>
    using mirror = typename mirror_layer<typename Encoder::template layer<I>, activation_of<I>, Style,
                                         activated_before[I] != none>::type;
    // A class, not a function's return type: a layer without a mirror then reports once, not again as a
    // substitution failure.
    template <class Indices>
    struct entries;
    template <std::size_t... K>
    struct entries<std::index_sequence<K...>> {
        using type = decltype((type_list<typename Encoder::output_shape>{} + ... + mirror<depth - 1 - K>{}));
    };
    using type = typename sequential_of<typename entries<std::make_index_sequence<depth>>::type>::type;
};

}  // namespace detail

/// An untied decoder for Encoder, with its own weights: the encoder's layers undone in reverse order. Dense<In,
/// Out> becomes Dense<Out, In>; Conv2D becomes ConvTranspose2D (or UpSample2D + Conv2D, see DecoderStyle);
/// pooling becomes UpSample2D by its stride; Flatten and Reshape become a Reshape to their input shape;
/// BatchNorm stays in its mirrored place (dropped where it would follow the output layer); Dropout is dropped.
/// Each weighted decoder layer takes the activation of the encoder layer whose output it rebuilds, and the last
/// one OutputActivation; initialisers are kept. DecoderFor<DenseStack<ReLU, 784, 128, 3>> is
/// Sequential<Dense<3, 128, ReLU>, Dense<128, 784, Sigmoid>>.
template <SequentialType Encoder, Activation OutputActivation = Sigmoid, DecoderStyle Style = DecoderStyle::transposed>
using DecoderFor = typename detail::decoder_for<typename Encoder::sequential_type, OutputActivation, Style>::type;

/// The autoencoder made from its encoder alone: Autoencoder<Encoder, DecoderFor<Encoder, OutputActivation,
/// Style>, B>.
template <SequentialType Encoder, Activation OutputActivation = Sigmoid, Backend B = backend::cpu,
          DecoderStyle Style = DecoderStyle::transposed>
using AutoencoderFor = Autoencoder<Encoder, DecoderFor<Encoder, OutputActivation, Style>, B>;

}  // namespace latent
