// Exports models of every layer kind latent writes to ONNX, with inputs and latent's own outputs as .npy files,
// for tests/interop/onnx/check.py to run through onnx's checker and OpenCV's DNN module. Usage: export_models DIR.
// Weights are the initialisers' draws; BatchNorm's parameters and running statistics are set away from their
// initial values (gamma 1, beta 0, mean 0, variance 1), which would let a wrong mapping of them pass.

#include "latent/io/numpy.hpp"
#include "latent/io/onnx.hpp"
#include "latent/latent.hpp"

#include <filesystem>
#include <iostream>
#include <string>

using namespace latent;

namespace {

// examples/02: the deep Dense autoencoder.
using DenseEncoder = Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 12, ReLU>, Dense<12, 3>>;
using DenseDecoder =
    Sequential<Dense<3, 12, ReLU>, Dense<12, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>;

// Every activation, Dropout and a VAE's GaussianSample (exported as its means, latent's inference).
using VariationalEncoder =
    Sequential<Dense<20, 16, LeakyReLU>, Dropout<25>, Dense<16, 12, ELU>, Dense<12, 8>, GaussianSample<4>>;
using VariationalDecoder = Sequential<Dense<4, 12, Tanh>, Dense<12, 16, Softplus>, Dense<16, 20, BasicLeakyReLU<1, 5>>>;

// A tied autoencoder: the decoder's Gemms read the encoder's weights.
using TiedEncoder = Sequential<Dense<20, 12, Tanh>, Dense<12, 6, ReLU>>;

// examples/12 with the decoder of the Keras tutorial's second half: upsampling and a transposed convolution.
using ConvEncoder = Sequential<Input<1, 28, 28>, Conv2D<8, 3, ReLU>, MaxPool2D<2>, Conv2D<16, 3, ReLU>, MaxPool2D<2>,
                               Flatten, Dense<16 * 7 * 7, 32, ReLU>>;
using ConvDecoder = Sequential<Dense<32, 16 * 7 * 7, ReLU>, Reshape<16, 7, 7>, UpSample2D<2>,
                               ConvTranspose2D<8, 3, ReLU, Padding::same, 2>, Conv2D<1, 3, Sigmoid>>;

// The geometries the exporter must get right: a strided same convolution (padded more at the end than at the
// start), a valid one, bilinear upsampling, transposed convolutions with a kernel larger and smaller than the
// stride (output_padding), average and overlapping-free max pooling with a stride.
using Geometry = Sequential<Input<3, 16, 16>, Conv2D<8, 3, ELU, Padding::same, 2>, Conv2D<8, 3, Tanh, Padding::valid>,
                            UpSample2D<2, Interpolation::bilinear>, ConvTranspose2D<4, 5, LeakyReLU, Padding::same, 2>,
                            ConvTranspose2D<2, 2, Sigmoid, Padding::same, 3>, AvgPool2D<2>, MaxPool2D<3>, Flatten,
                            Dense<288, 10, Softplus>>;

// BatchNorm of images and of flat inputs.
using Normalised = Sequential<Input<2, 8, 8>, Conv2D<4, 3>, BatchNorm<>, MaxPool2D<2>, Flatten, Dense<64, 16, ReLU>,
                              BatchNorm<1, 10, 1, 1000>, Dense<16, 8, Sigmoid>>;

template <class S>
Matrix<S> uniform(Eigen::Index rows, Eigen::Index cols, double low, double high, Rng& rng) {
    Matrix<S> m(rows, cols);
    for (S& v : m.reshaped()) v = S(low + (high - low) * rng.uniform());
    return m;
}

template <class M>
void export_case(const std::filesystem::path& dir, const std::string& name, const M& model,
                 const Matrix<float>& input, const Matrix<float>& output) {
    export_onnx(model, dir / (name + ".onnx"));
    write_npy(dir / (name + ".input.npy"), input);
    write_npy(dir / (name + ".output.npy"), output);
    std::cout << "exported " << name << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: export_models DIR\n";
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    Rng rng{17};
    constexpr Eigen::Index n = 5;

    const Autoencoder<DenseEncoder, DenseDecoder> dense{1};
    const Matrix<float> pictures = uniform<float>(784, n, 0.0, 1.0, rng);
    export_case(dir, "dense_autoencoder", dense, pictures, dense.reconstruct(pictures));
    const Matrix<float> dense_codes = dense.encode(pictures);
    export_case(dir, "dense_encoder", dense.encoder(), pictures, dense_codes);
    export_case(dir, "dense_decoder", dense.decoder(), dense_codes, dense.decode(dense_codes));

    const Autoencoder<VariationalEncoder, VariationalDecoder> variational{2};
    const Matrix<float> features = uniform<float>(20, n, -2.0, 2.0, rng);
    export_case(dir, "variational_autoencoder", variational, features, variational.reconstruct(features));
    export_case(dir, "variational_encoder", variational.encoder(), features, variational.encode(features));

    const Autoencoder<TiedEncoder, Mirror<TiedEncoder>> tied{3};
    export_case(dir, "tied_autoencoder", tied, features, tied.reconstruct(features));

    const Autoencoder<ConvEncoder, ConvDecoder> conv{4};
    export_case(dir, "conv_autoencoder", conv, pictures, conv.reconstruct(pictures));
    const Matrix<float> conv_codes = conv.encode(pictures);
    export_case(dir, "conv_encoder", conv.encoder(), pictures, conv_codes);
    export_case(dir, "conv_decoder", conv.decoder(), conv_codes, conv.decode(conv_codes));

    const Model<Geometry> geometry{5};
    const Matrix<float> images = uniform<float>(3 * 16 * 16, n, -1.0, 1.0, rng);
    export_case(dir, "geometry", geometry, images, geometry.predict(images));

    Model<Normalised> normalised{6};
    for (float& p : normalised.parameters()) p = float(p + 0.5 * (rng.uniform() - 0.5));
    using BN1 = Normalised::layer<1>;
    using BN2 = Normalised::layer<5>;
    auto buffers = normalised.buffers();
    // Each BatchNorm's running means in [-0.5, 0.5], then its running variances in [0.25, 2].
    auto fill = [&](std::size_t offset, std::size_t channels) {
        for (std::size_t c = 0; c < channels; ++c) buffers[offset + c] = float(rng.uniform() - 0.5);
        for (std::size_t c = 0; c < channels; ++c) buffers[offset + channels + c] = float(0.25 + 1.75 * rng.uniform());
    };
    fill(Normalised::buffer_offsets[1], BN1::channels);
    fill(Normalised::buffer_offsets[5], BN2::channels);
    const Matrix<float> small = uniform<float>(2 * 8 * 8, n, -1.0, 1.0, rng);
    export_case(dir, "batchnorm", normalised, small, normalised.predict(small));
    return 0;
}
