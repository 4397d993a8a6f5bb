// A user's program, built against latent the ways users get it (find_package, add_subdirectory,
// FetchContent, pkg-config, a plain -I build); see tests/CMakeLists.txt. It trains a small autoencoder on data
// held in an Eigen matrix and fails (non-zero exit) unless the loss drops, a saved model loads back identical,
// and the codes can be read one sample per row without a copy.
#include <latent/interop/eigen.hpp>
#include <latent/latent.hpp>

#include <cstdio>
#include <filesystem>

using Encoder = latent::Sequential<latent::Dense<16, 8, latent::Tanh>, latent::Dense<8, 2>>;
using Decoder = latent::Sequential<latent::Dense<2, 8, latent::Tanh>, latent::Dense<8, 16, latent::Sigmoid>>;
using Model = latent::Autoencoder<Encoder, Decoder>;
static_assert(Model::parameter_count == 16 * 8 + 8 + 8 * 2 + 2 + 2 * 8 + 8 + 8 * 16 + 16);

int main() {
    latent::Rng rng{1};
    latent::Matrix<float> samples(16, 256);  // one 4 x 4 sample per column
    for (Eigen::Index i = 0; i < samples.cols(); ++i) {
        const double a = rng.uniform();
        for (Eigen::Index k = 0; k < 16; ++k) samples(k, i) = float(k % 2 ? a : 1 - a);
    }
    const latent::Dataset<float> data = latent::to_dataset(samples, 4, 4);  // a copy: a Dataset owns its values

    Model model{1};
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-2}}, latent::MSE{}};
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 20, .batch_size = 32, .verbosity = latent::Verbosity::silent});
    const double after = trainer.evaluate(data);

    latent::Matrix<float> codes = model.encode(samples);                              // 2 x 256
    Eigen::Map<latent::RowMajorMatrix<float>> rows = latent::samples_in_rows(codes);  // 256 x 2, no copy
    const bool in_rows = rows.data() == codes.data() && rows.rows() == 256 && rows(255, 1) == codes(1, 255);

    const auto path = std::filesystem::temp_directory_path() / "latent_consumer_model.latent";
    latent::save_model(model, path);
    const auto loaded = latent::load_model<Model>(path);
    std::filesystem::remove(path);
    const bool same = std::ranges::equal(loaded.parameters(), model.parameters());
    std::printf("loss %.4f -> %.4f, reloaded %s, codes %s\n", before, after, same ? "identical" : "DIFFERENT",
                in_rows ? "read in rows" : "NOT READ IN ROWS");
    return after < before / 2 && same && in_rows ? 0 : 1;
}
