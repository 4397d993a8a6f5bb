#pragma once
// BatchNorm on the CPU. A sample's values are its channels one after another, each `positions` values
// long, so one sample is a positions x channels array and every statistic is a column sum of it, summed
// over the samples in order: passes over the whole batch, vectorised along the positions of an image or
// along the features of a flat input. Threads take ranges of channels, and every channel's sums run over
// the samples in the same order on any thread count: the same bits for any thread count.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"
#include "latent/layers/batch_norm.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace latent {

/// Forward: (x - mean) / sqrt(variance + epsilon) * gamma + beta per channel, with the batch's statistics in
/// training passes (kept for the backward pass and for update_buffers) and the running ones otherwise.
/// Backward: the gradient through the batch statistics as well (training mode).
template <class S, std::uint64_t M1, std::uint64_t M2, std::uint64_t E1, std::uint64_t E2, class In>
struct Kernel<backend::basic_cpu<S>, Bound<BatchNorm<M1, M2, E1, E2>, In>> {
    using L = Bound<BatchNorm<M1, M2, E1, E2>, In>;
    static constexpr auto channels = Eigen::Index(L::channels), positions = Eigen::Index(L::positions);
    using Row = Eigen::Array<S, 1, Eigen::Dynamic>;
    using RowView = Eigen::Map<Row>;
    using ConstRowView = Eigen::Map<const Row>;
    using Cells = Eigen::Map<Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic>>;
    using ConstCells = Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic>>;

    /// Per channel: the last training batch's mean, 1 / sqrt(variance + epsilon) and biased variance, the
    /// last pass's scale gamma / sqrt(variance + epsilon), and two means of the backward pass; sized once.
    struct State {
        explicit State(std::size_t) : rows(6 * L::channels) {}
        RowView row(std::size_t i) noexcept { return {rows.data() + i * L::channels, channels}; }
        detail::AlignedBuffer<S> rows;
        std::size_t count = 0;  ///< values per channel in the last training batch
        bool pending = false;   ///< whether that batch's statistics are still to be folded into the buffers
    };

    static void forward(const S* parameters, const S* buffers, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*,
                        State& state, PassContext& context) {
        const Eigen::Index n = x.cols();
        const bool training = context.mode == PassMode::training;
        if (training) {
            state.count = std::size_t(n) * L::positions;
            if (state.count < 2)
                throw argument_error("latent::BatchNorm: expected more than 1 value per channel in a training batch "
                                     "(as PyTorch), found " + std::to_string(state.count) +
                                     ": a batch of 1 sample of a flat input");
            state.pending = true;
        }
        const ConstRowView gamma(parameters, channels), beta(parameters + channels, channels);
        const ConstRowView running_variance(buffers + channels, channels);
        const ConstRowView mean(training ? state.rows.data() : buffers, channels);
        RowView inverse_std = state.row(1), scale = state.row(3);
        over_channels(n, [&](Eigen::Index c, Eigen::Index k) {
            if (training)
                batch_statistics(x, state, c, k);
            else
                inverse_std.segment(c, k) = (running_variance.segment(c, k) + S(L::epsilon)).rsqrt();
            scale.segment(c, k) = gamma.segment(c, k) * inverse_std.segment(c, k);
            for (Eigen::Index j = 0; j < n; ++j)
                cells(y.data(), j).middleCols(c, k) =
                    ((values(x.data(), j).middleCols(c, k).rowwise() - mean.segment(c, k)).rowwise() *
                     scale.segment(c, k))
                        .rowwise() +
                    beta.segment(c, k);
        });
    }

    /// requires: the last forward pass was a training pass on x.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool,
                         S* gradients, MatrixView<S>* dx, State& state) {
        const Eigen::Index n = x.cols();
        const RowView mean = state.row(0), inverse_std = state.row(1);
        RowView scale = state.row(3), dy_mean = state.row(4), dy_x_hat_mean = state.row(5);
        RowView dgamma(gradients, channels), dbeta(gradients + channels, channels);
        const S count = S(state.count);
        over_channels(n, [&](Eigen::Index c, Eigen::Index k) {
            const auto x_hat = [&](Eigen::Index j) {
                return (values(x.data(), j).middleCols(c, k).rowwise() - mean.segment(c, k)).rowwise() *
                       inverse_std.segment(c, k);
            };
            dgamma.segment(c, k).setZero();
            dbeta.segment(c, k).setZero();
            for (Eigen::Index j = 0; j < n; ++j) {
                const auto d = values(dy.data(), j).middleCols(c, k);
                dbeta.segment(c, k) += d.colwise().sum();
                dgamma.segment(c, k) += (x_hat(j) * d).colwise().sum();
            }
            if (!dx) return;
            // dx = gamma / std * (dy - mean(dy) - x_hat * mean(dy * x_hat)), the means over the channel's values.
            scale.segment(c, k) = ConstRowView(parameters, channels).segment(c, k) * inverse_std.segment(c, k);
            dy_mean.segment(c, k) = dbeta.segment(c, k) / count;
            dy_x_hat_mean.segment(c, k) = dgamma.segment(c, k) / count;
            for (Eigen::Index j = 0; j < n; ++j)
                cells(dx->data(), j).middleCols(c, k) =
                    ((values(dy.data(), j).middleCols(c, k).rowwise() - dy_mean.segment(c, k)) -
                     x_hat(j).rowwise() * dy_x_hat_mean.segment(c, k))
                        .rowwise() *
                    scale.segment(c, k);
        });
    }

    /// Folds the statistics of the last training pass into the running ones, as PyTorch:
    /// running = (1 - momentum) running + momentum batch, the batch variance unbiased (times m / (m - 1)).
    /// Does nothing when no training pass ran since the last call.
    static void update_buffers(S* buffers, State& state) {
        if (!state.pending) return;
        state.pending = false;
        RowView running_mean(buffers, channels), running_variance(buffers + channels, channels);
        const S momentum = S(L::momentum), keep = S(1 - L::momentum);
        const S unbiased = S(state.count) / S(state.count - 1);
        running_mean = keep * running_mean + momentum * state.row(0);
        running_variance = keep * running_variance + (momentum * unbiased) * state.row(2);
    }

private:
    static Cells cells(S* data, Eigen::Index sample) noexcept {
        return {data + sample * Eigen::Index(In::size), positions, channels};
    }
    static ConstCells values(const S* data, Eigen::Index sample) noexcept {
        return {data + sample * Eigen::Index(In::size), positions, channels};
    }

    // body(first channel, count) over ranges of channels, on the current pool's threads when each gets at least
    // about 16k values; flat inputs split at multiples of 8 features, so that vectors stay whole.
    template <class Body>
    static void over_channels(Eigen::Index n, Body&& body) noexcept {
        const std::size_t per_channel = L::positions * std::size_t(n), wanted = std::size_t(1) << 14;
        detail::parallel_ranges(L::channels, L::positions == 1 ? 8 : 1, (wanted + per_channel - 1) / per_channel,
                                [&](std::size_t first, std::size_t end) {
                                    body(Eigen::Index(first), Eigen::Index(end - first));
                                });
    }

    // Two passes (the mean, then the squared deviations from it), in S, sample after sample.
    static void batch_statistics(ConstMatrixView<S> x, State& state, Eigen::Index c, Eigen::Index k) noexcept {
        const Eigen::Index n = x.cols();
        auto mean = state.row(0).segment(c, k), variance = state.row(2).segment(c, k);
        mean.setZero();
        for (Eigen::Index j = 0; j < n; ++j) mean += values(x.data(), j).middleCols(c, k).colwise().sum();
        mean /= S(state.count);
        variance.setZero();
        for (Eigen::Index j = 0; j < n; ++j)
            variance += (values(x.data(), j).middleCols(c, k).rowwise() - mean).square().colwise().sum();
        variance /= S(state.count);
        state.row(1).segment(c, k) = (variance + S(L::epsilon)).rsqrt();
    }
};

}  // namespace latent
