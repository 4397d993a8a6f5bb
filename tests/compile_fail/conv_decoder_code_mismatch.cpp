// expect: latent::Autoencoder: the decoder's input shape differs from the encoder's code shape
// expect: decoder_input_must_match_encoder_code.*Shape<16, 7, 7>.*Shape<8, 7, 7>
// A fully convolutional encoder with a 16 x 7 x 7 code and a decoder that states an 8-channel input.
#include <latent/latent.hpp>

using namespace latent;
using Encoder = Sequential<Input<1, 28, 28>, Conv2D<16, 3, ReLU>, MaxPool2D<2>, Conv2D<16, 3, ReLU>, MaxPool2D<2>>;
using Decoder = Sequential<Input<8, 7, 7>, Flatten, Dense<392, 784, Sigmoid>, Reshape<1, 28, 28>>;

int main() {
    Autoencoder<Encoder, Decoder> model;
    return int(model.parameter_count);
}
