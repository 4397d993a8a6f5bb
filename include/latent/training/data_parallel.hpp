#pragma once
// Data-parallel training over a communicator of several processes: every process gathers and corrupts the whole
// batch from the same streams, as one process would, trains on its share of the columns, and the gradients and
// the loss are summed over the processes in one message per step before the same update on each.

#include "latent/backends/engine.hpp"
#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"
#include "latent/layers/layer.hpp"
#include "latent/training/communicator.hpp"
#include "latent/training/options.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace latent::detail {

template <class M, class C>
class DataParallel {
public:
    using scalar = typename M::scalar;
    static constexpr std::size_t buffer_count = buffer_count_of<M>;

    DataParallel(M& model, C& communicator) : model_{model}, communicator_{communicator} {}

    bool active() const noexcept { return communicator_.size() > 1; }

    /// This process's loss on its share of the batch order[first, first + n), weighted by that share, and the
    /// gradients, both summed over the processes. Stochastic layers draw from a stream of the seed, the step and
    /// the rank, so that a resumed run draws as an uninterrupted one.
    template <class Engine, class E>
    double step(Engine& engine, const Dataset<E>& data, std::size_t first, std::size_t n, const FitOptions& options,
                Rng& noise, std::uint64_t step) {
        const std::size_t ranks = communicator_.size(), rank = communicator_.rank();
        const std::size_t share_first = n * rank / ranks, share_count = n * (rank + 1) / ranks - share_first;
        const std::uint64_t stream = (step * ranks + rank) * 0x9e3779b97f4a7c15;  // reseed() mixes it further
        engine.sampling().reseed(options.seed ^ sampling_stream ^ stream);
        engine.train_share(data, first, n, options.corruption, noise, share_first, share_count);
        communicator_.sum(engine.shared_block());
        return double(engine.shared_block().back());
    }

    /// BatchNorm layers normalise each process's share with its own statistics (as PyTorch's
    /// DistributedDataParallel without SyncBatchNorm), so each process's running statistics follow its shares: at
    /// each epoch's end, before validation, early stopping and checkpoints, all processes take their mean, and
    /// agree bit for bit again.
    void average_buffers() {
        if constexpr (buffer_count > 0) {
            const std::span<scalar> buffers = model_.buffers();
            communicator_.sum(buffers);
            const scalar processes = scalar(communicator_.size());
            for (scalar& value : buffers) value /= processes;
        }
    }

    /// Every process must train the same run from the same weights: a process given other data or options would
    /// hang in the sums or train another model. Rank 0's weights go to all.
    void start_together(std::size_t train_count, std::size_t validation_count, const FitOptions& options,
                        std::size_t first_epoch) {
        std::array<std::uint64_t, 8> mine{M::parameter_count, train_count, validation_count, options.batch_size,
                                          options.epochs, options.seed, options.shuffle, first_epoch};
        auto root = mine;
        communicator_.broadcast(std::span<std::uint64_t>(root));
        constexpr std::array<const char*, 8> names{"parameters", "training samples", "validation samples",
                                                   "batch_size", "epochs", "seed", "shuffle", "first epoch"};
        std::string differ;
        for (std::size_t i = 0; i < mine.size(); ++i)
            if (mine[i] != root[i]) {
                differ += differ.empty() ? "" : ", ";
                differ.append(names[i]).append(" ").append(std::to_string(mine[i]));
                differ.append(" (rank 0: ").append(std::to_string(root[i])).append(")");
            }
        if (communicator_.any(!differ.empty()))
            throw argument_error("latent::Trainer::fit: expected every process to train the same run, found " +
                                 (differ.empty() ? std::string("another process with other settings")
                                                 : "rank " + std::to_string(communicator_.rank()) + " with " + differ));
        communicator_.broadcast(model_.parameters());
        if constexpr (buffer_count > 0) communicator_.broadcast(model_.buffers());
    }

private:
    M& model_;
    C& communicator_;
};

}  // namespace latent::detail
