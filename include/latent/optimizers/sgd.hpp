#pragma once
// Stochastic gradient descent with momentum, Nesterov momentum and weight decay, as torch.optim.SGD.

#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"
#include "latent/optimizers/optimizer.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

namespace latent {

/// SGD's hyper-parameters, with torch.optim.SGD's meaning.
struct SGDOptions {
    double learning_rate = 1e-2;
    double momentum = 0;
    double dampening = 0;
    double weight_decay = 0;
    bool nesterov = false;
};

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay, as torch.optim.SGD.
template <class Scalar = float>
class SGD {
public:
    using scalar = Scalar;
    static std::string name() { return "SGD"; }

    explicit SGD(const SGDOptions& options = {}) : options_{options} {
        detail::check_learning_rate("SGD", options.learning_rate);
        detail::require_hyperparameter(is_finite(options.momentum) && options.momentum >= 0, "SGD", "momentum",
                                       "to be finite and >= 0", options.momentum);
        detail::require_hyperparameter(is_finite(options.dampening), "SGD", "dampening", "to be finite",
                                       options.dampening);
        detail::check_weight_decay("SGD", options.weight_decay);
        if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
            throw argument_error("latent::SGD: Nesterov momentum expects momentum > 0 and dampening 0, found momentum " +
                                 std::to_string(options.momentum) + " and dampening " +
                                 std::to_string(options.dampening));
    }

    void prepare(std::size_t parameter_count) {
        if (prepared_ == parameter_count) return;  // keep the momentum of an earlier fit()
        velocity_ = detail::AlignedBuffer<Scalar>(options_.momentum != 0 ? parameter_count : 0);
        prepared_ = parameter_count;
        steps_ = 0;
    }

    /// requires: prepare(parameters.size()) was called; gradients.size() == parameters.size().
    void step(std::span<Scalar> parameters, std::span<const Scalar> gradients) {
        detail::check_step_sizes("SGD", prepared_, parameters.size(), gradients.size());
        const Scalar lr = Scalar(options_.learning_rate), weight_decay = Scalar(options_.weight_decay);
        const Scalar momentum = Scalar(options_.momentum), damped = Scalar(1 - options_.dampening);
        const bool first_step = steps_++ == 0;
        // Parts of whole vectors from aligned starts (see Adam): each element is computed the same way
        // whatever the thread count.
        detail::parallel_ranges(parameters.size(), 64, 16384, [&](std::size_t first, std::size_t end) {
            using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
            const auto n = Eigen::Index(end - first);
            Eigen::Map<Array> p(parameters.data() + first, n);
            const Eigen::Map<const Array> g(gradients.data() + first, n);
            const auto d = g + weight_decay * p;  // weight_decay 0 adds exact zeros
            if (options_.momentum == 0) {
                p -= lr * d;
                return;
            }
            Eigen::Map<Array> velocity(velocity_.data() + first, n);
            // PyTorch starts the buffer at the first gradient, without dampening.
            if (first_step)
                velocity = d;
            else
                velocity = velocity * momentum + damped * d;
            if (options_.nesterov)
                p -= lr * (d + momentum * velocity);
            else
                p -= lr * velocity;
        });
    }

    double learning_rate() const noexcept { return options_.learning_rate; }
    void set_learning_rate(double rate) {
        detail::check_learning_rate("SGD", rate);
        options_.learning_rate = rate;
    }
    const SGDOptions& options() const noexcept { return options_; }
    /// Steps taken since prepare() sized the state.
    std::size_t steps() const noexcept { return steps_; }

    /// The velocity, step count and learning rate (see StatefulOptimizer).
    void save_state(OptimizerState<Scalar>& into) const {
        into.settings = settings();
        into.learning_rate = options_.learning_rate;
        into.steps = steps_;
        detail::save_buffers<Scalar>(into, {velocity_.span()});
    }
    /// throws: argument_error for the state of other settings or another parameter count; nothing changes then.
    void restore_state(const OptimizerState<Scalar>& state) {
        detail::check_restorable("SGD", settings(), state, {velocity_.size()});
        set_learning_rate(state.learning_rate);
        std::ranges::copy(state.buffers[0], velocity_.begin());
        steps_ = std::size_t(state.steps);
    }

private:
    std::string settings() const {
        return detail::optimizer_settings("SGD", {{"momentum", options_.momentum}, {"dampening", options_.dampening},
                                                  {"weight_decay", options_.weight_decay},
                                                  {"nesterov", options_.nesterov ? 1.0 : 0.0}});
    }

    SGDOptions options_;
    detail::AlignedBuffer<Scalar> velocity_;
    std::size_t prepared_ = 0;
    std::size_t steps_ = 0;  // the velocity holds a gradient once this is above 0
};

}  // namespace latent
