// Tutorial 1, the simplest autoencoder: 784-64-784, ReLU code, Sigmoid output, binary cross-entropy,
// Adam 1e-3, batch 64, on Fashion-MNIST. After every epoch it draws test images above their
// reconstructions, so the pictures show the network learning.
//
//   simple_autoencoder [--epochs 10] [--seed 1] [--out out/simple_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <cstdio>
#include <iostream>
#include <string>

using Encoder = latent::Sequential<latent::Dense<784, 64, latent::ReLU>>;
using Decoder = latent::Sequential<latent::Dense<64, 784, latent::Sigmoid>>;
using SimpleAutoencoder = latent::Autoencoder<Encoder, Decoder>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 10, .out = "out/simple_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);

    SimpleAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";

    const latent::Matrix<float> originals = data.test.batch(0, 10);
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3}}, latent::BCE{}};
    trainer.on_epoch_end([&](const latent::EpochRecord& epoch) {
        char name[64];
        std::snprintf(name, sizeof name, "reconstructions_epoch_%02zu.png", epoch.epoch);
        latent::save_reconstruction_grid(options.out / name, originals, model.reconstruct(originals), 28, 28);
    });
    const auto history = trainer.fit(data.train, data.test, {.epochs = options.epochs, .batch_size = 64, .seed = options.seed});

    plot_or_explain([&] { latent::save_loss_curve(options.out / "loss.png", history); });
    std::cout << "final test BCE: " << *history.last().validation_loss << "\n"
              << "pictures: " << options.out.string() << "/reconstructions_epoch_*.png, loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
