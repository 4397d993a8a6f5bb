// Generated models: DenseStack is the Sequential one would write, DecoderFor undoes Dense and convolutional
// encoders layer by layer so that the reconstruction has the input's shape, and AutoencoderFor trains.

#include <latent/latent.hpp>
#include <latent/models/generators.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

using namespace latent;

namespace {

// The deep autoencoder of the tutorials, from its widths; the code layer is linear.
using Deep = DenseStack<ReLU, 784, 128, 64, 12, 3>;
static_assert(std::is_same_v<Deep, Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 12, ReLU>, Dense<12, 3>>>);
static_assert(Deep::depth == 4 && Deep::parameter_count == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 12 + 12 + 12 * 3 + 3);
static_assert(std::is_same_v<DenseStackWith<ReLU, Tanh, 784, 32>, Sequential<Dense<784, 32, Tanh>>>);
static_assert(std::is_same_v<DenseStackWith<ReLU, Sigmoid, 8, 4, 2>::layer<1>, Dense<4, 2, Sigmoid>>);

// The decoder reverses the widths; each layer takes the activation of the encoder layer it rebuilds.
static_assert(std::is_same_v<DecoderFor<Deep>, Sequential<Dense<3, 12, ReLU>, Dense<12, 64, ReLU>, Dense<64, 128, ReLU>,
                                                          Dense<128, 784, Sigmoid>>>);
static_assert(std::is_same_v<DecoderFor<DenseStack<Tanh, 8, 2>, Identity>, Sequential<Dense<2, 8>>>);
using DeepAutoencoder = AutoencoderFor<Deep>;
static_assert(DeepAutoencoder::parameter_count == 2 * Deep::parameter_count - (128 + 64 + 12 + 3) + (784 + 128 + 64 + 12));
static_assert(DeepAutoencoder::input_size == 784 && DeepAutoencoder::code_size == 3 && DeepAutoencoder::output_size == 784);
// Every layer's output, code included, kept for the backward pass.
static_assert(DeepAutoencoder::activation_size == (128 + 64 + 12 + 3) + (12 + 64 + 128 + 784));

// examples/12_conv_autoencoder.cpp's encoder: pooling becomes upsampling, Flatten a Reshape, Conv2D a transposed
// convolution with the same kernel, padding and stride, back to the channels it was given.
using Keras = init::GlorotUniform;
using ConvEncoder = Sequential<Input<1, 28, 28>, Conv2D<32, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>,
                               Conv2D<64, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>, Flatten,
                               Dense<64 * 7 * 7, 128, ReLU, Keras>>;
static_assert(std::is_same_v<DecoderFor<ConvEncoder>,
                             Sequential<Dense<128, 3136, ReLU, Keras>, Reshape<64, 7, 7>, UpSample2D<2>,
                                        ConvTranspose2D<32, 3, ReLU, Padding::same, 1, Keras>, UpSample2D<2>,
                                        ConvTranspose2D<1, 3, Sigmoid, Padding::same, 1, Keras>>>);
static_assert(std::is_same_v<AutoencoderFor<ConvEncoder>::decoder_type::output_shape, Shape<1, 28, 28>>);
static_assert(std::is_same_v<DecoderFor<ConvEncoder>::layer<2>::output_shape, Shape<64, 14, 14>>);
// The upsampling style: a stride-1 Conv2D stays a Conv2D.
static_assert(std::is_same_v<DecoderFor<ConvEncoder, Sigmoid, DecoderStyle::upsample>::layer<5>,
                             Bound<Conv2D<1, 3, Sigmoid, Padding::same, 1, Keras>, Shape<32, 28, 28>>>);

// examples/14_conv_batchnorm.cpp's encoder gives exactly that example's hand-written decoder: BatchNorm stays in
// its mirrored place.
using NormEncoder = Sequential<Input<1, 28, 28>, Conv2D<16, 3, ReLU, Padding::same, 2, Keras>, BatchNorm<>,
                               Conv2D<32, 3, ReLU, Padding::same, 2, Keras>, BatchNorm<>, Flatten,
                               Dense<32 * 7 * 7, 32, Identity, Keras>>;
static_assert(std::is_same_v<DecoderFor<NormEncoder>,
                             Sequential<Dense<32, 32 * 7 * 7, ReLU, Keras>, Reshape<32, 7, 7>, BatchNorm<>,
                                        ConvTranspose2D<16, 3, ReLU, Padding::same, 2, Keras>, BatchNorm<>,
                                        ConvTranspose2D<1, 3, Sigmoid, Padding::same, 2, Keras>>>);
static_assert(AutoencoderFor<NormEncoder>::buffer_count == 2 * (16 + 32 + 32 + 16));
// Strided convolutions by upsampling: UpSample2D by the stride, then a stride-1 Conv2D with padding same.
using NormUpsampled = DecoderFor<NormEncoder, Sigmoid, DecoderStyle::upsample>;
static_assert(std::is_same_v<NormUpsampled, Sequential<Dense<32, 32 * 7 * 7, ReLU, Keras>, Reshape<32, 7, 7>, BatchNorm<>,
                                                       UpSample2D<2>, Conv2D<16, 3, ReLU, Padding::same, 1, Keras>,
                                                       BatchNorm<>, UpSample2D<2>,
                                                       Conv2D<1, 3, Sigmoid, Padding::same, 1, Keras>>>);
static_assert(std::is_same_v<NormUpsampled::output_shape, Shape<1, 28, 28>>);

// A fully convolutional encoder ends with an image: the decoder states it with Input. Valid padding takes a
// transposed convolution in either style, Dropout is not mirrored, and a BatchNorm before every weighted layer
// would follow the output activation, so it is left out.
using FullyConv = Sequential<Input<1, 28, 28>, BatchNorm<>, Conv2D<16, 3, ReLU>, AvgPool2D<2>,
                             Conv2D<8, 3, ReLU, Padding::valid>, Dropout<10>>;
using FullyDecoderStyle = Sequential<Input<8, 12, 12>, ConvTranspose2D<16, 3, ReLU, Padding::valid>, UpSample2D<2>,
                                    ConvTranspose2D<1, 3, Sigmoid>>;
static_assert(std::is_same_v<DecoderFor<FullyConv>, FullyDecoderStyle>);
static_assert(std::is_same_v<DecoderFor<FullyConv, Sigmoid, DecoderStyle::upsample>,
                             Sequential<Input<8, 12, 12>, ConvTranspose2D<16, 3, ReLU, Padding::valid>, UpSample2D<2>,
                                        Conv2D<1, 3, Sigmoid>>>);
static_assert(std::is_same_v<AutoencoderFor<FullyConv>::decoder_type::output_shape, Shape<1, 28, 28>>);

// An encoder of transposed convolutions and upsampling (an unusual one) is undone by convolutions and pooling.
using Growing = Sequential<Input<2, 4, 4>, ConvTranspose2D<3, 3, Tanh, Padding::same, 2>, UpSample2D<2>>;
static_assert(std::is_same_v<DecoderFor<Growing>, Sequential<Input<3, 16, 16>, AvgPool2D<2>,
                                                            Conv2D<2, 3, Sigmoid, Padding::same, 2>>>);

// A user's named encoder is a Sequential too.
struct NamedEncoder : DenseStack<Tanh, 8, 4, 2> {};
static_assert(std::is_same_v<AutoencoderFor<NamedEncoder>::decoder_type, Sequential<Dense<2, 4, Tanh>, Dense<4, 8, Sigmoid>>>);

// 8-D samples on a 2-D subspace, values in (0, 1).
Dataset<float> low_rank_data(std::size_t n, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<float> values(n * 8);
    for (std::size_t i = 0; i < n; ++i) {
        const double a = rng.uniform(), b = rng.uniform();
        for (std::size_t k = 0; k < 8; ++k)
            values[i * 8 + k] = float(0.5 + 0.3 * a * std::sin(double(k + 1)) + 0.2 * b * std::cos(double(k)));
    }
    return Dataset<float>(std::move(values), 1, 8);
}

FitOptions quiet(FitOptions options) {
    options.verbosity = Verbosity::silent;
    return options;
}

}  // namespace

TEST_CASE("a generated autoencoder's signature and summary name the generated layers") {
    using Small = AutoencoderFor<DenseStack<Tanh, 8, 4, 2>>;
    CHECK(Small::signature() == "Autoencoder<Sequential<Dense<8, 4, Tanh>, Dense<4, 2>>, "
                                "Sequential<Dense<2, 4, Tanh>, Dense<4, 8, Sigmoid>>>");
    const std::string text = AutoencoderFor<ConvEncoder>{1}.summary();
    CHECK(text.find("decoder.1  Reshape<64, 7, 7>") != std::string::npos);
    CHECK(text.find("decoder.5  ConvTranspose2D<1, 3, Sigmoid, same, 1, glorot_uniform>") != std::string::npos);
    CHECK(text.find("(batch, 1 x 28 x 28)") != std::string::npos);
}

TEST_CASE("a generated autoencoder trains: its loss falls") {
    const auto data = low_rank_data(256, 3);
    AutoencoderFor<DenseStack<Tanh, 8, 4, 2>> model{2};
    Trainer trainer{model, Adam{{.learning_rate = 1e-2}}, MSE{}};
    const double before = trainer.evaluate(data);
    const History history = trainer.fit(data, quiet({.epochs = 5, .batch_size = 32, .seed = 1}));
    REQUIRE(history.epochs.size() == 5);
    CHECK(history.last().train_loss < history.epochs.front().train_loss);
    CHECK(trainer.evaluate(data) < before / 2);
}

TEST_CASE("a generated convolutional autoencoder's gradients match finite differences (double precision)") {
    // Conv2D with stride 2 undone by a transposed convolution, Flatten by a Reshape.
    using Encoder = Sequential<Input<1, 6, 6>, Conv2D<2, 3, Tanh, Padding::same, 2>, Flatten, Dense<18, 4, Tanh>>;
    static_assert(std::is_same_v<DecoderFor<Encoder>, Sequential<Dense<4, 18, Tanh>, Reshape<2, 3, 3>,
                                                                ConvTranspose2D<1, 3, Sigmoid, Padding::same, 2>>>);
    AutoencoderFor<Encoder, Sigmoid, backend::basic_cpu<double>> transposed{4};
    CHECK(check_model_gradients(transposed, MSE{}, {.batch = 3, .tolerance = 1e-7}).passed());
    AutoencoderFor<Encoder, Sigmoid, backend::basic_cpu<double>, DecoderStyle::upsample> upsampled{4};
    CHECK(check_model_gradients(upsampled, BCE{}, {.batch = 3, .tolerance = 1e-7}).passed());
}
