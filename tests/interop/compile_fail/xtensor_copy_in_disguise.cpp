// expect: latent::to_xtensor: takes a Matrix or Vector by rvalue so that it never copies
// to_xtensor of a matrix that stays in use would have to copy it; it refuses and says how to write either.
#include <latent/interop/xtensor.hpp>

int main() {
    const latent::Matrix<float> codes = latent::Matrix<float>::Zero(2, 3);
    const auto xcodes = latent::to_xtensor(codes);
    return int(codes.rows());
}
