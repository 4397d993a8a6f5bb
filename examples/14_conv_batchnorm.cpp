// Tutorial 14, a convolutional autoencoder with batch normalisation (the Keras pattern Conv2D(ReLU) ->
// BatchNormalization): strided Conv2D(16, 3x3, ReLU) -> BatchNorm -> strided Conv2D(32, 3x3, ReLU) -> BatchNorm
// -> Flatten -> Dense 32, then Dense 32 * 7 * 7 ReLU -> Reshape 32x7x7 -> BatchNorm -> two strided
// ConvTranspose2D (16 then 1 filters, the last Sigmoid) back to 28 x 28; MSE, Adam 1e-3, batch 128, the last
// 5,000 training images held out for validation. Training passes normalise with each batch's statistics and
// update the running ones; validation, test and reconstructions use the running ones (PyTorch's model.eval()).
// It prints the summary (the running statistics as non-trainable params), shows originals above
// reconstructions, saves the model (running statistics included), loads it back and checks that the loaded
// model reconstructs the same.
//
//   conv_batchnorm [--epochs 5] [--seed 1] [--out out/conv_batchnorm] [--data DIR] [--samples N]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <algorithm>
#include <iostream>

using namespace latent;

using Keras = init::GlorotUniform;
using Encoder = Sequential<Input<1, 28, 28>,
                           Conv2D<16, 3, ReLU, Padding::same, 2, Keras>, BatchNorm<>,
                           Conv2D<32, 3, ReLU, Padding::same, 2, Keras>, BatchNorm<>,
                           Flatten, Dense<32 * 7 * 7, 32, Identity, Keras>>;
using Decoder = Sequential<Dense<32, 32 * 7 * 7, ReLU, Keras>, Reshape<32, 7, 7>, BatchNorm<>,
                           ConvTranspose2D<16, 3, ReLU, Padding::same, 2, Keras>, BatchNorm<>,
                           ConvTranspose2D<1, 3, Sigmoid, Padding::same, 2, Keras>>;
using NormalizedAutoencoder = Autoencoder<Encoder, Decoder>;
// Per channel: gamma and beta trained, running mean and variance not.
static_assert(NormalizedAutoencoder::buffer_count == 2 * (16 + 32 + 32 + 16));

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/conv_batchnorm"});
    const auto data = load_fashion_mnist(options.data);
    constexpr std::size_t held_out = 5'000;
    const std::size_t available = data.train.size() - held_out;
    const auto train = data.train.slice(0, options.samples ? std::min(options.samples, available) : available);
    const auto validation = data.train.slice(available, held_out);

    NormalizedAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";

    Trainer trainer{model, Adam{{.learning_rate = 1e-3, .epsilon = 1e-7}}, MSE{}};
    const auto history = trainer.fit(train, validation, {.epochs = options.epochs, .batch_size = 128, .seed = options.seed});
    const double test_mse = trainer.evaluate(data.test);

    const Matrix<float> originals = data.test.batch(0, 16);
    const Matrix<float> reconstructions = model.reconstruct(originals);
    save_reconstruction_grid(options.out / "reconstructions.png", originals, reconstructions, 28, 28);
    plot_or_explain([&] { save_loss_curve(options.out / "loss.png", history); });

    const auto model_file = options.out / "conv_batchnorm.latent";
    save_model(model, model_file);
    const auto loaded = load_model<NormalizedAutoencoder>(model_file);
    const bool same = loaded.reconstruct(originals) == reconstructions;
    std::cout << "saved " << model_file.string() << " (parameters and running statistics); the loaded model reconstructs "
              << (same ? "exactly the same" : "DIFFERENTLY") << "\n"
              << "final validation MSE: " << *history.last().validation_loss << "\n"
              << "final test MSE: " << test_mse << "\n"
              << "pictures: " << options.out.string() << "/reconstructions.png (originals above reconstructions), "
              << options.out.string() << "/loss.png\n";
    return same ? 0 : 1;
} catch (const error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
