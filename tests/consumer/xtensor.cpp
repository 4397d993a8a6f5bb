// A user's program with its data in xtensor (consumer/CMakeLists.txt, CONSUMER_XTENSOR): trains on an
// xt::xtensor, encodes and reconstructs it, and gets xtensor containers back. Fails (non-zero exit) unless the
// loss drops and results come back without copies.
#include <latent/interop/xtensor.hpp>
#include <latent/latent.hpp>

#include <xtensor/xtensor.hpp>

#include <cstdio>

using Model = latent::Autoencoder<latent::Sequential<latent::Dense<8, 4, latent::Tanh>, latent::Dense<4, 2>>,
                                  latent::Sequential<latent::Dense<2, 4, latent::Tanh>, latent::Dense<4, 8>>>;

int main() {
    latent::Rng rng{1};
    xt::xtensor<float, 2> samples = xt::xtensor<float, 2>::from_shape({256, 8});  // one sample per row
    for (std::size_t i = 0; i < 256; ++i) {
        const float a = float(rng.uniform()), b = float(rng.uniform());
        for (std::size_t k = 0; k < 8; ++k) samples(i, k) = k % 2 ? a - b : a + b;
    }

    Model model{1};
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-2}}, latent::MSE{}};
    const latent::Dataset<float> data = latent::to_dataset(samples);  // a copy: a Dataset owns its values
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 20, .batch_size = 32, .verbosity = latent::Verbosity::silent});
    const double after = trainer.evaluate(data);

    latent::Matrix<float> codes_matrix = model.encode(latent::from_xtensor(samples));  // reads samples in place
    const float* codes_memory = codes_matrix.data();
    const latent::XtensorBatch<float> codes = latent::to_xtensor(std::move(codes_matrix));  // 256 x 2, no copy
    const auto reconstructions = latent::to_xtensor(model.reconstruct(latent::from_xtensor(samples)));  // 256 x 8

    const bool shapes = codes.shape()[0] == 256 && codes.shape()[1] == 2 && reconstructions.shape()[1] == 8;
    std::printf("loss %.4f -> %.4f, codes %zu x %zu%s\n", before, after, codes.shape()[0], codes.shape()[1],
                codes.data() == codes_memory ? " (not copied)" : " (COPIED)");
    return after < before / 2 && shapes && codes.data() == codes_memory ? 0 : 1;
}
