// expect: latent: this layer has no implementation on this backend
// expect: Kernel<latent::backend::basic_cpu<float>, Scale>
// A user's layer type with no arithmetic for the CPU backend.
#include <latent/latent.hpp>

struct Scale {
    using input_shape = latent::Shape<4>;
    using output_shape = latent::Shape<4>;
    static constexpr std::size_t parameter_count = 1;
    static constexpr std::size_t flops_per_sample = 4;
    static std::string kind() { return "Scale"; }
    static std::string name() { return "Scale"; }
    template <class S>
    static void initialize(std::span<S> parameters, latent::Rng&) { parameters[0] = S(1); }
};

using Encoder = latent::Sequential<latent::Dense<4, 4>, Scale>;
using Decoder = latent::Sequential<latent::Dense<4, 4>>;

int main() {
    const latent::Autoencoder<Encoder, Decoder> model;
    const latent::Matrix<float> x = latent::Matrix<float>::Zero(4, 1);
    return int(model.reconstruct(x).size());
}
