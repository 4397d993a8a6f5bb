#pragma once
// What every layer type provides: its shapes, its parameter count and its cost, all at compile time.
// Layer types are descriptions; the arithmetic lives in a backend's Kernel for that layer.
// Image layers are written as specs (Conv2D<32, 3, ReLU>, MaxPool2D<2>) that do not repeat the shape
// flowing into them: Sequential binds each to that shape as Bound<Spec, InputShape>, a Layer.

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

/// A layer spec: a layer that takes its input shape from the layer before it. It gives its name and
/// kind, and `fits<In>`, whether it accepts input shape In; `check<In>()` static_asserts that with a
/// message naming the spec and In; `bound_to<In>` is everything else a Layer has, for that input.
template <class S>
concept LayerSpec = requires {
    { S::name() } -> std::convertible_to<std::string>;
    { S::kind() } -> std::convertible_to<std::string>;
    { S::template fits<Shape<1, 1, 1>> } -> std::convertible_to<bool>;
    { S::template check<Shape<1, 1, 1>>() } -> std::convertible_to<bool>;
};

/// Spec bound to the shape In that flows into it: the Layer that Sequential lists, and the type a
/// backend's Kernel is specialised on (Kernel<cpu, Bound<Conv2D<...>, Shape<C, H, W>>>).
template <LayerSpec Spec, ShapeType In>
struct Bound : Spec::template bound_to<In> {
    using spec = Spec;
    using input_shape = In;
    static std::string name() { return Spec::name(); }
    static std::string kind() { return Spec::kind(); }
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

/// How many buffers a layer (or a model) has: non-trainable state saved with it, such as BatchNorm's
/// running statistics (PyTorch's buffers, Keras' non-trainable weights); 0 unless it declares
/// `buffer_count` (then its kernel's forward also takes a pointer to them, after the parameters).
template <class L>
inline constexpr std::size_t buffer_count_of = 0;
template <class L>
    requires requires { L::buffer_count; }
inline constexpr std::size_t buffer_count_of<L> = L::buffer_count;

/// The fewest samples a training batch of a layer or model may hold: 1 unless it declares
/// `min_training_batch` (a BatchNorm of a flat input needs 2 to have a variance).
template <class L>
inline constexpr std::size_t min_training_batch_of = 1;
template <class L>
    requires requires { L::min_training_batch; }
inline constexpr std::size_t min_training_batch_of<L> = L::min_training_batch;

}  // namespace latent
