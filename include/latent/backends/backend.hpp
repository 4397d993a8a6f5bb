#pragma once
// Backends are policy types: a model names one (Autoencoder<E, D, backend::cpu>) and every layer's
// arithmetic is looked up as Kernel<Backend, Layer>. A layer a backend does not implement fails to
// compile with a message that says so, instead of silently falling back.

#include "latent/core/rng.hpp"

#include <concepts>
#include <string>
#include <type_traits>

namespace latent {

/// A backend policy: the scalar type it computes in and a name for summaries. Besides, each of latent's policies
/// names what models and the trainer use without naming a backend (docs/architecture.md, "Adding a backend"):
/// `workspace<Net>` (a model's memory for a loss pass), a static `infer<Net, First, Last>(parameters, buffers,
/// x, where)`, `engine<M, O, L>` (training, backends/engine.hpp), `runs_regularizers`, and Kernel<B, Layer> for
/// every layer it computes.
template <class B>
concept Backend = requires {
    typename B::scalar;
    requires std::is_floating_point_v<typename B::scalar>;
    { B::name() } -> std::convertible_to<std::string>;
};

namespace detail {
template <class...>
inline constexpr bool always_false = false;

/// Whether backend B computes the regularizers' penalties (those that name none do).
template <class B>
inline constexpr bool runs_regularizers = [] {
    if constexpr (requires { B::runs_regularizers; })
        return bool(B::runs_regularizers);
    else
        return true;
}();

/// A workspace whose layer outputs and deltas are host matrices: the model runs its own passes over it (and its
/// regularizers read it); any other workspace computes the loss itself, ws.loss<Out>(...).
template <class W>
concept HostWorkspace = requires(W& ws, std::size_t i) {
    ws.output(i, i);
    ws.delta(i, i);
};
}

/// What a pass is for. Layers that behave differently in training (sampling, dropout) read it.
enum class PassMode {
    inference,   ///< encode / decode / reconstruct: deterministic
    evaluation,  ///< a loss without gradients (validation): stochastic layers still sample
    training,    ///< a loss and its gradients
};

/// Given to every kernel's forward: the pass's mode and the generator stochastic layers draw from.
struct PassContext {
    PassMode mode = PassMode::inference;
    Rng rng{0};
};

/// The arithmetic of one layer on one backend; each backend specialises it per layer type with a
/// State (constructed from the largest batch), forward(parameters, x, y, logits, state, context) and
/// backward(parameters, x, y, dy, dy_is_logit_gradient, gradients, dx, state).
template <class Backend, class Layer>
struct Kernel {
    static_assert(detail::always_false<Backend, Layer>,
                  "latent: this layer has no implementation on this backend (see Kernel<Backend, Layer> below)");
    using unimplemented = void;  // so that the protocol checks add no second message
};

}  // namespace latent
