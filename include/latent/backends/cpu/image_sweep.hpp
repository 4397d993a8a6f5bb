#pragma once
// What the CPU kernels of the image layers share: a sweep over the samples of a batch, each sample's input
// and output found from the layer's shapes (pooling, upsampling), split over the threads of the current
// pool. Each sample is computed alone by the same code, so the results do not depend on the
// thread count.

#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"

#include <cstddef>

namespace latent::detail {

/// Calls body(j) for j in [0, count), split over the current pool's threads (a group of samples whose
/// each one is thousands of operations: worth a thread).
template <class Body>
void parallel_samples(std::ptrdiff_t count, Body&& body) noexcept {
    parallel_ranges(std::size_t(count), 1, 1, [&](std::size_t first, std::size_t end) {
        for (std::size_t j = first; j < end; ++j) body(std::ptrdiff_t(j));
    });
}

/// Sweeps over samples of layer L: in_size and out_size values per sample.
template <class L>
struct ImageSweep {
    static constexpr std::size_t in_size = L::input_shape::size, out_size = L::output_shape::size;

    /// Calls body(j, sample j of `in`, sample j of `out`) for each of n samples; `in` and `out` hold
    /// In::size and output size values per sample (or the other way round when `backward`).
    template <bool Backward = false, class In, class Out, class Body>
    static void for_each_sample(In* in, Out* out, Eigen::Index n, Body&& body) noexcept {
        constexpr std::size_t in_stride = Backward ? out_size : in_size, out_stride = Backward ? in_size : out_size;
        // Below this many values per thread, handing out the work costs more than it saves.
        constexpr std::size_t min_values = 16384;
        const std::size_t per_sample = in_size + out_size;
        parallel_ranges(std::size_t(n), 1, (min_values + per_sample - 1) / per_sample, [&](std::size_t first, std::size_t end) {
            for (std::size_t j = first; j < end; ++j) body(j, in + j * in_stride, out + j * out_stride);
        });
    }
};

}  // namespace latent::detail
