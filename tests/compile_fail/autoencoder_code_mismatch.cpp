// expect: latent::Autoencoder: the decoder's input shape differs from the encoder's code shape
// expect: decoder_input_must_match_encoder_code.*Dense<128, 3[,>].*Dense<4, 128, latent::ReLU.*Shape<3>.*Shape<4>
// An encoder with a 3-value code and a decoder that takes 4.
#include <latent/latent.hpp>

using Encoder = latent::Sequential<latent::Dense<784, 128, latent::ReLU>, latent::Dense<128, 3>>;
using Decoder = latent::Sequential<latent::Dense<4, 128, latent::ReLU>, latent::Dense<128, 784, latent::Sigmoid>>;

int main() {
    latent::Autoencoder<Encoder, Decoder> model;
    return int(model.parameter_count);
}
