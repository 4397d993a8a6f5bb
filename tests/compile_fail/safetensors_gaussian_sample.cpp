// expect: latent safetensors: GaussianSample \(a VAE's sampling\) is no nn.Sequential module
// A VAE's encoder ends with GaussianSample, which has no torch.nn module to stand for it.
#include <latent/io/safetensors.hpp>
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<8, 4>, latent::GaussianSample<2>>;

int main() {
    const latent::Model<Encoder> encoder;
    latent::save_safetensors(encoder, "vae_encoder.safetensors");
}
