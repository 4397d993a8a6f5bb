#pragma once
// What fit() returns: one record per epoch, like Keras' History.

#include <cstddef>
#include <optional>
#include <vector>

namespace latent {

/// One epoch of training: losses, learning rate and speed.
struct EpochRecord {
    std::size_t epoch = 0;                  ///< 1-based
    double train_loss = 0;                  ///< mean over the epoch's samples, as accumulated while training
    std::optional<double> validation_loss{};  ///< mean over the validation set after the epoch, when there is one
    double learning_rate = 0;               ///< the rate used during this epoch
    double seconds = 0;                     ///< wall time of the epoch's training steps
    double samples_per_second = 0;
    std::size_t skipped_batches = 0;        ///< batches left out for a NaN or infinite loss, gradient or update
};

/// What fit() returns: one record per epoch, like Keras' History.
struct History {
    std::vector<EpochRecord> epochs;

    bool empty() const noexcept { return epochs.empty(); }
    const EpochRecord& last() const { return epochs.back(); }
};

}  // namespace latent
