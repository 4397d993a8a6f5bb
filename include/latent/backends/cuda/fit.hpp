#pragma once
// Trainer::fit on the GPU. The data set is copied to the device once; each step gathers its batch there,
// runs the passes, the fused output-and-loss kernel and one fused optimizer update over the whole parameter
// block, and allocates nothing. Full batches replay one captured CUDA graph (basic_cuda<true>). The host
// reads the loss back once per epoch (once per batch only when batch callbacks ask for it), and the weights
// once per epoch, before the epoch callbacks see the model.

#include "latent/backends/cuda/network.hpp"
#include "latent/backends/cuda/policy.hpp"
#include "latent/backends/cuda/runtime.hpp"
#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"
#include "latent/optimizers/adam.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/optimizers/sgd.hpp"
#include "latent/training/history.hpp"
#include "latent/training/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace latent::detail::cuda {

/// The backend of model M (backend::cpu for a model that names none).
template <class M>
struct backend_of {
    using type = backend::cpu;
};
template <class M>
    requires requires { typename M::backend_type; }
struct backend_of<M> {
    using type = typename M::backend_type;
};

/// The update kernel of optimizer O; an optimizer without one does not compile.
template <class O>
struct DeviceUpdate {
    static_assert(always_false<O>,
                  "latent::backend::cuda: this optimizer has no implementation on the cuda backend (Adam, AdamW and SGD have)");
};

template <bool Decoupled, class O>
struct AdamDeviceUpdate {
    static AdamSettings settings(const O& optimizer) {
        const AdamOptions& o = optimizer.options();
        return {o.beta1, o.beta2, o.epsilon, o.weight_decay, Decoupled};
    }
    static void update(Context& context, float* parameters, const float* gradients, std::vector<DeviceArray<float>>& state,
                       std::size_t count, const O& optimizer, const StepState* step) {
        adam_update(context, parameters, gradients, state[0].data(), state[1].data(), count, settings(optimizer), step);
    }
};
template <>
struct DeviceUpdate<Adam<float>> : AdamDeviceUpdate<false, Adam<float>> {};
template <>
struct DeviceUpdate<AdamW<float>> : AdamDeviceUpdate<true, AdamW<float>> {};

template <>
struct DeviceUpdate<SGD<float>> {
    static AdamSettings settings(const SGD<float>&) { return {}; }
    static void update(Context& context, float* parameters, const float* gradients, std::vector<DeviceArray<float>>& state,
                       std::size_t count, const SGD<float>& optimizer, const StepState* step) {
        const SGDOptions& o = optimizer.options();
        sgd_update(context, parameters, gradients, state[0].data(), count,
                   {o.momentum, o.dampening, o.weight_decay, o.nesterov}, step);
    }
};

/// Samples [0, data.size()) scaled to floats, on the device.
template <class E>
DeviceArray<float> resident(Context& context, const Dataset<E>& data) {
    const std::size_t rows = data.sample_size(), chunk = 1024;
    DeviceArray<float> values(data.size() * rows);
    Matrix<float> block(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(chunk));
    std::vector<std::size_t> indices(chunk);
    for (std::size_t first = 0; first < data.size(); first += chunk) {
        const std::size_t m = std::min(chunk, data.size() - first);
        std::iota(indices.begin(), indices.begin() + std::ptrdiff_t(m), first);
        data.gather(std::span<const std::size_t>(indices.data(), m),
                    MatrixView<float>(block.data(), block.rows(), Eigen::Index(m)));
        upload(context, values.data() + first * rows, block.data(), m * rows * sizeof(float));
    }
    return values;
}

/// One fit() of model M with optimizer O and loss L on the GPU.
template <class M, class O, class L>
class DeviceFit {
    using Network = typename M::network;
    using Update = DeviceUpdate<O>;
    static constexpr std::size_t rows = M::input_size, count = M::parameter_count;

public:
    DeviceFit(M& model, O& optimizer, const L& loss) : model_{model}, optimizer_{optimizer}, loss_{loss} {}

    /// Trains on samples [0, train_count) of `train`, validating on [validation_first, + validation_count) of
    /// `validation` when given. Options is FitOptions. epoch_end(record) returns whether to stop; batch_end(epoch,
    /// batch, batches, loss) is called after every batch when report_batches. Same seed, same batches as the CPU.
    template <class E, class Options, class EpochEnd, class BatchEnd>
    History run(const Dataset<E>& train, std::size_t train_count, const Dataset<E>* validation,
                std::size_t validation_first, std::size_t validation_count, const Options& options,
                EpochEnd&& epoch_end, bool report_batches, BatchEnd&& batch_end) {
        refuse_unsupported(options);
        const std::size_t batch_size = options.batch_size;
        const std::size_t batches = (train_count + batch_size - 1) / batch_size;
        const double base_rate = optimizer_.learning_rate();

        // Everything a step touches, allocated once.
        DeviceNetwork<Network, device_backend_t<typename M::backend_type>> network(batch_size);
        Context& context = network.context();
        const DeviceArray<float> data = resident(context, train);
        const std::optional<DeviceArray<float>> separate_validation =
            validation && validation != &train ? std::optional(resident(context, *validation)) : std::nullopt;
        const float* validation_data = separate_validation ? separate_validation->data() : data.data();
        DeviceArray<std::uint32_t> order(train_count);
        DeviceArray<StepState> step(1);
        DeviceArray<double> sums(2);  // the epoch's training loss sum, the validation loss sum
        upload(context, network.parameters(), model_.parameters().data(), count * sizeof(float));

        optimizer_.prepare(count);
        OptimizerState<float> saved;
        optimizer_.save_state(saved);
        std::vector<DeviceArray<float>> moments;
        for (const auto& buffer : saved.buffers) {
            moments.emplace_back(buffer.size());
            upload(context, moments.back().data(), buffer.data(), buffer.size() * sizeof(float));
        }
        moments.resize(std::max<std::size_t>(moments.size(), 2));  // SGD without momentum has none
        StepState initial{};
        initial.steps = saved.steps;
        upload(context, step.data(), &initial, sizeof initial);

        const AdamSettings scalars = Update::settings(optimizer_);
        const auto enqueue_step = [&](int n) {
            begin_step(context, step.data(), scalars);
            gather_columns(context, data.data(), int(rows), order.data(), step.data(), int(batch_size),
                           network.input(), n);
            network.loss(loss_of(std::size_t(n)), network.input(), network.input(), n, true, sums.data(), step.data());
            Update::update(context, network.parameters(), network.gradients(), moments, count, optimizer_, step.data());
        };
        GraphHandle graph;
        bool warmed_up = false;

        std::vector<std::size_t> shuffled(train_count);
        std::iota(shuffled.begin(), shuffled.end(), std::size_t{0});
        std::vector<std::uint32_t> order_host(train_count);
        Rng rng{options.seed};
        ProgressReporter progress(options.verbosity, *options.out);
        History history;
        std::optional<std::vector<float>> best_parameters;
        double best_loss = 0;
        std::size_t epochs_without_improvement = 0;

        for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
            const double rate = options.schedule ? options.schedule(epoch - 1, base_rate) : optimizer_.learning_rate();
            if (!(is_finite(rate) && rate >= 0))
                throw argument_error("latent::Trainer::fit: expected the schedule to give a finite learning rate >= 0, "
                                     "found " + std::to_string(rate) + " for epoch " + std::to_string(epoch));
            optimizer_.set_learning_rate(rate);
            if (options.shuffle) rng.shuffle(std::span(shuffled));
            std::ranges::transform(shuffled, order_host.begin(), [](std::size_t i) { return std::uint32_t(i); });
            upload(context, order.data(), order_host.data(), order.bytes());
            const std::uint32_t first_batch = 0;
            upload(context, field(step.data(), offsetof(StepState, learning_rate)), &rate, sizeof rate);
            upload(context, field(step.data(), offsetof(StepState, next_batch)), &first_batch, sizeof first_batch);
            fill_zero(context, sums.data(), sizeof(double));

            progress.begin_epoch(epoch, options.epochs, batches);
            const auto started = std::chrono::steady_clock::now();
            for (std::size_t batch = 0; batch < batches; ++batch) {
                const std::size_t n = std::min(batch_size, train_count - batch * batch_size);
                // The first full step runs uncaptured: cuBLAS initialises itself on its first calls, which a
                // capture cannot record.
                if (device_backend_t<typename M::backend_type>::capture_steps && n == batch_size && warmed_up) {
                    if (!graph) graph = capture(context, [&] { enqueue_step(int(n)); });
                    launch(context, *graph);
                } else {
                    enqueue_step(int(n));
                    warmed_up |= n == batch_size;
                }
                if (report_batches) {
                    double sum = 0;
                    download(context, &sum, field(step.data(), offsetof(StepState, batch_loss)), sizeof sum);
                    batch_end(epoch, batch, batches, sum * loss_of(n).scale);
                }
            }
            double sum = 0;
            download(context, &sum, sums.data(), sizeof sum);  // waits for the epoch's steps
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            const double train_loss = sum * double(loss_of(train_count).scale);
            if (!is_finite(train_loss))
                throw numerical_error("latent::Trainer::fit: expected a finite loss, found " + std::to_string(train_loss) +
                                      " over epoch " + std::to_string(epoch) + " (the cuda backend checks once per "
                                      "epoch); the weights are those from before that epoch (try a lower learning rate)");

            EpochRecord record{epoch, train_loss, std::nullopt, rate, seconds,
                               seconds > 0 ? double(train_count) / seconds : 0, 0};
            if (validation)
                record.validation_loss =
                    validate(network, validation_data, validation_first, validation_count, sums.data() + 1);
            download(context, model_.parameters().data(), network.parameters(), count * sizeof(float));
            history.epochs.push_back(record);
            progress.end_epoch(record.train_loss, record.validation_loss, record.seconds, record.samples_per_second);

            bool stop = epoch_end(record);
            if (options.early_stopping) {
                const double monitored = record.validation_loss.value_or(record.train_loss);
                if (epoch == 1 || monitored < best_loss - options.early_stopping->min_delta) {
                    best_loss = monitored;
                    epochs_without_improvement = 0;
                    if (options.early_stopping->restore_best_weights)
                        best_parameters.emplace(model_.parameters().begin(), model_.parameters().end());
                } else if (++epochs_without_improvement >= options.early_stopping->patience) {
                    progress.message("Early stopping after epoch " + std::to_string(epoch) + ": no improvement for " +
                                     std::to_string(epochs_without_improvement) + " epochs");
                    if (best_parameters) std::ranges::copy(*best_parameters, model_.parameters().begin());
                    stop = true;
                }
            }
            if (stop) break;
        }

        // The optimizer continues from here in a later fit(), on either backend.
        for (std::size_t i = 0; i < saved.buffers.size(); ++i)
            download(context, saved.buffers[i].data(), moments[i].data(), saved.buffers[i].size() * sizeof(float));
        download(context, &saved.steps, field(step.data(), offsetof(StepState, steps)), sizeof saved.steps);
        saved.learning_rate = optimizer_.learning_rate();
        optimizer_.restore_state(saved);
        return history;
    }

private:
    // The loss as the kernels take it, for a batch of n samples.
    DeviceLoss loss_of(std::size_t n) const { return device_loss<L, typename M::output_activation>(loss_, rows, n); }

    static void* field(StepState* state, std::size_t offset) { return reinterpret_cast<char*>(state) + offset; }

    template <class Options>
    static void refuse_unsupported(const Options& options) {
        const std::string what = "latent::Trainer::fit: the cuda backend does not implement ";
        if (options.corruption)
            throw argument_error(what + "input corruption yet: expected no FitOptions::corruption, found " +
                                 options.corruption.name());
        if (options.on_nan != decltype(options.on_nan)::stop)
            throw argument_error(what + "NanPolicy::skip_batch (it checks the loss once per epoch): expected "
                                 "NanPolicy::stop, found skip_batch");
        if (!options.checkpoint.empty() || !options.resume_from.empty())
            throw argument_error(what + "checkpoints yet: expected empty FitOptions::checkpoint and resume_from, found " +
                                 (options.checkpoint.empty() ? options.resume_from : options.checkpoint).string());
        if (options.batch_size > std::size_t(INT32_MAX))
            throw argument_error(what + "batches above 2^31 - 1 samples: found batch_size " +
                                 std::to_string(options.batch_size));
    }

    // The validation loss: the columns are contiguous, so the passes read the resident data in place.
    template <class Net>
    double validate(Net& network, const float* data, std::size_t first, std::size_t n, double* sum) {
        Context& context = network.context();
        fill_zero(context, sum, sizeof(double));
        for (std::size_t done = 0; done < n; done += network.capacity()) {
            const std::size_t m = std::min(network.capacity(), n - done);
            const float* x = data + (first + done) * rows;
            network.loss(loss_of(m), x, x, int(m), false, sum, nullptr);
        }
        double value = 0;
        download(context, &value, sum, sizeof value);
        return value * double(loss_of(n).scale);
    }

    M& model_;
    O& optimizer_;
    const L& loss_;
};

}  // namespace latent::detail::cuda
