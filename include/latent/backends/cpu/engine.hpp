#pragma once
// The CPU's training engine (see backends/engine.hpp): the model's own passes over host buffers sized once,
// the optimizer's update on the model's weights in place. A step allocates nothing.

#include "latent/backends/engine.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/corruption.hpp"
#include "latent/data/dataset.hpp"
#include "latent/optimizers/optimizer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

namespace latent::detail {

/// Trains model M (its loss_and_gradients, loss_value and update_buffers over an M::workspace) with optimizer O
/// on loss L, on the host. Rollback copies are kept only when asked for (NanPolicy::skip_batch).
template <class M, class O, class L>
class HostEngine {
public:
    using scalar = typename M::scalar;

    HostEngine(M& model, O& optimizer, const L& loss, std::size_t capacity, bool rollback = false)
        : model_{model},
          optimizer_{optimizer},
          loss_{loss},
          workspace_(capacity),
          input_(static_cast<Eigen::Index>(M::input_size), static_cast<Eigen::Index>(capacity)),
          clean_(static_cast<Eigen::Index>(M::input_size), static_cast<Eigen::Index>(capacity)),
          indices_(capacity),
          gradients_(M::parameter_count + 1),
          kept_(rollback ? M::parameter_count : 0) {}

    std::size_t capacity() const noexcept { return workspace_.capacity(); }
    Rng& sampling() noexcept { return workspace_.context().rng; }

    // The engine works on the model's and the optimizer's own state.
    void load() noexcept {}
    void store() noexcept {}

    void begin_epoch(std::span<const std::size_t> order, double) noexcept { order_ = order; }

    template <class E>
    double train_batch(const Dataset<E>& data, std::size_t first, std::size_t n, const Corruption& corruption,
                       Rng& noise) {
        const auto [x, target] = batch(data, order_.subspan(first, n), corruption, noise);
        return double(model_.loss_and_gradients(loss_, x, target, workspace_, gradients()));
    }

    /// Data-parallel training: the batch gathered and corrupted whole, as one process would, and the loss and
    /// gradients taken on columns [share_first, share_first + share_count) only, into shared_block(), weighted by
    /// the share, its last element the loss; zeros for an empty share.
    template <class E>
    void train_share(const Dataset<E>& data, std::size_t first, std::size_t n, const Corruption& corruption, Rng& noise,
                     std::size_t share_first, std::size_t share_count) {
        const auto [x, target] = batch(data, order_.subspan(first, n), corruption, noise);
        const std::span<scalar> block = gradients_.span();
        if (share_count == 0) {
            std::ranges::fill(block, scalar(0));
            return;
        }
        const auto share = [&](ConstMatrixView<scalar> m) {
            return ConstMatrixView<scalar>(m.data() + share_first * M::input_size, m.rows(), Eigen::Index(share_count));
        };
        block.back() = model_.loss_and_gradients(loss_, share(x), share(target), workspace_, gradients());
        const scalar weight = scalar(share_count) / scalar(n);
        for (scalar& value : block) value *= weight;
    }
    /// The gradients followed by the loss: what the processes sum in one message per step.
    std::span<scalar> shared_block() noexcept { return gradients_.span(); }

    bool gradients_finite() const noexcept {
        return all_finite(std::span<const scalar>(gradients_.span().first(M::parameter_count)));
    }
    bool parameters_finite() const noexcept { return all_finite(std::span<const scalar>(model_.parameters())); }

    void keep() {
        if (kept_.size() == 0) return;
        std::ranges::copy(model_.parameters(), kept_.begin());
        if constexpr (StatefulOptimizer<O>) optimizer_.save_state(kept_state_);
    }
    void restore() {
        if (kept_.size() == 0) return;
        std::ranges::copy(kept_, model_.parameters().begin());
        if constexpr (StatefulOptimizer<O>) optimizer_.restore_state(kept_state_);
    }

    void update() { optimizer_.step(model_.parameters(), std::span<const scalar>(gradients())); }
    void update_buffers() { model_.update_buffers(workspace_); }

    /// The same noise and samples at every evaluation, and the training's sampling stream left as it was.
    template <class E>
    double evaluate(const Dataset<E>& data, std::size_t first, std::size_t count, const Corruption& corruption,
                    std::uint64_t seed) {
        const Rng training_stream = sampling();
        sampling().reseed(seed ^ validation_stream ^ sampling_stream);
        Rng noise{seed ^ validation_stream};
        double sum = 0;
        for (std::size_t done = 0; done < count; done += capacity()) {
            const std::size_t n = std::min(capacity(), count - done);
            std::iota(indices_.begin(), indices_.begin() + std::ptrdiff_t(n), first + done);
            const auto [x, target] =
                batch(data, std::span<const std::size_t>(indices_.data(), n), corruption, noise);
            sum += double(model_.loss_value(loss_, x, target, workspace_)) * double(n);
        }
        sampling() = training_stream;
        return sum / double(count);
    }

private:
    std::span<scalar> gradients() noexcept { return gradients_.span().first(M::parameter_count); }

    // Gathers the samples `which`, corrupting the inputs when asked; returns (input, target). The target is a
    // separate copy only when a corruption changes the input.
    template <class E>
    std::pair<ConstMatrixView<scalar>, ConstMatrixView<scalar>> batch(const Dataset<E>& data,
                                                                      std::span<const std::size_t> which,
                                                                      const Corruption& corruption, Rng& noise) {
        const auto n = Eigen::Index(which.size());
        MatrixView<scalar> x(input_.data(), input_.rows(), n);
        data.gather(which, x);
        if (!corruption) return {as_const(x), as_const(x)};
        MatrixView<scalar> target(clean_.data(), clean_.rows(), n);
        target = x;
        corruption(x, noise);
        return {as_const(x), as_const(target)};
    }

    M& model_;
    O& optimizer_;
    const L& loss_;
    typename M::workspace workspace_;
    Matrix<scalar> input_;
    Matrix<scalar> clean_;
    std::vector<std::size_t> indices_;
    std::span<const std::size_t> order_;
    AlignedBuffer<scalar> gradients_;  // the gradients, then one slot for the loss (data-parallel)
    AlignedBuffer<scalar> kept_;
    OptimizerState<scalar> kept_state_;
};

}  // namespace latent::detail
