#pragma once
// Weight initialisation schemes for layers with a fan-in and a fan-out.

#include "latent/core/rng.hpp"

#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>

namespace latent::init {

/// PyTorch's nn.Linear / nn.Conv2d default: kaiming_uniform(a = sqrt 5) for weights, which is
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for biases. The default, so that
/// losses can be compared with PyTorch's.
struct TorchDefault {
    static std::string name() { return "torch_default"; }
    template <class S>
    static void fill(std::span<S> weights, std::span<S> biases, std::size_t fan_in, std::size_t, Rng& rng) {
        const double bound = 1.0 / std::sqrt(double(fan_in));
        for (S& w : weights) w = S(rng.uniform(-bound, bound));
        for (S& b : biases) b = S(rng.uniform(-bound, bound));
    }
};

/// Glorot/Xavier uniform (Keras' default): U(+-sqrt(6 / (fan_in + fan_out))), zero biases.
struct GlorotUniform {
    static std::string name() { return "glorot_uniform"; }
    template <class S>
    static void fill(std::span<S> weights, std::span<S> biases, std::size_t fan_in, std::size_t fan_out, Rng& rng) {
        const double bound = std::sqrt(6.0 / double(fan_in + fan_out));
        for (S& w : weights) w = S(rng.uniform(-bound, bound));
        for (S& b : biases) b = S(0);
    }
};

/// Glorot/Xavier normal: N(0, 2 / (fan_in + fan_out)), zero biases.
struct GlorotNormal {
    static std::string name() { return "glorot_normal"; }
    template <class S>
    static void fill(std::span<S> weights, std::span<S> biases, std::size_t fan_in, std::size_t fan_out, Rng& rng) {
        const double stddev = std::sqrt(2.0 / double(fan_in + fan_out));
        for (S& w : weights) w = S(stddev * rng.normal());
        for (S& b : biases) b = S(0);
    }
};

/// He/Kaiming uniform for ReLU layers: U(+-sqrt(6 / fan_in)), zero biases.
struct HeUniform {
    static std::string name() { return "he_uniform"; }
    template <class S>
    static void fill(std::span<S> weights, std::span<S> biases, std::size_t fan_in, std::size_t, Rng& rng) {
        const double bound = std::sqrt(6.0 / double(fan_in));
        for (S& w : weights) w = S(rng.uniform(-bound, bound));
        for (S& b : biases) b = S(0);
    }
};

/// He/Kaiming normal for ReLU layers: N(0, 2 / fan_in), zero biases.
struct HeNormal {
    static std::string name() { return "he_normal"; }
    template <class S>
    static void fill(std::span<S> weights, std::span<S> biases, std::size_t fan_in, std::size_t, Rng& rng) {
        const double stddev = std::sqrt(2.0 / double(fan_in));
        for (S& w : weights) w = S(stddev * rng.normal());
        for (S& b : biases) b = S(0);
    }
};

}  // namespace latent::init

namespace latent {

/// A scheme that fills a layer's weights and biases from its fan-in and fan-out.
template <class I>
concept Initializer = requires(std::span<float> w, Rng& rng) {
    { I::name() } -> std::convertible_to<std::string>;
    I::fill(w, w, std::size_t{1}, std::size_t{1}, rng);
};

}  // namespace latent
