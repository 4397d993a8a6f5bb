#pragma once
// An optimizer updates a contiguous parameter block from a gradient block of the same size; its
// state is sized once (prepare) so that a step never allocates.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>
#include <vector>

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

/// An optimizer's state between steps, as saved in checkpoints: its learning rate, the steps it has taken
/// and its buffers (moments, velocity, averages) in its own order. `settings` names the optimizer and every
/// other hyper-parameter, which must match for a restored state to continue a run exactly.
template <class Scalar>
struct OptimizerState {
    std::string settings;
    double learning_rate = 0;
    std::uint64_t steps = 0;
    std::vector<std::vector<Scalar>> buffers;
};

/// An optimizer whose state can be saved and restored (all of latent's): what checkpoints and the trainer's
/// skip_batch policy need. save_state reuses the buffers of `into`, so that saving every step allocates
/// nothing after the first; restore_state requires prepare() with the parameter count of the saved state.
template <class O>
concept StatefulOptimizer = Optimizer<O> && requires(O& optimizer, const O& const_optimizer,
                                                     OptimizerState<typename O::scalar>& state) {
    const_optimizer.save_state(state);
    optimizer.restore_state(std::as_const(state));
};

namespace detail {

/// "Name(key=value, ...)" with each value in its shortest exact form, so that equal texts mean equal settings.
inline std::string optimizer_settings(const char* name, std::initializer_list<std::pair<const char*, double>> values) {
    std::string text = std::string(name) + "(";
    bool first = true;
    for (const auto& [key, value] : values) {
        text += first ? "" : ", ";
        text += key;
        text += '=';
        std::array<char, 32> buffer{};
        text.append(buffer.data(), std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr);
        first = false;
    }
    return text + ")";
}

/// Copies buffers into a saved state, reusing its storage.
template <class Scalar>
void save_buffers(OptimizerState<Scalar>& into, std::initializer_list<std::span<const Scalar>> buffers) {
    into.buffers.resize(buffers.size());
    std::size_t i = 0;
    for (const auto buffer : buffers) into.buffers[i++].assign(buffer.begin(), buffer.end());
}

/// Checks a saved state against this optimizer's settings and buffer sizes; throws argument_error naming both.
template <class Scalar>
void check_restorable(const char* optimizer, const std::string& settings, const OptimizerState<Scalar>& state,
                      std::initializer_list<std::size_t> sizes) {
    if (state.settings != settings)
        throw argument_error(std::string("latent::") + optimizer + "::restore_state: expected the state of " +
                             settings + ", found that of " + state.settings);
    bool fits = state.buffers.size() == sizes.size();
    std::size_t i = 0;
    for (const std::size_t size : sizes) fits = fits && state.buffers[i++].size() == size;
    if (!fits) {
        std::string expected, found;
        for (const std::size_t size : sizes) {
            if (!expected.empty()) expected += ", ";
            expected += std::to_string(size);
        }
        for (const auto& buffer : state.buffers) {
            if (!found.empty()) found += ", ";
            found += std::to_string(buffer.size());
        }
        throw argument_error(std::string("latent::") + optimizer + "::restore_state: expected buffers of " + expected +
                             " values (prepare() with the parameter count first), found " +
                             (found.empty() ? std::string("none") : found));
    }
}

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
