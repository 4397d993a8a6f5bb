#pragma once
// Learning-rate schedules: callables that give the rate for a 0-based epoch from the base rate.

#include <cmath>
#include <cstddef>
#include <functional>
#include <numbers>

namespace latent {

/// Any callable double(std::size_t epoch, double base_rate) is a schedule; these are the usual ones.
using Schedule = std::function<double(std::size_t epoch, double base_rate)>;

namespace schedule {

/// The base rate throughout.
struct Constant {
    double operator()(std::size_t, double base_rate) const { return base_rate; }
};

/// Multiplies the rate by gamma every step_size epochs (torch.optim.lr_scheduler.StepLR).
struct StepDecay {
    std::size_t step_size = 10;
    double gamma = 0.1;
    double operator()(std::size_t epoch, double base_rate) const {
        return base_rate * std::pow(gamma, double(epoch / step_size));
    }
};

/// Multiplies the rate by gamma every epoch (ExponentialLR).
struct ExponentialDecay {
    double gamma = 0.95;
    double operator()(std::size_t epoch, double base_rate) const { return base_rate * std::pow(gamma, double(epoch)); }
};

/// Cosine annealing from the base rate to min_rate over period epochs (CosineAnnealingLR, one half-cycle).
struct CosineAnnealing {
    std::size_t period = 10;
    double min_rate = 0;
    double operator()(std::size_t epoch, double base_rate) const {
        const double t = double(epoch < period ? epoch : period) / double(period);
        return min_rate + (base_rate - min_rate) * 0.5 * (1 + std::cos(std::numbers::pi * t));
    }
};

}  // namespace schedule
}  // namespace latent
