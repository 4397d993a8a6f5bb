// Tutorial 10, the contractive autoencoder (Rifai et al. 2011): a 784-64 Sigmoid encoder whose Jacobian's
// squared Frobenius norm is penalised (weight 1e-3, computed analytically), a 64-784 Sigmoid decoder, MSE,
// Adam 1e-3, batch 64. It compares how much the code moves under small input noise with and without the
// penalty: the contractive code is the more stable one.
//
//   contractive_autoencoder [--epochs 5] [--seed 1] [--out out/contractive_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <iostream>

using Encoder = latent::Sequential<latent::Dense<784, 64, latent::Sigmoid>>;
using Decoder = latent::Sequential<latent::Dense<64, 784, latent::Sigmoid>>;
using ContractiveAutoencoder = latent::Autoencoder<Encoder, Decoder, latent::backend::cpu, latent::Contractive>;
using PlainAutoencoder = latent::Autoencoder<Encoder, Decoder>;

/// Mean distance between the codes of images and of the same images with N(0, 0.05^2) noise.
template <class Model>
double code_sensitivity(const Model& model, const latent::Matrix<float>& images, std::uint64_t seed) {
    latent::Matrix<float> noisy = images;
    latent::Rng rng{seed};
    latent::GaussianNoise{.stddev = 0.05}(latent::MatrixView<float>(noisy.data(), noisy.rows(), noisy.cols()), rng);
    return (model.encode(noisy) - model.encode(images)).colwise().norm().mean();
}

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/contractive_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);
    const latent::FitOptions fit{.epochs = options.epochs, .batch_size = 64, .seed = options.seed};

    ContractiveAutoencoder contractive{options.seed, latent::Contractive{.weight = 1e-3}};
    std::cout << contractive.summary() << "\n";
    const auto history =
        latent::Trainer{contractive, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}}.fit(data.train, data.test, fit);
    PlainAutoencoder plain{options.seed};
    latent::Trainer plain_trainer{plain, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}};
    plain_trainer.fit(data.train, fit);

    const latent::Matrix<float> images = data.test.batch(0, 1000);
    const latent::Matrix<float> originals = data.test.batch(0, 16);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, contractive.reconstruct(originals), 28, 28);
    plot_or_explain([&] { latent::save_loss_curve(options.out / "loss.png", history); });
    std::cout << "code movement under input noise: contractive " << code_sensitivity(contractive, images, options.seed)
              << ", plain " << code_sensitivity(plain, images, options.seed) << "\n"
              << "test MSE of the plain model: " << plain_trainer.evaluate(data.test) << "\n"
              << "final test loss of the contractive model (MSE + penalty): " << *history.last().validation_loss << "\n"
              << "pictures: " << options.out.string() << "/reconstructions.png, loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
