#pragma once
// The CPU backend's policy type.

#include <string>
#include <type_traits>

namespace latent::backend {

/// Computes on the CPU in `Scalar` (float by default; double for gradient checks).
template <class Scalar>
struct basic_cpu {
    static_assert(std::is_floating_point_v<Scalar>, "latent::backend::basic_cpu: the scalar must be float or double");
    using scalar = Scalar;
    static std::string name() { return std::is_same_v<Scalar, float> ? "cpu" : "cpu<double>"; }
};

using cpu = basic_cpu<float>;

}  // namespace latent::backend
