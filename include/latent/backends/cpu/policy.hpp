#pragma once
// The CPU backend's policy type: it computes in Scalar on the host, every layer by its Kernel<basic_cpu, Layer>,
// trains through the host engine and infers through the host passes.

#include "latent/backends/cpu/engine.hpp"
#include "latent/backends/passes.hpp"
#include "latent/core/matrix.hpp"

#include <cstddef>
#include <string>
#include <type_traits>

namespace latent::backend {

/// Computes on the CPU in `Scalar` (float by default; double for gradient checks).
template <class Scalar>
struct basic_cpu {
    static_assert(std::is_floating_point_v<Scalar>, "latent::backend::basic_cpu: the scalar must be float or double");
    using scalar = Scalar;
    static std::string name() { return std::is_same_v<Scalar, float> ? "cpu" : "cpu<double>"; }
    /// Trains model M with optimizer O on loss L (see backends/engine.hpp).
    template <class M, class O, class L>
    using engine = detail::HostEngine<M, O, L>;
    /// A model's buffers for the loss passes of the layer list Net.
    template <class Net>
    using workspace = Workspace<Net, basic_cpu>;
    static constexpr bool runs_regularizers = true;
    /// Layers [First, Last) of Net over the columns of x, in chunks.
    template <class Net, std::size_t First, std::size_t Last, class Derived>
    static Matrix<Scalar> infer(const Scalar* parameters, const Scalar* buffers, const Eigen::MatrixBase<Derived>& x,
                                const char* where) {
        return detail::infer<Net, basic_cpu, First, Last>(parameters, buffers, x, where);
    }
};

using cpu = basic_cpu<float>;

}  // namespace latent::backend
