// expect: latent::Autoencoder: regularizers \(sparse, contractive, variational\) have no implementation on this backend yet \(the GPU.s
// A sparse autoencoder on the cuda backend.
#define LATENT_WITH_CUDA 1
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<8, 4, latent::Sigmoid>>;
using Decoder = latent::Sequential<latent::Dense<4, 8, latent::Sigmoid>>;

int main() {
    const latent::Autoencoder<Encoder, Decoder, latent::backend::cuda, latent::KLSparsity<0>> model;
    return int(model.parameter_count);
}
