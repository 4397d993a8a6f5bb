// Without a GPU, in a program built with latent::cuda: backend::automatic computes on the CPU exactly as
// backend::cpu, and backend::cuda refuses with device_error.
// Run as gpu.fallback (--expect-no-gpu), so these run in CI.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <filesystem>

#include "support/backend_agreement.hpp"
#include "support/files.hpp"

using namespace latent;

namespace {
using Encoder = testing::SmallEncoder;
using Decoder = testing::SmallDecoder;
using testing::small_data;
}  // namespace

TEST_SUITE("fallback") {
TEST_CASE("with latent::cuda but no device, backend::automatic trains and infers on the CPU, bit for bit") {
    REQUIRE(detail::built_with_cuda);
    REQUIRE_FALSE(backend::cuda_available());
    REQUIRE_FALSE(detail::cuda::device_usable());
    CHECK_FALSE(std::string(detail::cuda::device_unusable_reason()).empty());
    testing::check_automatic_computes_as_cpu(MSE{});
}

TEST_CASE("backend::cuda without a device throws device_error saying so") {
    const Autoencoder<Encoder, Decoder, backend::cuda> model{1};
    const Matrix<float> x = Matrix<float>::Constant(6, 2, 0.5f);
    const std::string message = testing::message_of<device_error>([&] { (void)model.reconstruct(x); });
    // No device at all, or one that latent's kernels cannot run on (the probe says which).
    if (detail::cuda::device_count() == 0)
        CHECK(message.find("expected a CUDA device, found none (no GPU or no driver)") != std::string::npos);
    else
        CHECK(message.find("expected a CUDA device that can run latent's kernels, found device ") != std::string::npos);
    CHECK(message.find(detail::cuda::device_unusable_reason()) != std::string::npos);

    Autoencoder<Encoder, Decoder, backend::cuda> trained{1};
    Trainer trainer(trained, Adam<float>{}, MSE{});
    CHECK_THROWS_AS(trainer.fit(small_data(), FitOptions{.epochs = 1, .batch_size = 8}), device_error);
}

TEST_CASE("backend::cuda trains with every fit option through the one loop: none is refused as unsupported") {
    // Without a device each run gets as far as the engine's first device call; before the one loop, these three
    // options were refused with an argument_error on GPU machines only.
    Autoencoder<Encoder, Decoder, backend::cuda> model{1};
    Trainer trainer(model, Adam<float>{}, MSE{});
    const Dataset<float> data = small_data();
    const testing::ScratchDirectory scratch;
    CHECK_THROWS_AS(trainer.fit(data, FitOptions{.batch_size = 8, .corruption = GaussianNoise{0.1}}), device_error);
    CHECK_THROWS_AS(trainer.fit(data, FitOptions{.batch_size = 8, .on_nan = NanPolicy::skip_batch}), device_error);
    CHECK_THROWS_AS(trainer.fit(data, FitOptions{.batch_size = 8, .checkpoint = scratch.path / "run.ckpt"}),
                    device_error);
    CHECK_FALSE(std::filesystem::exists(scratch.path / "run.ckpt"));
}
}
