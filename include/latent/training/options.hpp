#pragma once
// What fit() and evaluate() are told: epochs, batches, validation, early stopping, the NaN policy, checkpoints,
// threads; and what callbacks receive and return.

#include "latent/data/corruption.hpp"
#include "latent/training/progress.hpp"
#include "latent/training/schedule.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>

namespace latent {

/// Stop when the monitored loss (validation loss when there is a validation set, else training loss)
/// has not improved by more than min_delta for `patience` epochs.
struct EarlyStopping {
    std::size_t patience = 5;
    double min_delta = 0;
    bool restore_best_weights = true;
};

/// What fit() does when a batch gives a NaN or infinite loss or gradient, or its update makes a weight so.
/// Found by the bit pattern (is_finite), so that -ffast-math cannot hide it.
enum class NanPolicy {
    stop,        ///< throw numerical_error naming the epoch and batch
    skip_batch,  ///< leave the batch out (weights and optimizer state as before it), count it in the epoch's
                 ///< record, and throw numerical_error after max_consecutive_skips such batches in a row
};

/// How fit() trains: epochs, batch size, shuffling and its seed, validation split, early stopping, schedule, progress.
struct FitOptions {
    std::size_t epochs = 10;
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;                     ///< drives the shuffling; same seed, same weights
    bool shuffle = true;
    double validation_split = 0;                ///< fraction held out from the end of the data, as Keras
    std::optional<EarlyStopping> early_stopping{};
    Schedule schedule{};                        ///< learning rate per epoch; empty keeps the optimizer's rate
    Corruption corruption{};                    ///< denoising: applied to inputs only, targets stay clean
    Verbosity verbosity = Verbosity::automatic;
    std::ostream* out = &std::cout;             ///< where progress goes
    NanPolicy on_nan = NanPolicy::stop;         ///< a NaN or infinite loss, gradient or update: stop or skip
    std::size_t max_consecutive_skips = 3;      ///< skip_batch: numerical_error after this many in a row
    std::filesystem::path checkpoint{};         ///< save the run's state here (atomically; rank 0 alone); empty: never
    std::size_t checkpoint_every = 1;           ///< epochs between checkpoints; the last epoch is always saved
    std::filesystem::path resume_from{};        ///< continue the run saved in this checkpoint, bit for bit
    std::size_t threads = 1;                    ///< CPU threads, this one included; any count gives the same weights
};

/// How evaluate() goes through a data set: batch size, and the corruption and seed of a denoising loss.
struct EvaluateOptions {
    std::size_t batch_size = 256;
    Corruption corruption{};  ///< the denoising loss: corrupted inputs against clean targets
    std::uint64_t seed = 0;   ///< for the corruption and stochastic layers
    std::size_t threads = 1;  ///< CPU threads, this one included
};

/// Returned by epoch-end callbacks: go on, or stop after this epoch.
enum class Control { proceed, stop };

/// What a batch-end callback receives: where training is and the batch's loss.
struct BatchReport {
    std::size_t epoch = 0;  ///< 1-based
    std::size_t batch = 0;  ///< 0-based within the epoch
    std::size_t batches = 0;
    double loss = 0;        ///< mean loss of this batch
};

}  // namespace latent
