#pragma once
// The trainer: one training loop for every backend and for data-parallel training over processes. Epochs,
// shuffling, schedules, validation, callbacks, early stopping, the NaN policy, checkpoints and progress are
// written here once; everything that touches where the weights live is the backend's engine
// (backends/engine.hpp), named by the model's backend policy.

#include "latent/backends/engine.hpp"
#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/core/threads.hpp"
#include "latent/data/dataset.hpp"
#include "latent/losses/loss.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/training/communicator.hpp"
#include "latent/training/data_parallel.hpp"
#include "latent/training/fit_checks.hpp"
#include "latent/training/history.hpp"
#include "latent/training/nan_policy.hpp"
#include "latent/training/options.hpp"
#include "latent/training/progress.hpp"
#include "latent/training/run_state.hpp"

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

/// A model the trainer can train: its backend, parameters, a workspace type, and loss with gradients.
template <class M, class L>
concept Trainable = requires(const M& model, M& mutable_model, const L& loss, typename M::workspace& ws,
                             ConstMatrixView<typename M::scalar> x, std::span<typename M::scalar> g) {
    typename M::backend_type;
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
        detail::check_fit_options<M, O>(data, options, communicator_.size());
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
        detail::check_fit_options<M, O>(train, options, communicator_.size());
        if (options.validation_split != 0)
            throw argument_error("latent::Trainer::fit: expected validation_split 0 when a validation set is given, "
                                 "found " + std::to_string(options.validation_split));
        detail::check_data<M>(validation, "validation");
        const ThreadScope threads{options.threads};
        return run(train, train.size(), &validation, 0, validation.size(), options);
    }

    /// Mean loss of the model's reconstructions of `data` (with its regularizers' penalties), the same
    /// figure fit() reports for validation.
    template <class E>
    double evaluate(const Dataset<E>& data, const EvaluateOptions& options = {}) {
        detail::check_data<M>(data, "evaluation");
        if (options.batch_size == 0) throw argument_error("latent::Trainer::evaluate: expected batch_size >= 1, found 0");
        if (options.threads == 0) throw argument_error("latent::Trainer::evaluate: expected threads >= 1, found 0");
        const ThreadScope threads{options.threads};
        Engine engine(model_, optimizer_, loss_, options.batch_size);
        engine.load();
        return engine.evaluate(data, 0, data.size(), options.corruption, options.seed);
    }

    O& optimizer() noexcept { return optimizer_; }
    const L& loss() const noexcept { return loss_; }
    M& model() noexcept { return model_; }
    C& communicator() noexcept { return communicator_; }

private:
    using Engine = typename M::backend_type::template engine<M, O, L>;
    static_assert(TrainingEngine<Engine>);
    static constexpr std::size_t buffer_count = buffer_count_of<M>;
    static constexpr bool distributable = requires(Engine& e, std::size_t k) { e.shared_block(); };
    static_assert(distributable || std::same_as<C, SingleProcess>,
                  "latent::Trainer: data-parallel training over processes has no implementation on this backend; "
                  "train with the default communicator (SingleProcess) or on backend::cpu");

    template <class E>
    History run(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
                std::size_t validation_first, std::size_t validation_count, const FitOptions& options) {
        const std::size_t batch_size = options.batch_size;
        const std::size_t batches = (train_count + batch_size - 1) / batch_size;
        double base_rate = optimizer_.learning_rate();

        // Everything a step needs, allocated once.
        Engine engine(model_, optimizer_, loss_, batch_size, options.on_nan == NanPolicy::skip_batch);
        detail::DataParallel<M, C> parallel(model_, communicator_);
        std::vector<std::size_t> order(train_count);
        std::iota(order.begin(), order.end(), std::size_t{0});
        optimizer_.prepare(M::parameter_count);
        std::optional<detail::AlignedBuffer<scalar>> best_weights;  // the parameters, then the buffers
        if (options.early_stopping && options.early_stopping->restore_best_weights)
            best_weights.emplace(M::parameter_count + buffer_count);

        // Independent streams, so that adding noise or a sampling layer does not change the shuffling.
        Rng rng{options.seed};
        Rng noise{options.seed ^ detail::noise_stream};
        engine.sampling().reseed(options.seed ^ detail::sampling_stream);
        ProgressReporter progress(communicator_.rank() == 0 ? options.verbosity : Verbosity::silent, *options.out);
        History history;
        double best_loss = 0;
        std::size_t epochs_without_improvement = 0;

        // What checkpoints save and restore.
        std::size_t consecutive_skips = 0;
        bool early_stopped = false;
        detail::RunRecord<M, O, L> record_of_run(model_, optimizer_);
        const typename detail::RunRecord<M, O, L>::RunState state{
            order, rng, noise, engine.sampling(), base_rate, best_loss, epochs_without_improvement, best_weights,
            history, consecutive_skips, early_stopped};
        const auto settings =
            record_of_run.settings(train, train_count, validation, validation_first, validation_count, options);
        const std::size_t first_epoch =
            options.resume_from.empty() ? 1 : record_of_run.resume(options, settings, state) + 1;
        if (parallel.active()) parallel.start_together(train_count, validation_count, options, first_epoch);
        if (early_stopped) return history;
        engine.load();

        for (std::size_t epoch = first_epoch; epoch <= options.epochs; ++epoch) {
            const double rate = options.schedule ? options.schedule(epoch - 1, base_rate) : optimizer_.learning_rate();
            if (!(is_finite(rate) && rate >= 0))
                throw argument_error("latent::Trainer::fit: expected the schedule to give a finite learning rate >= 0, "
                                     "found " + std::to_string(rate) + " for epoch " + std::to_string(epoch));
            optimizer_.set_learning_rate(rate);
            if (options.shuffle) rng.shuffle(std::span(order));
            engine.begin_epoch(std::span<const std::size_t>(order), rate);

            progress.begin_epoch(epoch, options.epochs, batches);
            const auto started = std::chrono::steady_clock::now();
            double loss_sum = 0;
            std::size_t trained = 0, skipped = 0;  // samples trained on, batches left out
            for (std::size_t batch = 0; batch < batches; ++batch) {
                const std::size_t first = batch * batch_size;
                const std::size_t n = std::min(batch_size, train_count - first);
                double loss = 0;
                if constexpr (distributable) {
                    if (parallel.active())
                        loss = parallel.step(engine, train, first, n, options, noise, (epoch - 1) * batches + batch);
                    else
                        loss = engine.train_batch(train, first, n, options.corruption, noise);
                } else {
                    loss = engine.train_batch(train, first, n, options.corruption, noise);
                }
                // Checked before the update, so the weights and the optimizer's state are still those of before.
                if (!is_finite(loss) || !engine.gradients_finite()) {
                    detail::non_finite(options, {epoch, batch, batches, loss, !is_finite(loss)}, consecutive_skips);
                    ++skipped;
                    continue;
                }
                engine.keep();  // skip_batch keeps copies; stop has none
                engine.update();
                if (!engine.parameters_finite()) {  // finite gradients, overflowing update
                    engine.restore();
                    detail::non_finite(options, {epoch, batch, batches, loss, false, true}, consecutive_skips);
                    ++skipped;
                    continue;
                }
                if constexpr (buffer_count > 0) engine.update_buffers();
                consecutive_skips = 0;
                loss_sum += loss * double(n);
                trained += n;
                progress.batch_done(batch, first + n, loss_sum / double(trained));
                for (auto& callback : batch_callbacks_) callback({epoch, batch, batches, loss});
            }
            engine.store();  // from here on the host reads the model and the optimizer
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (parallel.active()) parallel.average_buffers();

            EpochRecord record{epoch,
                               trained ? loss_sum / double(trained) : std::numeric_limits<double>::quiet_NaN(),
                               std::nullopt, rate, seconds, seconds > 0 ? double(trained) / seconds : 0, skipped};
            if (validation)
                record.validation_loss =
                    engine.evaluate(*validation, validation_first, validation_count, options.corruption, options.seed);
            history.epochs.push_back(record);
            progress.end_epoch(record.train_loss, record.validation_loss, record.seconds, record.samples_per_second);

            bool stop = false;
            for (auto& callback : epoch_callbacks_) stop |= callback(record) == Control::stop;
            if (options.early_stopping) {
                const double monitored = record.validation_loss.value_or(record.train_loss);
                if (epoch == 1 || monitored < best_loss - options.early_stopping->min_delta) {
                    best_loss = monitored;
                    epochs_without_improvement = 0;
                    if (best_weights) keep_weights(*best_weights);
                } else if (++epochs_without_improvement >= options.early_stopping->patience) {
                    progress.message("Early stopping after epoch " + std::to_string(epoch) + ": no improvement for " +
                                     std::to_string(epochs_without_improvement) + " epochs");
                    if (best_weights) restore_weights(*best_weights);
                    stop = true;
                    early_stopped = true;
                }
            }
            stop = communicator_.any(stop);  // a callback may stop one process only: all stop together
            if (!options.checkpoint.empty() && communicator_.rank() == 0 &&
                (epoch % options.checkpoint_every == 0 || stop || epoch == options.epochs))
                record_of_run.save(options.checkpoint, settings, state, epoch);
            if (stop) break;
            engine.load();  // what the callbacks or early stopping changed, back into the engine
        }
        return history;
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

    M& model_;
    O optimizer_;
    L loss_;
    [[no_unique_address]] C communicator_;  // SingleProcess takes no space
    std::vector<std::function<Control(const EpochRecord&)>> epoch_callbacks_;
    std::vector<std::function<void(const BatchReport&)>> batch_callbacks_;
};

}  // namespace latent
