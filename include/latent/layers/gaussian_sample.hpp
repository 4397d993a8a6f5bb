#pragma once
// The reparameterisation of a variational autoencoder: from a layer that outputs a mean and a
// log-variance per latent unit, draw z = mean + eps * exp(logvar / 2), eps ~ N(0, 1), so that the
// sampling stays differentiable. In inference (encode) it returns the mean.

#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace latent {

/// Input: 2 x Latent values per sample, the means then the log-variances (a Dense<In, 2 * Latent>
/// before it is the two heads of the tutorials' fc21/fc22). Output: Latent values. No parameters.
template <std::size_t Latent>
struct GaussianSample {
    static_assert(Latent > 0, "latent::GaussianSample: the latent size must be at least 1");

    using input_shape = Shape<2 * Latent>;
    using output_shape = Shape<Latent>;
    static constexpr std::size_t latent_size = Latent;
    static constexpr std::size_t parameter_count = 0;
    static constexpr std::size_t flops_per_sample = 4 * Latent;  // exp, two multiplies, an add

    static std::string kind() { return "GaussianSample"; }
    static std::string name() { return "GaussianSample<" + std::to_string(Latent) + ">"; }

    template <class S>
    static void initialize(std::span<S>, Rng&) {}
};

}  // namespace latent
