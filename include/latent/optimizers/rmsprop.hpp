#pragma once
// RMSProp, as torch.optim.RMSprop (with its optional momentum and centring).

#include "latent/core/matrix.hpp"
#include "latent/optimizers/optimizer.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace latent {

struct RMSPropOptions {
    double learning_rate = 1e-2;
    double alpha = 0.99;  ///< smoothing of the squared-gradient average
    double epsilon = 1e-8;
    double weight_decay = 0;
    double momentum = 0;
    bool centered = false;
};

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
    }

    /// requires: prepare(parameters.size()) was called; gradients.size() == parameters.size().
    void step(std::span<Scalar> parameters, std::span<const Scalar> gradients) {
        detail::check_step_sizes("RMSProp", square_average_.size(), parameters.size(), gradients.size());
        using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
        const auto n = Eigen::Index(parameters.size());
        Eigen::Map<Array> p(parameters.data(), n), square_average(square_average_.data(), n);
        const Eigen::Map<const Array> raw_gradient(gradients.data(), n);
        const auto g = raw_gradient + Scalar(options_.weight_decay) * p;
        const Scalar alpha = Scalar(options_.alpha), one_minus_alpha = Scalar(1 - options_.alpha);
        const Scalar epsilon = Scalar(options_.epsilon), lr = Scalar(options_.learning_rate);

        square_average = square_average * alpha + (one_minus_alpha * g) * g;
        if (options_.centered) {
            Eigen::Map<Array> gradient_average(gradient_average_.data(), n);
            gradient_average = gradient_average * alpha + one_minus_alpha * g;
            update(p, g, (square_average - gradient_average * gradient_average).sqrt() + epsilon, lr);
        } else {
            update(p, g, square_average.sqrt() + epsilon, lr);
        }
    }

    double learning_rate() const noexcept { return options_.learning_rate; }
    void set_learning_rate(double rate) {
        detail::check_learning_rate("RMSProp", rate);
        options_.learning_rate = rate;
    }
    const RMSPropOptions& options() const noexcept { return options_; }

private:
    template <class P, class G, class Average>
    void update(P& p, const G& g, const Average& average, Scalar lr) {
        if (options_.momentum > 0) {
            using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
            Eigen::Map<Array> velocity(velocity_.data(), p.size());
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
};

}  // namespace latent
