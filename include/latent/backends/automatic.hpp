#pragma once
// backend::automatic on the CPU: every layer's CPU kernel. Where a GPU is found at run time, training and
// inference go to the cuda backend's kernels instead (see backends/cuda/).

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu.hpp"
#include "latent/backends/cuda/policy.hpp"

namespace latent {

/// A layer of a backend::automatic model computed on the CPU: the CPU backend's kernel for it.
template <class Layer>
struct Kernel<backend::automatic, Layer> : Kernel<backend::cpu, Layer> {};

}  // namespace latent
