// Tutorial 11, tied weights: a 784-256-64 ReLU encoder whose decoder is its mirror image with transposed,
// shared weights (latent::Mirror), Sigmoid output, MSE, Adam 1e-3, batch 64. Half the weights of the
// untied model, trained side by side with it.
//
//   tied_autoencoder [--epochs 5] [--seed 1] [--out out/tied_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <iostream>

using Encoder = latent::Sequential<latent::Dense<784, 256, latent::ReLU>, latent::Dense<256, 64, latent::ReLU>>;
using TiedAutoencoder = latent::Autoencoder<Encoder, latent::Mirror<Encoder, latent::Sigmoid>>;
using UntiedAutoencoder = latent::Autoencoder<
    Encoder, latent::Sequential<latent::Dense<64, 256, latent::ReLU>, latent::Dense<256, 784, latent::Sigmoid>>>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/tied_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);
    const latent::FitOptions fit{.epochs = options.epochs, .batch_size = 64, .seed = options.seed};

    TiedAutoencoder tied{options.seed};
    std::cout << tied.summary() << "\n";
    const auto history = latent::Trainer{tied, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}}.fit(data.train, data.test, fit);
    UntiedAutoencoder untied{options.seed};
    const auto untied_history =
        latent::Trainer{untied, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}}.fit(data.train, data.test, fit);

    const latent::Matrix<float> originals = data.test.batch(0, 16);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, tied.reconstruct(originals), 28, 28);
    latent::save_model(tied, options.out / "tied_autoencoder.latent");
    std::cout << "parameters: tied " << TiedAutoencoder::parameter_count << ", untied " << UntiedAutoencoder::parameter_count
              << "\nfinal test MSE: tied " << *history.last().validation_loss << ", untied "
              << *untied_history.last().validation_loss << "\npictures: " << options.out.string() << "/reconstructions.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
