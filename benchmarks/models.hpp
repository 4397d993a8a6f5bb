#pragma once
// The tutorial models the benchmarks time, written once: deep3 (784-128-64-12-3 and back, as the PyTorch
// tutorials) and the Keras tutorial's convolutional autoencoder (as examples/12_conv_autoencoder.cpp).

#include <latent/latent.hpp>

namespace latent::benchmarks {

using Deep3Encoder = Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 12, ReLU>, Dense<12, 3>>;
using Deep3Decoder = Sequential<Dense<3, 12, ReLU>, Dense<12, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>;
using Deep3 = Autoencoder<Deep3Encoder, Deep3Decoder>;
static_assert(Deep3::parameter_count == 219'891);

using Keras = init::GlorotUniform;
using ConvEncoder = Sequential<Input<1, 28, 28>, Conv2D<32, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>,
                               Conv2D<64, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>, Flatten,
                               Dense<64 * 7 * 7, 128, ReLU, Keras>>;
using ConvDecoder = Sequential<Dense<128, 784, Sigmoid, Keras>, Reshape<1, 28, 28>>;
using ConvAutoencoder = Autoencoder<ConvEncoder, ConvDecoder>;
static_assert(ConvAutoencoder::parameter_count == 521'488);

}  // namespace latent::benchmarks
