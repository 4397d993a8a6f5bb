// Tutorial 7, the variational autoencoder (pytorch/examples' VAE): 784-400 ReLU, then a 20-D mean and
// log-variance; 20-400 ReLU, 400-784 Sigmoid. Loss: BCE summed over pixels plus the KL divergence from
// N(0, I), per sample (the negative ELBO). Adam 1e-3, batch 128. It draws samples from the prior, an
// interpolation between two test images' codes, and reconstructions.
//
//   variational_autoencoder [--epochs 10] [--seed 1] [--out out/variational_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <iostream>

using Encoder = latent::Sequential<latent::Dense<784, 400, latent::ReLU>,
                                   latent::Dense<400, 40>,            // 20 means, then 20 log-variances
                                   latent::GaussianSample<20>>;       // z = mean + eps * exp(logvar / 2)
using Decoder = latent::Sequential<latent::Dense<20, 400, latent::ReLU>, latent::Dense<400, 784, latent::Sigmoid>>;
using Vae = latent::VariationalAutoencoder<Encoder, Decoder>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 10, .out = "out/variational_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);

    Vae vae{options.seed};
    std::cout << vae.summary() << "\n";
    latent::Trainer trainer{vae, latent::Adam{{.learning_rate = 1e-3}},
                            latent::BCE{.reduction = latent::Reduction::sum_per_sample}};
    const auto history =
        trainer.fit(data.train, data.test, {.epochs = options.epochs, .batch_size = 128, .seed = options.seed});

    latent::Rng rng{options.seed};
    latent::save_image_grid(options.out / "samples.png", vae.sample(64, rng), 28, 28, 8);

    // Ten steps from the code of one test image to another's (an ankle boot to a trouser).
    const latent::Matrix<float> ends = data.test.batch(0, 3);
    const latent::Matrix<float> codes = vae.encode(ends);
    constexpr int steps = 10;
    latent::Matrix<float> path(Vae::code_size, steps);
    for (int i = 0; i < steps; ++i) {
        const float t = float(i) / float(steps - 1);
        path.col(i) = (1 - t) * codes.col(0) + t * codes.col(2);
    }
    latent::save_image_grid(options.out / "interpolation.png", vae.decode(path), 28, 28, steps);
    const latent::Matrix<float> originals = data.test.batch(0, 16);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, vae.reconstruct(originals), 28, 28);
    plot_or_explain([&] { latent::save_loss_curve(options.out / "loss.png", history); });

    std::cout << "final test negative ELBO per sample: " << *history.last().validation_loss << "\n"
              << "pictures: " << options.out.string()
              << "/samples.png (decoded draws from the prior), interpolation.png, reconstructions.png, loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
