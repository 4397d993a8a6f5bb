// deep3 trained with libtorch (PyTorch's C++ API), 1 thread, as bench_train_speed trains it with latent: batch 64,
// Adam 1e-3 with weight decay 1e-5, MSE, per-epoch shuffling, PyTorch's default init. Not part of the CMake build
// (libtorch is optional and takes ~20 s and ~1.1 GiB to compile this file): benchmarks/run.py --libtorch builds it.
// Prints one JSON line like bench_train_speed's.
//
//   train_speed_libtorch [--epochs 3] [--seed 1] [--threads 1] [--data DIR]

#include <latent/data/fashion_mnist.hpp>

#include <torch/torch.h>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

namespace {
double process_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

torch::Tensor to_tensor(const latent::Dataset<std::uint8_t>& data) {
    const auto values = data.values();
    auto bytes = torch::from_blob(const_cast<std::uint8_t*>(values.data()),
                                  {std::int64_t(data.size()), std::int64_t(data.sample_size())}, torch::kUInt8);
    return bytes.to(torch::kFloat32).div_(255.0);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string list(const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}
}  // namespace

int main(int argc, char** argv) {
    int epochs = 3, threads = 1;
    std::uint64_t seed = 1;
    std::filesystem::path dir = latent::default_data_directory();
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i];
        if (arg == "--epochs") epochs = std::stoi(argv[i + 1]);
        else if (arg == "--seed") seed = std::stoull(argv[i + 1]);
        else if (arg == "--threads") threads = std::stoi(argv[i + 1]);
        else if (arg == "--data") dir = argv[i + 1];
    }
    torch::set_num_threads(threads);
    torch::manual_seed(seed);
    const auto split = latent::load_fashion_mnist(dir);
    const torch::Tensor x_train = to_tensor(split.train), x_test = to_tensor(split.test);

    torch::nn::Sequential model(
        torch::nn::Linear(784, 128), torch::nn::ReLU(), torch::nn::Linear(128, 64), torch::nn::ReLU(),
        torch::nn::Linear(64, 12), torch::nn::ReLU(), torch::nn::Linear(12, 3), torch::nn::Linear(3, 12),
        torch::nn::ReLU(), torch::nn::Linear(12, 64), torch::nn::ReLU(), torch::nn::Linear(64, 128), torch::nn::ReLU(),
        torch::nn::Linear(128, 784), torch::nn::Sigmoid());
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3).weight_decay(1e-5));
    const std::int64_t n = x_train.size(0), batch = 64;
    std::vector<double> seconds, cpu_seconds;
    double train_loss = 0, test_loss = 0;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        model->train();
        const double c0 = process_cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        const torch::Tensor perm = torch::randperm(n);
        double total = 0;
        for (std::int64_t i = 0; i < n; i += batch) {
            const torch::Tensor x = x_train.index_select(0, perm.slice(0, i, std::min(i + batch, n)));
            const torch::Tensor loss = torch::mse_loss(model->forward(x), x);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            total += loss.item<double>() * double(x.size(0));
        }
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        cpu_seconds.push_back(process_cpu_seconds() - c0);
        train_loss = total / double(n);
        model->eval();
        torch::NoGradGuard no_grad;
        test_loss = torch::mse_loss(model->forward(x_test), x_test).item<double>();
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double med = median(seconds);
    std::cout << "{\"kind\": \"train\", \"library\": \"libtorch\", \"model\": \"deep3\", \"threads\": " << threads
              << ", \"epochs\": " << epochs << ", \"epoch_seconds\": " << list(seconds)
              << ", \"median_seconds\": " << med << ", \"epoch_cpu_seconds\": " << list(cpu_seconds)
              << ", \"median_cpu_seconds\": " << median(cpu_seconds) << ", \"samples_per_second\": " << double(n) / med
              << ", \"final_train_loss\": " << train_loss << ", \"test_loss\": " << test_loss
              << ", \"peak_rss_kib\": " << usage.ru_maxrss << "}\n";
}
