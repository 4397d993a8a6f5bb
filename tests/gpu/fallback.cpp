// Without a GPU, in a program built with latent::cuda: backend::automatic computes on the CPU exactly as
// backend::cpu, and backend::cuda refuses with device_error, or first with argument_error for what it lacks.
// Run as gpu.fallback (--expect-no-gpu), so these run in CI.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "support/files.hpp"

#include <algorithm>

using namespace latent;

namespace {
using Encoder = Sequential<Dense<6, 4, Tanh>, Dense<4, 2>>;
using Decoder = Sequential<Dense<2, 4, ReLU>, Dense<4, 6, Sigmoid>>;

Dataset<float> small_data() {
    Rng rng{5};
    std::vector<float> values(6 * 40);
    for (float& v : values) v = float(rng.uniform());
    return Dataset<float>(std::move(values), 1, 6, {}, 1.0);
}
}  // namespace

TEST_SUITE("fallback") {
TEST_CASE("with latent::cuda but no device, backend::automatic trains and infers on the CPU, bit for bit") {
    REQUIRE(detail::built_with_cuda);
    REQUIRE_FALSE(backend::cuda_available());
    Autoencoder<Encoder, Decoder, backend::automatic> automatic{3};
    Autoencoder<Encoder, Decoder> cpu{3};
    const Dataset<float> data = small_data();
    const FitOptions options{.epochs = 2, .batch_size = 8, .seed = 4, .verbosity = Verbosity::silent};
    Trainer on_automatic(automatic, Adam<float>{}, MSE{});
    Trainer on_cpu(cpu, Adam<float>{}, MSE{});
    CHECK(on_automatic.fit(data, options).last().train_loss == on_cpu.fit(data, options).last().train_loss);
    CHECK(std::ranges::equal(automatic.parameters(), cpu.parameters()));
    const Matrix<float> x = data.batch(0, 5);
    CHECK(automatic.reconstruct(x) == cpu.reconstruct(x));
}

TEST_CASE("backend::cuda without a device throws device_error saying so") {
    const Autoencoder<Encoder, Decoder, backend::cuda> model{1};
    const Matrix<float> x = Matrix<float>::Constant(6, 2, 0.5f);
    const std::string message = testing::message_of<device_error>([&] { (void)model.reconstruct(x); });
    CHECK(message.find("expected a CUDA device, found none") != std::string::npos);

    Autoencoder<Encoder, Decoder, backend::cuda> trained{1};
    Trainer trainer(trained, Adam<float>{}, MSE{});
    CHECK_THROWS_AS(trainer.fit(small_data(), FitOptions{.epochs = 1, .batch_size = 8}), device_error);
}

TEST_CASE("backend::cuda refuses the fit options it does not implement, before it looks for a device") {
    Autoencoder<Encoder, Decoder, backend::cuda> model{1};
    Trainer trainer(model, Adam<float>{}, MSE{});
    const Dataset<float> data = small_data();
    const testing::ScratchDirectory scratch;
    CHECK(testing::message_of<argument_error>([&] {
              trainer.fit(data, FitOptions{.batch_size = 8, .corruption = GaussianNoise{0.1}});
          }).find("the cuda backend does not implement input corruption") != std::string::npos);
    CHECK(testing::message_of<argument_error>([&] {
              trainer.fit(data, FitOptions{.batch_size = 8, .on_nan = NanPolicy::skip_batch});
          }).find("NanPolicy::skip_batch") != std::string::npos);
    CHECK(testing::message_of<argument_error>([&] {
              trainer.fit(data, FitOptions{.batch_size = 8, .checkpoint = scratch.path / "run.ckpt"});
          }).find("checkpoints") != std::string::npos);
}
}
