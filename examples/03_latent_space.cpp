// Tutorial 3, the latent space: the deep autoencoder's shape with Tanh, a 3-D code, mean squared error,
// Adam 5e-3, batch 64. Every 2 epochs it draws reconstructions; at the end it plots the test set's
// codes in 3-D, coloured by Fashion-MNIST class (with the data as CSV beside the picture).
//
//   latent_space [--epochs 10] [--seed 2] [--out out/latent_space] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <cstdio>
#include <iostream>

using Encoder = latent::Sequential<latent::Dense<784, 128, latent::Tanh>, latent::Dense<128, 64, latent::Tanh>,
                                   latent::Dense<64, 12, latent::Tanh>, latent::Dense<12, 3>>;
using Decoder = latent::Sequential<latent::Dense<3, 12, latent::Tanh>, latent::Dense<12, 64, latent::Tanh>,
                                   latent::Dense<64, 128, latent::Tanh>, latent::Dense<128, 784, latent::Sigmoid>>;
using LatentSpaceAutoencoder = latent::Autoencoder<Encoder, Decoder>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 10, .seed = 2, .out = "out/latent_space"});
    const auto data = latent::load_fashion_mnist(options.data);

    LatentSpaceAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";

    const latent::Matrix<float> originals = data.test.batch(0, 10);
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 5e-3}}, latent::MSE{}};
    trainer.on_epoch_end([&](const latent::EpochRecord& epoch) {
        if (epoch.epoch % 2 != 0) return;
        char name[64];
        std::snprintf(name, sizeof name, "reconstructions_epoch_%02zu.png", epoch.epoch);
        latent::save_reconstruction_grid(options.out / name, originals, model.reconstruct(originals), 28, 28);
    });
    const auto history = trainer.fit(data.train, data.test, {.epochs = options.epochs, .batch_size = 64, .seed = options.seed});

    // The encoder on its own, as a feature extractor: 3 numbers per image.
    const auto encoder = model.encoder();
    const latent::Matrix<float> codes = encoder.predict(data.test.batch(0, data.test.size()));
    plot_or_explain([&] {
        latent::save_latent_scatter(options.out / "latent_space.png", codes, data.test.labels(),
                                    latent::fashion_mnist_class_names);
        latent::save_loss_curve(options.out / "loss.png", history);
    });
    std::cout << "final test MSE: " << *history.last().validation_loss << "\n"
              << "pictures: " << options.out.string() << "/latent_space.png (codes of the 10,000 test images by class), "
              << "reconstructions_epoch_*.png, loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
