#pragma once
// ConvTranspose2D on the CPU, sample by sample: the product of the input (pixels x channels) with the
// weights gives each input pixel's window over the output, which col2im adds into the output image: the
// adjoint of Conv2D's im2col, with which it shares the window geometry.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/conv2d.hpp"
#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/conv_transpose2d.hpp"

#include <algorithm>
#include <cstddef>

namespace latent {

/// Forward: y = act(conv_transpose(x, W) + b). Backward receives dL/dy (or dL/dz when the loss was fused
/// with the activation), writes dL/dW and dL/db, and dL/dx when asked.
template <class S, std::size_t F, std::size_t K, class Act, Padding Pad, std::size_t Stride, class Init, class In>
struct Kernel<backend::basic_cpu<S>, Bound<ConvTranspose2D<F, K, Act, Pad, Stride, Init>, In>> {
    using L = Bound<ConvTranspose2D<F, K, Act, Pad, Stride, Init>, In>;
    static constexpr Eigen::Index pixels = L::out_pixels, patch = L::patch_size, channels = L::in_channels;
    static constexpr Eigen::Index in_size = In::size, out_size = L::output_shape::size, plane = L::height * L::width;
    using Windows = detail::Im2col<L>;

    /// One sample's windows (pixels x patch) and the blocks of the three products.
    struct State {
        explicit State(std::size_t capacity)
            : windows(std::size_t(pixels * patch)),
              plane_sums(capacity * F),
              forward(pixels, patch, channels),
              weight_gradient(patch, channels, pixels),
              input_gradient(pixels, channels, patch) {}
        detail::AlignedBuffer<S> windows;
        detail::AlignedBuffer<S> plane_sums;  // per sample, each filter's sum of dz
        detail::Gemm<S, false, true> forward;          // x W^T, W stored patch x channels
        detail::Gemm<S, true, false> weight_gradient;  // windows(dz)^T x
        detail::Gemm<S, false, false> input_gradient;  // windows(dz) W
    };

    static void forward(const S* parameters, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>* logits,
                        State& state, PassContext&) {
        const S* bias = parameters + L::bias_offset;
        S* z = logits ? logits->data() : y.data();
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            state.forward(pixels, patch, channels, x.data() + j * in_size, pixels, parameters, patch,
                          state.windows.data(), pixels, false);
            S* out = z + j * out_size;
            std::fill(out, out + out_size, S(0));
            Windows::scatter_add(state.windows.data(), pixels, out);
            for (Eigen::Index f = 0; f < Eigen::Index(F); ++f)
                Eigen::Map<Vector<S>>(out + f * plane, plane).array() += bias[f];
            detail::activate_sample<Act>(y.data() + j * out_size, logits ? out : nullptr, out_size);
        }
    }

    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx, State& state) {
        const auto n = x.cols();
        for (Eigen::Index j = 0; j < n; ++j) {
            detail::logit_gradient_sample<Act>(y.data() + j * out_size, dy.data() + j * out_size, dy_is_logit_gradient, plane,
                                               Eigen::Index(F), state.plane_sums.data() + j * Eigen::Index(F));
            Windows::gather(dy.data() + j * out_size, state.windows.data(), pixels);
            state.weight_gradient(patch, channels, pixels, state.windows.data(), pixels, x.data() + j * in_size, pixels,
                                  gradients, patch, j > 0);
            if (dx)
                state.input_gradient(pixels, channels, patch, state.windows.data(), pixels, parameters, patch,
                                     dx->data() + j * in_size, pixels, false);
        }
        detail::bias_gradient_from(state.plane_sums.data(), Eigen::Index(F), n, gradients + L::bias_offset);
    }
};

}  // namespace latent
