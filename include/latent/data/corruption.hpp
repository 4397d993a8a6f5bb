#pragma once
// Corruptions for denoising autoencoders: applied to a batch's inputs only (the targets stay clean),
// drawn from the trainer's seeded generator so that a run can be repeated exactly.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <utility>

namespace latent {

/// Adds N(0, stddev^2) to every input and clips the result to [0, 1] (the tutorials' noisy images).
struct GaussianNoise {
    double stddev = 0.3;

    std::string name() const { return "GaussianNoise(" + std::to_string(stddev) + ")"; }
    void validate() const {
        if (!(is_finite(stddev) && stddev >= 0))
            throw argument_error("latent::GaussianNoise: expected stddev to be finite and >= 0, found " +
                                 std::to_string(stddev));
    }
    template <class S>
    void operator()(MatrixView<S> x, Rng& rng) const {
        // One explicit fused multiply-add, rounded once to S: the same bits in every build.
        for (S& v : x.reshaped()) v = std::clamp(S(std::fma(stddev, rng.normal(), double(v))), S(0), S(1));
    }
};

/// Sets each input to 0 with probability `fraction` (masking noise, Vincent et al. 2008).
struct MaskingNoise {
    double fraction = 0.25;

    std::string name() const { return "MaskingNoise(" + std::to_string(fraction) + ")"; }
    void validate() const {
        if (!(fraction >= 0 && fraction <= 1))
            throw argument_error("latent::MaskingNoise: expected fraction in [0, 1], found " + std::to_string(fraction));
    }
    template <class S>
    void operator()(MatrixView<S> x, Rng& rng) const {
        for (S& v : x.reshaped())
            if (rng.uniform() < fraction) v = S(0);
    }
};

/// Sets each input, with probability `fraction`, to 0 or 1 with equal chance.
struct SaltAndPepper {
    double fraction = 0.1;

    std::string name() const { return "SaltAndPepper(" + std::to_string(fraction) + ")"; }
    void validate() const {
        if (!(fraction >= 0 && fraction <= 1))
            throw argument_error("latent::SaltAndPepper: expected fraction in [0, 1], found " + std::to_string(fraction));
    }
    template <class S>
    void operator()(MatrixView<S> x, Rng& rng) const {
        for (S& v : x.reshaped())
            if (rng.uniform() < fraction) v = rng.uniform() < 0.5 ? S(0) : S(1);
    }
};

/// Any of the corruptions above, or a user's type with the same members (validate(), name() and a
/// templated operator()(MatrixView<S>, Rng&)); empty means none.
class Corruption {
public:
    Corruption() = default;
    template <class C>
        requires requires(const C& c, MatrixView<float> f, MatrixView<double> d, Rng& rng) {
            c.validate();
            { c.name() } -> std::convertible_to<std::string>;
            c(f, rng);
            c(d, rng);
        }
    Corruption(C corruption)  // NOLINT: implicit, so that FitOptions{.corruption = GaussianNoise{0.3}} reads well
        : name_{(corruption.validate(), corruption.name())},
          apply_float_{[corruption](MatrixView<float> x, Rng& rng) { corruption(x, rng); }},
          apply_double_{[corruption](MatrixView<double> x, Rng& rng) { corruption(x, rng); }} {}

    explicit operator bool() const noexcept { return static_cast<bool>(apply_float_); }
    const std::string& name() const noexcept { return name_; }

    template <class S>
    void operator()(MatrixView<S> x, Rng& rng) const {
        if constexpr (std::is_same_v<S, float>)
            apply_float_(x, rng);
        else
            apply_double_(x, rng);
    }

private:
    std::string name_;
    std::function<void(MatrixView<float>, Rng&)> apply_float_;
    std::function<void(MatrixView<double>, Rng&)> apply_double_;
};

}  // namespace latent
