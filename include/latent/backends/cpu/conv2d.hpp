#pragma once
// Conv2D on the CPU as matrix products, sample by sample: im2col lays out each sample's windows as a
// (out pixels x patch) matrix, so that the output (out pixels x filters, which is the sample's
// channels-first storage) is one product with the weights (patch x filters). The window buffer and the
// products' blocks are sized once in the State: a training step never allocates.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/conv2d.hpp"

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace latent {

namespace detail {

/// Image <-> window matrix for one sample of geometry G: column (c, ky, kx) of the matrix holds, for
/// every output pixel, the input value under that kernel cell (zero in the padding).
template <class G>
struct Im2col {
    static constexpr std::ptrdiff_t H = G::height, W = G::width, K = G::kernel_size, S = G::stride;
    static constexpr std::ptrdiff_t OH = G::out_height, OW = G::out_width;
    static constexpr std::ptrdiff_t top = G::pad_top, left = G::pad_left;

    /// The outputs [first_inside, last_inside) along an axis whose window cell k reads inside the input.
    static constexpr std::ptrdiff_t first_inside(std::ptrdiff_t k, std::ptrdiff_t pad) {
        return k >= pad ? 0 : (pad - k + S - 1) / S;
    }
    static constexpr std::ptrdiff_t last_inside(std::ptrdiff_t k, std::ptrdiff_t pad, std::ptrdiff_t extent,
                                                std::ptrdiff_t outputs) {
        // o * S + k - pad <= extent - 1
        const std::ptrdiff_t limit = extent - 1 + pad - k;
        return limit < 0 ? 0 : std::min(outputs, limit / S + 1);
    }

    template <class T>
    static void gather(const T* image, T* columns) {
        for (std::ptrdiff_t c = 0; c < std::ptrdiff_t(G::channels); ++c)
            for (std::ptrdiff_t ky = 0; ky < K; ++ky)
                for (std::ptrdiff_t kx = 0; kx < K; ++kx) {
                    T* column = columns + ((c * K + ky) * K + kx) * OH * OW;
                    const std::ptrdiff_t x0 = first_inside(kx, left), x1 = std::max(x0, last_inside(kx, left, W, OW));
                    for (std::ptrdiff_t oy = 0; oy < OH; ++oy) {
                        T* row = column + oy * OW;
                        const std::ptrdiff_t iy = oy * S + ky - top;
                        if (iy < 0 || iy >= H) {
                            std::fill(row, row + OW, T(0));
                            continue;
                        }
                        const std::ptrdiff_t start = (c * H + iy) * W + kx - left;  // input index of ox = 0
                        std::fill(row, row + x0, T(0));
                        if constexpr (S == 1)
                            std::copy(image + start + x0, image + start + x1, row + x0);
                        else
                            for (std::ptrdiff_t ox = x0; ox < x1; ++ox) row[ox] = image[start + ox * S];
                        std::fill(row + x1, row + OW, T(0));
                    }
                }
    }

    /// Adds each window value back to the input cell it came from (the adjoint of gather).
    template <class T>
    static void scatter_add(const T* columns, T* image) {
        for (std::ptrdiff_t c = 0; c < std::ptrdiff_t(G::channels); ++c)
            for (std::ptrdiff_t ky = 0; ky < K; ++ky)
                for (std::ptrdiff_t kx = 0; kx < K; ++kx) {
                    const T* column = columns + ((c * K + ky) * K + kx) * OH * OW;
                    const std::ptrdiff_t x0 = first_inside(kx, left), x1 = std::max(x0, last_inside(kx, left, W, OW));
                    for (std::ptrdiff_t oy = 0; oy < OH; ++oy) {
                        const std::ptrdiff_t iy = oy * S + ky - top;
                        if (iy < 0 || iy >= H) continue;
                        const T* row = column + oy * OW;
                        const std::ptrdiff_t start = (c * H + iy) * W + kx - left;
                        for (std::ptrdiff_t ox = x0; ox < x1; ++ox) image[start + ox * S] += row[ox];
                    }
                }
    }
};

}  // namespace detail

/// Forward: y = act(conv(x, W) + b). Backward receives dL/dy (or dL/dz when the loss was fused with the
/// activation), writes dL/dW and dL/db, and dL/dx when asked.
template <class S, std::size_t F, std::size_t K, class Act, Padding Pad, std::size_t Stride, class Init, class In>
struct Kernel<backend::basic_cpu<S>, Bound<Conv2D<F, K, Act, Pad, Stride, Init>, In>> {
    using L = Bound<Conv2D<F, K, Act, Pad, Stride, Init>, In>;
    static constexpr Eigen::Index pixels = L::out_pixels, patch = L::patch_size, filters = F;
    static constexpr std::size_t in_size = In::size, out_size = L::output_shape::size;
    using Windows = detail::Im2col<L>;

    /// One sample's window matrix and its gradient, and the blocks of the three products.
    struct State {
        explicit State(std::size_t)
            : windows(std::size_t(pixels * patch)),
              forward(pixels, filters, patch),
              weight_gradient(patch, filters, pixels),
              input_gradient(pixels, patch, filters) {}
        detail::AlignedBuffer<S> windows;                // pixels x patch, column-major
        detail::Gemm<S, false, false> forward;           // windows W
        detail::Gemm<S, true, false> weight_gradient;    // windows^T dz
        detail::Gemm<S, false, true> input_gradient;     // dz W^T
    };

    /// requires: x is In::size x n, y is output size x n, n <= the state's capacity; `logits`, when
    /// given, receives the pre-activation.
    static void forward(const S* parameters, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>* logits,
                        State& state, PassContext&) {
        const auto n = x.cols();
        const S* bias = parameters + L::bias_offset;
        MatrixView<S>& z = logits ? *logits : y;
        for (Eigen::Index j = 0; j < n; ++j) {
            S* out = z.data() + j * Eigen::Index(out_size);
            Windows::gather(x.data() + j * Eigen::Index(in_size), state.windows.data());
            state.forward(pixels, filters, patch, state.windows.data(), pixels, parameters, patch, out, pixels, false);
            for (Eigen::Index f = 0; f < filters; ++f)
                Eigen::Map<Vector<S>>(out + f * pixels, pixels).array() += bias[f];
        }
        if (logits)
            y.array() = Act::apply(logits->array());
        else if constexpr (!std::is_same_v<Act, Identity>)
            y.array() = Act::apply(y.array());
    }

    /// requires: dy is output size x n and is overwritten with dL/dz; gradients points at this layer's
    /// parameter_count gradient slots, which are overwritten; dx, when given, is In::size x n.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx, State& state) {
        const auto n = x.cols();
        if constexpr (!std::is_same_v<Act, Identity>)
            if (!dy_is_logit_gradient) dy.array() *= Act::derivative(y.array());
        S* bias = gradients + L::bias_offset;
        std::fill(bias, bias + filters, S(0));
        for (Eigen::Index j = 0; j < n; ++j) {
            S* dz = dy.data() + j * Eigen::Index(out_size);
            for (Eigen::Index f = 0; f < filters; ++f) bias[f] += Eigen::Map<Vector<S>>(dz + f * pixels, pixels).sum();
            Windows::gather(x.data() + j * Eigen::Index(in_size), state.windows.data());
            state.weight_gradient(patch, filters, pixels, state.windows.data(), pixels, dz, pixels, gradients, patch,
                                  j > 0);
            if (dx) {
                state.input_gradient(pixels, patch, filters, dz, pixels, parameters, patch, state.windows.data(), pixels,
                                     false);
                S* image = dx->data() + j * Eigen::Index(in_size);
                std::fill(image, image + in_size, S(0));
                Windows::scatter_add(state.windows.data(), image);
            }
        }
    }
};

}  // namespace latent
