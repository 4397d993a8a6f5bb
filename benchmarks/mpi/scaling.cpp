// Data-parallel training over MPI: deep3 or the convolutional autoencoder on Fashion-MNIST with
// latent::mpi::Communicator, at as many processes as mpirun starts. Rank 0 prints one JSON object (driven by
// benchmarks/mpi_scaling.py, which runs 1 and 2 processes and computes the scaling efficiency).
//
//   mpirun -np N bench_mpi_scaling [--model deep3|conv] [--batch 64] [--epochs 2] [--samples 60000]
//                                  [--reduction allreduce|fixed_order] [--data DIR]
//
// --samples trains on the first N training images (the conv model's full epoch takes half a minute here).
//
// The global batch is --batch: each process trains on its share of every batch, so N processes do the same
// steps as one (strong scaling). Reported per epoch (median): wall seconds of the training loop; seconds in the
// gradient sum, which include waiting for the slower process; and, timed apart after training, the sum alone
// (all processes start it together), the cost of moving one step's gradients.

#include <latent/mpi.hpp>

#include "../models.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using latent::benchmarks::Deep3;
using Conv = latent::benchmarks::ConvAutoencoder;

struct Options {
    std::string model = "deep3";
    std::size_t samples = 0;  // 0: all
    std::size_t batch = 64;
    std::size_t epochs = 2;
    latent::mpi::Reduction reduction = latent::mpi::Reduction::allreduce;
    std::filesystem::path data = latent::default_data_directory();
};

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc) throw latent::argument_error("bench_mpi_scaling: expected a value after " + std::string(arg));
        const std::string value = argv[++i];
        if (arg == "--model" && (value == "deep3" || value == "conv")) options.model = value;
        else if (arg == "--samples") options.samples = std::stoul(value);
        else if (arg == "--batch") options.batch = std::stoul(value);
        else if (arg == "--epochs") options.epochs = std::stoul(value);
        else if (arg == "--data") options.data = value;
        else if (arg == "--reduction" && (value == "allreduce" || value == "fixed_order"))
            options.reduction = value == "allreduce" ? latent::mpi::Reduction::allreduce
                                                     : latent::mpi::Reduction::fixed_order;
        else throw latent::argument_error("bench_mpi_scaling: unknown argument " + std::string(arg) + " " + value);
    }
    return options;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

template <class Model>
int train(const Options& options, const latent::Dataset<std::uint8_t>& train_set, const latent::AdamOptions& adam) {
    Model model{1};
    latent::Trainer trainer{model, latent::Adam{adam}, latent::MSE{},
                            latent::mpi::Communicator(MPI_COMM_WORLD, options.reduction)};
    auto& communicator = trainer.communicator();
    std::vector<double> summing;  // seconds in the gradient sums, per epoch
    double summed_before = 0;
    trainer.on_epoch_end([&](const latent::EpochRecord&) {
        summing.push_back(communicator.communication_seconds() - summed_before);
        summed_before = communicator.communication_seconds();
    });
    const auto history = trainer.fit(train_set, {.epochs = options.epochs, .batch_size = options.batch, .seed = 1,
                                                 .verbosity = latent::Verbosity::silent});

    // The sum alone: one step's buffer (the gradients and the loss), the processes lined up before each.
    std::vector<float> buffer(Model::parameter_count + 1, 1.0f);
    constexpr int repeats = 200;
    double alone = 0;
    for (int i = 0; communicator.size() > 1 && i < repeats; ++i) {  // one process alone never sums
        MPI_Barrier(MPI_COMM_WORLD);
        const auto start = std::chrono::steady_clock::now();
        communicator.sum(std::span<float>(buffer));
        alone += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    std::vector<double> seconds;
    for (const auto& record : history.epochs) seconds.push_back(record.seconds);
    const double steps = double((train_set.size() + options.batch - 1) / options.batch);
    if (communicator.rank() == 0) {
        std::cout.precision(6);
        std::cout << "{\"model\": \"" << options.model << "\", \"processes\": " << communicator.size()
                  << ", \"batch\": " << options.batch << ", \"samples\": " << train_set.size() << ", \"reduction\": \""
                  << (options.reduction == latent::mpi::Reduction::allreduce ? "allreduce" : "fixed_order")
                  << "\", \"epochs\": " << seconds.size() << ", \"epoch_seconds\": " << median(seconds)
                  << ", \"sum_seconds\": " << median(summing)
                  << ", \"sum_alone_seconds\": " << alone / repeats * steps
                  << ", \"final_train_loss\": " << history.last().train_loss << "}\n";
    }
    return 0;
}

int main(int argc, char** argv) try {
    latent::mpi::Environment environment(argc, argv);
    const Options options = parse(argc, argv);
    const auto data = latent::load_fashion_mnist(options.data);
    const std::size_t samples = options.samples ? std::min(options.samples, data.train.size()) : data.train.size();
    const auto train_set = data.train.slice(0, samples);
    if (options.model == "conv")  // the example's settings: Keras' Adam epsilon
        return train<Conv>(options, train_set, {.learning_rate = 1e-3, .epsilon = 1e-7});
    return train<Deep3>(options, train_set, {.learning_rate = 1e-3, .weight_decay = 1e-5});
} catch (const std::exception& e) {
    std::cerr << "bench_mpi_scaling: " << e.what() << "\n";
    return 1;
}
