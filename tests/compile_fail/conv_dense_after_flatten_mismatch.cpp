// expect: latent::Sequential: a layer's output shape differs from the next layer's input shape
// expect: layer_output_must_match_next_layer_input.*Bound<latent::Flatten, latent::Shape<64, 7, 7> ?>.*Dense<3000, 128, latent::ReLU>.*Shape<3136>.*Shape<3000>
// A Dense that expects 3000 inputs after the Flatten of 64 x 7 x 7 = 3136 values.
#include <latent/latent.hpp>

using namespace latent;
using Broken = Sequential<Input<1, 28, 28>, Conv2D<32, 3, ReLU>, MaxPool2D<2>, Conv2D<64, 3, ReLU>, MaxPool2D<2>, Flatten,
                          Dense<3000, 128, ReLU>>;

int main() { return int(Broken::parameter_count); }
