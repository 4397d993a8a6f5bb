#pragma once
// Winograd's F(2x2, 3x3) for 3x3 stride-1 convolutions whose output height and width are even (Lavin and
// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2x2 block of outputs ("tile")
// reads a 4x4 block of the input; in the transformed domain the convolution is an element-wise product, so
// over channels it is 16 matrix products (one per transformed cell p) of K = channels instead of 9 x channels
// for 4 outputs: 2.25 times fewer multiplications than im2col.
//
//   forward            Y_f   = A^T [sum_c U_fc . V_c] A,   U = G w G^T,  V = B^T d B    (products V_p U_p)
//   weight gradient    dw_fc = G^T [sum_tiles dY^_f . V_c] G,   dY^ = A dY A^T            (products V_p^T dY^_p)
//   input gradient     dd_c  = B [sum_f U_fc . dY^_f] B^T, added into the overlapping tiles  (products dY^_p U_p^T)
//
// the last two being the adjoints of the first. Matrices of one group of samples: V_p (tiles x channels),
// dY^_p and the forward products (tiles x filters), column-major, tile index fastest. The groups are sized
// independently of the thread count and the weight gradient is summed over them in order, so results are
// the same on any number of threads.

#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/image_sweep.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace latent::detail {

/// Whether the Winograd kernel serves convolution geometry G: 3x3, stride 1, even output sides, and enough
/// input channels that the products dominate the transforms (with one channel, as in a first layer, im2col
/// measured faster).
template <class G>
inline constexpr bool winograd_fits = G::kernel_size == 3 && G::stride == 1 && G::out_height % 2 == 0 &&
                                      G::out_width % 2 == 0 && G::channels >= 8 &&
                                      // the transforms keep one padded plane on the stack: at most 130 x 130
                                      (G::out_height + 2) * (G::out_width + 2) <= 130 * 130;

template <class G, class S>
struct Winograd {
    static constexpr std::ptrdiff_t C = G::channels, F = G::filters, H = G::height, W = G::width;
    static constexpr std::ptrdiff_t OH = G::out_height, OW = G::out_width, TY = OH / 2, TX = OW / 2, tiles = TY * TX;
    // The padded plane: the input rows [-pad_top, OH + 2 - pad_top) and columns likewise, zero outside the input.
    static constexpr std::ptrdiff_t PH = OH + 2, PW = OW + 2, top = G::pad_top, left = G::pad_left;
    static constexpr std::ptrdiff_t in_size = C * H * W, out_size = F * OH * OW;
    static_assert(!winograd_fits<G> || (H + top <= PH && W + left <= PW), "latent: the padded plane must hold the input");

    /// Samples per group: the group's transformed input and outputs stay within about 1 MB (L2).
    static constexpr std::ptrdiff_t group_for(std::size_t capacity) {
        constexpr std::ptrdiff_t budget = std::ptrdiff_t(1) << 18;  // values
        const std::ptrdiff_t fit = budget / (16 * tiles * (C + F));
        return std::clamp<std::ptrdiff_t>(fit, 1, std::max<std::ptrdiff_t>(std::ptrdiff_t(capacity), 1));
    }

    struct State {
        explicit State(std::size_t capacity)
            : group(group_for(capacity)),
              weights(std::size_t(16 * C * F)),
              weight_gradient(std::size_t(16 * C * F)),
              plane_sums(capacity * std::size_t(F)),
              inputs(std::size_t(16 * C * group * tiles)),
              outputs(std::size_t(16 * F * group * tiles)),
              forward_product(group * tiles, F, C),
              weight_product(C, F, group * tiles),
              input_product(group * tiles, C, F) {}
        std::ptrdiff_t group;
        AlignedBuffer<S> weights;          // U_p, C x F each
        AlignedBuffer<S> weight_gradient;  // the sum of V_p^T dY^_p, C x F each
        AlignedBuffer<S> plane_sums;       // per sample, each filter's sum of dz: the bias gradient's terms
        AlignedBuffer<S> inputs;           // V_p, then in the backward pass the input gradient's products
        AlignedBuffer<S> outputs;          // the forward products, or dY^_p
        Gemm<S, false, false> forward_product;
        Gemm<S, true, false> weight_product;
        Gemm<S, false, true> input_product;
    };

    /// U_p(c, f) = (G w_fc G^T)_p for PyTorch-ordered weights w (filters x channels x 3 x 3).
    static void transform_weights(const S* w, S* u) {
        for (std::ptrdiff_t f = 0; f < F; ++f)
            for (std::ptrdiff_t c = 0; c < C; ++c) {
                const S* g = w + (f * C + c) * 9;
                S t[4][3];  // G g
                for (int k = 0; k < 3; ++k) {
                    t[0][k] = g[k];
                    t[1][k] = S(0.5) * (g[k] + g[3 + k] + g[6 + k]);
                    t[2][k] = S(0.5) * (g[k] - g[3 + k] + g[6 + k]);
                    t[3][k] = g[6 + k];
                }
                for (int i = 0; i < 4; ++i) {
                    const S row[4] = {t[i][0], S(0.5) * (t[i][0] + t[i][1] + t[i][2]), S(0.5) * (t[i][0] - t[i][1] + t[i][2]),
                                      t[i][2]};
                    for (int j = 0; j < 4; ++j) u[(i * 4 + j) * C * F + f * C + c] = row[j];
                }
            }
    }

    /// dw_fc = G^T P_fc G from the summed products P_p(c, f), into PyTorch-ordered gradients.
    static void weight_gradient_from(const S* p, S* dw) {
        for (std::ptrdiff_t f = 0; f < F; ++f)
            for (std::ptrdiff_t c = 0; c < C; ++c) {
                S m[4][4];
                for (int i = 0; i < 16; ++i) m[i / 4][i % 4] = p[i * C * F + f * C + c];
                S t[3][4];  // G^T m
                for (int j = 0; j < 4; ++j) {
                    t[0][j] = m[0][j] + S(0.5) * (m[1][j] + m[2][j]);
                    t[1][j] = S(0.5) * (m[1][j] - m[2][j]);
                    t[2][j] = S(0.5) * (m[1][j] + m[2][j]) + m[3][j];
                }
                S* g = dw + (f * C + c) * 9;
                for (int i = 0; i < 3; ++i) {
                    g[i * 3 + 0] = t[i][0] + S(0.5) * (t[i][1] + t[i][2]);
                    g[i * 3 + 1] = S(0.5) * (t[i][1] - t[i][2]);
                    g[i * 3 + 2] = S(0.5) * (t[i][1] + t[i][2]) + t[i][3];
                }
            }
    }

    /// V_p for sample `image` at tile offset `first_tile` of a group of `rows` tiles: B^T d B of each tile.
    static void transform_input(const S* image, S* v, std::ptrdiff_t first_tile, std::ptrdiff_t rows) {
        std::array<S, PH * PW> plane;
        for (std::ptrdiff_t c = 0; c < C; ++c) {
            pad(image + c * H * W, plane.data());
            S* out = v + c * rows + first_tile;
            for (std::ptrdiff_t ty = 0; ty < TY; ++ty) {
                const S* r0 = plane.data() + 2 * ty * PW;
                const S *r1 = r0 + PW, *r2 = r1 + PW, *r3 = r2 + PW;
                for (std::ptrdiff_t tx = 0; tx < TX; ++tx) {
                    S d[4][4];  // B^T applied to the tile's rows: the columns' combinations
                    for (int k = 0; k < 4; ++k) {
                        const std::ptrdiff_t x = 2 * tx + k;
                        d[0][k] = r0[x] - r2[x];
                        d[1][k] = r1[x] + r2[x];
                        d[2][k] = r2[x] - r1[x];
                        d[3][k] = r1[x] - r3[x];
                    }
                    const std::ptrdiff_t t = ty * TX + tx;
                    for (int i = 0; i < 4; ++i) {
                        S* cell = out + t + (i * 4) * C * rows;
                        cell[0] = d[i][0] - d[i][2];
                        cell[C * rows] = d[i][1] + d[i][2];
                        cell[2 * C * rows] = d[i][2] - d[i][1];
                        cell[3 * C * rows] = d[i][1] - d[i][3];
                    }
                }
            }
        }
    }

    /// z = A^T m A + bias for each tile of one sample, from the forward products m (tiles x F per cell).
    static void transform_output(const S* m, const S* bias, S* z, std::ptrdiff_t first_tile, std::ptrdiff_t rows) {
        for (std::ptrdiff_t f = 0; f < F; ++f) {
            const S* in = m + f * rows + first_tile;
            S* plane = z + f * OH * OW;
            for (std::ptrdiff_t ty = 0; ty < TY; ++ty)
                for (std::ptrdiff_t tx = 0; tx < TX; ++tx) {
                    const S* cell = in + ty * TX + tx;
                    S t[2][4];  // A^T m
                    for (int j = 0; j < 4; ++j) {
                        const S m0 = cell[j * F * rows], m1 = cell[(4 + j) * F * rows], m2 = cell[(8 + j) * F * rows],
                                m3 = cell[(12 + j) * F * rows];
                        t[0][j] = m0 + m1 + m2;
                        t[1][j] = m1 - m2 - m3;
                    }
                    for (int i = 0; i < 2; ++i) {
                        S* out = plane + (2 * ty + i) * OW + 2 * tx;
                        out[0] = t[i][0] + t[i][1] + t[i][2] + bias[f];
                        out[1] = t[i][1] - t[i][2] - t[i][3] + bias[f];
                    }
                }
        }
    }

    /// dY^_p = A dz A^T for each tile of one sample's output gradient dz.
    static void transform_output_gradient(const S* dz, S* g, std::ptrdiff_t first_tile, std::ptrdiff_t rows) {
        for (std::ptrdiff_t f = 0; f < F; ++f) {
            const S* plane = dz + f * OH * OW;
            S* out = g + f * rows + first_tile;
            for (std::ptrdiff_t ty = 0; ty < TY; ++ty)
                for (std::ptrdiff_t tx = 0; tx < TX; ++tx) {
                    const S* r0 = plane + 2 * ty * OW + 2 * tx;
                    const S* r1 = r0 + OW;
                    S t[4][2];  // A dz
                    for (int k = 0; k < 2; ++k) {
                        t[0][k] = r0[k];
                        t[1][k] = r0[k] + r1[k];
                        t[2][k] = r0[k] - r1[k];
                        t[3][k] = -r1[k];
                    }
                    S* cell = out + ty * TX + tx;
                    for (int i = 0; i < 4; ++i) {
                        cell[(i * 4 + 0) * F * rows] = t[i][0];
                        cell[(i * 4 + 1) * F * rows] = t[i][0] + t[i][1];
                        cell[(i * 4 + 2) * F * rows] = t[i][0] - t[i][1];
                        cell[(i * 4 + 3) * F * rows] = -t[i][1];
                    }
                }
        }
    }

    /// dx = B n B^T of each tile added into its overlapping input block, from the products n (tiles x C per cell).
    static void transform_input_gradient(const S* n, S* dx, std::ptrdiff_t first_tile, std::ptrdiff_t rows) {
        std::array<S, PH * PW> plane;
        for (std::ptrdiff_t c = 0; c < C; ++c) {
            std::fill(plane.begin(), plane.end(), S(0));
            const S* in = n + c * rows + first_tile;
            for (std::ptrdiff_t ty = 0; ty < TY; ++ty)
                for (std::ptrdiff_t tx = 0; tx < TX; ++tx) {
                    const S* cell = in + ty * TX + tx;
                    S t[4][4];  // B n
                    for (int j = 0; j < 4; ++j) {
                        const S n0 = cell[j * C * rows], n1 = cell[(4 + j) * C * rows], n2 = cell[(8 + j) * C * rows],
                                n3 = cell[(12 + j) * C * rows];
                        t[0][j] = n0;
                        t[1][j] = n1 - n2 + n3;
                        t[2][j] = n1 + n2 - n0;
                        t[3][j] = -n3;
                    }
                    for (int i = 0; i < 4; ++i) {
                        S* out = plane.data() + (2 * ty + i) * PW + 2 * tx;
                        out[0] += t[i][0];
                        out[1] += t[i][1] - t[i][2] + t[i][3];
                        out[2] += t[i][1] + t[i][2] - t[i][0];
                        out[3] -= t[i][3];
                    }
                }
            S* image = dx + c * H * W;
            for (std::ptrdiff_t y = 0; y < H; ++y)
                std::copy_n(plane.data() + (y + top) * PW + left, W, image + y * W);
        }
    }

    /// Forward: z = conv(x, w) + b for n samples, then done(j) for each sample j on the thread that wrote it;
    /// requires n within the state's capacity.
    template <class Done>
    static void forward(const S* parameters, const S* x, S* z, std::ptrdiff_t n, State& state, Done&& done) {
        transform_weights(parameters, state.weights.data());
        const S* bias = parameters + G::bias_offset;
        for (std::ptrdiff_t first = 0; first < n; first += state.group) {
            const std::ptrdiff_t g = std::min(state.group, n - first), rows = g * tiles;
            parallel_samples(g, [&](std::ptrdiff_t j) {
                transform_input(x + (first + j) * in_size, state.inputs.data(), j * tiles, rows);
            });
            for (std::ptrdiff_t p = 0; p < 16; ++p)
                state.forward_product(rows, F, C, state.inputs.data() + p * C * rows, rows, state.weights.data() + p * C * F,
                                      C, state.outputs.data() + p * F * rows, rows, false);
            parallel_samples(g, [&](std::ptrdiff_t j) {
                transform_output(state.outputs.data(), bias, z + (first + j) * out_size, j * tiles, rows);
                done(first + j);
            });
        }
    }

    /// Backward: first prepare(j, its plane sums) for each sample j, which turns its dy into dz, then the
    /// weight gradient (overwritten) and, when dx is given, the input gradient. Returns the plane sums
    /// (n x F).
    template <class Prepare>
    static const S* backward(const S* parameters, const S* x, const S* dz, std::ptrdiff_t n, S* weight_gradient, S* dx,
                             State& state, Prepare&& prepare) {
        if (dx) transform_weights(parameters, state.weights.data());
        for (std::ptrdiff_t first = 0; first < n; first += state.group) {
            const std::ptrdiff_t g = std::min(state.group, n - first), rows = g * tiles;
            parallel_samples(g, [&](std::ptrdiff_t j) {
                prepare(first + j, state.plane_sums.data() + (first + j) * F);
                transform_input(x + (first + j) * in_size, state.inputs.data(), j * tiles, rows);
                transform_output_gradient(dz + (first + j) * out_size, state.outputs.data(), j * tiles, rows);
            });
            for (std::ptrdiff_t p = 0; p < 16; ++p)
                state.weight_product(C, F, rows, state.inputs.data() + p * C * rows, rows, state.outputs.data() + p * F * rows,
                                     rows, state.weight_gradient.data() + p * C * F, C, first > 0);
            if (!dx) continue;
            for (std::ptrdiff_t p = 0; p < 16; ++p)
                state.input_product(rows, C, F, state.outputs.data() + p * F * rows, rows, state.weights.data() + p * C * F,
                                    C, state.inputs.data() + p * C * rows, rows, false);
            parallel_samples(g, [&](std::ptrdiff_t j) {
                transform_input_gradient(state.inputs.data(), dx + (first + j) * in_size, j * tiles, rows);
            });
        }
        weight_gradient_from(state.weight_gradient.data(), weight_gradient);
        return state.plane_sums.data();
    }

private:
    /// Copies one input channel into the padded plane.
    static void pad(const S* channel, S* plane) {
        std::fill(plane, plane + PH * PW, S(0));
        for (std::ptrdiff_t y = 0; y < H; ++y) std::copy_n(channel + y * W, W, plane + (y + top) * PW + left);
    }
};

}  // namespace latent::detail
