#pragma once
// The family the experiment runner's tests train (tests/experiments/runner.cpp, and over MPI in
// tests/distributed/experiment.cpp): three small autoencoders of 6 inputs, in double precision so that their
// figures can be compared exactly.

#include <latent/latent.hpp>

namespace latent::testing {

using Cpu = backend::basic_cpu<double>;
using Code2 = Autoencoder<Sequential<Dense<6, 2, Tanh>>, Sequential<Dense<2, 6, Sigmoid>>, Cpu>;
using Code3 = Autoencoder<Sequential<Dense<6, 3, Tanh>>, Sequential<Dense<3, 6, Sigmoid>>, Cpu>;
using Deep2 = Autoencoder<Sequential<Dense<6, 4, ReLU>, Dense<4, 2>>, Sequential<Dense<2, 4, ReLU>, Dense<4, 6, Sigmoid>>, Cpu>;
using Tiny = Family<Code2, Code3, Deep2>;

}  // namespace latent::testing
