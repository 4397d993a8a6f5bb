// expect: latent::MaxPool2D: the windows do not tile the input
// expect: Bound<latent::MaxPool2D<2(, 2)?>, latent::Shape<64, 7, 7> ?>
// A third 2 x 2 pooling of a 7 x 7 image.
#include <latent/latent.hpp>

using namespace latent;
using Broken = Sequential<Input<1, 28, 28>, MaxPool2D<2>, Conv2D<64, 3, ReLU>, MaxPool2D<2>, MaxPool2D<2>, Flatten>;

int main() { return int(Broken::parameter_count); }
