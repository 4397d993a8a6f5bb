// Tutorial 13, a fully convolutional denoiser (the Keras "image denoising" tutorial): Conv2D(32, 3x3, ReLU)
// -> MaxPool 2 -> Conv2D(32, 3x3, ReLU) -> MaxPool 2 down to a 32 x 7 x 7 code, then two ConvTranspose2D
// (32, 3x3, stride 2, ReLU) up to 32 x 28 x 28 and a Conv2D(1, 3x3, Sigmoid) to the image; trained to map
// images with Gaussian noise (sigma 0.3, clipped to [0, 1]) back to the clean ones: MSE, Adam 1e-3, batch
// 128. The picture shows noisy test images, the network's output, and the clean originals.
//
//   conv_denoising [--epochs 5] [--seed 1] [--out out/conv_denoising] [--data DIR] [--samples N]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <algorithm>
#include <iostream>

using namespace latent;

using Keras = init::GlorotUniform;
using Encoder = Sequential<Input<1, 28, 28>,
                           Conv2D<32, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>,
                           Conv2D<32, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>>;
// The decoder states the code's shape; a decoder that does not take the encoder's 32 x 7 x 7 fails to compile.
using Decoder = Sequential<Input<32, 7, 7>,
                           ConvTranspose2D<32, 3, ReLU, Padding::same, 2, Keras>,
                           ConvTranspose2D<32, 3, ReLU, Padding::same, 2, Keras>,
                           Conv2D<1, 3, Sigmoid, Padding::same, 1, Keras>>;
using ConvDenoiser = Autoencoder<Encoder, Decoder>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/conv_denoising"});
    const auto data = load_fashion_mnist(options.data);
    const auto train = options.samples ? data.train.slice(0, std::min(options.samples, data.train.size())) : data.train;
    const GaussianNoise noise{.stddev = 0.3};

    ConvDenoiser model{options.seed};
    std::cout << model.summary() << "\n";
    Trainer trainer{model, Adam{{.learning_rate = 1e-3, .epsilon = 1e-7}}, MSE{}};
    // Validation: noisy test images against the clean ones, the same noise after every epoch.
    const auto history = trainer.fit(train, data.test,
                                     {.epochs = options.epochs, .batch_size = 128, .seed = options.seed, .corruption = noise});

    constexpr std::size_t shown = 12;
    const Matrix<float> clean = data.test.batch(0, shown);
    Matrix<float> noisy = clean;
    Rng rng{options.seed};
    noise(MatrixView<float>(noisy.data(), noisy.rows(), noisy.cols()), rng);
    Matrix<float> rows(784, 3 * shown);
    rows << noisy, model.reconstruct(noisy), clean;
    save_image_grid(options.out / "denoised.png", rows, 28, 28, shown);
    plot_or_explain([&] { save_loss_curve(options.out / "loss.png", history); });

    std::cout << "final test MSE: " << *history.last().validation_loss << " (denoised noisy test images against the clean ones)\n"
              << "pictures: " << options.out.string()
              << "/denoised.png (rows: noisy input, denoised output, clean original), loss.png\n";
} catch (const error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
