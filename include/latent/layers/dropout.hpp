#pragma once
// Dropout: in training passes each value is zeroed with probability Rate and the others scaled by
// 1 / (1 - Rate), so that the expected output is the input; in inference and evaluation (validation)
// passes it is the identity, as PyTorch's model.eval() and Keras' inference mode. A spec: it keeps the
// shape flowing in.

#include "latent/core/shape.hpp"
#include "latent/layers/layer.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace latent {

/// Drops each value with probability RateNumerator / RateDenominator (Dropout<25> drops a quarter) while
/// training; the identity otherwise. No parameters. A ratio because clang 14 has no floating-point
/// template parameters.
template <std::uint64_t RateNumerator, std::uint64_t RateDenominator = 100>
struct Dropout {
    static_assert(RateDenominator > 0 && RateNumerator < RateDenominator,
                  "latent::Dropout: the rate must be in [0, 1): a numerator below the denominator");
    static constexpr double rate = double(RateNumerator) / double(RateDenominator);

    static std::string kind() { return "Dropout"; }
    /// "Dropout<25>" or "Dropout<1, 3>".
    static std::string name() {
        std::string text = "Dropout<" + std::to_string(RateNumerator);
        if (RateDenominator != 100) text += ", " + std::to_string(RateDenominator);
        text += '>';
        return text;
    }

    template <class In>
    static constexpr bool fits = true;
    template <class In>
    static constexpr bool check() {
        return true;
    }

    /// The layer for input In (see Bound).
    template <class In>
    struct bound_to {
        using output_shape = In;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops_per_sample = In::size;
        template <class S>
        static void initialize(std::span<S>, Rng&) {}
    };
};

}  // namespace latent
