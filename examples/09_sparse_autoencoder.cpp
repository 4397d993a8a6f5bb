// Tutorial 9, the sparse autoencoder: an overcomplete-ish 784-256 Sigmoid code whose units are pushed to
// be rarely active by the classic KL penalty (target mean activation rho = 0.05, weight beta = 3), with a
// 256-784 Sigmoid decoder; squared error summed over the pixels (the classic formulation, which keeps the
// reconstruction term and the penalty on comparable scales), Adam 1e-3, batch 64. It prints the mean activation of the code units and
// draws each unit's decoder weights (the features it has learned) and reconstructions.
//
//   sparse_autoencoder [--epochs 5] [--seed 1] [--out out/sparse_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <iostream>

using Encoder = latent::Sequential<latent::Dense<784, 256, latent::Sigmoid>>;
using Decoder = latent::Sequential<latent::Dense<256, 784, latent::Sigmoid>>;
// The penalty is on network layer 0: the code.
using SparseAutoencoder = latent::Autoencoder<Encoder, Decoder, latent::backend::cpu, latent::KLSparsity<0>>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/sparse_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);

    SparseAutoencoder model{options.seed, latent::KLSparsity<0>{.target = 0.05, .weight = 3.0}};
    std::cout << model.summary() << "\n";
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3}},
                            latent::MSE{.reduction = latent::Reduction::sum_per_sample}};
    const auto history =
        trainer.fit(data.train, data.test, {.epochs = options.epochs, .batch_size = 64, .seed = options.seed});

    const latent::Matrix<float> codes = model.encode(data.test.batch(0, 1000));
    const latent::Matrix<float> originals = data.test.batch(0, 16);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, model.reconstruct(originals), 28, 28);
    // Each code unit's decoder column (784 weights) as an image, rescaled to [0, 1].
    const auto weights = model.layer_parameters<1>().first(784 * 256);
    latent::Matrix<float> features = Eigen::Map<const latent::Matrix<float>>(weights.data(), 784, 256);
    features = (features.array() - features.minCoeff()) / (features.maxCoeff() - features.minCoeff());
    latent::save_image_grid(options.out / "features.png", features, 28, 28, 16);
    plot_or_explain([&] { latent::save_loss_curve(options.out / "loss.png", history); });

    std::cout << "mean activation of the code units on test images: " << codes.mean() << " (target 0.05)\n"
              << "final test loss (squared error per image + sparsity penalty): " << *history.last().validation_loss << "\n"
              << "pictures: " << options.out.string() << "/features.png (one learned feature per code unit), "
              << "reconstructions.png, loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
