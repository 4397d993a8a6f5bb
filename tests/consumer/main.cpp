// A user's program, built against latent the ways users get it (find_package, add_subdirectory,
// FetchContent, pkg-config); see tests/CMakeLists.txt. It trains a small autoencoder and fails
// (non-zero exit) unless the loss drops and a saved model loads back identical.
#include <latent/latent.hpp>

#include <cstdio>
#include <filesystem>
#include <vector>

using Encoder = latent::Sequential<latent::Dense<16, 8, latent::Tanh>, latent::Dense<8, 2>>;
using Decoder = latent::Sequential<latent::Dense<2, 8, latent::Tanh>, latent::Dense<8, 16, latent::Sigmoid>>;
using Model = latent::Autoencoder<Encoder, Decoder>;
static_assert(Model::parameter_count == 16 * 8 + 8 + 8 * 2 + 2 + 2 * 8 + 8 + 8 * 16 + 16);

int main() {
    latent::Rng rng{1};
    std::vector<float> values(256 * 16);
    for (std::size_t i = 0; i < 256; ++i) {
        const double a = rng.uniform();
        for (std::size_t k = 0; k < 16; ++k) values[i * 16 + k] = float(k % 2 ? a : 1 - a);
    }
    const latent::Dataset<float> data(std::move(values), 4, 4);

    Model model{1};
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-2}}, latent::MSE{}};
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 20, .batch_size = 32, .verbosity = latent::Verbosity::silent});
    const double after = trainer.evaluate(data);

    const auto path = std::filesystem::temp_directory_path() / "latent_consumer_model.latent";
    latent::save_model(model, path);
    const auto loaded = latent::load_model<Model>(path);
    std::filesystem::remove(path);
    const bool same = std::ranges::equal(loaded.parameters(), model.parameters());
    std::printf("loss %.4f -> %.4f, reloaded %s\n", before, after, same ? "identical" : "DIFFERENT");
    return after < before / 2 && same ? 0 : 1;
}
