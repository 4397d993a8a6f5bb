// Tutorial 2, the deep autoencoder: 784-128-64-12-3 and back, ReLU, Sigmoid output, mean squared error,
// Adam 1e-3 with weight decay 1e-5, batch 64, 10 epochs on Fashion-MNIST. It shows reconstructions,
// plots the loss, saves the model, loads it back and checks that the loaded model reconstructs the same.
//
//   deep_autoencoder [--epochs 10] [--seed 1] [--out out/deep_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <iostream>

using Encoder = latent::Sequential<latent::Dense<784, 128, latent::ReLU>, latent::Dense<128, 64, latent::ReLU>,
                                   latent::Dense<64, 12, latent::ReLU>, latent::Dense<12, 3>>;
using Decoder = latent::Sequential<latent::Dense<3, 12, latent::ReLU>, latent::Dense<12, 64, latent::ReLU>,
                                   latent::Dense<64, 128, latent::ReLU>, latent::Dense<128, 784, latent::Sigmoid>>;
using DeepAutoencoder = latent::Autoencoder<Encoder, Decoder>;
static_assert(DeepAutoencoder::parameter_count == 219'891);

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 10, .out = "out/deep_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);

    DeepAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";

    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3, .weight_decay = 1e-5}}, latent::MSE{}};
    const auto history = trainer.fit(data.train, data.test, {.epochs = options.epochs, .batch_size = 64, .seed = options.seed});

    const latent::Matrix<float> originals = data.test.batch(0, 16);
    const latent::Matrix<float> reconstructions = model.reconstruct(originals);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, reconstructions, 28, 28);
    plot_or_explain([&] { latent::save_loss_curve(options.out / "loss.png", history); });

    const auto model_file = options.out / "deep_autoencoder.latent";
    latent::save_model(model, model_file);
    const auto loaded = latent::load_model<DeepAutoencoder>(model_file);
    const bool same = loaded.reconstruct(originals) == reconstructions;
    std::cout << "saved " << model_file.string() << "; the loaded model reconstructs "
              << (same ? "exactly the same" : "DIFFERENTLY") << "\n"
              << "final test MSE: " << *history.last().validation_loss << "\n"
              << "pictures: " << options.out.string() << "/reconstructions.png (originals above reconstructions), "
              << options.out.string() << "/loss.png\n";
    return same ? 0 : 1;
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
