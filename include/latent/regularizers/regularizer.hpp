#pragma once
// Regularizers are extra terms of an autoencoder's objective, named in its type
// (Autoencoder<Encoder, Decoder, Backend, Regularizers...>) so that they are part of its signature.
// Activity regularizers penalise the output of one layer (sparse codes, the VAE's KL term) and add
// their gradient there during the backward pass; parameter regularizers (contractive) add theirs to
// the parameter gradients after it.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"

#include <concepts>
#include <cstddef>
#include <string>

namespace latent {

/// A penalty on the output h of network layer `layer` (the encoder's layers come first): apply(h, dh)
/// returns its value (a mean over the samples) and, when dh is given, adds dPenalty/dh to it.
template <class R>
concept ActivityRegularizer = requires(const R& r, ConstMatrixView<float> h, MatrixView<float>* dh) {
    { R::layer } -> std::convertible_to<std::size_t>;
    { R::name() } -> std::convertible_to<std::string>;
    { r.apply(h, dh) } -> std::same_as<float>;
    r.validate();
};

/// A penalty computed from the parameters and the pass (see Contractive): apply<Encoder>(parameters, h, dz,
/// gradients) reads the first layer's parameters and outputs h, and gives its gradient with respect to that
/// layer's pre-activations in dz, which the model carries through the layer's kernel.
template <class R>
concept ParameterRegularizer = requires { typename R::parameter_regularizer_tag; };

/// An extra term of an autoencoder's objective: an ActivityRegularizer or a ParameterRegularizer.
template <class R>
concept Regularizer = ActivityRegularizer<R> || ParameterRegularizer<R>;

namespace detail {
inline void check_weight(const char* regularizer, double weight) {
    if (!(is_finite(weight) && weight >= 0))
        throw argument_error(std::string("latent::") + regularizer + ": expected weight to be finite and >= 0, found " +
                             std::to_string(weight));
}
}  // namespace detail
}  // namespace latent
