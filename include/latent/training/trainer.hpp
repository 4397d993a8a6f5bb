#pragma once
// The trainer: mini-batch training of any model that can give a loss and its gradients, with any
// optimizer and loss. Everything a step touches is allocated before the first epoch.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"
#include "latent/losses/loss.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/training/corruption.hpp"
#include "latent/training/history.hpp"
#include "latent/training/progress.hpp"
#include "latent/training/schedule.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace latent {

/// Stop when the monitored loss (validation loss when there is a validation set, else training loss)
/// has not improved by more than min_delta for `patience` epochs.
struct EarlyStopping {
    std::size_t patience = 5;
    double min_delta = 0;
    bool restore_best_weights = true;
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
};

/// How evaluate() goes through a data set: batch size, and the corruption and seed of a denoising loss.
struct EvaluateOptions {
    std::size_t batch_size = 256;
    Corruption corruption{};  ///< the denoising loss: corrupted inputs against clean targets
    std::uint64_t seed = 0;   ///< for the corruption and stochastic layers
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

/// A model the trainer can train: parameters, a workspace type, and loss with gradients.
template <class M, class L>
concept Trainable = requires(const M& model, M& mutable_model, const L& loss, typename M::workspace& ws,
                             ConstMatrixView<typename M::scalar> x, std::span<typename M::scalar> g) {
    { mutable_model.parameters() } -> std::same_as<std::span<typename M::scalar>>;
    { M::input_size } -> std::convertible_to<std::size_t>;
    { M::parameter_count } -> std::convertible_to<std::size_t>;
    { model.loss_and_gradients(loss, x, x, ws, g) } -> std::same_as<typename M::scalar>;
    { model.loss_value(loss, x, x, ws) } -> std::same_as<typename M::scalar>;
};

/// Trains a model with an optimizer on a loss: fit() over epochs of shuffled batches, evaluate() for the mean loss.
template <class M, Optimizer O, Loss L>
    requires Trainable<M, L> && std::same_as<typename M::scalar, typename O::scalar>
class Trainer {
public:
    using scalar = typename M::scalar;

    /// Trains `model` in place; the model must outlive the trainer.
    Trainer(M& model, O optimizer, L loss = {}) : model_{model}, optimizer_{std::move(optimizer)}, loss_{loss} {}

    /// Called after every epoch with its record. A callback that returns Control::stop ends training
    /// after that epoch; one that returns nothing never does.
    template <class Callback>
        requires std::invocable<Callback&, const EpochRecord&>
    Trainer& on_epoch_end(Callback callback) {
        if constexpr (std::is_same_v<std::invoke_result_t<Callback&, const EpochRecord&>, Control>)
            epoch_callbacks_.emplace_back(std::move(callback));
        else
            epoch_callbacks_.emplace_back([callback = std::move(callback)](const EpochRecord& record) mutable {
                callback(record);
                return Control::proceed;
            });
        return *this;
    }
    Trainer& on_batch_end(std::function<void(const BatchReport&)> callback) {
        batch_callbacks_.push_back(std::move(callback));
        return *this;
    }

    /// Trains on `data`, holding out options.validation_split of it for validation.
    template <class E>
    History fit(const Dataset<E>& data, const FitOptions& options) {
        check_options(data, options);
        const std::size_t held_out = std::size_t(double(data.size()) * options.validation_split);
        if (held_out >= data.size())
            throw argument_error("latent::Trainer::fit: validation_split " + std::to_string(options.validation_split) +
                                 " leaves no training samples out of " + std::to_string(data.size()));
        return run(data, data.size() - held_out, held_out ? &data : nullptr, data.size() - held_out, held_out, options);
    }

    /// Trains on `train`, reporting the loss on all of `validation` after every epoch.
    template <class E>
    History fit(const Dataset<E>& train, const Dataset<E>& validation, const FitOptions& options) {
        check_options(train, options);
        if (options.validation_split != 0)
            throw argument_error("latent::Trainer::fit: expected validation_split 0 when a validation set is given, "
                                 "found " + std::to_string(options.validation_split));
        check_data(validation, "validation");
        return run(train, train.size(), &validation, 0, validation.size(), options);
    }

    /// Mean loss of the model's reconstructions of `data` (with its regularizers' penalties), the same
    /// figure fit() reports for validation.
    template <class E>
    double evaluate(const Dataset<E>& data, const EvaluateOptions& options = {}) {
        check_data(data, "evaluation");
        if (options.batch_size == 0) throw argument_error("latent::Trainer::evaluate: expected batch_size >= 1, found 0");
        Buffers buffers(options.batch_size);
        return evaluate_range(data, 0, data.size(), buffers, options.corruption, options.seed);
    }

    O& optimizer() noexcept { return optimizer_; }
    const L& loss() const noexcept { return loss_; }
    M& model() noexcept { return model_; }

private:
    template <class E>
    void check_data(const Dataset<E>& data, const char* role) const {
        if (data.empty()) throw argument_error(std::string("latent::Trainer: the ") + role + " data set is empty");
        if (data.sample_size() != M::input_size)
            throw shape_error(std::string("latent::Trainer: the model expects ") + std::to_string(M::input_size) +
                              " values per sample, the " + role + " data has samples of " +
                              std::to_string(data.height()) + " x " + std::to_string(data.width()) + " = " +
                              std::to_string(data.sample_size()));
    }

    template <class E>
    void check_options(const Dataset<E>& data, const FitOptions& options) const {
        check_data(data, "training");
        if (options.epochs == 0) throw argument_error("latent::Trainer::fit: expected epochs >= 1, found 0");
        if (options.batch_size == 0) throw argument_error("latent::Trainer::fit: expected batch_size >= 1, found 0");
        if (!(options.validation_split >= 0 && options.validation_split < 1))  // also rejects NaN
            throw argument_error("latent::Trainer::fit: expected validation_split in [0, 1), found " +
                                 std::to_string(options.validation_split));
        const std::size_t train_count = data.size() - std::size_t(double(data.size()) * options.validation_split);
        if (options.batch_size > train_count)
            throw argument_error("latent::Trainer::fit: expected batch_size <= " + std::to_string(train_count) +
                                 " (the training samples), found " + std::to_string(options.batch_size));
        if (!options.out) throw argument_error("latent::Trainer::fit: expected an output stream, found nullptr");
    }

    template <class E>
    History run(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
                std::size_t validation_first, std::size_t validation_count, const FitOptions& options) {
        const std::size_t batch_size = options.batch_size;
        const std::size_t batches = (train_count + batch_size - 1) / batch_size;
        const double base_rate = optimizer_.learning_rate();

        // Everything a step needs, allocated once.
        Buffers buffers(batch_size);
        detail::AlignedBuffer<scalar> gradients(M::parameter_count);
        std::vector<std::size_t> order(train_count);
        std::iota(order.begin(), order.end(), std::size_t{0});
        optimizer_.prepare(M::parameter_count);
        std::optional<detail::AlignedBuffer<scalar>> best_parameters;
        if (options.early_stopping && options.early_stopping->restore_best_weights)
            best_parameters.emplace(M::parameter_count);

        // Independent streams, so that adding noise or a sampling layer does not change the shuffling.
        Rng rng{options.seed};
        Rng noise{options.seed ^ noise_stream};
        buffers.workspace.context().rng.reseed(options.seed ^ sampling_stream);
        ProgressReporter progress(options.verbosity, *options.out);
        History history;
        double best_loss = 0;
        std::size_t epochs_without_improvement = 0;

        for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
            const double rate = options.schedule ? options.schedule(epoch - 1, base_rate) : optimizer_.learning_rate();
            optimizer_.set_learning_rate(rate);
            if (options.shuffle) rng.shuffle(std::span(order));

            progress.begin_epoch(epoch, options.epochs, batches);
            const auto started = std::chrono::steady_clock::now();
            double loss_sum = 0;
            for (std::size_t batch = 0; batch < batches; ++batch) {
                const std::size_t first = batch * batch_size;
                const std::size_t n = std::min(batch_size, train_count - first);
                const auto [x, target] = buffers.batch(train, std::span<const std::size_t>(order.data() + first, n),
                                                       options.corruption, noise);
                const scalar loss = model_.loss_and_gradients(loss_, x, target, buffers.workspace, gradients.span());
                // Checked before the update, so the weights stay those of the last good batch.
                if (!is_finite(loss))
                    throw numerical_error("latent::Trainer::fit: expected a finite loss, found " + std::to_string(loss) +
                                          " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(batch + 1) +
                                          " of " + std::to_string(batches) +
                                          "; the weights are those from before that batch (try a lower learning rate)");
                optimizer_.step(model_.parameters(), std::span<const scalar>(gradients.span()));
                loss_sum += double(loss) * double(n);
                progress.batch_done(batch, first + n, loss_sum / double(first + n));
                for (auto& callback : batch_callbacks_) callback({epoch, batch, batches, double(loss)});
            }
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

            EpochRecord record{epoch, loss_sum / double(train_count), std::nullopt, rate, seconds,
                               seconds > 0 ? double(train_count) / seconds : 0};
            if (validation)
                record.validation_loss = evaluate_range(*validation, validation_first, validation_count, buffers,
                                                        options.corruption, options.seed);
            history.epochs.push_back(record);
            progress.end_epoch(record.train_loss, record.validation_loss, record.seconds, record.samples_per_second);

            bool stop = false;
            for (auto& callback : epoch_callbacks_) stop |= callback(record) == Control::stop;
            if (options.early_stopping) {
                const double monitored = record.validation_loss.value_or(record.train_loss);
                if (epoch == 1 || monitored < best_loss - options.early_stopping->min_delta) {
                    best_loss = monitored;
                    epochs_without_improvement = 0;
                    if (best_parameters) std::ranges::copy(model_.parameters(), best_parameters->begin());
                } else if (++epochs_without_improvement >= options.early_stopping->patience) {
                    progress.message("Early stopping after epoch " + std::to_string(epoch) + ": no improvement for " +
                                     std::to_string(epochs_without_improvement) + " epochs");
                    if (best_parameters) std::ranges::copy(*best_parameters, model_.parameters().begin());
                    stop = true;
                }
            }
            if (stop) break;
        }
        return history;
    }

    // The workspace and the batch's input and target columns; the target is a separate copy only when
    // a corruption changes the input.
    struct Buffers {
        explicit Buffers(std::size_t capacity)
            : workspace(capacity),
              input(static_cast<Eigen::Index>(M::input_size), static_cast<Eigen::Index>(capacity)),
              clean(static_cast<Eigen::Index>(M::input_size), static_cast<Eigen::Index>(capacity)),
              indices(capacity) {}

        /// Gathers the samples `which`, corrupting the inputs when asked; returns (input, target).
        template <class E>
        std::pair<ConstMatrixView<scalar>, ConstMatrixView<scalar>> batch(const Dataset<E>& data,
                                                                          std::span<const std::size_t> which,
                                                                          const Corruption& corruption, Rng& noise) {
            const auto n = Eigen::Index(which.size());
            MatrixView<scalar> x(input.data(), input.rows(), n);
            data.gather(which, x);
            if (!corruption) return {as_const(x), as_const(x)};
            MatrixView<scalar> target(clean.data(), clean.rows(), n);
            target = x;
            corruption(x, noise);
            return {as_const(x), as_const(target)};
        }

        typename M::workspace workspace;
        Matrix<scalar> input;
        Matrix<scalar> clean;
        std::vector<std::size_t> indices;
    };

    static constexpr std::uint64_t noise_stream = 0x6e6f697365;          // "noise"
    static constexpr std::uint64_t sampling_stream = 0x73616d706c65;     // "sample"
    static constexpr std::uint64_t validation_stream = 0x76616c6964;     // "valid"

    // The same noise and samples at every evaluation, and the training's sampling stream left as it was.
    template <class E>
    double evaluate_range(const Dataset<E>& data, std::size_t first, std::size_t count, Buffers& buffers,
                          const Corruption& corruption, std::uint64_t seed) {
        const Rng training_stream = buffers.workspace.context().rng;
        buffers.workspace.context().rng.reseed(seed ^ validation_stream ^ sampling_stream);
        Rng noise{seed ^ validation_stream};
        const std::size_t capacity = buffers.workspace.capacity();
        double sum = 0;
        for (std::size_t done = 0; done < count; done += capacity) {
            const std::size_t n = std::min(capacity, count - done);
            std::iota(buffers.indices.begin(), buffers.indices.begin() + std::ptrdiff_t(n), first + done);
            const auto [x, target] =
                buffers.batch(data, std::span<const std::size_t>(buffers.indices.data(), n), corruption, noise);
            sum += double(model_.loss_value(loss_, x, target, buffers.workspace)) * double(n);
        }
        buffers.workspace.context().rng = training_stream;
        return sum / double(count);
    }

    M& model_;
    O optimizer_;
    L loss_;
    std::vector<std::function<Control(const EpochRecord&)>> epoch_callbacks_;
    std::vector<std::function<void(const BatchReport&)>> batch_callbacks_;
};

}  // namespace latent
