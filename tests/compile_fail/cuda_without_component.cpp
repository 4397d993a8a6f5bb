// expect: latent::backend::cuda: link the latent::cuda CMake component, which defines LATENT_WITH_CUDA
// A cuda model in a program built without latent::cuda (LATENT_WITH_CUDA undefined): refused at compile time
// rather than at link time.
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<8, 4, latent::ReLU>>;
using Decoder = latent::Sequential<latent::Dense<4, 8, latent::Sigmoid>>;

int main() {
    const latent::Autoencoder<Encoder, Decoder, latent::backend::cuda> model;
    const latent::Matrix<float> x = latent::Matrix<float>::Zero(8, 1);
    return int(model.reconstruct(x).size());
}
