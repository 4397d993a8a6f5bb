// Tutorial 8, the stacked autoencoder with greedy layer-wise pretraining: the textbook 784-300-150 stack
// is trained one layer pair at a time (784-300-784 on the images, then 300-150-300 on the 300-D codes),
// the pretrained layers are copied into the deep 784-300-150-300-784 model (the same layer types, checked
// at compile time), and the deep model is fine-tuned end to end. Sigmoid units, MSE, Adam, batch 64.
//
//   stacked_autoencoder [--epochs 3] [--seed 1] [--out out/stacked_autoencoder] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <iostream>

using Outer = latent::Dense<784, 300, latent::Sigmoid>;
using OuterBack = latent::Dense<300, 784, latent::Sigmoid>;
using Inner = latent::Dense<300, 150, latent::Sigmoid>;
using InnerBack = latent::Dense<150, 300, latent::Sigmoid>;

using FirstPair = latent::Autoencoder<latent::Sequential<Outer>, latent::Sequential<OuterBack>>;
using SecondPair = latent::Autoencoder<latent::Sequential<Inner>, latent::Sequential<InnerBack>>;
using Stacked = latent::Autoencoder<latent::Sequential<Outer, Inner>, latent::Sequential<InnerBack, OuterBack>>;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 3, .out = "out/stacked_autoencoder"});
    const auto data = latent::load_fashion_mnist(options.data);
    const latent::FitOptions fit{.epochs = options.epochs, .batch_size = 64, .seed = options.seed};

    std::cout << "1. the outer pair, 784-300-784, on the images\n";
    FirstPair first{options.seed};
    latent::Trainer{first, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}}.fit(data.train, fit);

    std::cout << "2. the inner pair, 300-150-300, on the outer pair's codes\n";
    const auto codes = latent::encode_dataset(first, data.train);
    SecondPair second{options.seed};
    latent::Trainer{second, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}}.fit(codes, fit);

    std::cout << "3. the deep model from the pretrained layers, fine-tuned end to end\n";
    Stacked stacked{options.seed};
    latent::copy_layer<0, 0>(stacked, first);
    latent::copy_layer<1, 0>(stacked, second);
    latent::copy_layer<2, 1>(stacked, second);
    latent::copy_layer<3, 1>(stacked, first);
    std::cout << stacked.summary() << "\n";
    latent::Trainer fine_tuning{stacked, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}};
    const double pretrained = fine_tuning.evaluate(data.test);
    const auto history = fine_tuning.fit(data.train, data.test, fit);

    const latent::Matrix<float> originals = data.test.batch(0, 16);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, stacked.reconstruct(originals), 28, 28);
    plot_or_explain([&] { latent::save_loss_curve(options.out / "fine_tuning_loss.png", history); });
    std::cout << "test MSE of the pretrained stack before fine-tuning: " << pretrained << "\n"
              << "final test MSE: " << *history.last().validation_loss << "\n"
              << "pictures: " << options.out.string() << "/reconstructions.png, fine_tuning_loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
