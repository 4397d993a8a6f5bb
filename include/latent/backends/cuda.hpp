#pragma once
// The CUDA backend (backend::cuda) and backend::automatic: policy types, the Dense kernel on the GPU, the
// passes over device buffers and the training engine. Host code only; the kernels are in
// backends/cuda/device.cu, which the latent::cuda CMake component compiles.

#include "latent/backends/automatic.hpp"
#include "latent/backends/cuda/dense.hpp"
#include "latent/backends/cuda/engine.hpp"
#include "latent/backends/cuda/passes.hpp"
#include "latent/backends/cuda/policy.hpp"
#include "latent/backends/cuda/runtime.hpp"
