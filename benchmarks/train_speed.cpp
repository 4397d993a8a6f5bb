// Training and inference speed of latent on Fashion-MNIST, and the GEMM floor of this machine for a
// deep3 step. Prints one JSON object per line (driven by benchmarks/run.py, which compares with PyTorch).
//
//   bench_train_speed train deep3|simple [--epochs 3] [--seed 1] [--data DIR] [--infer] [--threads 1]
//       trains with the examples' settings (batch 64, Adam 1e-3; deep3: MSE, weight decay 1e-5;
//       simple: BCE) on --threads threads, then, with --infer, times deep3 reconstruct() at batch 1024 on
//       the test set on as many.
//   bench_train_speed conv [--batches 200] [--seed 1] [--data DIR] [--threads 1]
//       trains the Keras tutorial's convolutional autoencoder (examples/12_conv_autoencoder.cpp: MSE, Adam 1e-3
//       with epsilon 1e-7, batch 128) on the first `batches` batches of the training set, and extrapolates the
//       time per batch after the first to an epoch of 60,000 images.
//   bench_train_speed floor [--trials 15]
//       times every GEMM of one batch-64 deep3 training step with latent's detail::Gemm (on Eigen, or on
//       OpenBLAS with latent::blas), with Eigen's own product and, when built with OpenBLAS
//       (LATENT_BENCH_CBLAS), with cblas_sgemm; plus one Adam update over 219,891 parameters. Run with
//       OPENBLAS_NUM_THREADS=1 for the one-thread floor.

#include <latent/latent.hpp>

#include "models.hpp"

#if LATENT_BENCH_CBLAS
#include <cblas.h>
#endif

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using latent::benchmarks::Deep3;

using SimpleAE = latent::Autoencoder<latent::Sequential<latent::Dense<784, 64, latent::ReLU>>,
                                     latent::Sequential<latent::Dense<64, 784, latent::Sigmoid>>>;

using ConvAE = latent::benchmarks::ConvAutoencoder;

constexpr std::size_t batch_size = 64;
constexpr double steps_per_epoch = 60000.0 / double(batch_size);  // 937.5

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // KiB on Linux
}

double process_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

std::string json_list(const std::vector<double>& values) {
    std::ostringstream out;
    out.precision(9);
    out << "[";
    for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
    out << "]";
    return out.str();
}

struct Options {
    std::size_t epochs = 3;
    std::uint64_t seed = 1;
    std::filesystem::path data = latent::default_data_directory();
    bool infer = false;
    int trials = 15;
    std::size_t threads = 1;
    std::size_t batches = 200;
};

Options parse_options(int argc, char** argv, int first) {
    Options options;
    for (int i = first; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument("missing value after " + std::string(arg));
            return argv[++i];
        };
        if (arg == "--epochs")
            options.epochs = std::stoul(value());
        else if (arg == "--seed")
            options.seed = std::stoull(value());
        else if (arg == "--data")
            options.data = value();
        else if (arg == "--infer")
            options.infer = true;
        else if (arg == "--threads")
            options.threads = std::stoul(value());
        else if (arg == "--trials")
            options.trials = std::stoi(value());
        else if (arg == "--batches")
            options.batches = std::stoul(value());
        else
            throw std::invalid_argument("unknown option " + std::string(arg));
    }
    return options;
}

// deep3 reconstruct() at batch 1024 over the test set: samples/s of each repetition, median.
double inference_rate(const Deep3& model, const latent::Dataset<std::uint8_t>& test, std::size_t threads) {
    constexpr std::size_t batch = 1024;
    const latent::ThreadScope scope{threads};
    std::vector<latent::Matrix<float>> batches;
    for (std::size_t first = 0; first + batch <= test.size(); first += batch) batches.push_back(test.batch(first, batch));
    double checksum = 0;
    for (const auto& x : batches) checksum += double(model.reconstruct(x)(0, 0));  // warm-up
    std::vector<double> rates;
    for (int rep = 0; rep < 5; ++rep) {
        const auto start = Clock::now();
        for (const auto& x : batches) checksum += double(model.reconstruct(x)(0, 0));
        rates.push_back(double(batches.size() * batch) / seconds_since(start));
    }
    if (checksum < 0) std::cerr << "unexpected negative output\n";  // keeps the work observable
    return median(rates);
}

template <class Model, class Loss>
int train(const std::string& name, const Options& options, const latent::AdamOptions& adam) {
    const auto data = latent::load_fashion_mnist(options.data);
    Model model{options.seed};
    latent::Trainer trainer{model, latent::Adam{adam}, Loss{}};
    // Process CPU seconds from the end of each epoch's first batch to the end of its last, scaled to the
    // whole epoch: on a shared machine this is less disturbed by other processes than wall time.
    std::vector<double> cpu_seconds;
    double cpu_first = 0;
    trainer.on_batch_end([&](const latent::BatchReport& report) {
        if (report.batch == 0) cpu_first = process_cpu_seconds();
        if (report.batch + 1 == report.batches && report.batches > 1)
            cpu_seconds.push_back((process_cpu_seconds() - cpu_first) * double(report.batches) / double(report.batches - 1));
    });
    const auto history = trainer.fit(data.train, data.test,
                                     {.epochs = options.epochs, .batch_size = batch_size, .seed = options.seed,
                                      .verbosity = latent::Verbosity::silent, .threads = options.threads});
    std::vector<double> seconds, test_losses;
    for (const auto& record : history.epochs) {
        seconds.push_back(record.seconds);
        test_losses.push_back(record.validation_loss.value_or(-1));
    }
    const double med = median(seconds);
    const long rss_after_training = peak_rss_kib();
    std::cout.precision(9);
    std::cout << "{\"kind\": \"train\", \"library\": \"latent\", \"model\": \"" << name
              << "\", \"threads\": " << options.threads << ", \"gemm\": \"" << latent::cpu_gemm_library() << "\""
              << ", \"epochs\": " << history.epochs.size() << ", \"epoch_seconds\": " << json_list(seconds)
              << ", \"epoch_cpu_seconds\": " << json_list(cpu_seconds)
              << ", \"median_cpu_seconds\": " << median(cpu_seconds)
              << ", \"median_seconds\": " << med << ", \"samples_per_second\": " << double(data.train.size()) / med
              << ", \"final_train_loss\": " << history.last().train_loss
              << ", \"test_loss_per_epoch\": " << json_list(test_losses)
              << ", \"test_loss\": " << *history.last().validation_loss
              << ", \"peak_rss_kib\": " << rss_after_training << "}\n";
    if constexpr (std::is_same_v<Model, Deep3>) {
        if (options.infer)
            std::cout << "{\"kind\": \"infer\", \"library\": \"latent\", \"model\": \"deep3\", \"threads\": "
                      << options.threads << ", \"batch\": 1024, \"samples_per_second\": " << inference_rate(model, data.test, options.threads)
                      << "}\n";
    }
    return 0;
}

// The conv model on `options.batches` batches of 128: wall and CPU seconds per batch after the first
// (the warm-up), scaled to an epoch of 60,000 images, and the mean loss of the last 20 batches.
int train_conv(const Options& options) {
    constexpr std::size_t conv_batch = 128;
    const auto data = latent::load_fashion_mnist(options.data);
    const std::size_t batches = std::clamp<std::size_t>(options.batches, 2, data.train.size() / conv_batch);
    const auto subset = data.train.slice(0, batches * conv_batch);
    ConvAE model{options.seed};
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3, .epsilon = 1e-7}}, latent::MSE{}};
    Clock::time_point wall_first{};
    double cpu_first = 0, wall = 0, cpu = 0, tail_loss = 0;
    trainer.on_batch_end([&](const latent::BatchReport& report) {
        if (report.batch == 0) {
            wall_first = Clock::now();
            cpu_first = process_cpu_seconds();
        }
        if (report.batch + 1 == report.batches) {
            wall = seconds_since(wall_first);
            cpu = process_cpu_seconds() - cpu_first;
        }
        if (report.batch + 20 >= report.batches) tail_loss += report.loss / 20;
    });
    trainer.fit(subset, {.epochs = 1, .batch_size = conv_batch, .seed = options.seed,
                         .verbosity = latent::Verbosity::silent, .threads = options.threads});
    const double per_epoch = 60000.0 / double(conv_batch) / double(batches - 1);
    std::cout.precision(9);
    std::cout << "{\"kind\": \"conv\", \"library\": \"latent\", \"model\": \"conv\", \"threads\": " << options.threads
              << ", \"batches\": " << batches << ", \"seconds_per_epoch\": " << wall * per_epoch
              << ", \"cpu_seconds_per_epoch\": " << cpu * per_epoch << ", \"tail_loss\": " << tail_loss
              << ", \"peak_rss_kib\": " << peak_rss_kib() << "}\n";
    return 0;
}

// ---------------------------------------------------------------------------------------------------
// The floor: every GEMM of one deep3 step at batch 64, column-major as latent stores it (samples are
// columns, W is out x in).

struct Shape {
    const char* name;
    int m, n, k;
    bool transpose_a, transpose_b;
};

// The fastest over `trials` of the mean seconds per call, each trial long enough (~4 ms) to time: the floor is
// what the machine can do, and on a shared machine the slower trials measure the other processes.
double time_call(const std::function<void()>& call, int trials) {
    for (int i = 0; i < 20; ++i) call();
    int reps = 1;
    for (;;) {
        const auto start = Clock::now();
        for (int i = 0; i < reps; ++i) call();
        if (seconds_since(start) > 0.004) break;
        reps *= 2;
    }
    std::vector<double> per_call;
    for (int t = 0; t < trials; ++t) {
        const auto start = Clock::now();
        for (int i = 0; i < reps; ++i) call();
        per_call.push_back(seconds_since(start) / reps);
    }
    return *std::min_element(per_call.begin(), per_call.end());
}

template <bool TA, bool TB>
double time_latent_gemm(const Shape& s, const float* a, const float* b, float* c, int trials) {
    latent::detail::Gemm<float, TA, TB> gemm(s.m, s.n, s.k);
    const int lda = TA ? s.k : s.m, ldb = TB ? s.n : s.k;
    return time_call([&] { gemm(s.m, s.n, s.k, a, lda, b, ldb, c, s.m, false); }, trials);
}

double time_latent(const Shape& s, const float* a, const float* b, float* c, int trials) {
    if (!s.transpose_a && !s.transpose_b) return time_latent_gemm<false, false>(s, a, b, c, trials);
    if (!s.transpose_a && s.transpose_b) return time_latent_gemm<false, true>(s, a, b, c, trials);
    return time_latent_gemm<true, false>(s, a, b, c, trials);
}

// Eigen's own product, whichever library latent's Gemm uses: the floor takes the faster of Eigen and OpenBLAS.
double time_eigen(const Shape& s, const float* a, const float* b, float* c, int trials) {
    using Map = Eigen::Map<const latent::Matrix<float>>;
    const Map stored_a(a, s.transpose_a ? s.k : s.m, s.transpose_a ? s.m : s.k);
    const Map stored_b(b, s.transpose_b ? s.n : s.k, s.transpose_b ? s.k : s.n);
    Eigen::Map<latent::Matrix<float>> result(c, s.m, s.n);
    if (!s.transpose_a && !s.transpose_b) return time_call([&] { result.noalias() = stored_a * stored_b; }, trials);
    if (!s.transpose_a && s.transpose_b)
        return time_call([&] { result.noalias() = stored_a * stored_b.transpose(); }, trials);
    return time_call([&] { result.noalias() = stored_a.transpose() * stored_b; }, trials);
}

#if LATENT_BENCH_CBLAS
double time_cblas(const Shape& s, const float* a, const float* b, float* c, int trials) {
    const int lda = s.transpose_a ? s.k : s.m, ldb = s.transpose_b ? s.n : s.k;
    return time_call(
        [&] {
            cblas_sgemm(CblasColMajor, s.transpose_a ? CblasTrans : CblasNoTrans,
                        s.transpose_b ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a, lda, b, ldb, 0.0f, c, s.m);
        },
        trials);
}
#endif

int run_floor(const Options& options) {
    constexpr std::array<std::array<int, 2>, 8> layers{{{784, 128}, {128, 64}, {64, 12}, {12, 3},
                                                        {3, 12}, {12, 64}, {64, 128}, {128, 784}}};
    constexpr int n = int(batch_size);
    std::vector<float> a(784 * 784), b(784 * 784), c(784 * 784);
    latent::Rng rng{7};
    for (float& v : a) v = float(rng.normal()) * 0.1f;
    for (float& v : b) v = float(rng.normal()) * 0.1f;
#if LATENT_BENCH_CBLAS
    const bool have_cblas = true;
#else
    const bool have_cblas = false;
#endif
    double total_latent = 0, total_best = 0;
    std::cout.precision(9);
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const int in = layers[l][0], out = layers[l][1];
        std::string prefix = "L";  // appended: g++ 12 gives a false -Wrestrict on "L" + std::string
        prefix += std::to_string(l + 1);
        prefix += '_';
        prefix += std::to_string(in);
        prefix += 'x';
        prefix += std::to_string(out);
        std::vector<Shape> shapes{{"fwd", out, n, in, false, false},    // W x
                                  {"dW", out, in, n, false, true}};     // dz x^T
        if (l > 0) shapes.push_back({"dX", in, n, out, true, false});  // W^T dz (not needed for layer 1)
        for (const Shape& s : shapes) {
            const double t_latent = time_latent(s, a.data(), b.data(), c.data(), options.trials);
            const double t_eigen = time_eigen(s, a.data(), b.data(), c.data(), options.trials);
            double t_blas = -1;
#if LATENT_BENCH_CBLAS
            t_blas = time_cblas(s, a.data(), b.data(), c.data(), options.trials);
#endif
            const double best = t_blas > 0 ? std::min(t_eigen, t_blas) : t_eigen;
            total_latent += t_latent;
            total_best += best;
            std::ostringstream blas;
            blas.precision(9);
            if (have_cblas)
                blas << t_blas;
            else
                blas << "null";
            std::cout << "{\"kind\": \"gemm\", \"name\": \"" << prefix << "_" << s.name << "\", \"m\": " << s.m
                      << ", \"n\": " << s.n << ", \"k\": " << s.k << ", \"latent_seconds\": " << t_latent
                      << ", \"eigen_seconds\": " << t_eigen << ", \"openblas_seconds\": " << blas.str()
                      << ", \"flop\": " << 2.0 * s.m * s.n * s.k << "}\n";
        }
    }
    // The Adam update of one step, as the trainer makes it (weight decay 1e-5 coupled, as the deep3 example).
    std::vector<float> parameters(Deep3::parameter_count), gradients(Deep3::parameter_count);
    for (float& v : parameters) v = float(rng.normal()) * 0.05f;
    for (float& v : gradients) v = float(rng.normal()) * 0.01f;
    latent::Adam adam{{.learning_rate = 1e-3, .weight_decay = 1e-5}};
    adam.prepare(parameters.size());
    const double t_adam = time_call([&] { adam.step(parameters, gradients); }, options.trials);
    std::cout << "{\"kind\": \"floor\", \"openblas\": " << (have_cblas ? "true" : "false")
              << ", \"latent_gemm\": \"" << latent::cpu_gemm_library() << "\""
              << ", \"gemm_seconds_per_step_latent\": " << total_latent
              << ", \"gemm_seconds_per_step_best\": " << total_best << ", \"adam_seconds_per_step\": " << t_adam
              << ", \"steps_per_epoch\": " << steps_per_epoch
              << ", \"floor_seconds_per_epoch_latent_gemm\": " << steps_per_epoch * (total_latent + t_adam)
              << ", \"floor_seconds_per_epoch\": " << steps_per_epoch * (total_best + t_adam) << "}\n";
    return 0;
}

int usage() {
    std::cerr << "usage: bench_train_speed train deep3|simple [--epochs 3] [--seed 1] [--data DIR] [--infer] [--threads 1]\n"
                 "       bench_train_speed conv [--batches 200] [--seed 1] [--data DIR] [--threads 1]\n"
                 "       bench_train_speed floor [--trials 15]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 2) return usage();
    const std::string_view mode = argv[1];
    if (mode == "floor") return run_floor(parse_options(argc, argv, 2));
    if (mode == "conv") return train_conv(parse_options(argc, argv, 2));
    if (mode == "train" && argc >= 3) {
        const std::string_view model = argv[2];
        const Options options = parse_options(argc, argv, 3);
        if (model == "deep3") return train<Deep3, latent::MSE>("deep3", options, {.learning_rate = 1e-3, .weight_decay = 1e-5});
        if (model == "simple") return train<SimpleAE, latent::BCE>("simple", options, {.learning_rate = 1e-3});
    }
    return usage();
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
