// expect: latent::Conv2D: its input must be an image, channels x height x width
// expect: Bound<latent::Conv2D<8, 3, .*latent::Shape<784> ?>
// A convolution straight after a Dense layer, without a Reshape to an image.
#include <latent/latent.hpp>

using namespace latent;
using Broken = Sequential<Dense<128, 784, ReLU>, Conv2D<8, 3>>;

int main() { return int(Broken::parameter_count); }
