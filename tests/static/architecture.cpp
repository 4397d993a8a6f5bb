// Compiling this file is the test: shapes, parameter counts and costs are compile-time constants.

#include <latent/latent.hpp>

namespace {

using namespace latent;

using Encoder = Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 12, ReLU>, Dense<12, 3>>;
using Decoder = Sequential<Dense<3, 12, ReLU>, Dense<12, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>;
using Deep = Autoencoder<Encoder, Decoder>;

static_assert(Deep::parameter_count == 219'891);
static_assert(Deep::input_size == 784 && Deep::code_size == 3 && Deep::output_size == 784);
static_assert(Deep::encoder_depth == 4 && Deep::depth == 8);
static_assert(Deep::flops_per_sample == 2 * 218'696 + (128 + 64 + 12 + 3 + 12 + 64 + 128 + 784));
static_assert(std::is_same_v<Deep::scalar, float>);
static_assert(std::is_same_v<Deep::output_activation, Sigmoid>);
static_assert(std::is_same_v<Deep::network::layer<4>, Dense<3, 12, ReLU>>);

static_assert(Encoder::parameter_offsets[1] == 100'480 && Encoder::parameter_offsets[4] == Encoder::parameter_count);
static_assert(Encoder::activation_offsets[2] == 128 + 64 && Encoder::activation_size == 128 + 64 + 12 + 3);
static_assert(std::is_same_v<Encoder::output_shape, Shape<3>>);

using Simple = Autoencoder<Sequential<Dense<784, 64, ReLU>>, Sequential<Dense<64, 784, Sigmoid>>>;
static_assert(Simple::parameter_count == 101'200);

// Strong names: a user's own type derived from Sequential is accepted and keeps its name.
struct encoder : Sequential<Dense<8, 2, Tanh>> {};
struct decoder : Sequential<Dense<2, 8, Sigmoid>> {};
static_assert(SequentialType<encoder>);
static_assert(Autoencoder<encoder, decoder>::parameter_count == 8 * 2 + 2 + 2 * 8 + 8);

using DoubleModel = Autoencoder<encoder, decoder, backend::basic_cpu<double>>;
static_assert(std::is_same_v<DoubleModel::scalar, double>);
static_assert(Backend<backend::cpu> && Backend<backend::basic_cpu<double>>);

static_assert(Shape<32, 14, 14>::size == 6272 && Shape<32, 14, 14>::rank == 3);
static_assert(Layer<Dense<1, 1>> && !Layer<int>);
static_assert(Loss<MSE> && Optimizer<Adam<>> && Optimizer<SGD<double>> && Optimizer<RMSProp<>> && Optimizer<AdamW<>>);

}  // namespace
