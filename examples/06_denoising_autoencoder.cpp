// Tutorial 6, the denoising autoencoder: 784-256-64-256-784, ReLU, Sigmoid output, trained to map images
// with Gaussian noise (sigma 0.3, clipped to [0, 1]) back to the clean images: MSE, Adam 1e-3, batch 128.
// The picture shows noisy test images, the network's output, and the clean originals.
//
//   denoising_autoencoder [--epochs 5] [--seed 1] [--out out/denoising_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <iostream>

using Encoder = latent::Sequential<latent::Dense<784, 256, latent::ReLU>, latent::Dense<256, 64, latent::ReLU>>;
using Decoder = latent::Sequential<latent::Dense<64, 256, latent::ReLU>, latent::Dense<256, 784, latent::Sigmoid>>;
using DenoisingAutoencoder = latent::Autoencoder<Encoder, Decoder>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/denoising_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);
    const latent::GaussianNoise noise{.stddev = 0.3};

    DenoisingAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}};
    // Validation: noisy test images against the clean ones, the same noise after every epoch.
    const auto history = trainer.fit(data.train, data.test,
                                     {.epochs = options.epochs, .batch_size = 128, .seed = options.seed, .corruption = noise});

    constexpr std::size_t shown = 12;
    const latent::Matrix<float> clean = data.test.batch(0, shown);
    latent::Matrix<float> noisy = clean;
    latent::Rng rng{options.seed};
    noise(latent::MatrixView<float>(noisy.data(), noisy.rows(), noisy.cols()), rng);
    latent::Matrix<float> rows(784, 3 * shown);
    rows << noisy, model.reconstruct(noisy), clean;
    latent::save_image_grid(options.out / "denoised.png", rows, 28, 28, shown);
    plot_or_explain([&] { latent::save_loss_curve(options.out / "loss.png", history); });

    std::cout << "test MSE on clean inputs: " << trainer.evaluate(data.test) << "\n"
              << "final test MSE: " << *history.last().validation_loss << " (denoised noisy test images against the clean ones)\n"
              << "pictures: " << options.out.string()
              << "/denoised.png (rows: noisy input, denoised output, clean original), loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
