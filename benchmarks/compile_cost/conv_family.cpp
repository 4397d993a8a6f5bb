// Compile cost (issue 16): 4 convolutional autoencoders, {16, 32} channels x codes {16, 64}, through
// run_experiment. Compare with one (examples/12_conv_autoencoder.cpp): measure.py.

#include <latent/experiments/runner.hpp>
#include <latent/latent.hpp>

using namespace latent;

template <std::size_t Channels, std::size_t Code>
using Conv = Autoencoder<Sequential<Input<1, 28, 28>, Conv2D<Channels, 3, ReLU, Padding::same>, MaxPool2D<2>,
                                    Conv2D<2 * Channels, 3, ReLU, Padding::same>, MaxPool2D<2>, Flatten,
                                    Dense<2 * Channels * 7 * 7, Code, ReLU>>,
                         Sequential<Dense<Code, 784, Sigmoid>, Reshape<1, 28, 28>>>;

// measure.py compiles it also with one member, for the cost of each member added.
#ifndef LATENT_MEMBERS
#define LATENT_MEMBERS Conv<16, 16>, Conv<16, 64>, Conv<32, 16>, Conv<32, 64>
#endif

int main(int argc, char** argv) {
    const auto data = load_fashion_mnist();
    run_experiment(Family<LATENT_MEMBERS>{}, data.train, data.test,
                   Adam{{.learning_rate = 1e-3}}, MSE{}, {.epochs = 1, .seeds = {1}, .out = argc > 1 ? argv[1] : "out/compile_cost"});
}
