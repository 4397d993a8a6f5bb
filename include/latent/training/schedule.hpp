#pragma once
// Learning-rate schedules: callables that give the rate for a 0-based epoch from the base rate.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"

#include <cmath>
#include <cstddef>
#include <functional>
#include <numbers>
#include <string>

namespace latent {

/// Any callable double(std::size_t epoch, double base_rate) is a schedule; these are the usual ones.
using Schedule = std::function<double(std::size_t epoch, double base_rate)>;

namespace schedule {

namespace detail {
// The schedules are aggregates (StepDecay{.step_size = 2}), so their settings are checked when used.
inline void require(bool valid, const char* schedule, const char* name, const char* expected, double found) {
    if (!valid)
        throw argument_error(std::string("latent::schedule::") + schedule + ": expected " + name + " " + expected +
                             ", found " + std::to_string(found));
}
inline void require_gamma(const char* schedule, double gamma) {
    require(is_finite(gamma) && gamma >= 0, schedule, "gamma", "to be finite and >= 0", gamma);
}
}  // namespace detail

/// The base rate throughout.
struct Constant {
    double operator()(std::size_t, double base_rate) const { return base_rate; }
};

/// Multiplies the rate by gamma every step_size epochs (torch.optim.lr_scheduler.StepLR).
struct StepDecay {
    std::size_t step_size = 10;
    double gamma = 0.1;
    /// throws: argument_error when step_size is 0 or gamma is negative or not finite.
    double operator()(std::size_t epoch, double base_rate) const {
        detail::require(step_size > 0, "StepDecay", "step_size", ">= 1", double(step_size));
        detail::require_gamma("StepDecay", gamma);
        return base_rate * std::pow(gamma, double(epoch / step_size));
    }
};

/// Multiplies the rate by gamma every epoch (ExponentialLR).
struct ExponentialDecay {
    double gamma = 0.95;
    /// throws: argument_error when gamma is negative or not finite.
    double operator()(std::size_t epoch, double base_rate) const {
        detail::require_gamma("ExponentialDecay", gamma);
        return base_rate * std::pow(gamma, double(epoch));
    }
};

/// Cosine annealing from the base rate to min_rate over period epochs (CosineAnnealingLR, one half-cycle).
struct CosineAnnealing {
    std::size_t period = 10;
    double min_rate = 0;
    /// throws: argument_error when period is 0 or min_rate is negative or not finite.
    double operator()(std::size_t epoch, double base_rate) const {
        detail::require(period > 0, "CosineAnnealing", "period", ">= 1", double(period));
        detail::require(is_finite(min_rate) && min_rate >= 0, "CosineAnnealing", "min_rate", "to be finite and >= 0",
                        min_rate);
        const double t = double(epoch < period ? epoch : period) / double(period);
        return min_rate + (base_rate - min_rate) * 0.5 * (1 + std::cos(std::numbers::pi * t));
    }
};

}  // namespace schedule
}  // namespace latent
