#pragma once
// Conv2D on the CPU. 3x3 stride-1 convolutions with enough input channels use Winograd's F(2x2, 3x3)
// (winograd.hpp); the others are matrix products over groups of samples: im2col lays out each sample's windows as
// (out pixels x patch) rows, the rows of a group of samples stacked, so that the group's outputs
// (group x out pixels rows, one column per filter) are one product with the weights (patch x filters),
// large enough for the GEMM kernel to run near its peak; each sample's block of a column is then its
// channel's plane in the channels-first output. The buffers and the products' blocks are sized once in
// the State: a training step never allocates.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/image_sweep.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/backends/cpu/winograd.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"
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

    /// Writes the sample's windows matrix at `columns`, whose columns are `stride` apart.
    template <class T>
    static void gather(const T* image, T* columns, std::ptrdiff_t stride) {
        for (std::ptrdiff_t c = 0; c < std::ptrdiff_t(G::channels); ++c)
            for (std::ptrdiff_t ky = 0; ky < K; ++ky)
                for (std::ptrdiff_t kx = 0; kx < K; ++kx) {
                    T* column = columns + ((c * K + ky) * K + kx) * stride;
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
    static void scatter_add(const T* columns, std::ptrdiff_t stride, T* image) {
        for (std::ptrdiff_t c = 0; c < std::ptrdiff_t(G::channels); ++c)
            for (std::ptrdiff_t ky = 0; ky < K; ++ky)
                for (std::ptrdiff_t kx = 0; kx < K; ++kx) {
                    const T* column = columns + ((c * K + ky) * K + kx) * stride;
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

/// What the convolutions' kernels share after their products: y = act(z) for one sample of `size` values,
/// z being `logits` when kept and y itself otherwise. Called per sample while its output is in cache.
template <class Act, class S>
void activate_sample(S* y, const S* logits, Eigen::Index size) {
    Eigen::Map<Vector<S>> out(y, size);
    if (logits)
        out.array() = Act::apply(Eigen::Map<const Vector<S>>(logits, size).array());
    else if constexpr (!std::is_same_v<Act, Identity>)
        out.array() = Act::apply(out.array());
}

/// What they share before their products: one sample's dy becomes dL/dz (unless it already is), and `sums`
/// its sums over each filter's plane of `plane` pixels, the sample's terms of the bias gradient.
template <class Act, class S>
void logit_gradient_sample(const S* y, S* dy, bool dy_is_logit_gradient, Eigen::Index plane, Eigen::Index filters, S* sums) {
    if constexpr (!std::is_same_v<Act, Identity>)
        if (!dy_is_logit_gradient)
            Eigen::Map<Vector<S>>(dy, plane * filters).array() *=
                Act::derivative(Eigen::Map<const Vector<S>>(y, plane * filters).array());
    Eigen::Map<Vector<S>>(sums, filters) = Eigen::Map<const Matrix<S>>(dy, plane, filters).colwise().sum().transpose();
}

/// The bias gradient from n samples' plane sums (filters x n), added in sample order whatever the threads.
template <class S>
void bias_gradient_from(const S* sums, Eigen::Index filters, Eigen::Index n, S* bias_gradient) {
    Eigen::Map<Vector<S>>(bias_gradient, filters) = Eigen::Map<const Matrix<S>>(sums, filters, n).rowwise().sum();
}

}  // namespace detail

/// Forward: y = act(conv(x, W) + b). Backward receives dL/dy (or dL/dz when the loss was fused with the
/// activation), writes dL/dW and dL/db, and dL/dx when asked.
template <class S, std::size_t F, std::size_t K, class Act, Padding Pad, std::size_t Stride, class Init, class In>
struct Kernel<backend::basic_cpu<S>, Bound<Conv2D<F, K, Act, Pad, Stride, Init>, In>> {
    using L = Bound<Conv2D<F, K, Act, Pad, Stride, Init>, In>;
    static constexpr Eigen::Index pixels = L::out_pixels, patch = L::patch_size, filters = F;
    static constexpr Eigen::Index in_size = In::size, out_size = L::output_shape::size;
    using Windows = detail::Im2col<L>;
    static constexpr bool winograd = detail::winograd_fits<L>;
    using Fast = detail::Winograd<L, S>;

    /// Samples per product: enough rows for an efficient GEMM, few enough that the windows stay in cache.
    static constexpr Eigen::Index group_for(std::size_t capacity) {
        constexpr Eigen::Index budget = Eigen::Index(1) << 18;  // values in the windows or the stacked outputs
        const Eigen::Index fit = budget / (pixels * std::max(patch, filters));
        return std::clamp<Eigen::Index>(fit, 1, std::max<Eigen::Index>(Eigen::Index(capacity), 1));
    }

    /// A group's windows (or their gradient) and outputs (or their gradient), and the products' blocks.
    struct Im2colState {
        explicit Im2colState(std::size_t capacity)
            : group(group_for(capacity)),
              windows(std::size_t(group * pixels * patch)),
              stacked(std::size_t(group * pixels * filters)),
              plane_sums(capacity * std::size_t(filters)),
              forward(group * pixels, filters, patch),
              weight_gradient(patch, filters, group * pixels),
              input_gradient(group * pixels, patch, filters) {}
        Eigen::Index group;
        detail::AlignedBuffer<S> windows;              // group x pixels rows, patch columns
        detail::AlignedBuffer<S> stacked;              // group x pixels rows, one column per filter
        detail::AlignedBuffer<S> plane_sums;           // per sample, each filter's sum of dz
        detail::Gemm<S, false, false> forward;         // windows W
        detail::Gemm<S, true, false> weight_gradient;  // windows^T dz
        detail::Gemm<S, false, true> input_gradient;   // dz W^T
    };
    using State = std::conditional_t<winograd, typename Fast::State, Im2colState>;

    /// requires: x is In::size x n, y is output size x n, n <= the state's capacity; `logits`, when
    /// given, receives the pre-activation.
    static void forward(const S* parameters, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>* logits,
                        State& state, PassContext&) {
        S* z = logits ? logits->data() : y.data();
        const auto activate = [&](Eigen::Index j) {
            detail::activate_sample<Act>(y.data() + j * out_size, logits ? z + j * out_size : nullptr, out_size);
        };
        if constexpr (winograd)
            Fast::forward(parameters, x.data(), z, x.cols(), state, activate);
        else
            forward_im2col(parameters, x.data(), z, x.cols(), state, activate);
    }

    /// requires: dy is output size x n and is overwritten with dL/dz; gradients points at this layer's
    /// parameter_count gradient slots, which are overwritten; dx, when given, is In::size x n.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx, State& state) {
        const auto prepare = [&](Eigen::Index j, S* sums) {
            detail::logit_gradient_sample<Act>(y.data() + j * out_size, dy.data() + j * out_size, dy_is_logit_gradient,
                                               pixels, filters, sums);
        };
        S* dx_data = dx ? dx->data() : nullptr;
        const S* sums = nullptr;
        if constexpr (winograd)
            sums = Fast::backward(parameters, x.data(), dy.data(), x.cols(), gradients, dx_data, state, prepare);
        else
            sums = backward_im2col(parameters, x.data(), dy.data(), x.cols(), gradients, dx_data, state, prepare);
        detail::bias_gradient_from(sums, filters, x.cols(), gradients + L::bias_offset);
    }

private:
    template <class Done>
    static void forward_im2col(const S* parameters, const S* x, S* z, Eigen::Index n, Im2colState& state, Done& done) {
        const S* bias = parameters + L::bias_offset;
        for (Eigen::Index first = 0; first < n; first += state.group) {
            const Eigen::Index g = std::min(state.group, n - first), rows = g * pixels;
            detail::parallel_samples(g, [&](Eigen::Index j) {
                Windows::gather(x + (first + j) * in_size, state.windows.data() + j * pixels, rows);
            });
            state.forward(rows, filters, patch, state.windows.data(), rows, parameters, patch, state.stacked.data(),
                          rows, false);
            detail::parallel_samples(g, [&](Eigen::Index j) {
                for (Eigen::Index f = 0; f < filters; ++f)
                    Eigen::Map<Vector<S>>(z + (first + j) * out_size + f * pixels, pixels).array() =
                        Eigen::Map<const Vector<S>>(state.stacked.data() + f * rows + j * pixels, pixels).array() + bias[f];
                done(first + j);
            });
        }
    }

    template <class Prepare>
    static const S* backward_im2col(const S* parameters, const S* x, S* dz, Eigen::Index n, S* gradients, S* dx,
                                    Im2colState& state, Prepare& prepare) {
        for (Eigen::Index first = 0; first < n; first += state.group) {
            const Eigen::Index g = std::min(state.group, n - first), rows = g * pixels;
            detail::parallel_samples(g, [&](Eigen::Index j) {
                prepare(first + j, state.plane_sums.data() + (first + j) * filters);
                Windows::gather(x + (first + j) * in_size, state.windows.data() + j * pixels, rows);
                for (Eigen::Index f = 0; f < filters; ++f)
                    Eigen::Map<Vector<S>>(state.stacked.data() + f * rows + j * pixels, pixels) =
                        Eigen::Map<const Vector<S>>(dz + (first + j) * out_size + f * pixels, pixels);
            });
            state.weight_gradient(patch, filters, rows, state.windows.data(), rows, state.stacked.data(), rows,
                                  gradients, patch, first > 0);
            if (!dx) continue;
            state.input_gradient(rows, patch, filters, state.stacked.data(), rows, parameters, patch,
                                 state.windows.data(), rows, false);
            detail::parallel_samples(g, [&](Eigen::Index j) {
                S* image = dx + (first + j) * in_size;
                std::fill(image, image + in_size, S(0));
                Windows::scatter_add(state.windows.data() + j * pixels, rows, image);
            });
        }
        return state.plane_sums.data();
    }
};

}  // namespace latent
