#pragma once
// Adam and AdamW, written to match torch.optim.Adam / AdamW (PyTorch 1.13) operation for operation.

#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"
#include "latent/optimizers/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>

namespace latent {

/// Adam's and AdamW's hyper-parameters, with torch.optim's defaults.
struct AdamOptions {
    double learning_rate = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
    double weight_decay = 0;  ///< Adam: added to the gradient (coupled); AdamW: decoupled shrinkage
};

namespace detail {

template <class Scalar, bool Decoupled>
class AdamUpdate {
public:
    using scalar = Scalar;

    explicit AdamUpdate(const AdamOptions& options, const char* name) : options_{options} {
        check_learning_rate(name, options.learning_rate);
        require_hyperparameter(options.beta1 >= 0 && options.beta1 < 1, name, "beta1", "in [0, 1)", options.beta1);
        require_hyperparameter(options.beta2 >= 0 && options.beta2 < 1, name, "beta2", "in [0, 1)", options.beta2);
        require_hyperparameter(is_finite(options.epsilon) && options.epsilon >= 0, name, "epsilon",
                               "to be finite and >= 0", options.epsilon);
        check_weight_decay(name, options.weight_decay);
    }

    // State persists across calls with the same size, so a second fit() continues like Keras.
    void prepare(std::size_t parameter_count) {
        if (first_moment_.size() == parameter_count) return;
        first_moment_ = AlignedBuffer<Scalar>(parameter_count);
        second_moment_ = AlignedBuffer<Scalar>(parameter_count);
        steps_ = 0;
    }

    void step(std::span<Scalar> parameters, std::span<const Scalar> gradients, const char* name) {
        check_step_sizes(name, first_moment_.size(), parameters.size(), gradients.size());
        ++steps_;
        const double lr = options_.learning_rate;
        const double bias_correction1 = 1 - std::pow(options_.beta1, double(steps_));
        const double bias_correction2 = 1 - std::pow(options_.beta2, double(steps_));
        const Scalar step_size = Scalar(lr / bias_correction1);
        const Scalar bias_correction2_sqrt = Scalar(std::sqrt(bias_correction2));
        const Scalar beta1 = Scalar(options_.beta1), beta2 = Scalar(options_.beta2);
        const Scalar one_minus_beta1 = Scalar(1 - options_.beta1), one_minus_beta2 = Scalar(1 - options_.beta2);
        const Scalar epsilon = Scalar(options_.epsilon), weight_decay = Scalar(options_.weight_decay);
        const Scalar decay_factor = Scalar(1 - lr * options_.weight_decay);
        const bool decay = options_.weight_decay != 0;

        // One pass per contiguous part, each part a whole number of vectors from an aligned start, so every
        // element is computed the same way whatever the thread count.
        detail::parallel_ranges(parameters.size(), 64, 16384, [&](std::size_t first, std::size_t end) {
            using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
            const std::size_t at = first;
            const auto n = Eigen::Index(end - first);
            Eigen::Map<Array> p(parameters.data() + at, n), m(first_moment_.data() + at, n),
                v(second_moment_.data() + at, n);
            const Eigen::Map<const Array> g(gradients.data() + at, n);
            if constexpr (Decoupled) {
                if (decay) p *= decay_factor;
            }
            if (!Decoupled && decay) {
                m = m * beta1 + one_minus_beta1 * (g + weight_decay * p);
                v = v * beta2 + (one_minus_beta2 * (g + weight_decay * p)) * (g + weight_decay * p);
            } else {
                m = m * beta1 + one_minus_beta1 * g;
                v = v * beta2 + (one_minus_beta2 * g) * g;
            }
            p += (-step_size * m) / (v.sqrt() / bias_correction2_sqrt + epsilon);
        });
    }

    double learning_rate() const noexcept { return options_.learning_rate; }
    void set_learning_rate(double rate, const char* name) {
        check_learning_rate(name, rate);
        options_.learning_rate = rate;
    }
    const AdamOptions& options() const noexcept { return options_; }
    std::size_t steps() const noexcept { return steps_; }

    std::string settings(const char* name) const {
        return optimizer_settings(name, {{"beta1", options_.beta1}, {"beta2", options_.beta2},
                                         {"epsilon", options_.epsilon}, {"weight_decay", options_.weight_decay}});
    }
    void save_state(OptimizerState<Scalar>& into, const char* name) const {
        into.settings = settings(name);
        into.learning_rate = options_.learning_rate;
        into.steps = steps_;
        save_buffers<Scalar>(into, {first_moment_.span(), second_moment_.span()});
    }
    void restore_state(const OptimizerState<Scalar>& state, const char* name) {
        check_restorable(name, settings(name), state, {first_moment_.size(), second_moment_.size()});
        set_learning_rate(state.learning_rate, name);
        std::ranges::copy(state.buffers[0], first_moment_.begin());
        std::ranges::copy(state.buffers[1], second_moment_.begin());
        steps_ = std::size_t(state.steps);
    }

private:
    AdamOptions options_;
    AlignedBuffer<Scalar> first_moment_;
    AlignedBuffer<Scalar> second_moment_;
    std::size_t steps_ = 0;
};

}  // namespace detail

/// Adam (Kingma and Ba) with L2 weight decay added to the gradient, as torch.optim.Adam.
template <class Scalar = float>
class Adam {
public:
    using scalar = Scalar;
    static std::string name() { return "Adam"; }

    explicit Adam(const AdamOptions& options = {}) : update_{options, "Adam"} {}

    void prepare(std::size_t parameter_count) { update_.prepare(parameter_count); }
    /// requires: prepare(parameters.size()) was called; gradients.size() == parameters.size().
    void step(std::span<Scalar> parameters, std::span<const Scalar> gradients) {
        update_.step(parameters, gradients, "Adam");
    }
    double learning_rate() const noexcept { return update_.learning_rate(); }
    void set_learning_rate(double rate) { update_.set_learning_rate(rate, "Adam"); }
    const AdamOptions& options() const noexcept { return update_.options(); }
    /// Steps taken since prepare() sized the state.
    std::size_t steps() const noexcept { return update_.steps(); }
    /// The moments, step count and learning rate (see StatefulOptimizer).
    void save_state(OptimizerState<Scalar>& into) const { update_.save_state(into, "Adam"); }
    /// throws: argument_error for the state of other settings or another parameter count; nothing changes then.
    void restore_state(const OptimizerState<Scalar>& state) { update_.restore_state(state, "Adam"); }

private:
    detail::AdamUpdate<Scalar, false> update_;
};

/// AdamW (Loshchilov and Hutter): weight decay applied to the parameters, not the gradient, as
/// torch.optim.AdamW, whose default weight decay 0.01 is also the default here.
template <class Scalar = float>
class AdamW {
public:
    using scalar = Scalar;
    static std::string name() { return "AdamW"; }

    explicit AdamW(const AdamOptions& options = {.weight_decay = 1e-2}) : update_{options, "AdamW"} {}

    void prepare(std::size_t parameter_count) { update_.prepare(parameter_count); }
    void step(std::span<Scalar> parameters, std::span<const Scalar> gradients) {
        update_.step(parameters, gradients, "AdamW");
    }
    double learning_rate() const noexcept { return update_.learning_rate(); }
    void set_learning_rate(double rate) { update_.set_learning_rate(rate, "AdamW"); }
    const AdamOptions& options() const noexcept { return update_.options(); }
    /// Steps taken since prepare() sized the state.
    std::size_t steps() const noexcept { return update_.steps(); }
    /// The moments, step count and learning rate (see StatefulOptimizer).
    void save_state(OptimizerState<Scalar>& into) const { update_.save_state(into, "AdamW"); }
    /// throws: argument_error for the state of other settings or another parameter count; nothing changes then.
    void restore_state(const OptimizerState<Scalar>& state) { update_.restore_state(state, "AdamW"); }

private:
    detail::AdamUpdate<Scalar, true> update_;
};

}  // namespace latent
