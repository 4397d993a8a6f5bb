// expect: latent::Autoencoder: a TiedDense's twin index must point at its twin layer
// expect: tied_layer_must_name_its_twin.*TiedDense<.*Dense<784, 128.*Dense<128, 32
// A tied layer that names the first encoder layer as its twin but points at the second.
#include <latent/latent.hpp>

using First = latent::Dense<784, 128, latent::ReLU>;
using Second = latent::Dense<128, 32>;
using Encoder = latent::Sequential<First, Second>;
using Decoder = latent::Sequential<latent::TiedDense<Second, 1, latent::ReLU>, latent::TiedDense<First, 1, latent::Sigmoid>>;

int main() {
    latent::Autoencoder<Encoder, Decoder> model;
    return int(model.parameter_count);
}
