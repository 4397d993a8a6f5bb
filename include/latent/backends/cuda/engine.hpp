#pragma once
// The GPU's training engine (see backends/engine.hpp). The weights, the gradients, the optimizer's state and the
// training data stay on the device: a batch is gathered there from the resident data (or, with a corruption,
// gathered and corrupted on the host from the trainer's noise stream and uploaded), run through the passes
// and the fused output-and-loss kernel, and updated by one fused kernel over the whole parameter block. Full
// batches replay one captured CUDA graph (basic_cuda<true>). The host reads back 8 bytes of loss and 4 of
// finiteness per batch, and the weights when the loop hands them to the host (each epoch's end).

#include "latent/backends/cuda/passes.hpp"
#include "latent/backends/cuda/policy.hpp"
#include "latent/backends/cuda/runtime.hpp"
#include "latent/backends/engine.hpp"
#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/corruption.hpp"
#include "latent/data/dataset.hpp"
#include "latent/layers/layer.hpp"
#include "latent/optimizers/adam.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/optimizers/sgd.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace latent::detail::cuda {

/// The update kernel of optimizer O; DeviceEngine refuses an optimizer without one at compile time.
template <class O>
struct DeviceUpdate {
    using unimplemented = void;
};
template <class O>
inline constexpr bool has_device_update = !requires { typename DeviceUpdate<O>::unimplemented; };

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
DeviceArray<float> resident_copy(Context& context, const Dataset<E>& data) {
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

/// Trains model M with optimizer O on loss L on the GPU, with the kernels of the cuda policy DeviceBackend.
template <class M, class O, class L, class DeviceBackend>
class DeviceEngine {
    using Network = typename M::network;
    using Update = DeviceUpdate<O>;
    static constexpr std::size_t rows = M::input_size, count = M::parameter_count;
    static_assert(buffer_count_of<M> == 0, "latent::backend::cuda: no layer with buffers has a kernel on the GPU");
    static_assert(has_device_update<O>,
                  "latent::backend::cuda: this optimizer has no implementation on the cuda backend (Adam, AdamW and SGD have)");

public:
    /// throws: device_error where there is no usable GPU or an allocation fails; argument_error for a capacity
    /// the kernels' 32-bit sample counts cannot hold.
    DeviceEngine(M& model, O& optimizer, const L& loss, std::size_t capacity, bool rollback = false)
        : model_{model},
          optimizer_{optimizer},
          loss_{loss},
          passes_(checked(capacity)),
          step_(1),
          sum_(1),
          flag_(1),
          kept_parameters_(rollback ? DeviceArray<float>(count) : DeviceArray<float>()),
          kept_step_(rollback ? DeviceArray<StepState>(1) : DeviceArray<StepState>()),
          input_(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(capacity)),
          clean_(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(capacity)),
          indices_(capacity),
          rollback_{rollback} {}

    std::size_t capacity() const noexcept { return passes_.capacity(); }
    /// No layer with a GPU kernel samples; the stream is kept so that checkpoints hold it as on the CPU.
    Rng& sampling() noexcept { return sampling_; }

    /// The model's weights and the optimizer's state (steps, moments) onto the device.
    void load() {
        Context& context = passes_.context();
        upload(context, passes_.parameters(), model_.parameters().data(), count * sizeof(float));
        optimizer_.save_state(saved_);
        if (moments_.empty()) {  // sized once, by the optimizer's first state
            for (const auto& buffer : saved_.buffers) moments_.emplace_back(buffer.size());
            if (rollback_)
                for (const auto& buffer : saved_.buffers) kept_moments_.emplace_back(buffer.size());
            moments_.resize(std::max<std::size_t>(moments_.size(), 2));  // SGD without momentum has none
            kept_moments_.resize(moments_.size());
        }
        for (std::size_t i = 0; i < saved_.buffers.size(); ++i)
            upload(context, moments_[i].data(), saved_.buffers[i].data(), saved_.buffers[i].size() * sizeof(float));
        StepState initial{};
        initial.steps = saved_.steps;
        initial.learning_rate = optimizer_.learning_rate();
        upload(context, step_.data(), &initial, sizeof initial);
    }

    /// The device's weights and optimizer state back into the model and the optimizer.
    void store() {
        Context& context = passes_.context();
        download(context, model_.parameters().data(), passes_.parameters(), count * sizeof(float));
        for (std::size_t i = 0; i < saved_.buffers.size(); ++i)
            download(context, saved_.buffers[i].data(), moments_[i].data(), saved_.buffers[i].size() * sizeof(float));
        download(context, &saved_.steps, field(offsetof(StepState, steps)), sizeof saved_.steps);
        saved_.learning_rate = optimizer_.learning_rate();
        optimizer_.restore_state(saved_);
    }

    void begin_epoch(std::span<const std::size_t> order, double rate) {
        Context& context = passes_.context();
        if (order_device_.size() != order.size()) {
            order_device_ = DeviceArray<std::uint32_t>(order.size());
            order_host_.resize(order.size());
        }
        std::ranges::transform(order, order_host_.begin(), [](std::size_t i) { return std::uint32_t(i); });
        upload(context, order_device_.data(), order_host_.data(), order_device_.bytes());
        order_ = order;
        const std::uint32_t first_batch = 0;
        upload(context, field(offsetof(StepState, learning_rate)), &rate, sizeof rate);
        upload(context, field(offsetof(StepState, next_batch)), &first_batch, sizeof first_batch);
    }

    template <class E>
    double train_batch(const Dataset<E>& data, std::size_t first, std::size_t n, const Corruption& corruption,
                       Rng& noise) {
        Context& context = passes_.context();
        if (corruption) {  // the CPU's noise stream, so that both backends corrupt alike
            begin_batch(context, step_.data());
            upload_batch(data, order_.subspan(first, n), corruption, noise);
            passes_.loss(loss_of(n), passes_.input(), passes_.target(), int(n), true, sum_.data(), step_.data());
        } else {
            const float* values = resident(data, training_data_);
            const auto enqueue = [&] {
                begin_batch(context, step_.data());
                gather_columns(context, values, int(rows), order_device_.data(), step_.data(), int(capacity()),
                               passes_.input(), int(n));
                passes_.loss(loss_of(n), passes_.input(), passes_.input(), int(n), true, sum_.data(), step_.data());
            };
            // The first full batch runs uncaptured: cuBLAS initialises itself on its first calls, which a capture
            // cannot record.
            if (DeviceBackend::capture_steps && n == capacity() && warmed_up_) {
                if (!graph_) graph_ = capture(context, enqueue);
                launch(context, *graph_);
            } else {
                enqueue();
                warmed_up_ |= n == capacity();
            }
        }
        double sum = 0;
        download(context, &sum, field(offsetof(StepState, batch_loss)), sizeof sum);
        return sum * double(loss_of(n).scale);
    }

    bool gradients_finite() { return all_finite(passes_.gradients()); }
    bool parameters_finite() { return all_finite(passes_.parameters()); }

    void keep() {
        if (!rollback_) return;
        Context& context = passes_.context();
        copy_on_device(context, kept_parameters_.data(), passes_.parameters(), count * sizeof(float));
        for (std::size_t i = 0; i < moments_.size(); ++i)
            copy_on_device(context, kept_moments_[i].data(), moments_[i].data(), moments_[i].bytes());
        copy_on_device(context, kept_step_.data(), step_.data(), sizeof(StepState));
    }
    void restore() {
        if (!rollback_) return;
        Context& context = passes_.context();
        copy_on_device(context, passes_.parameters(), kept_parameters_.data(), count * sizeof(float));
        for (std::size_t i = 0; i < moments_.size(); ++i)
            copy_on_device(context, moments_[i].data(), kept_moments_[i].data(), moments_[i].bytes());
        copy_on_device(context, step_.data(), kept_step_.data(), sizeof(StepState));
    }

    void update() {
        if constexpr (has_device_update<O>) {  // else refused above; this keeps that the only message
            Context& context = passes_.context();
            begin_update(context, step_.data(), Update::settings(optimizer_));
            Update::update(context, passes_.parameters(), passes_.gradients(), moments_, count, optimizer_,
                           step_.data());
        }
    }
    void update_buffers() noexcept {}

    /// The mean loss over samples [first, first + n) of data: read in place from a resident copy, or, with a
    /// corruption, gathered and corrupted on the host from the validation stream as the CPU does.
    template <class E>
    double evaluate(const Dataset<E>& data, std::size_t first, std::size_t n, const Corruption& corruption,
                    std::uint64_t seed) {
        Context& context = passes_.context();
        fill_zero(context, sum_.data(), sizeof(double));
        Rng noise{seed ^ validation_stream};
        const float* values = corruption ? nullptr : resident(data, &data == training_source_ ? training_data_
                                                                                              : validation_data_);
        for (std::size_t done = 0; done < n; done += capacity()) {
            const std::size_t m = std::min(capacity(), n - done);
            if (corruption) {
                std::iota(indices_.begin(), indices_.begin() + std::ptrdiff_t(m), first + done);
                upload_batch(data, std::span<const std::size_t>(indices_.data(), m), corruption, noise);
                passes_.loss(loss_of(m), passes_.input(), passes_.target(), int(m), false, sum_.data(), nullptr);
            } else {
                const float* x = values + (first + done) * rows;
                passes_.loss(loss_of(m), x, x, int(m), false, sum_.data(), nullptr);
            }
        }
        double value = 0;
        download(context, &value, sum_.data(), sizeof value);
        return value * double(loss_of(n).scale);
    }

private:
    struct Resident {
        const void* source = nullptr;
        DeviceArray<float> values;
    };

    static std::size_t checked(std::size_t capacity) {
        if (capacity > std::size_t(INT32_MAX))
            throw argument_error("latent::Trainer::fit: the cuda backend expects batches of at most 2^31 - 1 samples, "
                                 "found batch_size " + std::to_string(capacity));
        return capacity;
    }

    // The loss as the kernels take it, for a batch of n samples.
    DeviceLoss loss_of(std::size_t n) const { return device_loss<L, typename M::output_activation>(loss_, rows, n); }

    void* field(std::size_t offset) { return reinterpret_cast<char*>(step_.data()) + offset; }

    bool all_finite(const float* values) {
        Context& context = passes_.context();
        std::uint32_t flag = 0;
        fill_zero(context, flag_.data(), sizeof flag);
        flag_nonfinite(context, values, count, flag_.data());
        download(context, &flag, flag_.data(), sizeof flag);
        return flag == 0;
    }

    // The device copy of `data`, made on first use; the training set's is kept for validation on the same set.
    template <class E>
    const float* resident(const Dataset<E>& data, Resident& slot) {
        if (slot.source != &data) {
            slot.values = resident_copy(passes_.context(), data);
            slot.source = &data;
        }
        if (&slot == &training_data_) training_source_ = &data;
        return slot.values.data();
    }

    // Gathers the samples `which` on the host, corrupts the inputs, and uploads inputs and clean targets.
    template <class E>
    void upload_batch(const Dataset<E>& data, std::span<const std::size_t> which, const Corruption& corruption,
                      Rng& noise) {
        const auto m = Eigen::Index(which.size());
        MatrixView<float> x(input_.data(), input_.rows(), m);
        data.gather(which, x);
        MatrixView<float> target(clean_.data(), clean_.rows(), m);
        target = x;
        corruption(x, noise);
        Context& context = passes_.context();
        upload(context, passes_.input(), x.data(), rows * std::size_t(m) * sizeof(float));
        upload(context, passes_.target(), target.data(), rows * std::size_t(m) * sizeof(float));
    }

    M& model_;
    O& optimizer_;
    const L& loss_;
    DevicePasses<Network, DeviceBackend> passes_;
    DeviceArray<std::uint32_t> order_device_;
    DeviceArray<StepState> step_;
    DeviceArray<double> sum_;
    DeviceArray<std::uint32_t> flag_;
    std::vector<DeviceArray<float>> moments_;  // at least 2 (SGD without momentum has none)
    DeviceArray<float> kept_parameters_;
    std::vector<DeviceArray<float>> kept_moments_;
    DeviceArray<StepState> kept_step_;
    Resident training_data_, validation_data_;
    const void* training_source_ = nullptr;
    OptimizerState<float> saved_;
    Matrix<float> input_, clean_;
    std::vector<std::size_t> indices_;
    std::vector<std::uint32_t> order_host_;
    std::span<const std::size_t> order_;
    GraphHandle graph_;
    bool warmed_up_ = false;
    bool rollback_;
    Rng sampling_{0};
};

}  // namespace latent::detail::cuda
