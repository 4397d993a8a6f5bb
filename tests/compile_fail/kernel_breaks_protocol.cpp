// expect: latent: this layer's kernel does not follow the host kernel protocol
// A user's layer whose CPU kernel has a forward and no backward.
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

template <>
struct latent::Kernel<latent::backend::cpu, Scale> {
    struct State {
        explicit State(std::size_t) {}
    };
    static void forward(const float* p, ConstMatrixView<float> x, MatrixView<float> y, MatrixView<float>*, State&,
                        PassContext&) {
        y = x * p[0];
    }
};

using Encoder = latent::Sequential<latent::Dense<4, 4>, Scale>;
using Decoder = latent::Sequential<latent::Dense<4, 4>>;

int main() {
    latent::Autoencoder<Encoder, Decoder> model;
    latent::Matrix<float> x = latent::Matrix<float>::Zero(4, 2);
    return int(model.reconstruct(x).sum());
}
