// The package works: its headers compile, a model encodes, and a model file (zlib's CRC-32) round-trips.
#include <latent/latent.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

using Model = latent::Autoencoder<latent::Sequential<latent::Dense<4, 2, latent::Tanh>>,
                                  latent::Sequential<latent::Dense<2, 4, latent::Sigmoid>>>;

int main() {
    const Model model{1};
    const latent::Matrix<float> codes = model.encode(latent::Matrix<float>::Constant(4, 3, 0.5f));
    const auto path = std::filesystem::temp_directory_path() / "latent_test_package.latent";
    latent::save_model(model, path);
    const bool same = std::ranges::equal(latent::load_model<Model>(path).parameters(), model.parameters());
    std::filesystem::remove(path);
    std::printf("latent %s: codes %dx%d, model file %s\n", latent::version_string, int(codes.rows()),
                int(codes.cols()), same ? "round-trips" : "DIFFERS");
    return codes.rows() == 2 && codes.cols() == 3 && same ? 0 : 1;
}
