#pragma once
// Sequential<Layers...>: a flat, compile-time list of layers. It knows its shapes, parameter layout
// and cost as constants and refuses to compile when two neighbouring layers do not connect.
// Entries may be layer specs (Conv2D<32, 3>, Flatten, ...): each is bound to the shape that flows out
// of the entry before it, which the list's first entry states (Input<1, 28, 28>, or a Dense).

#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"
#include "latent/layers/input.hpp"
#include "latent/layers/layer.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace latent {

namespace detail {

// A class template, so that compilers print its arguments by name on the line that starts the message:
// "In instantiation of 'struct layer_output_must_match_next_layer_input<0, Dense<784, 128>, Dense<64, 12>,
// Shape<128>, Shape<64>, false>'". Position numbers the pair, so that equal pairs are distinct bases.
template <std::size_t Position, class Layer, class NextLayer, class LayerOutputShape, class NextLayerInputShape,
          bool Fits = std::is_same_v<LayerOutputShape, NextLayerInputShape>>
struct layer_output_must_match_next_layer_input {
    static_assert(Fits,
                  "latent::Sequential: a layer's output shape differs from the next layer's input shape "
                  "(the compiler names both layers and both shapes as this check's template arguments)");
};

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

template <class... Ts>
struct type_list {};

/// The entry that follows a shape: a layer as written, an Input, or a spec bound to the shape.
template <class Flowing, class Entry>
struct bind_entry {
    using type = Entry;
};
template <class Flowing, LayerSpec Entry>
struct bind_entry<Flowing, Entry> {
    using type = Bound<Entry, Flowing>;
};
/// A spec that starts a list has no shape to bind to: a stand-in keeps the list well-formed while
/// first_entry_must_state_its_input_shape reports.
struct no_shape {
    using output_shape = Shape<1, 1, 1>;
};
template <LayerSpec Entry>
struct bind_entry<no_shape, Entry> {
    using type = Bound<Entry, Shape<1, 1, 1>>;
};

/// Walks the entries with the shape flowing so far: the bound entries, Inputs included.
template <class Flowing, class Done, class... Entries>
struct bind_entries {
    using type = Done;
};
template <class Flowing, class... Done, class Entry, class... Rest>
struct bind_entries<Flowing, type_list<Done...>, Entry, Rest...> {
    using bound = typename bind_entry<Flowing, Entry>::type;
    using type = typename bind_entries<typename bound::output_shape, type_list<Done..., bound>, Rest...>::type;
};

/// The layers of a bound list: its entries less the Inputs.
template <class Done, class... Entries>
struct drop_inputs {
    using type = Done;
};
template <class... Done, class Entry, class... Rest>
struct drop_inputs<type_list<Done...>, Entry, Rest...> {
    using type = typename std::conditional_t<is_input_v<Entry>, drop_inputs<type_list<Done...>, Rest...>,
                                             drop_inputs<type_list<Done..., Entry>, Rest...>>::type;
};

template <class FirstEntry>
constexpr bool first_entry_must_state_its_input_shape() {
    constexpr bool states = !LayerSpec<FirstEntry>;
    static_assert(states,
                  "latent::Sequential: the first layer takes its input shape from an entry before it, and there is "
                  "none: start the list with Input<C, H, W> (the compiler names the layer as this check's template "
                  "argument)");
    return states;
}

/// Each spec's own check against the shape bound to it (the stride, the kernel, a Reshape's count).
template <class... Nodes>
constexpr bool check_bindings(type_list<Nodes...>) {
    auto check = []<class Node>(std::type_identity<Node>) {
        if constexpr (requires { typename Node::spec; })
            return Node::spec::template check<typename Node::input_shape>();
        else
            return true;
    };
    return (check(std::type_identity<Nodes>{}) && ... && true);
}
template <class... Nodes>
constexpr bool bindings_fit(type_list<Nodes...>) {
    auto fits = []<class Node>(std::type_identity<Node>) {
        if constexpr (requires { typename Node::spec; })
            return Node::spec::template fits<typename Node::input_shape>;
        else
            return true;
    };
    return (fits(std::type_identity<Nodes>{}) && ... && true);
}

template <class... Nodes>
constexpr bool nodes_connect(type_list<Nodes...>) {
    if constexpr (sizeof...(Nodes) < 2)
        return true;
    else
        return layers_connect<Nodes...>();
}

/// Every pair of neighbours checked, each as a base, so that each mismatch is reported, not only the first, and
/// each report is three instantiations deep.
template <class Nodes, class Indices>
struct connection_checks;
template <class... Nodes, std::size_t... I>
struct connection_checks<type_list<Nodes...>, std::index_sequence<I...>>
    : layer_output_must_match_next_layer_input<
          I, std::tuple_element_t<I, std::tuple<Nodes...>>, std::tuple_element_t<I + 1, std::tuple<Nodes...>>,
          typename std::tuple_element_t<I, std::tuple<Nodes...>>::output_shape,
          typename std::tuple_element_t<I + 1, std::tuple<Nodes...>>::input_shape>... {};
struct no_checks {};
template <class Nodes>
struct connection_checks_of {
    using type = no_checks;  // fewer than two layers: nothing to connect
};
template <class First, class Second, class... Rest>
struct connection_checks_of<type_list<First, Second, Rest...>> {
    using type = connection_checks<type_list<First, Second, Rest...>, std::make_index_sequence<1 + sizeof...(Rest)>>;
};
template <class Nodes>
using connection_checks_for = typename connection_checks_of<Nodes>::type;

/// Reports the first kind of error only: a list without an input shape, then specs that do not fit the
/// shape bound to them; neighbours that do not connect are Sequential's own check, after these.
template <class FirstEntry, class Nodes>
constexpr bool check_list() {
    if constexpr (!first_entry_must_state_its_input_shape<FirstEntry>())
        return false;
    else if constexpr (!bindings_fit(Nodes{}))
        return check_bindings(Nodes{});
    else
        return true;
}

/// The layer list type of bound layers (Sequential<Bound<...>, Dense<...>, ...>).
template <template <class...> class List, class Layers>
struct apply_list;
template <template <class...> class List, class... Layers>
struct apply_list<List, type_list<Layers...>> {
    using type = List<Layers...>;
};

}  // namespace detail

/// An entry of a Sequential: a layer, a layer spec, or an Input.
template <class T>
concept SequentialEntry = Layer<T> || LayerSpec<T> || is_input_v<T>;

namespace detail {

/// What a list of (bound) layers knows at compile time: its shapes, parameter layout and cost.
template <Layer... Layers>
struct LayerList {
    static_assert(sizeof...(Layers) > 0, "latent::Sequential needs at least one layer");

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
        prefix_sums(std::array<std::size_t, depth>{Layers::parameter_count...});
    static constexpr std::array<std::size_t, depth> output_sizes{Layers::output_shape::size...};
    /// Where each layer's output starts in a per-sample activation block of activation_size values.
    static constexpr std::array<std::size_t, depth + 1> activation_offsets = prefix_sums(output_sizes);
    static constexpr std::size_t activation_size = activation_offsets[depth];
    /// The layers' buffers (BatchNorm's running statistics) as one block beside the parameters, layer i's
    /// starting at buffer_offsets[i]; 0 for lists without such layers, which then carry nothing more.
    static constexpr std::size_t buffer_count = (buffer_count_of<Layers> + ...);
    static constexpr std::size_t min_training_batch = std::max({std::size_t(1), min_training_batch_of<Layers>...});
    static constexpr std::array<std::size_t, depth + 1> buffer_offsets =
        prefix_sums(std::array<std::size_t, depth>{buffer_count_of<Layers>...});

    /// Initialises every layer from one generator, first layer first.
    /// requires: parameters.size() == parameter_count.
    template <class S>
    static void initialize(std::span<S> parameters, Rng& rng) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (layer<I>::initialize(parameters.subspan(parameter_offsets[I], layer<I>::parameter_count), rng), ...);
        }(std::make_index_sequence<depth>{});
    }

    /// Sets every layer's buffers to their initial values. requires: buffers.size() == buffer_count.
    template <class S>
    static void initialize_buffers(std::span<S> buffers) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (initialize_layer_buffers<I>(buffers), ...);
        }(std::make_index_sequence<depth>{});
    }

private:
    template <std::size_t I, class S>
    static void initialize_layer_buffers(std::span<S> buffers) {
        if constexpr (buffer_count_of<layer<I>> > 0)
            layer<I>::initialize_buffers(buffers.subspan(buffer_offsets[I], buffer_count_of<layer<I>>));
    }
};

template <class... Entries>
using bound_nodes_t = typename bind_entries<no_shape, type_list<>, Entries...>::type;
template <class Nodes>
struct layers_of;
template <class... Nodes>
struct layers_of<type_list<Nodes...>> {
    using type = typename apply_list<LayerList, typename drop_inputs<type_list<>, Nodes...>::type>::type;
};

}  // namespace detail

/// Layers applied one after another. Parameters of all layers are one contiguous block, layer i's
/// starting at parameter_offsets[i]. Specs among the entries are bound to the shape flowing into them,
/// and `layer<I>` is the bound layer; Inputs only state shapes and are not layers.
template <SequentialEntry... Entries>
struct Sequential : detail::layers_of<detail::bound_nodes_t<Entries...>>::type {
    using nodes = detail::bound_nodes_t<Entries...>;
    static constexpr bool connected = !LayerSpec<std::tuple_element_t<0, std::tuple<Entries...>>> &&
                                      detail::bindings_fit(nodes{}) && detail::nodes_connect(nodes{});
    // Only the named checks report; these lines never add a second error.
    static_assert(detail::check_list<std::tuple_element_t<0, std::tuple<Entries...>>, nodes>() || !connected);
    static_assert(sizeof(std::conditional_t<!LayerSpec<std::tuple_element_t<0, std::tuple<Entries...>>> &&
                                                detail::bindings_fit(nodes{}),
                                            detail::connection_checks_for<nodes>, detail::no_checks>) > 0);

    /// The plain list type, also when a user names it: struct encoder : Sequential<...> {};
    using sequential_type = Sequential;

    /// "Sequential<Dense<784, 128, ReLU>, Dense<128, 3>>" or "Sequential<Input<1, 28, 28>, Conv2D<32, 3,
    /// ReLU>, ...>", the entries as written: part of model-file signatures.
    static std::string name() {
        std::string text = "Sequential<";
        std::size_t i = 0;
        ((text += (i++ ? ", " : ""), text += Entries::name()), ...);
        return text + ">";
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
