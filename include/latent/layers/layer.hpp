#pragma once
// What every layer type provides: its shapes, its parameter count and its cost, all at compile time.
// Layer types are descriptions; the arithmetic lives in a backend's Kernel for that layer.

#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"
#include "latent/layers/activations.hpp"

#include <concepts>
#include <cstddef>
#include <span>
#include <string>

namespace latent {

/// A layer: input and output shapes of one sample, parameter count, forward FLOPs per sample,
/// a name for summaries and signatures, and an initialiser for its parameters.
template <class L>
concept Layer = requires(std::span<float> parameters, Rng& rng) {
    requires ShapeType<typename L::input_shape>;
    requires ShapeType<typename L::output_shape>;
    { L::parameter_count } -> std::convertible_to<std::size_t>;
    { L::flops_per_sample } -> std::convertible_to<std::size_t>;
    { L::name() } -> std::convertible_to<std::string>;
    { L::kind() } -> std::convertible_to<std::string>;
    L::initialize(parameters, rng);
};

namespace detail {
template <class L>
struct output_activation {
    using type = Identity;
};
template <class L>
    requires requires { typename L::activation; }
struct output_activation<L> {
    using type = typename L::activation;
};
}  // namespace detail

/// The element-wise function a layer ends with (Identity for layers without one).
template <class L>
using output_activation_t = typename detail::output_activation<L>::type;

}  // namespace latent
