#pragma once
// Checkpoints of a run and resuming from them (FitOptions::checkpoint, resume_from): the loop's state, the
// settings that decide its course, saved atomically and restored only after every check has passed.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"
#include "latent/io/model_file.hpp"
#include "latent/layers/layer.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/training/checkpoint.hpp"
#include "latent/training/history.hpp"
#include "latent/training/options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace latent::detail {

/// The run of model M with optimizer O on loss L as a checkpoint holds it.
template <class M, class O, class L>
class RunRecord {
public:
    using scalar = typename M::scalar;
    static constexpr bool checkpointable = SavableModel<M> && StatefulOptimizer<O>;
    /// The model's buffers (BatchNorm's running statistics): updated after each step, saved with the weights.
    static constexpr std::size_t buffer_count = buffer_count_of<M>;
    using RunSettings = std::vector<std::pair<std::string, std::string>>;

    RunRecord(M& model, O& optimizer) : model_{model}, optimizer_{optimizer} {}

    /// The loop's state, by reference: what a checkpoint saves and a resumed run restores.
    struct RunState {
        std::vector<std::size_t>& order;
        Rng& shuffling;
        Rng& noise;
        Rng& sampling;
        double& base_rate;
        double& best_loss;
        std::size_t& epochs_without_improvement;
        std::optional<detail::AlignedBuffer<scalar>>& best_parameters;
        History& history;
        std::size_t& consecutive_skips;
        bool& early_stopped;
    };

    // The settings that decide a run's course; a checkpoint resumes only under the same ones. The data is
    // named by its count and a CRC-32 of its values, so that a resumed run cannot train on other data.
    template <class E>
    RunSettings settings(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
                             std::size_t validation_first, std::size_t validation_count, const FitOptions& options) const {
        if (options.checkpoint.empty() && options.resume_from.empty()) return {};
        const auto data = [](const Dataset<E>& set, std::size_t first, std::size_t count) {
            const auto values = set.values().subspan(first * set.sample_size(), count * set.sample_size());
            const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(values.data()),
                                                      values.size_bytes());
            return std::to_string(count) + " samples of " + std::to_string(set.sample_size()) + ", crc32 " +
                   std::to_string(detail::crc32_of(bytes));
        };
        const auto exact = [](double value) {
            std::array<char, 32> text{};
            return std::string(text.data(), std::to_chars(text.data(), text.data() + text.size(), value).ptr);
        };
        const auto& early = options.early_stopping;
        return {{"loss", L::name()},
                {"batch_size", std::to_string(options.batch_size)},
                {"seed", std::to_string(options.seed)},
                {"shuffle", options.shuffle ? "on" : "off"},
                {"training data", data(train, 0, train_count)},
                {"validation data", validation ? data(*validation, validation_first, validation_count) : "none"},
                {"corruption", options.corruption ? options.corruption.name() : "none"},
                {"on_nan", options.on_nan == NanPolicy::stop ? "stop" : "skip_batch"},
                {"max_consecutive_skips", std::to_string(options.max_consecutive_skips)},
                {"early_stopping", early ? "patience " + std::to_string(early->patience) + ", min_delta " +
                                               exact(early->min_delta) + ", restore_best_weights " +
                                               (early->restore_best_weights ? "on" : "off")
                                         : "none"}};
    }

    // Writes the run's state after `epoch` to `path`, atomically.
    void save(const std::filesystem::path& path, const RunSettings& settings, const RunState& state,
                  std::size_t epoch) const {
        if constexpr (checkpointable) {
            TrainingCheckpoint<scalar> c;
            c.model_signature = M::signature();
            c.parameters.assign(model_.parameters().begin(), model_.parameters().end());
            optimizer_.save_state(c.optimizer);
            c.settings = settings;
            c.epochs_done = epoch;
            c.base_learning_rate = state.base_rate;
            c.order.assign(state.order.begin(), state.order.end());
            c.shuffling = state.shuffling.state();
            c.noise = state.noise.state();
            c.sampling = state.sampling.state();
            c.consecutive_skips = state.consecutive_skips;
            c.best_loss = state.best_loss;
            c.epochs_without_improvement = state.epochs_without_improvement;
            c.early_stopped = state.early_stopped;
            if (state.best_parameters) {
                const auto best = state.best_parameters->span();
                c.best_parameters.assign(best.begin(), best.begin() + M::parameter_count);
                c.best_buffers.assign(best.begin() + M::parameter_count, best.end());
            }
            c.history = state.history;
            if constexpr (buffer_count > 0) c.buffers.assign(model_.buffers().begin(), model_.buffers().end());
            save_checkpoint(c, path);
        }
    }

    // Restores the run saved in options.resume_from after checking that it belongs to this model, optimizer,
    // data and settings; nothing changes unless every check passes. Returns the epochs it had done.
    std::size_t resume(const FitOptions& options, const RunSettings& settings, const RunState& state) {
        if constexpr (!checkpointable) {
            return 0;  // check_reliability_options refused this already
        } else {
            const TrainingCheckpoint<scalar> c = load_checkpoint<scalar>(options.resume_from);
            const std::string where = "latent::Trainer::fit: the checkpoint " + options.resume_from.string();
            if (c.model_signature != M::signature())
                throw architecture_error(where + " holds another architecture: expected " + M::signature() +
                                         ", found " + c.model_signature);
            if (c.parameters.size() != M::parameter_count)
                throw format_error(where + ": expected " + std::to_string(M::parameter_count) + " parameters, found " +
                                   std::to_string(c.parameters.size()));
            for (const auto& [name, value] : settings) {
                const auto saved = std::ranges::find(c.settings, name, &std::pair<std::string, std::string>::first);
                if (saved == c.settings.end())
                    throw format_error(where + ": expected the run setting " + name + ", found none");
                if (saved->second != value)
                    throw argument_error(where + " was saved by a run with " + name + " " + saved->second + ", found " +
                                         name + " " + value + " (a resumed run keeps the settings that decide its course)");
            }
            if (c.settings.size() != settings.size())
                throw format_error(where + ": expected " + std::to_string(settings.size()) + " run settings, found " +
                                   std::to_string(c.settings.size()));
            if (c.epochs_done > options.epochs)
                throw argument_error(where + " has " + std::to_string(c.epochs_done) + " epochs done: expected epochs >= " +
                                     std::to_string(c.epochs_done) + ", found " + std::to_string(options.epochs));
            std::vector<bool> seen(state.order.size());
            bool permutation = c.order.size() == state.order.size();
            for (std::size_t i = 0; permutation && i < c.order.size(); ++i) {
                permutation = c.order[i] < seen.size() && !seen[c.order[i]];
                if (permutation) seen[c.order[i]] = true;
            }
            if (!permutation)
                throw format_error(where + ": expected the order of the " + std::to_string(state.order.size()) +
                                   " training samples, found another list of " + std::to_string(c.order.size()));
            if (c.best_parameters.size() != (state.best_parameters ? M::parameter_count : 0))
                throw format_error(where + ": expected " +
                                   std::to_string(state.best_parameters ? M::parameter_count : 0) +
                                   " best weights for early stopping, found " + std::to_string(c.best_parameters.size()));
            if (c.buffers.size() != buffer_count ||
                c.best_buffers.size() != (state.best_parameters ? buffer_count : 0))
                throw format_error(where + ": expected " + std::to_string(buffer_count) + " buffers and " +
                                   std::to_string(state.best_parameters ? buffer_count : 0) +
                                   " best buffers for early stopping, found " + std::to_string(c.buffers.size()) +
                                   " and " + std::to_string(c.best_buffers.size()));
            if (c.consecutive_skips >= options.max_consecutive_skips || !is_finite(c.base_learning_rate) ||
                c.base_learning_rate < 0)
                throw format_error(where + ": expected fewer than " + std::to_string(options.max_consecutive_skips) +
                                   " skipped batches in a row and a finite base learning rate >= 0, found " +
                                   std::to_string(c.consecutive_skips) + " and " + std::to_string(c.base_learning_rate));
            try {
                optimizer_.restore_state(c.optimizer);  // checks before it changes anything
            } catch (const argument_error& e) {
                throw argument_error(where + ": " + e.what());
            }
            // Every check passed: nothing below throws.
            std::ranges::copy(c.parameters, model_.parameters().begin());
            if constexpr (buffer_count > 0) std::ranges::copy(c.buffers, model_.buffers().begin());
            std::ranges::copy(c.order, state.order.begin());
            state.shuffling.restore(c.shuffling);
            state.noise.restore(c.noise);
            state.sampling.restore(c.sampling);
            state.base_rate = c.base_learning_rate;
            state.best_loss = c.best_loss;
            state.epochs_without_improvement = std::size_t(c.epochs_without_improvement);
            if (state.best_parameters) {
                std::ranges::copy(c.best_parameters, state.best_parameters->begin());
                std::ranges::copy(c.best_buffers, state.best_parameters->begin() + M::parameter_count);
            }
            state.history = c.history;
            state.consecutive_skips = std::size_t(c.consecutive_skips);
            state.early_stopped = c.early_stopped;
            return std::size_t(c.epochs_done);
        }
    }

private:
    M& model_;
    O& optimizer_;
};

}  // namespace latent::detail
