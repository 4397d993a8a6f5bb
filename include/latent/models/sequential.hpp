#pragma once
// Sequential<Layers...>: a flat, compile-time list of layers. It knows its shapes, parameter layout
// and cost as constants and refuses to compile when two neighbouring layers do not connect.

#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"
#include "latent/layers/layer.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace latent {

namespace detail {

// A function template, so that compilers print its arguments by name right above the message:
// "[with Layer = Dense<784, 128>; NextLayer = Dense<64, 12>; LayerOutputShape = Shape<128>; ...]".
template <class Layer, class NextLayer, class LayerOutputShape, class NextLayerInputShape>
constexpr bool layer_output_must_match_next_layer_input() {
    constexpr bool fits = std::is_same_v<LayerOutputShape, NextLayerInputShape>;
    static_assert(fits,
                  "latent::Sequential: a layer's output shape differs from the next layer's input shape "
                  "(the compiler names both layers and both shapes as this check's template arguments)");
    return fits;
}

/// Checks every pair of neighbours, so that each mismatch is reported, not only the first.
template <class... Layers>
constexpr bool check_connections() {
    using List = std::tuple<Layers...>;
    return []<std::size_t... I>(std::index_sequence<I...>) {
        const int mismatches =
            (0 + ... +
             int(!layer_output_must_match_next_layer_input<std::tuple_element_t<I, List>, std::tuple_element_t<I + 1, List>,
                                                           typename std::tuple_element_t<I, List>::output_shape,
                                                           typename std::tuple_element_t<I + 1, List>::input_shape>()));
        return mismatches == 0;
    }(std::make_index_sequence<sizeof...(Layers) - 1>{});
}

template <class... Layers>
constexpr bool layers_connect() {
    using List = std::tuple<Layers...>;
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::is_same_v<typename std::tuple_element_t<I, List>::output_shape,
                               typename std::tuple_element_t<I + 1, List>::input_shape> && ... && true);
    }(std::make_index_sequence<sizeof...(Layers) - 1>{});
}

template <std::size_t N>
constexpr std::array<std::size_t, N + 1> prefix_sums(const std::array<std::size_t, N>& sizes) {
    std::array<std::size_t, N + 1> sums{};
    for (std::size_t i = 0; i < N; ++i) sums[i + 1] = sums[i] + sizes[i];
    return sums;
}

}  // namespace detail

/// Layers applied one after another. Parameters of all layers are one contiguous block, layer i's
/// starting at parameter_offsets[i].
template <Layer... Layers>
struct Sequential {
    static_assert(sizeof...(Layers) > 0, "latent::Sequential needs at least one layer");
    static constexpr bool connected = detail::layers_connect<Layers...>();
    // Only the named check above reports; this line never adds a second error.
    static_assert(detail::check_connections<Layers...>() || !connected);

    /// The plain list type, also when a user names it: struct encoder : Sequential<...> {};
    using sequential_type = Sequential;

    static constexpr std::size_t depth = sizeof...(Layers);
    template <std::size_t I>
    using layer = std::tuple_element_t<I, std::tuple<Layers...>>;

    using input_shape = typename layer<0>::input_shape;
    using output_shape = typename layer<depth - 1>::output_shape;
    static constexpr std::size_t input_size = input_shape::size;
    static constexpr std::size_t output_size = output_shape::size;

    static constexpr std::size_t parameter_count = (Layers::parameter_count + ...);
    static constexpr std::size_t flops_per_sample = (Layers::flops_per_sample + ...);
    static constexpr std::array<std::size_t, depth + 1> parameter_offsets =
        detail::prefix_sums(std::array<std::size_t, depth>{Layers::parameter_count...});
    static constexpr std::array<std::size_t, depth> output_sizes{Layers::output_shape::size...};
    /// Where each layer's output starts in a per-sample activation block of activation_size values.
    static constexpr std::array<std::size_t, depth + 1> activation_offsets = detail::prefix_sums(output_sizes);
    static constexpr std::size_t activation_size = activation_offsets[depth];

    /// "Sequential<Dense<784, 128, ReLU>, Dense<128, 3>>": part of model-file signatures.
    static std::string name() {
        std::string text = "Sequential<";
        std::size_t i = 0;
        ((text += (i++ ? ", " : "") + Layers::name()), ...);
        return text + ">";
    }

    /// Initialises every layer from one generator, first layer first.
    /// requires: parameters.size() == parameter_count.
    template <class S>
    static void initialize(std::span<S> parameters, Rng& rng) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (layer<I>::initialize(parameters.subspan(parameter_offsets[I], layer<I>::parameter_count), rng), ...);
        }(std::make_index_sequence<depth>{});
    }
};

namespace detail {
template <class A, class B>
struct concat;
template <class... As, class... Bs>
struct concat<Sequential<As...>, Sequential<Bs...>> {
    using type = Sequential<As..., Bs...>;
};
}  // namespace detail

/// The layers of A followed by those of B.
template <class A, class B>
using concat_t = typename detail::concat<typename A::sequential_type, typename B::sequential_type>::type;

/// A Sequential<...> type, or a user's type derived from one.
template <class T>
concept SequentialType = requires { typename T::sequential_type; requires std::is_base_of_v<typename T::sequential_type, T>; };

}  // namespace latent
