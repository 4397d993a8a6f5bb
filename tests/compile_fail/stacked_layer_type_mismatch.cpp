// expect: latent::copy_layer: the pretrained layer and the layer it initialises must be the same type
// expect: pretrained_layer_must_have_the_same_type.*Dense<6, 3.*Dense<6, 4
// A pretrained 6-4 layer copied into a 6-3 layer of the deep model.
#include <latent/latent.hpp>

using Deep = latent::Autoencoder<latent::Sequential<latent::Dense<6, 3>>, latent::Sequential<latent::Dense<3, 6>>>;
using Pretrained = latent::Autoencoder<latent::Sequential<latent::Dense<6, 4>>, latent::Sequential<latent::Dense<4, 6>>>;

int main() {
    Deep deep;
    const Pretrained pretrained;
    latent::copy_layer<0, 0>(deep, pretrained);
}
