// Tutorial 12, the convolutional autoencoder of the Keras tutorial: Conv2D(32, 3x3, ReLU, same) ->
// MaxPool 2 -> Conv2D(64, 3x3, ReLU, same) -> MaxPool 2 -> Flatten -> Dense 128 ReLU -> Dense 784 Sigmoid
// -> Reshape 28x28x1; Keras' defaults (Glorot-uniform weights, zero biases, Adam epsilon 1e-7), MSE,
// Adam 1e-3, batch 128, 10 epochs, the last 5,000 training images held out for validation. It plots the
// loss, shows originals above reconstructions, saves the model, loads it back and checks that the
// loaded model reconstructs the same.
//
//   conv_autoencoder [--epochs 10] [--seed 1] [--out out/conv_autoencoder] [--data DIR] [--samples N]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <algorithm>
#include <iostream>

using namespace latent;

// Shapes are stated once, by Input; each layer after it takes the shape flowing in.
using Keras = init::GlorotUniform;
using Encoder = Sequential<Input<1, 28, 28>,
                           Conv2D<32, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>,
                           Conv2D<64, 3, ReLU, Padding::same, 1, Keras>, MaxPool2D<2>,
                           Flatten, Dense<64 * 7 * 7, 128, ReLU, Keras>>;
using Decoder = Sequential<Dense<128, 784, Sigmoid, Keras>, Reshape<1, 28, 28>>;
using ConvAutoencoder = Autoencoder<Encoder, Decoder>;
static_assert(ConvAutoencoder::parameter_count == 521'488);

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 10, .out = "out/conv_autoencoder"});
    const auto data = load_fashion_mnist(options.data);
    constexpr std::size_t held_out = 5'000;
    const std::size_t available = data.train.size() - held_out;
    const auto train = data.train.slice(0, options.samples ? std::min(options.samples, available) : available);
    const auto validation = data.train.slice(available, held_out);

    ConvAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";

    Trainer trainer{model, Adam{{.learning_rate = 1e-3, .epsilon = 1e-7}}, MSE{}};
    const auto history = trainer.fit(train, validation, {.epochs = options.epochs, .batch_size = 128, .seed = options.seed});
    const double test_mse = trainer.evaluate(data.test);

    const Matrix<float> originals = data.test.batch(0, 16);
    const Matrix<float> reconstructions = model.reconstruct(originals);
    save_reconstruction_grid(options.out / "reconstructions.png", originals, reconstructions, 28, 28);
    plot_or_explain([&] { save_loss_curve(options.out / "loss.png", history); });

    const auto model_file = options.out / "conv_autoencoder.latent";
    save_model(model, model_file);
    const auto loaded = load_model<ConvAutoencoder>(model_file);
    const bool same = loaded.reconstruct(originals) == reconstructions;
    std::cout << "saved " << model_file.string() << "; the loaded model reconstructs "
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
