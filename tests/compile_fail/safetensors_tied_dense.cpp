// expect: latent safetensors: TiedDense uses its twin's weight, which a torch state_dict cannot share
// expect: TiedDense<
// A tied autoencoder (Mirror) has no torch state_dict: one tensor would belong to two nn.Linear modules.
#include <latent/io/safetensors.hpp>
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<8, 4, latent::Sigmoid>>;

int main() {
    const latent::Autoencoder<Encoder, latent::Mirror<Encoder>> model;
    latent::save_safetensors(model, "tied.safetensors");
}
