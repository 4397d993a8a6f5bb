#pragma once
// The GPU backends' policy types, and the run-time question backend::automatic asks.

#include "latent/backends/cpu/policy.hpp"
#include "latent/backends/cuda/runtime.hpp"

#include <string>
#include <type_traits>

namespace latent::backend {

/// Computes on an NVIDIA GPU in float, with the data set resident on the device. CaptureSteps: each training
/// step is captured once as a CUDA graph and replayed (true), or its kernels are launched one by one (false).
/// Needs the latent::cuda CMake component (which defines LATENT_WITH_CUDA and compiles the kernels).
template <bool CaptureSteps>
struct basic_cuda {
    using scalar = float;
    static constexpr bool capture_steps = CaptureSteps;
    static std::string name() { return CaptureSteps ? "cuda" : "cuda<uncaptured>"; }
};

using cuda = basic_cuda<true>;

/// The GPU when one is present at run time (and the program was built with latent::cuda), the CPU otherwise.
struct automatic {
    using scalar = float;
    static std::string name() { return "automatic"; }
};

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

namespace latent::detail {

/// Whether this translation unit was built with the latent::cuda component (its kernels are linked in).
inline constexpr bool built_with_cuda =
#ifdef LATENT_WITH_CUDA
    true;
#else
    false;
#endif

template <class B>
inline constexpr bool is_cuda_backend = false;
template <bool C>
inline constexpr bool is_cuda_backend<backend::basic_cuda<C>> = true;

/// Backends whose GPU code is compiled: cuda always, automatic in a build with latent::cuda.
template <class B>
inline constexpr bool gpu_capable = is_cuda_backend<B> || (built_with_cuda && std::is_same_v<B, backend::automatic>);

/// The policy whose kernels run a model of backend B on the GPU.
template <class B>
using device_backend_t = std::conditional_t<is_cuda_backend<B>, B, backend::cuda>;

/// Whether a model on backend B computes on the GPU in this run.
template <class B>
bool uses_gpu() {
    if constexpr (is_cuda_backend<B>)
        return true;
    else if constexpr (gpu_capable<B>)
        return backend::cuda_available();
    else
        return false;
}

}  // namespace latent::detail
