// expect: latent::Autoencoder: the decoder's output shape \(the reconstruction\) differs from the encoder's input shape
// expect: decoder_output_must_match_encoder_input.*Dense<784, 64, latent::ReLU.*Dense<64, 780, latent::Sigmoid.*Shape<784>.*Shape<780>
// A decoder that reconstructs 780 values of a 784-value input.
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<784, 64, latent::ReLU>>;
using Decoder = latent::Sequential<latent::Dense<64, 780, latent::Sigmoid>>;

int main() {
    latent::Autoencoder<Encoder, Decoder> model;
    return int(model.parameter_count);
}
