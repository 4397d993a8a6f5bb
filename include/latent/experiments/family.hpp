#pragma once
// Family<Models...>: a family of architectures as one type, so that the compiler checks every member and an
// experiment trains them all the same way (experiments/runner.hpp). Families are made and narrowed at compile
// time: product_t (every combination of a few axes), filter_t (the members a predicate keeps) and sort_by_t
// (the members ordered by a key such as the parameter count). The computations are pack expansions and
// constexpr loops over arrays of keys, not recursive templates, so a family costs little beyond its members.

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace latent {

namespace detail {
// The I-th type of a pack in constant depth: overload resolution picks the one base indexed I.
template <std::size_t I, class T>
struct indexed {
    using type = T;
};
template <class Indices, class... Ts>
struct indexer;
template <std::size_t... I, class... Ts>
struct indexer<std::index_sequence<I...>, Ts...> : indexed<I, Ts>... {};
template <std::size_t I, class T>
indexed<I, T> select_indexed(const indexed<I, T>&);
}  // namespace detail

/// A type list of models (Autoencoder types); the members of an architecture experiment.
template <class... Models>
struct Family {
    static constexpr std::size_t size = sizeof...(Models);

    /// Member I, in the family's order.
    template <std::size_t I>
    using member = typename decltype(detail::select_indexed<I>(
        std::declval<detail::indexer<std::index_sequence_for<Models...>, Models...>>()))::type;

    /// Key's value for every member, in order: Family::values<ParameterCount>.
    template <class Key>
    static constexpr std::array<std::size_t, size> values{Key::template value<Models>...};
};

/// Keys that families are filtered and sorted by. A key is a type with `template <class Model> static
/// constexpr std::size_t value`; these read the models' own constants.
struct ParameterCount {
    template <class Model>
    static constexpr std::size_t value = Model::parameter_count;
};
/// Forward FLOPs of one sample.
struct FlopsPerSample {
    template <class Model>
    static constexpr std::size_t value = Model::flops_per_sample;
};
/// Values one sample's forward pass keeps for the backward pass (times sizeof(scalar) in bytes).
struct ActivationSize {
    template <class Model>
    static constexpr std::size_t value = Model::activation_size;
};

/// Predicates that filter_t keeps members by. A predicate is a type with `template <class Model> static
/// constexpr bool value`. Below keeps the members whose Key is under Limit.
template <class Key, std::size_t Limit>
struct Below {
    template <class Model>
    static constexpr bool value = Key::template value<Model> < Limit;
};
/// Keeps the members whose Key is Limit or more.
template <class Key, std::size_t Limit>
struct AtLeast {
    template <class Model>
    static constexpr bool value = Key::template value<Model> >= Limit;
};

/// An axis of a product: values (each given to the member template as std::integral_constant)...
template <auto... Vs>
struct Values {};
/// ...or types (activations, initialisers, lists of widths).
template <class... Ts>
struct Types {};

namespace detail {

template <class Axis>
struct axis_types;
template <auto... Vs>
struct axis_types<Values<Vs...>> {
    using type = Family<std::integral_constant<decltype(Vs), Vs>...>;
};
template <class... Ts>
struct axis_types<Types<Ts...>> {
    using type = Family<Ts...>;
};

// Arguments given one by one, so that Make may be an alias template (a pack may not expand into an alias
// template's fixed parameters).
template <template <class...> class Make, class Arguments>
struct apply_make;
template <template <class...> class Make, class A>
struct apply_make<Make, Types<A>> {
    using type = Make<A>;
};
template <template <class...> class Make, class A, class B>
struct apply_make<Make, Types<A, B>> {
    using type = Make<A, B>;
};
template <template <class...> class Make, class A, class B, class C>
struct apply_make<Make, Types<A, B, C>> {
    using type = Make<A, B, C>;
};
template <template <class...> class Make, class A, class B, class C, class D>
struct apply_make<Make, Types<A, B, C, D>> {
    using type = Make<A, B, C, D>;
};
template <template <class...> class Make, class A, class B, class C, class D, class E>
struct apply_make<Make, Types<A, B, C, D, E>> {
    using type = Make<A, B, C, D, E>;
};

template <template <class...> class Make, class... Axes>
struct product {
    static_assert(sizeof...(Axes) >= 1 && sizeof...(Axes) <= 5,
                  "latent::product_t: give one to five axes (Values<...> or Types<...>)");
    static constexpr std::size_t axes = sizeof...(Axes);
    static constexpr std::array<std::size_t, axes> sizes{axis_types<Axes>::type::size...};
    static constexpr std::size_t count = (axis_types<Axes>::type::size * ... * 1);
    /// Combination I's index on axis K: the last axis varies fastest.
    static constexpr std::size_t coordinate(std::size_t i, std::size_t k) {
        for (std::size_t j = axes; j-- > k + 1;) i /= sizes[j];
        return i % sizes[k];
    }
    template <std::size_t I, std::size_t... K>
    static auto member(std::index_sequence<K...>)
        -> apply_make<Make, Types<typename axis_types<Axes>::type::template member<coordinate(I, K)>...>>;
    template <std::size_t... I>
    static auto all(std::index_sequence<I...>)
        -> Family<typename decltype(member<I>(std::make_index_sequence<axes>{}))::type...>;
    using type = decltype(all(std::make_index_sequence<count>{}));
};

template <class F, class Predicate>
struct filter;
template <class... Models, class Predicate>
struct filter<Family<Models...>, Predicate> {
    static constexpr std::array<bool, sizeof...(Models)> keep{Predicate::template value<Models>...};
    static constexpr std::size_t count = std::size_t(std::count(keep.begin(), keep.end(), true));
    static constexpr std::array<std::size_t, count> kept = [] {
        std::array<std::size_t, count> indices{};
        std::size_t j = 0;
        for (std::size_t i = 0; i < keep.size(); ++i)
            if (keep[i]) indices[j++] = i;
        return indices;
    }();
    template <std::size_t... J>
    static auto pick(std::index_sequence<J...>) -> Family<typename Family<Models...>::template member<kept[J]>...>;
    using type = decltype(pick(std::make_index_sequence<count>{}));
};

template <class F, class Key>
struct sort_by;
template <class... Models, class Key>
struct sort_by<Family<Models...>, Key> {
    static constexpr std::size_t n = sizeof...(Models);
    /// The members' indices by ascending key, equal keys in the family's order (an insertion sort: families
    /// are small).
    static constexpr std::array<std::size_t, n> order = [] {
        constexpr std::array<std::size_t, n> keys{Key::template value<Models>...};
        std::array<std::size_t, n> indices{};
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t j = i;
            for (; j > 0 && keys[indices[j - 1]] > keys[i]; --j) indices[j] = indices[j - 1];
            indices[j] = i;
        }
        return indices;
    }();
    template <std::size_t... J>
    static auto pick(std::index_sequence<J...>) -> Family<typename Family<Models...>::template member<order[J]>...>;
    using type = decltype(pick(std::make_index_sequence<n>{}));
};

}  // namespace detail

/// Every combination of the axes' entries, each made into a member by Make, the last axis varying fastest:
/// product_t<Make, Values<2, 8>, Types<ReLU, Tanh>> is Family<Make<integral_constant<int, 2>, ReLU>,
/// Make<..2.., Tanh>, Make<..8.., ReLU>, Make<..8.., Tanh>>. Make may be an alias template.
template <template <class...> class Make, class... Axes>
using product_t = typename detail::product<Make, Axes...>::type;

/// The members of family F that Predicate keeps, in F's order: filter_t<F, Below<ParameterCount, 250'000>>.
template <class F, class Predicate>
using filter_t = typename detail::filter<F, Predicate>::type;

/// The members of family F by ascending Key, equal keys in F's order: sort_by_t<F, FlopsPerSample>.
template <class F, class Key>
using sort_by_t = typename detail::sort_by<F, Key>::type;

}  // namespace latent
