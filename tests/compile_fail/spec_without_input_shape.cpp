// expect: latent::Sequential: the first layer takes its input shape from an entry before it, and there is none
// expect: first_entry_must_state_its_input_shape.*Conv2D<32, 3, latent::ReLU
// A convolution first, with no Input<C, H, W> to say what it receives.
#include <latent/latent.hpp>

using namespace latent;
using Broken = Sequential<Conv2D<32, 3, ReLU>, MaxPool2D<2>>;

int main() { return int(Broken::parameter_count); }
