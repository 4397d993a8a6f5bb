#pragma once
// RMSProp, as torch.optim.RMSprop (with its optional momentum and centring).

#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"
#include "latent/optimizers/optimizer.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

namespace latent {

/// RMSProp's hyper-parameters, with torch.optim.RMSprop's meaning.
struct RMSPropOptions {
    double learning_rate = 1e-2;
    double alpha = 0.99;  ///< smoothing of the squared-gradient average
    double epsilon = 1e-8;
    double weight_decay = 0;
    double momentum = 0;
    bool centered = false;
};

/// RMSProp (optionally with momentum, optionally centred), as torch.optim.RMSprop.
template <class Scalar = float>
class RMSProp {
public:
    using scalar = Scalar;
    static std::string name() { return "RMSProp"; }

    explicit RMSProp(const RMSPropOptions& options = {}) : options_{options} {
        detail::check_learning_rate("RMSProp", options.learning_rate);
        detail::require_hyperparameter(options.alpha >= 0 && options.alpha <= 1, "RMSProp", "alpha", "in [0, 1]",
                                       options.alpha);
        detail::require_hyperparameter(is_finite(options.epsilon) && options.epsilon >= 0, "RMSProp", "epsilon",
                                       "to be finite and >= 0", options.epsilon);
        detail::check_weight_decay("RMSProp", options.weight_decay);
        detail::require_hyperparameter(is_finite(options.momentum) && options.momentum >= 0, "RMSProp", "momentum",
                                       "to be finite and >= 0", options.momentum);
    }

    void prepare(std::size_t parameter_count) {
        if (square_average_.size() == parameter_count) return;  // keep the state of an earlier fit()
        square_average_ = detail::AlignedBuffer<Scalar>(parameter_count);
        gradient_average_ = detail::AlignedBuffer<Scalar>(options_.centered ? parameter_count : 0);
        velocity_ = detail::AlignedBuffer<Scalar>(options_.momentum > 0 ? parameter_count : 0);
        steps_ = 0;
    }

    /// requires: prepare(parameters.size()) was called; gradients.size() == parameters.size().
    void step(std::span<Scalar> parameters, std::span<const Scalar> gradients) {
        detail::check_step_sizes("RMSProp", square_average_.size(), parameters.size(), gradients.size());
        const Scalar alpha = Scalar(options_.alpha), one_minus_alpha = Scalar(1 - options_.alpha);
        const Scalar epsilon = Scalar(options_.epsilon), lr = Scalar(options_.learning_rate);
        const Scalar weight_decay = Scalar(options_.weight_decay);
        ++steps_;
        // Parts of whole vectors from aligned starts (see Adam): each element is computed the same way
        // whatever the thread count.
        detail::parallel_ranges(parameters.size(), 64, 16384, [&](std::size_t first, std::size_t end) {
            using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
            const auto n = Eigen::Index(end - first);
            Eigen::Map<Array> p(parameters.data() + first, n), square_average(square_average_.data() + first, n);
            const Eigen::Map<const Array> raw_gradient(gradients.data() + first, n);
            const auto g = raw_gradient + weight_decay * p;
            square_average = square_average * alpha + (one_minus_alpha * g) * g;
            if (options_.centered) {
                Eigen::Map<Array> gradient_average(gradient_average_.data() + first, n);
                gradient_average = gradient_average * alpha + one_minus_alpha * g;
                update(p, g, (square_average - gradient_average * gradient_average).sqrt() + epsilon, lr, first);
            } else {
                update(p, g, square_average.sqrt() + epsilon, lr, first);
            }
        });
    }

    double learning_rate() const noexcept { return options_.learning_rate; }
    void set_learning_rate(double rate) {
        detail::check_learning_rate("RMSProp", rate);
        options_.learning_rate = rate;
    }
    const RMSPropOptions& options() const noexcept { return options_; }
    /// Steps taken since prepare() sized the state.
    std::size_t steps() const noexcept { return steps_; }

    /// The averages, velocity, step count and learning rate (see StatefulOptimizer).
    void save_state(OptimizerState<Scalar>& into) const {
        into.settings = settings();
        into.learning_rate = options_.learning_rate;
        into.steps = steps_;
        detail::save_buffers<Scalar>(into, {square_average_.span(), gradient_average_.span(), velocity_.span()});
    }
    /// throws: argument_error for the state of other settings or another parameter count; nothing changes then.
    void restore_state(const OptimizerState<Scalar>& state) {
        detail::check_restorable("RMSProp", settings(), state,
                                 {square_average_.size(), gradient_average_.size(), velocity_.size()});
        set_learning_rate(state.learning_rate);
        std::ranges::copy(state.buffers[0], square_average_.begin());
        std::ranges::copy(state.buffers[1], gradient_average_.begin());
        std::ranges::copy(state.buffers[2], velocity_.begin());
        steps_ = std::size_t(state.steps);
    }

private:
    std::string settings() const {
        return detail::optimizer_settings("RMSProp", {{"alpha", options_.alpha}, {"epsilon", options_.epsilon},
                                                      {"weight_decay", options_.weight_decay},
                                                      {"momentum", options_.momentum},
                                                      {"centered", options_.centered ? 1.0 : 0.0}});
    }

    /// The update of the parameters p, which start at index `first`.
    template <class P, class G, class Average>
    void update(P& p, const G& g, const Average& average, Scalar lr, std::size_t first) {
        if (options_.momentum > 0) {
            using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
            Eigen::Map<Array> velocity(velocity_.data() + first, p.size());
            velocity = velocity * Scalar(options_.momentum) + g / average;
            p -= lr * velocity;
        } else {
            p += (-lr * g) / average;
        }
    }

    RMSPropOptions options_;
    detail::AlignedBuffer<Scalar> square_average_;
    detail::AlignedBuffer<Scalar> gradient_average_;
    detail::AlignedBuffer<Scalar> velocity_;
    std::size_t steps_ = 0;
};

}  // namespace latent
