#pragma once
// An optimizer updates a contiguous parameter block from a gradient block of the same size; its
// state is sized once (prepare) so that a step never allocates.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"

#include <concepts>
#include <cstddef>
#include <span>
#include <string>

namespace latent {

/// step(parameters, gradients) applies one update; the learning rate can be read and changed
/// (schedules do); prepare(n) sizes the state for n parameters.
template <class O>
concept Optimizer = requires(O& optimizer, std::span<typename O::scalar> parameters,
                             std::span<const typename O::scalar> gradients) {
    { O::name() } -> std::convertible_to<std::string>;
    optimizer.prepare(std::size_t{1});
    optimizer.step(parameters, gradients);
    { optimizer.learning_rate() } -> std::convertible_to<double>;
    optimizer.set_learning_rate(1.0);
};

namespace detail {

inline void require_hyperparameter(bool valid, const char* optimizer, const char* name, const char* expected,
                                   double found) {
    if (!valid)
        throw argument_error(std::string("latent::") + optimizer + ": expected " + name + " " + expected + ", found " +
                             std::to_string(found));
}

inline void check_learning_rate(const char* optimizer, double learning_rate) {
    require_hyperparameter(is_finite(learning_rate) && learning_rate >= 0, optimizer, "learning_rate",
                           "to be finite and >= 0", learning_rate);
}

inline void check_weight_decay(const char* optimizer, double weight_decay) {
    require_hyperparameter(is_finite(weight_decay) && weight_decay >= 0, optimizer, "weight_decay",
                           "to be finite and >= 0", weight_decay);
}

inline void check_step_sizes(const char* optimizer, std::size_t prepared, std::size_t parameters,
                             std::size_t gradients) {
    if (parameters != prepared || gradients != prepared)
        throw argument_error(std::string("latent::") + optimizer + "::step: expected " + std::to_string(prepared) +
                             " parameters and gradients (the size given to prepare), found " +
                             std::to_string(parameters) + " parameters and " + std::to_string(gradients) +
                             " gradients");
}

}  // namespace detail
}  // namespace latent
