// The latent side of tests/torch/state_dict.py, which checks safetensors files against PyTorch in both directions.
//   latent_torch_state_dict export <dir>: trains each model briefly, writes <model>.safetensors, <model>_input.npy
//     and <model>_output.npy (latent's reconstructions) for PyTorch to load and compare.
//   latent_torch_state_dict import <dir>: loads <model>_torch.safetensors (written from PyTorch's state_dict) into
//     the latent model, reconstructs <model>_torch_input.npy and compares with <model>_torch_output.npy (PyTorch's
//     outputs) to 1e-5; exit status 1 when a model differs.
// The models' torch equivalents are written out in state_dict.py; the two files must change together.

#include <latent/latent.hpp>
#include <latent/io/safetensors.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using namespace latent;
namespace fs = std::filesystem;

using DenseAE = Autoencoder<Sequential<Dense<12, 6, ReLU>, Dense<6, 3, Tanh>>,
                            Sequential<Dense<3, 6, ReLU>, Dense<6, 12, Sigmoid>>>;
using ConvAE = Autoencoder<Sequential<Input<1, 8, 8>, Conv2D<4, 3, ReLU>, BatchNorm<>, MaxPool2D<2>, AvgPool2D<2>,
                                      Flatten, Dense<16, 6>, BatchNorm<>>,
                           Sequential<Dense<6, 16, ReLU>, Reshape<4, 2, 2>, ConvTranspose2D<4, 4, ReLU, Padding::same, 2>,
                                      BatchNorm<>, UpSample2D<2>, Conv2D<1, 3, Sigmoid>>>;

constexpr double tolerance = 1e-5;

Dataset<float> random_data(std::size_t samples, std::size_t height, std::size_t width, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<float> values(samples * height * width);
    for (float& v : values) v = float(rng.uniform());
    return Dataset<float>(std::move(values), height, width);
}

template <class M>
void export_model(const fs::path& dir, const std::string& name, std::size_t height, std::size_t width) {
    M model{11};
    const Dataset<float> data = random_data(64, height, width, 12);
    // A few epochs: weights away from their initial values, and BatchNorm's running statistics updated.
    Trainer{model, Adam{{.learning_rate = 1e-2}}, MSE{}}.fit(data, {.epochs = 3, .batch_size = 16,
                                                                    .verbosity = Verbosity::silent});
    const Dataset<float> test = random_data(10, height, width, 13);
    Matrix<float> x(Eigen::Index(height * width), 10);
    for (Eigen::Index j = 0; j < 10; ++j)
        for (Eigen::Index i = 0; i < x.rows(); ++i) x(i, j) = test.values()[std::size_t(j * x.rows() + i)];
    save_safetensors(model, dir / (name + ".safetensors"));
    write_npy(dir / (name + "_input.npy"), x);
    write_npy(dir / (name + "_output.npy"), Matrix<float>(model.reconstruct(x)));
    std::printf("%s: exported %zu parameters and %zu buffers\n", name.c_str(), M::parameter_count, M::buffer_count);
}

template <class M>
bool import_model(const fs::path& dir, const std::string& name) {
    M model{21};
    load_safetensors(model, dir / (name + "_torch.safetensors"));
    const Matrix<float> x = npy_to_matrix<float>(read_npy(dir / (name + "_torch_input.npy")));
    const Matrix<float> expected = npy_to_matrix<float>(read_npy(dir / (name + "_torch_output.npy")));
    const Matrix<float> y = model.reconstruct(x);
    if (y.rows() != expected.rows() || y.cols() != expected.cols()) {
        std::printf("%s: expected PyTorch's output of %ld x %ld, found latent's %ld x %ld\n", name.c_str(),
                    long(expected.rows()), long(expected.cols()), long(y.rows()), long(y.cols()));
        return false;
    }
    const double difference = (y - expected).cwiseAbs().maxCoeff();
    const bool agrees = std::isfinite(difference) && difference <= tolerance;
    std::printf("%s: PyTorch -> latent max abs difference %.3g (tolerance %g): %s\n", name.c_str(), difference,
                tolerance, agrees ? "ok" : "FAILED");
    return agrees;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s export|import <directory>\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    const fs::path dir = argv[2];
    try {
        if (mode == "export") {
            export_model<DenseAE>(dir, "dense", 3, 4);
            export_model<ConvAE>(dir, "conv", 8, 8);
            return 0;
        }
        if (mode == "import") {
            const bool dense = import_model<DenseAE>(dir, "dense");
            const bool conv = import_model<ConvAE>(dir, "conv");
            return dense && conv ? 0 : 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "expected export or import, found %s\n", mode.c_str());
    return 2;
}
