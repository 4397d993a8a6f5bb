// expect: latent::from_xtensor: this xtensor expression has no memory of its own
// A lazy expression has no memory for an Eigen view to read: from_xtensor says to evaluate it first.
#include <latent/interop/xtensor.hpp>

int main() {
    const xt::xtensor<float, 2> batch = xt::xtensor<float, 2>::from_shape({3, 4});
    const auto view = latent::from_xtensor(batch * 2.0f);
    return int(view.rows());
}
