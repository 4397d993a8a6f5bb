// A .cu translation unit that includes latent's (host) headers: nvcc compiles them with the flags of the
// latent::cuda target. The model runs on the CPU; where a GPU is present, its codes also go through a kernel.
#include <latent/latent.hpp>

#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <vector>

using Encoder = latent::Sequential<latent::Dense<8, 4, latent::Tanh>, latent::Dense<4, 2>>;
using Decoder = latent::Sequential<latent::Dense<2, 4, latent::Tanh>, latent::Dense<4, 8, latent::Sigmoid>>;
using Model = latent::Autoencoder<Encoder, Decoder>;
static_assert(Model::code_size == 2);

__global__ void scale(float* values, int n, float factor) {
    const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) values[i] *= factor;
}

int main() {
    const Model model{1};
    const latent::Matrix<float> batch = latent::Matrix<float>::Constant(8, 5, 0.5f);
    const latent::Matrix<float> codes = model.encode(batch);
    const latent::Matrix<float> reconstructions = model.reconstruct(batch);
    if (codes.rows() != 2 || codes.cols() != 5 || reconstructions.rows() != 8 || !codes.allFinite()) {
        std::printf("unexpected results from the CPU model\n");
        return 1;
    }

    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("codes computed on the CPU; no GPU here, so the kernel was compiled but not run\n");
        return 0;
    }
    const int n = int(codes.size());
    float* device = nullptr;
    std::vector<float> scaled(std::size_t(n), 0.0f);
    bool ok = cudaMalloc(&device, sizeof(float) * std::size_t(n)) == cudaSuccess &&
              cudaMemcpy(device, codes.data(), sizeof(float) * std::size_t(n), cudaMemcpyHostToDevice) == cudaSuccess;
    if (ok) {
        scale<<<1, 32>>>(device, n, 2.0f);
        ok = cudaGetLastError() == cudaSuccess &&
             cudaMemcpy(scaled.data(), device, sizeof(float) * std::size_t(n), cudaMemcpyDeviceToHost) == cudaSuccess;
    }
    cudaFree(device);
    for (int i = 0; ok && i < n; ++i) ok = std::fabs(scaled[std::size_t(i)] - 2.0f * codes.data()[i]) <= 1e-6f;
    std::printf("codes computed on the CPU and doubled by a kernel on %d GPU(s): %s\n", devices, ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
