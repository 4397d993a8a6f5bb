#pragma once
// Every backend: what a model needs so that whichever policy it names (backend::cpu, backend::cuda,
// backend::automatic) arrives complete with its kernels, workspace, inference passes and training engine.

#include "latent/backends/automatic.hpp"
#include "latent/backends/cpu.hpp"
#include "latent/backends/cuda.hpp"
