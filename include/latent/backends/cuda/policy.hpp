#pragma once
// The GPU backend's policy types, and the run-time question backend::automatic asks. The engine, workspace and
// inference passes they name are defined in engine.hpp and passes.hpp (../backends.hpp includes every backend).

#include "latent/backends/cuda/runtime.hpp"
#include "latent/core/matrix.hpp"

#include <cstddef>
#include <string>

namespace latent::detail {
namespace cuda {
template <class M, class O, class L, class DeviceBackend>
class DeviceEngine;
template <class Net, class DeviceBackend>
class DeviceWorkspace;
template <class Net, class DeviceBackend, std::size_t First, std::size_t Last, class Derived>
Matrix<float> infer(const float* parameters, const Eigen::MatrixBase<Derived>& x, const char* where);
}  // namespace cuda
}  // namespace latent::detail

namespace latent::backend {

/// Computes on an NVIDIA GPU in float, with the data set resident on the device. CaptureSteps: each training
/// step is captured once as a CUDA graph and replayed (true), or its kernels are launched one by one (false).
/// Needs the latent::cuda CMake component (which defines LATENT_WITH_CUDA and compiles the kernels).
template <bool CaptureSteps>
struct basic_cuda {
    using scalar = float;
    static constexpr bool capture_steps = CaptureSteps;
    static std::string name() { return CaptureSteps ? "cuda" : "cuda<uncaptured>"; }
    /// Trains model M with optimizer O on loss L on the GPU (see backends/engine.hpp).
    template <class M, class O, class L>
    using engine = latent::detail::cuda::DeviceEngine<M, O, L, basic_cuda>;
    /// A model's buffers for one loss pass of the layer list Net, on the device.
    template <class Net>
    using workspace = latent::detail::cuda::DeviceWorkspace<Net, basic_cuda>;
    /// No regularizer has a kernel on the GPU yet.
    static constexpr bool runs_regularizers = false;
    /// Layers [First, Last) of Net over the columns of x; the buffers are unused (no GPU kernel has any).
    template <class Net, std::size_t First, std::size_t Last, class Derived>
    static Matrix<float> infer(const float* parameters, const float*, const Eigen::MatrixBase<Derived>& x,
                               const char* where) {
        return latent::detail::cuda::infer<Net, basic_cuda, First, Last>(parameters, x, where);
    }
};

using cuda = basic_cuda<true>;

/// Whether a CUDA device can be used here: false without latent::cuda, without a GPU or a driver, and where the
/// current GPU cannot run latent's kernels (no kernel image for its architecture in this program, or no context:
/// prohibited or occupied exclusive-process compute mode, MIG without an instance). Probed once per process.
inline bool cuda_available() noexcept {
#ifdef LATENT_WITH_CUDA
    return latent::detail::cuda::device_usable();
#else
    return false;
#endif
}

}  // namespace latent::backend

