// Encodes a batch with latent from vcpkg and checks the codes' shape.
#include <latent/latent.hpp>

#include <cstdio>

using Model = latent::Autoencoder<latent::Sequential<latent::Dense<4, 2, latent::Tanh>>,
                                  latent::Sequential<latent::Dense<2, 4, latent::Sigmoid>>>;

int main() {
    const Model model{1};
    const latent::Matrix<float> codes = model.encode(latent::Matrix<float>::Constant(4, 3, 0.5f));  // 3 samples
    std::printf("latent %s: codes of %d x %d\n", latent::version_string, int(codes.rows()), int(codes.cols()));
    return codes.rows() == 2 && codes.cols() == 3 && codes.allFinite() ? 0 : 1;
}
