// The GPU backends' policy types as far as the CPU can check them: their names, backend::automatic on the
// CPU (this test program is built without latent::cuda, so automatic finds no GPU and must compute exactly as
// backend::cpu), and model files that move between the CPU and the cuda backend. The device side is tested by
// tests/gpu/ (the latent_gpu_tests program).

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "support/backend_agreement.hpp"
#include "support/files.hpp"

#include <algorithm>

using namespace latent;

namespace {
using Encoder = testing::SmallEncoder;
using Decoder = testing::SmallDecoder;
}  // namespace

TEST_CASE("the GPU policies are backends with names, computing in float") {
    static_assert(Backend<backend::cuda> && Backend<backend::basic_cuda<false>> && Backend<backend::automatic>);
    static_assert(std::is_same_v<backend::cuda::scalar, float> && std::is_same_v<backend::automatic::scalar, float>);
    static_assert(backend::cuda::capture_steps && !backend::basic_cuda<false>::capture_steps);
    CHECK(backend::cuda::name() == "cuda");
    CHECK(backend::basic_cuda<false>::name() == "cuda<uncaptured>");
    CHECK(backend::automatic::name() == "automatic");
    CHECK(Autoencoder<Encoder, Decoder, backend::cuda>{1}.summary().find("(backend cuda)") != std::string::npos);
}

TEST_CASE("without latent::cuda no GPU is reported, and backend::automatic computes as backend::cpu, bit for bit") {
    CHECK_FALSE(backend::cuda_available());
    // What each policy names: in a build without latent::cuda, automatic trains through the CPU's engine and
    // computes regularizers; cuda names its own engine and computes none.
    using Model = Autoencoder<Encoder, Decoder, backend::automatic>;
    static_assert(std::is_same_v<backend::automatic::engine<Model, Adam<float>, BCE>,
                                 detail::HostEngine<Model, Adam<float>, BCE>>);
    static_assert(TrainingEngine<backend::automatic::engine<Model, Adam<float>, BCE>>);
    static_assert(!std::is_same_v<backend::cuda::engine<Model, Adam<float>, BCE>,
                                  backend::cpu::engine<Model, Adam<float>, BCE>>);
    static_assert(detail::runs_regularizers<backend::automatic> && detail::runs_regularizers<backend::cpu> &&
                  !detail::runs_regularizers<backend::cuda>);

    testing::check_automatic_computes_as_cpu(BCE{});
}

TEST_CASE("model files leave the backend out: a CPU model's file loads into a cuda model and back") {
    const testing::ScratchDirectory scratch;
    const Autoencoder<Encoder, Decoder> cpu{11};
    CHECK(Autoencoder<Encoder, Decoder, backend::cuda>::signature() == Autoencoder<Encoder, Decoder>::signature());
    save_model(cpu, scratch.path / "cpu.latent");
    Autoencoder<Encoder, Decoder, backend::cuda> gpu{12};
    REQUIRE_FALSE(std::ranges::equal(gpu.parameters(), cpu.parameters()));
    load_model(gpu, scratch.path / "cpu.latent");
    CHECK(std::ranges::equal(gpu.parameters(), cpu.parameters()));

    save_model(gpu, scratch.path / "gpu.latent");
    CHECK(testing::read_file(scratch.path / "gpu.latent") == testing::read_file(scratch.path / "cpu.latent"));
    Autoencoder<Encoder, Decoder, backend::automatic> automatic{13};
    load_model(automatic, scratch.path / "gpu.latent");
    CHECK(std::ranges::equal(automatic.parameters(), cpu.parameters()));
}
