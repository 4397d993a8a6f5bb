#pragma once
// The CPU backend: its policy type and its kernel for every layer.

#include "latent/backends/cpu/batch_norm.hpp"
#include "latent/backends/cpu/conv2d.hpp"
#include "latent/backends/cpu/conv_transpose2d.hpp"
#include "latent/backends/cpu/dense.hpp"
#include "latent/backends/cpu/dropout.hpp"
#include "latent/backends/cpu/gaussian_sample.hpp"
#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/backends/cpu/pooling.hpp"
#include "latent/backends/cpu/reshape.hpp"
#include "latent/backends/cpu/tied_dense.hpp"
#include "latent/backends/cpu/upsample.hpp"
