#pragma once
// fit()'s argument checks, made before anything trains: each throws a latent::error subtype naming what it
// expected and what it found.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/data/dataset.hpp"
#include "latent/io/model_file.hpp"
#include "latent/layers/layer.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/training/options.hpp"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>

namespace latent::detail {

template <class M, class E>
void check_data(const Dataset<E>& data, const char* role) {
    if (data.empty()) throw argument_error(std::string("latent::Trainer: the ") + role + " data set is empty");
    if (data.sample_size() != M::input_size)
        throw shape_error(std::string("latent::Trainer: the model expects ") + std::to_string(M::input_size) +
                          " values per sample, the " + role + " data has samples of " +
                          std::to_string(data.height()) + " x " + std::to_string(data.width()) + " = " +
                          std::to_string(data.sample_size()));
}

// A BatchNorm of a flat input cannot train on a batch of 1 sample (nor on a process's share of 1): refused
// before the first step, not when the epoch's last batch comes.
template <class M>
void check_smallest_batch(std::size_t train_count, std::size_t batch_size, std::size_t ranks) {
    constexpr std::size_t needed = min_training_batch_of<M>;
    if constexpr (needed > 1) {
        const std::size_t last = train_count % batch_size == 0 ? batch_size : train_count % batch_size;
        for (const std::size_t batch : {batch_size, last}) {
            const std::size_t share = std::max<std::size_t>(1, batch / ranks);  // the smallest non-empty share
            if (share >= needed) continue;
            std::string text = "latent::Trainer::fit: the model (a BatchNorm of a flat input) expects at least " +
                               std::to_string(needed) + " samples in every training batch";
            if (ranks > 1) text += " on every process";
            text += ", found " + std::to_string(share) + " with " + std::to_string(train_count) +
                    " training samples, batch_size " + std::to_string(batch_size);
            if (ranks > 1) text += " and " + std::to_string(ranks) + " processes";
            throw argument_error(text + ": choose a batch_size that leaves no such batch");
        }
    }
}

template <class M, class O>
void check_reliability_options(const FitOptions& options) {
    constexpr bool checkpointable = SavableModel<M> && StatefulOptimizer<O>;
    if (options.on_nan != NanPolicy::stop && options.on_nan != NanPolicy::skip_batch)
        throw argument_error("latent::Trainer::fit: expected on_nan to be NanPolicy::stop or NanPolicy::skip_batch, "
                             "found the value " + std::to_string(int(options.on_nan)));
    if (options.max_consecutive_skips == 0)
        throw argument_error("latent::Trainer::fit: expected max_consecutive_skips >= 1, found 0");
    if (options.on_nan == NanPolicy::skip_batch && !StatefulOptimizer<O>)
        throw argument_error("latent::Trainer::fit: NanPolicy::skip_batch rolls the optimizer back, which expects "
                             "save_state() and restore_state(); found " + O::name() + " without them");
    if (options.early_stopping &&
        !(is_finite(options.early_stopping->min_delta) && options.early_stopping->min_delta >= 0))
        throw argument_error("latent::Trainer::fit: expected early_stopping.min_delta to be finite and >= 0, found " +
                             std::to_string(options.early_stopping->min_delta));
    if (!options.checkpoint.empty()) {
        if (options.checkpoint_every == 0)
            throw argument_error("latent::Trainer::fit: expected checkpoint_every >= 1, found 0");
        // Found now rather than after the first epochs of training.
        if (!options.checkpoint.has_filename())
            throw argument_error("latent::Trainer::fit: expected a checkpoint file path, found the directory path " +
                                 options.checkpoint.string());
        const auto directory = options.checkpoint.parent_path().empty() ? std::filesystem::path(".")
                                                                         : options.checkpoint.parent_path();
        std::error_code error;
        if (!std::filesystem::is_directory(directory, error))
            throw file_error("latent::Trainer::fit: expected the directory " + directory.string() +
                             " for the checkpoint " + options.checkpoint.string() + ", found none");
    }
    if ((!options.checkpoint.empty() || !options.resume_from.empty()) && !checkpointable)
        throw argument_error("latent::Trainer::fit: checkpoints expect a model with signature() and parameters() "
                             "and an optimizer with save_state() and restore_state(); found " + O::name() +
                             (StatefulOptimizer<O> ? " and a model without them" : " without them"));
}

/// Every check of fit() on `data` with `options`, for a run over `ranks` processes.
template <class M, class O, class E>
void check_fit_options(const Dataset<E>& data, const FitOptions& options, std::size_t ranks) {
    check_data<M>(data, "training");
    if (options.epochs == 0) throw argument_error("latent::Trainer::fit: expected epochs >= 1, found 0");
    if (options.batch_size == 0) throw argument_error("latent::Trainer::fit: expected batch_size >= 1, found 0");
    if (!(options.validation_split >= 0 && options.validation_split < 1))  // also rejects NaN
        throw argument_error("latent::Trainer::fit: expected validation_split in [0, 1), found " +
                             std::to_string(options.validation_split));
    const std::size_t train_count = data.size() - std::size_t(double(data.size()) * options.validation_split);
    if (options.batch_size > train_count)
        throw argument_error("latent::Trainer::fit: expected batch_size <= " + std::to_string(train_count) +
                             " (the training samples), found " + std::to_string(options.batch_size));
    check_smallest_batch<M>(train_count, options.batch_size, ranks);
    if (!options.out) throw argument_error("latent::Trainer::fit: expected an output stream, found nullptr");
    if (options.threads == 0) throw argument_error("latent::Trainer::fit: expected threads >= 1, found 0");
    check_reliability_options<M, O>(options);
}

}  // namespace latent::detail
