// latent_gpu_wrong_arch_tests: latent's kernels built for sm_80 alone (SASS, no PTX; tests/CMakeLists.txt), run
// on a GPU of another major architecture (an H100 is sm_90), which holds no kernel image for them. cuBLAS
// works there, and before issue 20 the probe (cudaGetDeviceCount alone) called the GPU usable: the first
// custom kernel failed with cudaErrorNoKernelImageForDevice and backend::automatic threw device_error instead
// of computing on the CPU. Run as gpu.wrong_arch: exits 77 (CTest: skipped) where there is no CUDA device, or
// where the device is an sm_8x one (which runs these kernels). Not yet run on a GPU (see docs/gpu.md).
#define DOCTEST_CONFIG_IMPLEMENT
#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "support/backend_agreement.hpp"
#include "support/files.hpp"

#include <cuda_runtime.h>

#include <cstdio>
#include <string>

using namespace latent;

TEST_CASE("kernels without an image for this GPU: no GPU for backend::automatic, device_error for backend::cuda") {
    REQUIRE(detail::cuda::device_count() > 0);
    CHECK_FALSE(detail::cuda::device_usable());
    CHECK_FALSE(backend::cuda_available());
    const std::string reason = detail::cuda::device_unusable_reason();
    CHECK(reason.find("without a kernel image") != std::string::npos);
    CHECK(reason.find("cudaFuncGetAttributes") != std::string::npos);
    // backend::automatic trains and infers on the CPU, bit for bit as backend::cpu.
    testing::check_automatic_computes_as_cpu(MSE{});
    // backend::cuda says why it cannot run.
    const Autoencoder<testing::SmallEncoder, testing::SmallDecoder, backend::cuda> model{1};
    const Matrix<float> x = Matrix<float>::Constant(6, 2, 0.5f);
    const std::string message = testing::message_of<device_error>([&] { (void)model.reconstruct(x); });
    CHECK(message.find("expected a CUDA device that can run latent's kernels, found device ") != std::string::npos);
    CHECK(message.find("without a kernel image") != std::string::npos);
}

int main(int argc, char** argv) {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::puts("skipped: no CUDA device here (this test needs a GPU that is not sm_8x)");
        return 77;
    }
    int device = 0, major = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
        std::puts("failed: a CUDA device is listed, but its compute capability cannot be read");
        return 1;
    }
    if (major == 8) {
        std::puts("skipped: an sm_8x GPU here, which runs the sm_80 kernels this test expects to be refused");
        return 77;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
