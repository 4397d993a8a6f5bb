// expect: latent safetensors: a Conv2D with padding same and an odd kernel size minus stride
// expect: Conv2D<4, 2
// A 2 x 2 convolution with padding same pads one row and column after and none before: nn.Conv2d cannot.
#include <latent/io/safetensors.hpp>
#include <latent/latent.hpp>

using Net = latent::Sequential<latent::Input<1, 4, 4>, latent::Conv2D<4, 2>>;

int main() {
    const latent::Model<Net> model;
    latent::save_safetensors(model, "even_kernel.safetensors");
}
