// expect: latent::backend::cuda: this optimizer has no implementation on the cuda backend \(Adam, AdamW and SGD have\)
// RMSProp on the cuda backend, whose training loop has update kernels for Adam, AdamW and SGD only.
#define LATENT_WITH_CUDA 1
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<8, 4, latent::ReLU>>;
using Decoder = latent::Sequential<latent::Dense<4, 8, latent::Sigmoid>>;

int main() {
    latent::Autoencoder<Encoder, Decoder, latent::backend::cuda> model;
    latent::Trainer trainer(model, latent::RMSProp<float>{}, latent::MSE{});
    const latent::Dataset<float> data(std::vector<float>(8 * 4, 0.5f), 1, 8, {}, 1.0);
    return int(trainer.fit(data, {.epochs = 1, .batch_size = 2}).epochs.size());
}
