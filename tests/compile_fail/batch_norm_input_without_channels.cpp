// expect: latent::BatchNorm: its input must be an image \(channels x height x width\) or flat \(features\)
// BatchNorm after a Reshape to rank 2, which has no channel axis to normalise over.
#include <latent/latent.hpp>

int main() {
    latent::Sequential<latent::Dense<8, 6>, latent::Reshape<2, 3>, latent::BatchNorm<>> net;
    (void)net;
}
