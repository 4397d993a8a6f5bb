// expect: latent::Conv2D: the stride does not divide the input's height or width
// expect: Bound<latent::Conv2D<8, 3, latent::ReLU, latent::Padding::same, 2.*latent::Shape<1, 28, 27> ?>
// A stride of 2 over 27 columns with same padding.
#include <latent/latent.hpp>

using namespace latent;
using Broken = Sequential<Input<1, 28, 27>, Conv2D<8, 3, ReLU, Padding::same, 2>>;

int main() { return int(Broken::parameter_count); }
