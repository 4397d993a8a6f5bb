// The xtensor option works: latent::xtensor brings xtensor, and a model encodes an xt::xtensor batch.
#include <latent/interop/xtensor.hpp>
#include <latent/latent.hpp>

#include <xtensor/xtensor.hpp>

#include <cstdio>

using Model = latent::Autoencoder<latent::Sequential<latent::Dense<4, 2, latent::Tanh>>,
                                  latent::Sequential<latent::Dense<2, 4, latent::Sigmoid>>>;

int main() {
    const Model model{1};
    xt::xtensor<float, 2> samples = xt::xtensor<float, 2>::from_shape({3, 4});  // one sample per row
    samples.fill(0.5f);
    const latent::XtensorBatch<float> codes = latent::to_xtensor(model.encode(latent::from_xtensor(samples)));
    std::printf("latent %s with xtensor: codes %zux%zu\n", latent::version_string, codes.shape()[0], codes.shape()[1]);
    return codes.shape()[0] == 3 && codes.shape()[1] == 2 ? 0 : 1;
}
