// Compile cost (issue 16): 12 Dense autoencoders, code sizes {2, 3, 8, 16} x encoder depths {1, 2, 3}, trained and
// saved through run_experiment. Compare with one model (examples/02_deep_autoencoder.cpp) and with the same 12 by
// hand (dense_by_hand.cpp): measure.py.

#include <latent/experiments/runner.hpp>
#include <latent/latent.hpp>

using namespace latent;

template <std::size_t Code>
using Depth1 = Autoencoder<Sequential<Dense<784, Code>>, Sequential<Dense<Code, 784, Sigmoid>>>;
template <std::size_t Code>
using Depth2 = Autoencoder<Sequential<Dense<784, 128, ReLU>, Dense<128, Code>>,
                           Sequential<Dense<Code, 128, ReLU>, Dense<128, 784, Sigmoid>>>;
template <std::size_t Code>
using Depth3 = Autoencoder<Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, Code>>,
                           Sequential<Dense<Code, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>>;
// measure.py compiles it also with fewer codes, for the cost of each member added.
#ifndef LATENT_CODES
#define LATENT_CODES 2, 3, 8, 16
#endif

template <std::size_t... Codes>
using Members = Family<Depth1<Codes>..., Depth2<Codes>..., Depth3<Codes>...>;

int main(int argc, char** argv) {
    const auto data = load_fashion_mnist();
    run_experiment(Members<LATENT_CODES>{}, data.train, data.test, Adam{{.learning_rate = 1e-3}}, MSE{},
                   {.epochs = 1, .seeds = {1}, .out = argc > 1 ? argv[1] : "out/compile_cost"});
}
