// The runner of latent_gpu_tests, which links latent::cuda. `--expect-gpu` exits 77 (CTest: skipped) where
// there is no CUDA device that latent's kernels can run on (none, none with a kernel image for it in this
// program, or none where a context can be made: what backend::automatic treats as no GPU), `--expect-no-gpu`
// where there is one; the other arguments go to doctest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <latent/backends/cuda/runtime.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    std::vector<char*> rest;
    bool expect_gpu = false, expect_no_gpu = false;
    for (int i = 0; i < argc; ++i) {
        const std::string_view arg = argv[i];
        expect_gpu |= arg == "--expect-gpu";
        expect_no_gpu |= arg == "--expect-no-gpu";
        if (arg != "--expect-gpu" && arg != "--expect-no-gpu") rest.push_back(argv[i]);
    }
    const bool usable = latent::detail::cuda::device_usable();
    if (expect_gpu && !usable) {
        std::printf("skipped: no usable CUDA device here, found %s (these tests need a GPU)\n",
                    latent::detail::cuda::device_unusable_reason());
        return 77;
    }
    if (expect_no_gpu && usable) {
        std::printf("skipped: a usable CUDA device here, of %d (these tests check the behaviour without one)\n",
                    latent::detail::cuda::device_count());
        return 77;
    }
    doctest::Context context(int(rest.size()), rest.data());
    return context.run();
}
