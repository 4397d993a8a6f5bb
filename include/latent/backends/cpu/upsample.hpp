#pragma once
// UpSample2D on the CPU. Nearest: each output reads one input pixel. Bilinear: each output row and column
// mixes two input rows and columns with weights that depend only on its index, tabulated once per axis.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/image_sweep.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/upsample.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace latent {

namespace detail {
/// For each of extent * factor outputs along an axis: the two inputs it mixes and the second one's weight
/// (align_corners=False: output o samples the input at (o + 0.5) / factor - 0.5, clamped to the edges).
template <std::size_t Extent, std::size_t Factor>
struct BilinearAxis {
    std::array<std::size_t, Extent * Factor> low{}, high{};
    std::array<double, Extent * Factor> weight{};
    constexpr BilinearAxis() {
        for (std::size_t o = 0; o < Extent * Factor; ++o) {
            const double source = std::max((double(o) + 0.5) / double(Factor) - 0.5, 0.0);
            low[o] = std::min(std::size_t(source), Extent - 1);
            high[o] = std::min(low[o] + 1, Extent - 1);
            weight[o] = source - double(low[o]);
        }
    }
};
}  // namespace detail

/// Forward: the enlarged image. Backward: each output's gradient back to the input pixels it read, by
/// the same weights.
template <class S, std::size_t Factor, Interpolation Mode, class In>
struct Kernel<backend::basic_cpu<S>, Bound<UpSample2D<Factor, Mode>, In>> {
    using L = Bound<UpSample2D<Factor, Mode>, In>;
    static constexpr std::size_t H = L::height, W = L::width, OH = H * Factor, OW = W * Factor;
    using Sweep = detail::ImageSweep<L>;
    static constexpr detail::BilinearAxis<H, Factor> rows{};
    static constexpr detail::BilinearAxis<W, Factor> columns{};

    /// Nothing: the interpolation weights are constants.
    struct State {
        explicit State(std::size_t) {}
    };

    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State&, PassContext&) {
        Sweep::for_each_sample(x.data(), y.data(), x.cols(), [&](std::size_t, const S* in, S* out) {
            for (std::size_t c = 0; c < L::channels; ++c, in += H * W)
                for (std::size_t oy = 0; oy < OH; ++oy)
                    for (std::size_t ox = 0; ox < OW; ++ox, ++out) {
                        if constexpr (Mode == Interpolation::nearest) {
                            *out = in[(oy / Factor) * W + ox / Factor];
                        } else {
                            const S wy = S(rows.weight[oy]), wx = S(columns.weight[ox]);
                            const S* top = in + rows.low[oy] * W;
                            const S* bottom = in + rows.high[oy] * W;
                            const std::size_t l = columns.low[ox], r = columns.high[ox];
                            *out = (S(1) - wy) * ((S(1) - wx) * top[l] + wx * top[r]) +
                                   wy * ((S(1) - wx) * bottom[l] + wx * bottom[r]);
                        }
                    }
        });
    }

    static void backward(const S*, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State&) {
        if (!dx) return;
        Sweep::template for_each_sample<true>(dy.data(), dx->data(), x.cols(), [&](std::size_t, const S* dout, S* din) {
            std::fill(din, din + Sweep::in_size, S(0));
            for (std::size_t c = 0; c < L::channels; ++c, din += H * W)
                for (std::size_t oy = 0; oy < OH; ++oy)
                    for (std::size_t ox = 0; ox < OW; ++ox, ++dout) {
                        if constexpr (Mode == Interpolation::nearest) {
                            din[(oy / Factor) * W + ox / Factor] += *dout;
                        } else {
                            const S wy = S(rows.weight[oy]), wx = S(columns.weight[ox]), g = *dout;
                            S* top = din + rows.low[oy] * W;
                            S* bottom = din + rows.high[oy] * W;
                            const std::size_t l = columns.low[ox], r = columns.high[ox];
                            top[l] += (S(1) - wy) * (S(1) - wx) * g;
                            top[r] += (S(1) - wy) * wx * g;
                            bottom[l] += wy * (S(1) - wx) * g;
                            bottom[r] += wy * wx * g;
                        }
                    }
        });
    }
};

}  // namespace latent
