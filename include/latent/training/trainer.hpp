#pragma once
// The trainer: mini-batch training of any model that can give a loss and its gradients, with any
// optimizer and loss. Everything a step touches is allocated before the first epoch.

#include "latent/backends/cuda/fit.hpp"
#include "latent/backends/cuda/policy.hpp"
#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/core/threads.hpp"
#include "latent/data/dataset.hpp"
#include "latent/losses/loss.hpp"
#include "latent/io/model_file.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/training/checkpoint.hpp"
#include "latent/training/communicator.hpp"
#include "latent/training/corruption.hpp"
#include "latent/training/history.hpp"
#include "latent/training/progress.hpp"
#include "latent/training/schedule.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

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
/// With a communicator of several processes (latent::mpi::Communicator), each process takes its share of every
/// batch and the gradients are summed over them: data-parallel training of one model.
template <class M, Optimizer O, Loss L, class C = SingleProcess>
    requires Trainable<M, L> && std::same_as<typename M::scalar, typename O::scalar> &&
             Communicator<C, typename M::scalar>
class Trainer {
public:
    using scalar = typename M::scalar;

    /// Trains `model` in place; the model must outlive the trainer. Every process of `communicator` must call
    /// fit() with the same data and options; only rank 0 prints progress and writes checkpoints.
    Trainer(M& model, O optimizer, L loss = {}, C communicator = {})
        : model_{model}, optimizer_{std::move(optimizer)}, loss_{loss}, communicator_{std::move(communicator)} {}

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
        const ThreadScope threads{options.threads};
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
        const ThreadScope threads{options.threads};
        return run(train, train.size(), &validation, 0, validation.size(), options);
    }

    /// Mean loss of the model's reconstructions of `data` (with its regularizers' penalties), the same
    /// figure fit() reports for validation.
    template <class E>
    double evaluate(const Dataset<E>& data, const EvaluateOptions& options = {}) {
        check_data(data, "evaluation");
        if (options.batch_size == 0) throw argument_error("latent::Trainer::evaluate: expected batch_size >= 1, found 0");
        if (options.threads == 0) throw argument_error("latent::Trainer::evaluate: expected threads >= 1, found 0");
        const ThreadScope threads{options.threads};
        Buffers buffers(options.batch_size);
        return evaluate_range(data, 0, data.size(), buffers, options.corruption, options.seed);
    }

    O& optimizer() noexcept { return optimizer_; }
    const L& loss() const noexcept { return loss_; }
    M& model() noexcept { return model_; }
    C& communicator() noexcept { return communicator_; }

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
        check_smallest_batch(train_count, options.batch_size);
        if (!options.out) throw argument_error("latent::Trainer::fit: expected an output stream, found nullptr");
        if (options.threads == 0) throw argument_error("latent::Trainer::fit: expected threads >= 1, found 0");
        check_reliability_options(options);
    }

    // A BatchNorm of a flat input cannot train on a batch of 1 sample (nor on a process's share of 1): refused
    // before the first step, not when the epoch's last batch comes.
    void check_smallest_batch(std::size_t train_count, std::size_t batch_size) const {
        constexpr std::size_t needed = min_training_batch_of<M>;
        if constexpr (needed > 1) {
            const std::size_t ranks = communicator_.size();
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

    // On the GPU when the model's backend uses one in this run, else on the CPU.
    template <class E>
    History run(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
                std::size_t validation_first, std::size_t validation_count, const FitOptions& options) {
        using B = typename detail::cuda::backend_of<M>::type;
        if constexpr (detail::is_cuda_backend<B>) {
            return run_on_gpu(train, train_count, validation, validation_first, validation_count, options);
        } else {
            if constexpr (detail::gpu_capable<B>)
                if (detail::uses_gpu<B>())
                    return run_on_gpu(train, train_count, validation, validation_first, validation_count, options);
            return run_on_host(train, train_count, validation, validation_first, validation_count, options);
        }
    }

    template <class E>
    History run_on_gpu(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
                       std::size_t validation_first, std::size_t validation_count, const FitOptions& options) {
        detail::cuda::DeviceFit<M, O, L> device(model_, optimizer_, loss_);
        return device.run(
            train, train_count, validation, validation_first, validation_count, options,
            [&](const EpochRecord& record) {
                bool stop = false;
                for (auto& callback : epoch_callbacks_) stop |= callback(record) == Control::stop;
                return stop;
            },
            !batch_callbacks_.empty(),
            [&](std::size_t epoch, std::size_t batch, std::size_t batches, double loss) {
                for (auto& callback : batch_callbacks_) callback({epoch, batch, batches, loss});
            });
    }

    template <class E>
    History run_on_host(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
                        std::size_t validation_first, std::size_t validation_count, const FitOptions& options) {
        const std::size_t batch_size = options.batch_size;
        const std::size_t batches = (train_count + batch_size - 1) / batch_size;
        double base_rate = optimizer_.learning_rate();

        // Everything a step needs, allocated once. With several processes the batch's loss travels with the
        // gradients, one block summed in one message per step.
        Buffers buffers(batch_size);
        detail::AlignedBuffer<scalar> fused(M::parameter_count + (distributed() ? 1 : 0));
        const std::span<scalar> gradients = fused.span().first(M::parameter_count);
        std::vector<std::size_t> order(train_count);
        std::iota(order.begin(), order.end(), std::size_t{0});
        optimizer_.prepare(M::parameter_count);
        std::optional<detail::AlignedBuffer<scalar>> best_parameters;  // the parameters, then the buffers
        if (options.early_stopping && options.early_stopping->restore_best_weights)
            best_parameters.emplace(M::parameter_count + buffer_count);

        // Independent streams, so that adding noise or a sampling layer does not change the shuffling.
        Rng rng{options.seed};
        Rng noise{options.seed ^ noise_stream};
        buffers.workspace.context().rng.reseed(options.seed ^ sampling_stream);
        ProgressReporter progress(communicator_.rank() == 0 ? options.verbosity : Verbosity::silent, *options.out);
        History history;
        double best_loss = 0;
        std::size_t epochs_without_improvement = 0;

        // What checkpoints save and restore, and the copies skip_batch rolls a bad update back to.
        std::size_t consecutive_skips = 0;
        bool early_stopped = false;
        const RunState state{order, rng, noise, buffers.workspace.context().rng, base_rate, best_loss,
                             epochs_without_improvement, best_parameters, history, consecutive_skips, early_stopped};
        const auto settings = run_settings(train, train_count, validation, validation_first, validation_count, options);
        const std::size_t first_epoch = options.resume_from.empty() ? 1 : resume(options, settings, state) + 1;
        if (distributed()) start_together(train_count, validation_count, options, first_epoch);
        if (early_stopped) return history;
        Rollback rollback(options.on_nan == NanPolicy::skip_batch);

        for (std::size_t epoch = first_epoch; epoch <= options.epochs; ++epoch) {
            const double rate = options.schedule ? options.schedule(epoch - 1, base_rate) : optimizer_.learning_rate();
            if (!(is_finite(rate) && rate >= 0))
                throw argument_error("latent::Trainer::fit: expected the schedule to give a finite learning rate >= 0, "
                                     "found " + std::to_string(rate) + " for epoch " + std::to_string(epoch));
            optimizer_.set_learning_rate(rate);
            if (options.shuffle) rng.shuffle(std::span(order));

            progress.begin_epoch(epoch, options.epochs, batches);
            const auto started = std::chrono::steady_clock::now();
            double loss_sum = 0;
            std::size_t trained = 0, skipped = 0;  // samples trained on, batches left out
            for (std::size_t batch = 0; batch < batches; ++batch) {
                const std::size_t first = batch * batch_size;
                const std::size_t n = std::min(batch_size, train_count - first);
                const auto [x, target] = buffers.batch(train, std::span<const std::size_t>(order.data() + first, n),
                                                       options.corruption, noise);
                const scalar loss =
                    distributed() ? shared_loss_and_gradients(x, target, buffers, fused.span(), options.seed,
                                                              (epoch - 1) * batches + batch)
                                  : model_.loss_and_gradients(loss_, x, target, buffers.workspace, gradients);
                // Checked before the update, so the weights and the optimizer's state are still those of before.
                if (!is_finite(loss) || !all_finite(std::span<const scalar>(gradients))) {
                    non_finite(options, NonFinite{epoch, batch, batches, double(loss), !is_finite(loss)}, consecutive_skips);
                    ++skipped;
                    continue;
                }
                rollback.keep(model_, optimizer_);
                optimizer_.step(model_.parameters(), std::span<const scalar>(gradients));
                if (!all_finite(std::span<const scalar>(model_.parameters()))) {  // finite gradients, overflowing update
                    rollback.restore(model_, optimizer_);  // skip_batch keeps copies; stop has none
                    non_finite(options, NonFinite{epoch, batch, batches, double(loss), false, true}, consecutive_skips);
                    ++skipped;
                    continue;
                }
                if constexpr (buffer_count > 0) model_.update_buffers(buffers.workspace);
                consecutive_skips = 0;
                loss_sum += double(loss) * double(n);
                trained += n;
                progress.batch_done(batch, first + n, loss_sum / double(trained));
                for (auto& callback : batch_callbacks_) callback({epoch, batch, batches, double(loss)});
            }
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (distributed()) average_buffers();

            EpochRecord record{epoch,
                               trained ? loss_sum / double(trained) : std::numeric_limits<double>::quiet_NaN(),
                               std::nullopt, rate, seconds, seconds > 0 ? double(trained) / seconds : 0, skipped};
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
                    if (best_parameters) keep_weights(*best_parameters);
                } else if (++epochs_without_improvement >= options.early_stopping->patience) {
                    progress.message("Early stopping after epoch " + std::to_string(epoch) + ": no improvement for " +
                                     std::to_string(epochs_without_improvement) + " epochs");
                    if (best_parameters) restore_weights(*best_parameters);
                    stop = true;
                    early_stopped = true;
                }
            }
            stop = communicator_.any(stop);  // a callback may stop one process only: all stop together
            if (!options.checkpoint.empty() && communicator_.rank() == 0 &&
                (epoch % options.checkpoint_every == 0 || stop || epoch == options.epochs))
                save_run(options.checkpoint, settings, state, epoch);
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

    // Data-parallel training (a communicator of several processes): every process gathers and corrupts the whole
    // batch from the same streams, as one process would, then trains on its share of the columns.

    bool distributed() const noexcept { return communicator_.size() > 1; }

    // This process's loss and gradients on its share of the batch, weighted by that share, summed over the
    // processes with the loss in the last element of `fused`. Stochastic layers draw from a stream of the seed,
    // the step and the rank, so that a resumed run draws as an uninterrupted one.
    scalar shared_loss_and_gradients(ConstMatrixView<scalar> x, ConstMatrixView<scalar> target, Buffers& buffers,
                                     std::span<scalar> fused, std::uint64_t seed, std::size_t step) {
        const auto n = std::size_t(x.cols());
        const std::size_t ranks = communicator_.size(), rank = communicator_.rank();
        const std::size_t first = n * rank / ranks, count = n * (rank + 1) / ranks - first;
        if (count == 0) {  // a last batch with fewer samples than processes
            std::ranges::fill(fused, scalar(0));
        } else {
            const auto share = [&](ConstMatrixView<scalar> m) {
                return ConstMatrixView<scalar>(m.data() + first * M::input_size, m.rows(), Eigen::Index(count));
            };
            const std::uint64_t stream = (step * ranks + rank) * 0x9e3779b97f4a7c15;  // reseed() mixes it further
            buffers.workspace.context().rng.reseed(seed ^ sampling_stream ^ stream);
            fused.back() = model_.loss_and_gradients(loss_, share(x), share(target), buffers.workspace,
                                                     fused.first(M::parameter_count));
            const scalar weight = scalar(count) / scalar(n);
            for (scalar& value : fused) value *= weight;
        }
        communicator_.sum(fused);
        return fused.back();
    }

    // BatchNorm layers normalise each process's share with its own statistics (as PyTorch's DistributedDataParallel
    // without SyncBatchNorm), so each process's running statistics follow its shares: at each epoch's end, before
    // validation, early stopping and checkpoints, all processes take their mean, and agree bit for bit again.
    void average_buffers() {
        if constexpr (buffer_count > 0) {
            const std::span<scalar> buffers = model_.buffers();
            communicator_.sum(buffers);
            const scalar processes = scalar(communicator_.size());
            for (scalar& value : buffers) value /= processes;
        }
    }

    // Early stopping's copy of the weights: the parameters, then the buffers.
    void keep_weights(detail::AlignedBuffer<scalar>& copy) const {
        std::ranges::copy(model_.parameters(), copy.begin());
        if constexpr (buffer_count > 0) std::ranges::copy(model_.buffers(), copy.begin() + M::parameter_count);
    }
    void restore_weights(const detail::AlignedBuffer<scalar>& copy) {
        std::copy_n(copy.begin(), M::parameter_count, model_.parameters().begin());
        if constexpr (buffer_count > 0)
            std::copy_n(copy.begin() + M::parameter_count, buffer_count, model_.buffers().begin());
    }

    // Every process must train the same run from the same weights: a process given other data or options would
    // hang in the sums or train another model. Rank 0's weights go to all.
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

    // NaN policy, checkpoints and resuming (NanPolicy; FitOptions::checkpoint, resume_from).

    static constexpr bool checkpointable = SavableModel<M> && StatefulOptimizer<O>;
    /// The model's buffers (BatchNorm's running statistics): updated after each step, saved with the weights.
    static constexpr std::size_t buffer_count = buffer_count_of<M>;
    using RunSettings = std::vector<std::pair<std::string, std::string>>;

    void check_reliability_options(const FitOptions& options) const {
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

    /// What a bad batch looked like, for the messages.
    struct NonFinite {
        std::size_t epoch, batch, batches;
        double loss;
        bool in_loss;         ///< else in the gradients, or in the updated weights when in_update
        bool in_update = false;
    };

    // Stop: throws. skip_batch: counts the batch, and throws once max_consecutive_skips are skipped in a row.
    void non_finite(const FitOptions& options, const NonFinite& bad, std::size_t& consecutive_skips) const {
        const std::string at = " at epoch " + std::to_string(bad.epoch) + ", batch " + std::to_string(bad.batch + 1) +
                               " of " + std::to_string(bad.batches);
        const std::string loss = std::to_string(bad.loss);
        if (options.on_nan == NanPolicy::stop) {
            if (bad.in_loss)
                throw numerical_error("latent::Trainer::fit: expected a finite loss, found " + loss + at +
                                      "; the weights are those from before that batch (try a lower learning rate)");
            if (!bad.in_update)
                throw numerical_error("latent::Trainer::fit: expected finite gradients, found a NaN or infinite one" + at +
                                      " (the loss was " + loss + "); the weights are those from before that batch "
                                      "(try a lower learning rate)");
            throw numerical_error("latent::Trainer::fit: expected finite weights after the update" + at +
                                  ", found NaN or infinite ones although its loss (" + loss + ") and gradients were "
                                  "finite; the weights are left as that update made them (NanPolicy::skip_batch rolls "
                                  "such updates back; try a lower learning rate)");
        }
        if (++consecutive_skips >= options.max_consecutive_skips)
            throw numerical_error("latent::Trainer::fit: expected at most " +
                                  std::to_string(options.max_consecutive_skips - 1) + " batches in a row with a NaN or "
                                  "infinite loss, gradient or update, found " + std::to_string(consecutive_skips) +
                                  ", the last" + at + " (" + (bad.in_loss ? "loss " + loss : bad.in_update ? "update" : "gradient") +
                                  "); the weights are those from before them (try a lower learning rate)");
    }

    // skip_batch's copies of the weights and the optimizer's state from before each update, sized once.
    struct Rollback {
        explicit Rollback(bool active) : parameters(active ? M::parameter_count : 0) {}
        void keep(M& model, const O& optimizer) {
            if (parameters.size() == 0) return;
            std::ranges::copy(model.parameters(), parameters.begin());
            if constexpr (StatefulOptimizer<O>) optimizer.save_state(optimizer_state);
        }
        void restore(M& model, O& optimizer) {
            if (parameters.size() == 0) return;
            std::ranges::copy(parameters, model.parameters().begin());
            if constexpr (StatefulOptimizer<O>) optimizer.restore_state(optimizer_state);
        }
        detail::AlignedBuffer<scalar> parameters;
        OptimizerState<scalar> optimizer_state;
    };

    // The loop's state, by reference: what a checkpoint saves and a resumed run restores.
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
    RunSettings run_settings(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
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
    void save_run(const std::filesystem::path& path, const RunSettings& settings, const RunState& state,
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

    M& model_;
    O optimizer_;
    L loss_;
    [[no_unique_address]] C communicator_;  // SingleProcess takes no space
    std::vector<std::function<Control(const EpochRecord&)>> epoch_callbacks_;
    std::vector<std::function<void(const BatchReport&)>> batch_callbacks_;
};

}  // namespace latent
