// expect: latent::DecoderFor: no decoder layer undoes this encoder layer
// expect: decoder_for_has_no_mirror_of_this_layer<latent::GaussianSample<2> >|decoder_for_has_no_mirror_of_this_layer<latent::GaussianSample<2>>
// A variational encoder ends with GaussianSample, which no generated layer undoes: its decoder is written by hand.
#include <latent/latent.hpp>
#include <latent/models/generators.hpp>

using namespace latent;
using Encoder = Sequential<Dense<784, 128, ReLU>, Dense<128, 4>, GaussianSample<2>>;

int main() { return int(DecoderFor<Encoder>::parameter_count); }
