// expect: latent::Sequential: a layer's output shape differs from the next layer's input shape
// expect: layer_output_must_match_next_layer_input.*Dense<784, 128, latent::ReLU>.*Dense<64, 12, latent::ReLU>.*Shape<128>.*Shape<64>
// A 128-wide layer feeding a layer that takes 64 inputs.
#include <latent/latent.hpp>

using Broken = latent::Sequential<latent::Dense<784, 128, latent::ReLU>, latent::Dense<64, 12, latent::ReLU>>;

int main() { return int(Broken::parameter_count); }
