// deep3 trained on Fashion-MNIST by latent on the GPU (or the CPU, for the final-loss comparison). Prints one
// JSON object per run; benchmarks/gpu/run.py drives it and compares with PyTorch on the same GPU.
//
//   bench_gpu_train_speed --backend cuda|cuda_uncaptured|cpu --batch 64 [--epochs 3] [--seed 1] [--data DIR]
//
// --data synthetic trains on 60,000 uniform random images and tests on 10,000 (for a machine without the
// Fashion-MNIST files: the same shapes, so the same speed; the losses are not Fashion-MNIST's).
// deep3: 784-128-64-12-3 and back, ReLU, Sigmoid output, MSE, Adam 1e-3 with weight decay 1e-5, as
// benchmarks/train_speed.cpp and the reference PyTorch script. s/epoch is the trainer's own epoch time (the
// training steps, from the first launch to the last step's completion); the first epoch includes the graph
// capture, so run.py reports the best and the median of the later epochs.

#include <latent/latent.hpp>

#include "../models.hpp"

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using latent::benchmarks::Deep3Decoder;
using latent::benchmarks::Deep3Encoder;

struct Options {
    std::string backend = "cuda";
    std::size_t batch = 64;
    std::size_t epochs = 3;
    std::uint64_t seed = 1;
    std::string data = latent::default_data_directory().string();
};

latent::TrainTestSplit load(const Options& options) {
    if (options.data != "synthetic") return latent::load_fashion_mnist(options.data);
    latent::Rng rng{options.seed};
    const auto images = [&](std::size_t n) {
        std::vector<std::uint8_t> values(n * 784);
        for (auto& v : values) v = std::uint8_t(rng.uniform() * 256);
        return latent::Dataset<>(std::move(values), 28, 28);
    };
    return {images(60000), images(10000)};
}

template <class Backend>
int train(const Options& options) {
    const auto data = load(options);
    latent::Autoencoder<Deep3Encoder, Deep3Decoder, Backend> model{options.seed};
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3, .weight_decay = 1e-5}}, latent::MSE{}};
    const auto history = trainer.fit(data.train, data.test,
                                     {.epochs = options.epochs, .batch_size = options.batch, .seed = options.seed,
                                      .verbosity = latent::Verbosity::silent});
    std::cout.precision(9);
    std::cout << "{\"library\": \"latent\", \"backend\": \"" << options.backend << "\", \"model\": \"deep3\""
              << ", \"batch\": " << options.batch << ", \"epoch_seconds\": [";
    for (std::size_t i = 0; i < history.epochs.size(); ++i)
        std::cout << (i ? ", " : "") << history.epochs[i].seconds;
    std::cout << "], \"final_train_loss\": " << history.last().train_loss
              << ", \"test_loss\": " << *history.last().validation_loss << "}\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view key = argv[i];
        const std::string value = argv[i + 1];
        if (key == "--backend") options.backend = value;
        else if (key == "--batch") options.batch = std::stoul(value);
        else if (key == "--epochs") options.epochs = std::stoul(value);
        else if (key == "--seed") options.seed = std::stoull(value);
        else if (key == "--data") options.data = value;
        else {
            std::cerr << "unknown option " << key << "\n";
            return 2;
        }
    }
    try {
        if (options.backend == "cuda") return train<latent::backend::cuda>(options);
        if (options.backend == "cuda_uncaptured") return train<latent::backend::basic_cuda<false>>(options);
        if (options.backend == "cpu") return train<latent::backend::cpu>(options);
        std::cerr << "expected --backend cuda, cuda_uncaptured or cpu, found " << options.backend << "\n";
        return 2;
    } catch (const latent::error& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
