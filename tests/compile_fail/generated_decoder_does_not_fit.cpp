// expect: latent::Autoencoder: the decoder's output shape \(the reconstruction\) differs from the encoder's input shape
// expect: decoder_output_must_match_encoder_input.*Sequential<latent::Input<4, 4, 4>, latent::UpSample2D<2.*latent::ConvTranspose2D<1, 3, latent::Sigmoid.*Shape<1, 9, 9>.*Shape<1, 8, 8>
// A generated decoder that does not fit: upsampling by the stride undoes a 3 x 3 pooling moved by 2 only in
// part, so the reconstruction is 8 x 8 where the input is 9 x 9; the message names the generated layers.
#include <latent/latent.hpp>
#include <latent/models/generators.hpp>

using namespace latent;
using Encoder = Sequential<Input<1, 9, 9>, Conv2D<4, 3, ReLU>, MaxPool2D<3, 2>>;

int main() { return int(AutoencoderFor<Encoder>::parameter_count); }
