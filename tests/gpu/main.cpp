// The runner of latent_gpu_tests, which links latent::cuda. `--expect-gpu` exits 77 (CTest: skipped) where
// there is no CUDA device, `--expect-no-gpu` where there is one; the other arguments go to doctest.
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
    const int devices = latent::detail::cuda::device_count();
    if (expect_gpu && devices == 0) {
        std::puts("skipped: no CUDA device here (these tests need a GPU)");
        return 77;
    }
    if (expect_no_gpu && devices > 0) {
        std::printf("skipped: %d CUDA device(s) here (these tests check the behaviour without one)\n", devices);
        return 77;
    }
    doctest::Context context(int(rest.size()), rest.data());
    return context.run();
}
