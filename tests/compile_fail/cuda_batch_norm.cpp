// expect: latent: this layer has no implementation on this backend
// expect: Kernel<latent::backend::basic_cuda<true>, latent::Bound<latent::BatchNorm<
// BatchNorm on the cuda backend, which has no BatchNorm kernel (in a build with latent::cuda).
#define LATENT_WITH_CUDA 1
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<8, 4, latent::ReLU>, latent::BatchNorm<>>;
using Decoder = latent::Sequential<latent::Dense<4, 8, latent::Sigmoid>>;

int main() {
    const latent::Autoencoder<Encoder, Decoder, latent::backend::cuda> model;
    const latent::Matrix<float> x = latent::Matrix<float>::Zero(8, 1);
    return int(model.reconstruct(x).size());
}
