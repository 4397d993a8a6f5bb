#pragma once
// MaxPool2D and AvgPool2D on the CPU: a sweep over each sample's windows. Max pooling keeps the position
// of each window's maximum for the backward pass.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/pooling.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace latent {

/// Forward: each window's maximum (the first, on ties). Backward: dL/dy to the maximum's cell.
template <class S, std::size_t Pool, std::size_t Stride, class In>
struct Kernel<backend::basic_cpu<S>, Bound<MaxPool2D<Pool, Stride>, In>> {
    using L = Bound<MaxPool2D<Pool, Stride>, In>;
    static constexpr std::size_t in_size = In::size, out_size = L::output_shape::size;

    /// Where each output's maximum was, for up to `capacity` samples.
    struct State {
        explicit State(std::size_t capacity) : argmax(capacity * out_size) {}
        detail::AlignedBuffer<std::uint32_t> argmax;  // per output: the index of its maximum in the sample
    };

    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State& state, PassContext&) {
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            const S* in = x.data() + j * Eigen::Index(in_size);
            S* out = y.data() + j * Eigen::Index(out_size);
            std::uint32_t* where = state.argmax.data() + std::size_t(j) * out_size;
            for (std::size_t c = 0, o = 0; c < L::channels; ++c)
                for (std::size_t oy = 0; oy < L::out_height; ++oy)
                    for (std::size_t ox = 0; ox < L::out_width; ++ox, ++o) {
                        const std::size_t corner = (c * L::height + oy * Stride) * L::width + ox * Stride;
                        std::size_t best = corner;
                        for (std::size_t ky = 0; ky < Pool; ++ky)
                            for (std::size_t kx = 0; kx < Pool; ++kx) {
                                const std::size_t i = corner + ky * L::width + kx;
                                if (in[i] > in[best]) best = i;
                            }
                        out[o] = in[best];
                        where[o] = std::uint32_t(best);
                    }
        }
    }

    /// The gradient of each output goes to the input cell that was its maximum.
    static void backward(const S*, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State& state) {
        if (!dx) return;
        dx->setZero();
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            const S* dout = dy.data() + j * Eigen::Index(out_size);
            S* din = dx->data() + j * Eigen::Index(in_size);
            const std::uint32_t* where = state.argmax.data() + std::size_t(j) * out_size;
            for (std::size_t o = 0; o < out_size; ++o) din[where[o]] += dout[o];
        }
    }
};

/// Forward: each window's mean. Backward: dL/dy shared equally by the window's cells.
template <class S, std::size_t Pool, std::size_t Stride, class In>
struct Kernel<backend::basic_cpu<S>, Bound<AvgPool2D<Pool, Stride>, In>> {
    using L = Bound<AvgPool2D<Pool, Stride>, In>;
    static constexpr std::size_t in_size = In::size, out_size = L::output_shape::size;
    static constexpr S scale = S(1) / S(Pool * Pool);

    /// Nothing: average pooling keeps no state.
    struct State {
        explicit State(std::size_t) {}
    };

    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State&, PassContext&) {
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            const S* in = x.data() + j * Eigen::Index(in_size);
            S* out = y.data() + j * Eigen::Index(out_size);
            for (std::size_t c = 0, o = 0; c < L::channels; ++c)
                for (std::size_t oy = 0; oy < L::out_height; ++oy)
                    for (std::size_t ox = 0; ox < L::out_width; ++ox, ++o) {
                        const std::size_t corner = (c * L::height + oy * Stride) * L::width + ox * Stride;
                        S sum = 0;
                        for (std::size_t ky = 0; ky < Pool; ++ky)
                            for (std::size_t kx = 0; kx < Pool; ++kx) sum += in[corner + ky * L::width + kx];
                        out[o] = sum * scale;
                    }
        }
    }

    static void backward(const S*, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State&) {
        if (!dx) return;
        dx->setZero();
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            const S* dout = dy.data() + j * Eigen::Index(out_size);
            S* din = dx->data() + j * Eigen::Index(in_size);
            for (std::size_t c = 0, o = 0; c < L::channels; ++c)
                for (std::size_t oy = 0; oy < L::out_height; ++oy)
                    for (std::size_t ox = 0; ox < L::out_width; ++ox, ++o) {
                        const std::size_t corner = (c * L::height + oy * Stride) * L::width + ox * Stride;
                        for (std::size_t ky = 0; ky < Pool; ++ky)
                            for (std::size_t kx = 0; kx < Pool; ++kx) din[corner + ky * L::width + kx] += dout[o] * scale;
                    }
        }
    }
};

}  // namespace latent
