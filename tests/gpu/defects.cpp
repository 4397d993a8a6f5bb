// One test for each defect of the cuda backend that issue 20 found by reading, written so that it fails on the
// code before the fix: decode() with a code wider than the input, BCE after an output that is not a Sigmoid,
// recovery after a device_error, an exception during a graph capture, the loss bit for bit across runs, and
// the probe of backend::automatic. Run as gpu.device (--expect-gpu): skipped where there is no usable GPU. Not
// yet run on a GPU (see docs/gpu.md).

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "gpu/device_support.hpp"
#include "support/files.hpp"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

using namespace latent;

using testing::gpu::Encoder;
using testing::gpu::max_abs_difference;
using testing::gpu::Net;
using testing::gpu::one_epoch;
using testing::gpu::uniform_data;

namespace {
// An overcomplete autoencoder: 4 inputs, a code of 512.
using WideEncoder = Sequential<Dense<4, 512, Tanh>>;
using WideDecoder = Sequential<Dense<512, 4, Sigmoid>>;

// The decoder of Net with an Identity output, whose reconstructions leave [0, 1].
using IdentityDecoder = Sequential<Dense<3, 6, Tanh>, Dense<6, 24, Softplus>, Dense<24, 48>>;
template <class B>
using IdentityNet = Autoencoder<Encoder, IdentityDecoder, B>;

Matrix<float> uniform_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
    Rng rng{seed};
    Matrix<float> m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = float(2 * rng.uniform() - 1);
    return m;
}
}  // namespace

TEST_SUITE("device") {
TEST_CASE("the probe: the device here is usable, with a context and a kernel image for it") {
    CHECK(detail::cuda::device_usable());
    CHECK(std::string(detail::cuda::device_unusable_reason()).empty());
    CHECK(backend::cuda_available());
}

TEST_CASE("decode with a code wider than the input: as on the CPU, within the device's buffers") {
    const Autoencoder<WideEncoder, WideDecoder, backend::cpu> cpu{3};
    const Autoencoder<WideEncoder, WideDecoder, backend::cuda> gpu{3};
    // 4096 codes of 512 values: 8 MiB uploaded. An input block sized for the 4 input values per sample (the
    // defect) holds 64 KiB: the upload ran 8 MiB past it, out of the allocation (compute-sanitizer's memcheck
    // names it; without it the copy faults or overwrites a neighbour).
    const Matrix<float> codes = uniform_matrix(512, 4096, 4);
    CHECK((gpu.decode(codes) - cpu.decode(codes)).cwiseAbs().maxCoeff() <= 1e-5f);
    // A partial chunk, and the device still sound after it.
    const Matrix<float> few = uniform_matrix(512, 5, 5);
    CHECK((gpu.decode(few) - cpu.decode(few)).cwiseAbs().maxCoeff() <= 1e-5f);
    const Matrix<float> x = uniform_matrix(4, 100, 6).cwiseAbs();
    CHECK((gpu.reconstruct(x) - cpu.reconstruct(x)).cwiseAbs().maxCoeff() <= 1e-5f);
    CHECK((gpu.encode(x) - cpu.encode(x)).cwiseAbs().maxCoeff() <= 1e-5f);
}

TEST_CASE("BCE after an Identity output: NaN on the GPU as on the CPU, and fit() throws numerical_error") {
    const IdentityNet<backend::cpu> cpu{7};
    const IdentityNet<backend::cuda> gpu{7};
    const Matrix<float> x = uniform_data(64, 9).batch(0, 64);
    const ConstMatrixView<float> view(x.data(), x.rows(), x.cols());
    // The premise: some reconstructions leave [0, 1], where a log is NaN; the CPU's sum is NaN.
    const Matrix<float> y = cpu.reconstruct(x);
    REQUIRE((y.array() < 0.0f || y.array() > 1.0f).any());
    typename IdentityNet<backend::cpu>::workspace cpu_ws(64);
    typename IdentityNet<backend::cuda>::workspace gpu_ws(64);
    REQUIRE(std::isnan(cpu.loss_value(BCE{}, view, view, cpu_ws)));
    // fmaxf(logf(y), -100) gave -100 for the NaN: a finite loss.
    CHECK(std::isnan(gpu.loss_value(BCE{}, view, view, gpu_ws)));
    std::vector<float> gradients(IdentityNet<backend::cuda>::parameter_count);
    CHECK(std::isnan(gpu.loss_and_gradients(BCE{}, view, view, gpu_ws, std::span(gradients))));

    const FitOptions options{.epochs = 2, .batch_size = 16, .seed = 8, .verbosity = Verbosity::silent};
    const Dataset<float> data = uniform_data(64, 9);
    IdentityNet<backend::cpu> cpu_model{7};
    Trainer on_cpu(cpu_model, SGD<float>{}, BCE{});
    REQUIRE_THROWS_AS(on_cpu.fit(data, options), numerical_error);
    IdentityNet<backend::cuda> gpu_model{7};
    Trainer on_gpu(gpu_model, SGD<float>{}, BCE{});
    const std::string message = testing::message_of<numerical_error>([&] { on_gpu.fit(data, options); });
    CHECK(message.find("expected a finite loss") != std::string::npos);
}

TEST_CASE("after a device_error (an allocation far beyond the GPU's memory), the next run is correct") {
    // cudaMalloc of petabytes fails, and its error stayed the runtime's last error: the next kernel launch's
    // check read it and threw it again, naming cudaErrorMemoryAllocation.
    const Net<backend::cpu> cpu_model{7};
    const Net<backend::cuda> gpu_model{7};
    const Matrix<float> x64 = uniform_data(64, 9).batch(0, 64);
    const ConstMatrixView<float> view(x64.data(), x64.rows(), x64.cols());
    typename Net<backend::cpu>::workspace cpu_ws(64);
    typename Net<backend::cuda>::workspace gpu_ws(64);  // its stream and buffers exist before the error
    const std::string direct = testing::message_of<device_error>(
        [] { const detail::cuda::DeviceArray<float> huge(std::size_t(1) << 50); });
    CHECK(direct.find("cudaMalloc failed: cudaErrorMemoryAllocation") != std::string::npos);
    const float expected = cpu_model.loss_value(MSE{}, view, view, cpu_ws);
    CHECK(std::fabs(gpu_model.loss_value(MSE{}, view, view, gpu_ws) - expected) <= 1e-5f * expected);
    // 2^40 samples: petabytes of activations, through the public workspace.
    const std::string message = testing::message_of<device_error>(
        [] { const typename Net<backend::cuda>::workspace huge(std::size_t(1) << 40); });
    CHECK(message.find("cudaMalloc failed: cudaErrorMemoryAllocation") != std::string::npos);
    CHECK(std::fabs(gpu_model.loss_value(MSE{}, view, view, gpu_ws) - expected) <= 1e-5f * expected);
    const SGD<float> sgd{{.learning_rate = 0.05, .momentum = 0.9}};
    const auto [cpu_history, cpu] = one_epoch<backend::cpu>(sgd, MSE{}, 32);
    const auto [gpu_history, gpu] = one_epoch<backend::cuda>(sgd, MSE{}, 32);
    const double loss = cpu_history.last().train_loss;
    CHECK(std::fabs(gpu_history.last().train_loss - loss) <= 1e-4 * loss);
    CHECK(max_abs_difference(gpu.parameters(), cpu.parameters()) <= 1e-4f);
    // And inference, which allocates again.
    const Matrix<float> x = uniform_data(10, 30).batch(0, 10);
    CHECK((gpu.reconstruct(x) - cpu.reconstruct(x)).cwiseAbs().maxCoeff() <= 1e-5f);
}

TEST_CASE("an exception thrown during a graph capture ends the capture: the stream copies, captures and frees again") {
    using namespace detail::cuda;
    const ContextHandle context{create_context()};
    DeviceArray<float> values(1024);
    CHECK_THROWS_AS(capture(*context,
                            [&] {
                                fill_zero(*context, values.data(), values.bytes());
                                throw std::runtime_error("thrown while capturing");
                            }),
                    std::runtime_error);
    // A stream left capturing refuses a copy from pageable memory and a synchronisation: upload() threw.
    const std::vector<float> host(1024, 2.5f);
    std::vector<float> back(1024, 0.0f);
    upload(*context, values.data(), host.data(), values.bytes());
    download(*context, back.data(), values.data(), values.bytes());
    CHECK(back == host);
    // A new capture records and replays.
    const GraphHandle graph = capture(*context, [&] { fill_zero(*context, values.data(), values.bytes()); });
    launch(*context, *graph);
    download(*context, back.data(), values.data(), values.bytes());
    CHECK(back == std::vector<float>(1024, 0.0f));
    // And training on the GPU after it agrees with the CPU.
    const auto [cpu_history, cpu] = one_epoch<backend::cpu>(SGD<float>{}, MSE{}, 32);
    const auto [gpu_history, gpu] = one_epoch<backend::cuda>(SGD<float>{}, MSE{}, 32);
    CHECK(max_abs_difference(gpu.parameters(), cpu.parameters()) <= 1e-4f);
}

TEST_CASE("the loss is the same bit for bit on every run: each batch's, each epoch's and the validation loss") {
    // Batches of 1024 samples of 48 outputs: each step's loss is summed from 192 blocks' partial sums, which
    // atomicAdd on doubles used to add in the order the blocks finished.
    const Dataset<float> data = uniform_data(10240, 81);
    const auto run = []<class B>(B, const Dataset<float>& samples) {
        Net<B> model{82};
        Trainer trainer(model, Adam<float>{}, MSE{});
        std::vector<double> batch_losses;
        trainer.on_batch_end([&](const BatchReport& report) { batch_losses.push_back(report.loss); });
        const History history = trainer.fit(samples, FitOptions{.epochs = 2, .batch_size = 1024, .seed = 83,
                                                                 .validation_split = 0.2,
                                                                 .verbosity = Verbosity::silent});
        std::vector<double> epoch_losses;
        for (const EpochRecord& record : history.epochs) {
            epoch_losses.push_back(record.train_loss);
            epoch_losses.push_back(*record.validation_loss);
        }
        return std::tuple{epoch_losses, batch_losses,
                          std::vector<float>(model.parameters().begin(), model.parameters().end())};
    };
    const auto [epochs, batches, parameters] = run(backend::cuda{}, data);
    REQUIRE(batches.size() == 2 * 8);
    for (int repeat = 0; repeat < 8; ++repeat) {
        CAPTURE(repeat);
        const auto [epochs_again, batches_again, parameters_again] = run(backend::cuda{}, data);
        CHECK(epochs_again == epochs);
        CHECK(batches_again == batches);
        CHECK(parameters_again == parameters);
        // Launched kernel by kernel: the same kernels in the same order, so the same bits again.
        const auto [eager_epochs, eager_batches, eager_parameters] = run(backend::basic_cuda<false>{}, data);
        CHECK(eager_epochs == epochs);
        CHECK(eager_batches == batches);
        CHECK(eager_parameters == parameters);
    }
}
}
