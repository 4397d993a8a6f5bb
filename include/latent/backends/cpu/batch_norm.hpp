#pragma once
// BatchNorm on the CPU. A sample's values are its channels one after another, each `positions` values
// long, so one sample is a positions x channels array and every statistic is a column sum of it, summed
// over the samples in order: passes over the whole batch, vectorised along the positions of an image or
// along the features of a flat input, and the same bits for any thread count.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
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
    using Cells = Eigen::Map<Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic>>;
    using ConstCells = Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic>>;
    using RowView = Eigen::Map<Row>;

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
        const Eigen::Map<const Row> gamma(parameters, channels), beta(parameters + channels, channels);
        RowView scale = state.row(3);
        const S* mean = buffers;
        if (context.mode == PassMode::training) {
            batch_statistics(x, state);
            mean = state.rows.data();
            scale = gamma * state.row(1);
        } else {
            const Eigen::Map<const Row> running_variance(buffers + channels, channels);
            scale = gamma * (running_variance + S(L::epsilon)).rsqrt();
        }
        const Eigen::Map<const Row> centre(mean, channels);
        for (Eigen::Index j = 0; j < n; ++j)
            cells(y.data(), j) = ((values(x.data(), j).rowwise() - centre).rowwise() * scale).rowwise() + beta;
    }

    /// requires: the last forward pass was a training pass on x.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool,
                         S* gradients, MatrixView<S>* dx, State& state) {
        const Eigen::Index n = x.cols();
        const RowView mean = state.row(0), inverse_std = state.row(1);
        RowView dgamma(gradients, channels), dbeta(gradients + channels, channels);
        dgamma.setZero();
        dbeta.setZero();
        for (Eigen::Index j = 0; j < n; ++j) {
            const ConstCells d = values(dy.data(), j);
            dbeta += d.colwise().sum();
            dgamma += (((values(x.data(), j).rowwise() - mean).rowwise() * inverse_std) * d).colwise().sum();
        }
        if (!dx) return;
        // dx = gamma / std * (dy - mean(dy) - x_hat * mean(dy * x_hat)), the means over the channel's values.
        const S count = S(state.count);
        RowView scale = state.row(3), dy_mean = state.row(4), dy_x_hat_mean = state.row(5);
        scale = Eigen::Map<const Row>(parameters, channels) * inverse_std;
        dy_mean = dbeta / count;
        dy_x_hat_mean = dgamma / count;
        for (Eigen::Index j = 0; j < n; ++j) {
            const auto x_hat = (values(x.data(), j).rowwise() - mean).rowwise() * inverse_std;
            cells(dx->data(), j) =
                ((values(dy.data(), j).rowwise() - dy_mean) - x_hat.rowwise() * dy_x_hat_mean).rowwise() * scale;
        }
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

    // Two passes (the mean, then the squared deviations from it), in S, sample after sample.
    static void batch_statistics(ConstMatrixView<S> x, State& state) {
        const Eigen::Index n = x.cols();
        const std::size_t count = std::size_t(n) * L::positions;
        if (count < 2)
            throw argument_error("latent::BatchNorm: expected more than 1 value per channel in a training batch (as "
                                 "PyTorch), found " + std::to_string(count) + ": a batch of 1 sample of a flat input");
        state.count = count;
        state.pending = true;
        RowView mean = state.row(0), inverse_std = state.row(1), variance = state.row(2);
        mean.setZero();
        for (Eigen::Index j = 0; j < n; ++j) mean += values(x.data(), j).colwise().sum();
        mean /= S(count);
        variance.setZero();
        for (Eigen::Index j = 0; j < n; ++j)
            variance += (values(x.data(), j).rowwise() - mean).square().colwise().sum();
        variance /= S(count);
        inverse_std = (variance + S(L::epsilon)).rsqrt();
    }
};

}  // namespace latent
