// A user's program on latent::blas (consumer/CMakeLists.txt, CONSUMER_BLAS): once OpenBLAS is limited to one
// thread, the CPU backend's products must run on it and still train. Fails (non-zero exit) otherwise.
#include <latent/latent.hpp>

#include <cstdio>
#include <vector>

using Model = latent::Autoencoder<latent::Sequential<latent::Dense<16, 4, latent::Tanh>>,
                                  latent::Sequential<latent::Dense<4, 16>>>;

int main() {
    openblas_set_num_threads(1);  // latent's threads split the work; OpenBLAS runs inside each on one
    latent::Rng rng{1};
    std::vector<float> values(256 * 16);
    for (float& v : values) v = float(rng.uniform());
    const latent::Dataset<float> data(std::move(values), 1, 16);
    Model model{1};
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-2}}, latent::MSE{}};
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 5, .batch_size = 32, .verbosity = latent::Verbosity::silent});
    const double after = trainer.evaluate(data);
    std::printf("products on %s: loss %.4f -> %.4f\n", latent::cpu_gemm_library().data(), before, after);
    return latent::cpu_gemm_library() == "OpenBLAS" && after < before ? 0 : 1;
}
