#pragma once
// Dense (fully connected) layer: y = activation(W x + b), W of Out x In.

#include "latent/layers/activations.hpp"
#include "latent/layers/initializers.hpp"
#include "latent/layers/layer.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace latent {

/// In inputs, Out outputs, an element-wise Activation, and an Initializer (PyTorch's nn.Linear default).
/// Parameters are laid out as W (Out x In, column-major) followed by b (Out).
template <std::size_t In, std::size_t Out, Activation Act = Identity, Initializer Init = init::TorchDefault>
struct Dense {
    static_assert(In > 0 && Out > 0, "latent::Dense: input and output sizes must be at least 1");

    using input_shape = Shape<In>;
    using output_shape = Shape<Out>;
    using activation = Act;
    using initializer = Init;

    static constexpr std::size_t inputs = In;
    static constexpr std::size_t outputs = Out;
    static constexpr std::size_t weight_count = In * Out;
    static constexpr std::size_t bias_offset = weight_count;
    static constexpr std::size_t parameter_count = weight_count + Out;
    /// Multiply-adds of W x count twice; the bias adds once.
    static constexpr std::size_t flops_per_sample = 2 * In * Out + Out;

    static std::string kind() { return "Dense"; }

    /// "Dense<784, 128, ReLU>" (the initialiser is named only when it is not the default).
    static std::string name() {
        std::string text = "Dense<" + std::to_string(In) + ", " + std::to_string(Out);
        if (!std::is_same_v<Act, Identity> || !std::is_same_v<Init, init::TorchDefault>) text += ", " + Act::name();
        if (!std::is_same_v<Init, init::TorchDefault>) text += ", " + Init::name();
        return text + ">";
    }

    /// requires: parameters.size() == parameter_count.
    template <class S>
    static void initialize(std::span<S> parameters, Rng& rng) {
        Init::fill(parameters.first(weight_count), parameters.subspan(bias_offset, Out), In, Out, rng);
    }
};

}  // namespace latent
