#pragma once
// MaxPool2D and AvgPool2D on the CPU: a sweep over each sample's windows, samples split over the threads.
// Max pooling keeps the position of each window's maximum for the backward pass.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/image_sweep.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/pooling.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace latent {

namespace detail {
/// Calls window(o, corner) for each output o of one channels-first sample of pooling geometry L, with
/// `corner` the input index of its window's first cell.
template <class L, class Window>
void for_each_window(Window&& window) {
    for (std::size_t c = 0, o = 0; c < L::channels; ++c)
        for (std::size_t oy = 0; oy < L::out_height; ++oy)
            for (std::size_t ox = 0; ox < L::out_width; ++ox, ++o)
                window(o, (c * L::height + oy * L::stride) * L::width + ox * L::stride);
}
}  // namespace detail

/// Forward: each window's maximum (the first, on ties). Backward: dL/dy to the maximum's cell.
template <class S, std::size_t Pool, std::size_t Stride, class In>
struct Kernel<backend::basic_cpu<S>, Bound<MaxPool2D<Pool, Stride>, In>> {
    using L = Bound<MaxPool2D<Pool, Stride>, In>;
    using Sweep = detail::ImageSweep<L>;

    /// Where each output's maximum was, for up to `capacity` samples.
    struct State {
        explicit State(std::size_t capacity) : argmax(capacity * Sweep::out_size) {}
        detail::AlignedBuffer<std::uint32_t> argmax;  // per output: the index of its maximum in the sample
    };

    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State& state, PassContext&) {
        Sweep::for_each_sample(x.data(), y.data(), x.cols(), [&](std::size_t j, const S* in, S* out) {
            std::uint32_t* where = state.argmax.data() + j * Sweep::out_size;
            // Row by row, the running maximum and its index in registers, the comparisons as selects: the
            // branches of a compare-and-jump are unpredictable on activations, and 32-bit indices vectorise
            // with the values.
            for (std::uint32_t c = 0; c < L::channels; ++c)
                for (std::uint32_t oy = 0; oy < L::out_height; ++oy) {
                    const std::uint32_t row = (c * L::height + oy * Stride) * L::width;
                    const std::uint32_t o = (c * L::out_height + oy) * L::out_width;
                    for (std::uint32_t ox = 0; ox < L::out_width; ++ox) {
                        const std::uint32_t corner = row + ox * Stride;
                        S best_value = in[corner];
                        std::uint32_t best = corner;
                        for (std::uint32_t ky = 0; ky < Pool; ++ky)
                            for (std::uint32_t kx = 0; kx < Pool; ++kx) {
                                const std::uint32_t i = corner + ky * L::width + kx;
                                const bool larger = in[i] > best_value;
                                best_value = larger ? in[i] : best_value;
                                best = larger ? i : best;
                            }
                        out[o + ox] = best_value;
                        where[o + ox] = best;
                    }
                }
        });
    }

    /// The gradient of each output goes to the input cell that was its maximum.
    static void backward(const S*, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State& state) {
        if (!dx) return;
        Sweep::template for_each_sample<true>(dy.data(), dx->data(), x.cols(), [&](std::size_t j, const S* dout, S* din) {
            const std::uint32_t* where = state.argmax.data() + j * Sweep::out_size;
            std::fill(din, din + Sweep::in_size, S(0));
            for (std::size_t o = 0; o < Sweep::out_size; ++o) din[where[o]] += dout[o];
        });
    }
};

/// Forward: each window's mean. Backward: dL/dy shared equally by the window's cells.
template <class S, std::size_t Pool, std::size_t Stride, class In>
struct Kernel<backend::basic_cpu<S>, Bound<AvgPool2D<Pool, Stride>, In>> {
    using L = Bound<AvgPool2D<Pool, Stride>, In>;
    using Sweep = detail::ImageSweep<L>;
    static constexpr S scale = S(1) / S(Pool * Pool);

    /// Nothing: average pooling keeps no state.
    struct State {
        explicit State(std::size_t) {}
    };

    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State&, PassContext&) {
        Sweep::for_each_sample(x.data(), y.data(), x.cols(), [&](std::size_t, const S* in, S* out) {
            detail::for_each_window<L>([&](std::size_t o, std::size_t corner) {
                S sum = 0;
                for (std::size_t ky = 0; ky < Pool; ++ky)
                    for (std::size_t kx = 0; kx < Pool; ++kx) sum += in[corner + ky * L::width + kx];
                out[o] = sum * scale;
            });
        });
    }

    static void backward(const S*, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State&) {
        if (!dx) return;
        Sweep::template for_each_sample<true>(dy.data(), dx->data(), x.cols(), [&](std::size_t, const S* dout, S* din) {
            std::fill(din, din + Sweep::in_size, S(0));
            detail::for_each_window<L>([&](std::size_t o, std::size_t corner) {
                for (std::size_t ky = 0; ky < Pool; ++ky)
                    for (std::size_t kx = 0; kx < Pool; ++kx) din[corner + ky * L::width + kx] += dout[o] * scale;
            });
        });
    }
};

}  // namespace latent
