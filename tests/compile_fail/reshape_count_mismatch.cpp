// expect: latent::Reshape: the new shape holds a different number of values than the input shape
// expect: Bound<latent::Reshape<1, 28, 27>, latent::Shape<784> ?>
// 784 values reshaped to 1 x 28 x 27 = 756.
#include <latent/latent.hpp>

using namespace latent;
using Broken = Sequential<Dense<128, 784, Sigmoid>, Reshape<1, 28, 27>>;

int main() { return int(Broken::parameter_count); }
