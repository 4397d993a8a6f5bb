#pragma once
// A Sequential's passes on the GPU over device buffers sized once for up to `capacity` samples: parameters,
// gradients, every layer's output and delta, the output layer's logits, and an input and a target block (the
// input block as wide as the first layer a pass starts from: the code for decode()).

#include "latent/backends/backend.hpp"
#include "latent/backends/cuda/dense.hpp"
#include "latent/backends/cuda/policy.hpp"
#include "latent/backends/cuda/runtime.hpp"
#include "latent/core/matrix.hpp"
#include "latent/models/network.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>

namespace latent::detail::cuda {

/// A device allocation of `size` values of T, freed with its owner.
template <class T>
class DeviceArray {
public:
    DeviceArray() = default;
    explicit DeviceArray(std::size_t size) : size_{size}, data_{static_cast<T*>(allocate(size * sizeof(T)))} {}

    T* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    std::size_t bytes() const noexcept { return size_ * sizeof(T); }

private:
    struct Free {
        void operator()(T* p) const noexcept { release(p); }
    };
    std::size_t size_ = 0;
    std::unique_ptr<T, Free> data_;
};

struct ContextDeleter {
    void operator()(Context* context) const noexcept { destroy_context(context); }
};
struct GraphDeleter {
    void operator()(Graph* graph) const noexcept { destroy_graph(graph); }
};
/// An owned stream and cuBLAS handle.
using ContextHandle = std::unique_ptr<Context, ContextDeleter>;
/// An owned, instantiated graph.
using GraphHandle = std::unique_ptr<Graph, GraphDeleter>;

/// The passes of Spec on the GPU, each layer's arithmetic from Kernel<DeviceBackend, layer>.
template <class Spec, class DeviceBackend>
class DeviceNetwork {
    static_assert(built_with_cuda || always_false<Spec>,
                  "latent::backend::cuda: link the latent::cuda CMake component, which defines LATENT_WITH_CUDA and "
                  "compiles the CUDA kernels (see the README, GPU backend)");

public:
    /// input_rows: the values per sample of input(), those of the first layer of the passes that read it (the
    /// code size for the decoder's). throws: device_error where there is no usable GPU or an allocation fails.
    explicit DeviceNetwork(std::size_t capacity, std::size_t input_rows = Spec::input_size)
        : context_{create_context()},
          capacity_{capacity},
          input_rows_{input_rows},
          parameters_(Spec::parameter_count),
          gradients_(Spec::parameter_count),
          outputs_(capacity * Spec::activation_size),
          deltas_(capacity * Spec::activation_size),
          logits_(capacity * Spec::output_size),
          input_(capacity * input_rows),
          target_(capacity * Spec::output_size) {
        reserve_loss_partials(*context_, capacity * Spec::output_size);
    }

    Context& context() noexcept { return *context_; }
    std::size_t capacity() const noexcept { return capacity_; }
    /// The values per sample that input() holds, capacity() samples of them.
    std::size_t input_rows() const noexcept { return input_rows_; }
    float* parameters() noexcept { return parameters_.data(); }
    float* gradients() noexcept { return gradients_.data(); }
    float* input() noexcept { return input_.data(); }
    float* target() noexcept { return target_.data(); }
    float* output(std::size_t layer) noexcept { return outputs_.data() + capacity_ * Spec::activation_offsets[layer]; }

    /// Layers [First, Last) over the n samples at x (on the device), without gradients; the result is output(Last - 1).
    template <std::size_t First, std::size_t Last>
    void forward(const float* x, int n) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (Kernel<DeviceBackend, typename Spec::template layer<First + I>>::forward(
                 context(), parameters() + Spec::parameter_offsets[First + I], input_of<First + I, First>(x),
                 output(First + I), nullptr, n),
             ...);
        }(std::make_index_sequence<Last - First>{});
    }

    /// The loss of the reconstructions of x against t (n samples each, on the device), summed into *sum (and
    /// state->batch_loss when state is given); with_gradients also writes every parameter's gradient.
    void loss(DeviceLoss loss, const float* x, const float* t, int n, bool with_gradients, double* sum,
              StepState* state) {
        constexpr std::size_t top = Spec::depth - 1;
        forward<0, top>(x, n);
        Kernel<DeviceBackend, typename Spec::template layer<top>>::forward_with_loss(
            context(), parameters() + Spec::parameter_offsets[top], input_of<top, 0>(x), output(top), logits_.data(), t,
            with_gradients ? delta(top) : nullptr, n, loss, sum, state);
        if (!with_gradients) return;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (backward_layer<top - I>(x, n), ...);
        }(std::make_index_sequence<Spec::depth>{});
    }

private:
    float* delta(std::size_t layer) noexcept { return deltas_.data() + capacity_ * Spec::activation_offsets[layer]; }

    template <std::size_t I, std::size_t First>
    const float* input_of(const float* x) noexcept {
        if constexpr (I == First)
            return x;
        else
            return output(I - 1);
    }

    // The output layer's delta is the loss' gradient with respect to its logits.
    template <std::size_t I>
    void backward_layer(const float* x, int n) {
        Kernel<DeviceBackend, typename Spec::template layer<I>>::backward(
            context(), parameters() + Spec::parameter_offsets[I], input_of<I, 0>(x), output(I), delta(I),
            I + 1 == Spec::depth, gradients() + Spec::parameter_offsets[I], I > 0 ? delta(I - 1) : nullptr, n);
    }

    ContextHandle context_;
    std::size_t capacity_, input_rows_;
    DeviceArray<float> parameters_, gradients_, outputs_, deltas_, logits_, input_, target_;
};

/// The per-call workspace of a model on the GPU (loss_and_gradients, loss_value): a DeviceNetwork and the
/// PassContext the trainer's interface expects.
template <class Spec, class DeviceBackend>
class DeviceWorkspace {
public:
    explicit DeviceWorkspace(std::size_t capacity) : network_(capacity) {}
    std::size_t capacity() const noexcept { return network_.capacity(); }
    PassContext& context() noexcept { return context_; }
    DeviceNetwork<Spec, DeviceBackend>& network() noexcept { return network_; }

private:
    DeviceNetwork<Spec, DeviceBackend> network_;
    PassContext context_;
};

/// Records what enqueue() queues on the context's stream as a graph, and instantiates it. An exception from
/// enqueue() ends the capture and discards the partial graph on its way out, so that the stream runs (and the
/// buffers' destructors free) again.
template <class Enqueue>
GraphHandle capture(Context& context, Enqueue&& enqueue) {
    class Guard {
    public:
        explicit Guard(Context& context) : context_{context} {}
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        ~Guard() {
            if (active_) abort_capture(context_);
        }
        void release() noexcept { active_ = false; }

    private:
        Context& context_;
        bool active_ = true;
    };
    begin_capture(context);
    Guard guard(context);
    enqueue();
    guard.release();
    return GraphHandle(end_capture(context));
}

/// Layers [First, Last) over the columns of x on the GPU, in chunks: one upload and one download per chunk.
template <class Spec, class DeviceBackend, std::size_t First, std::size_t Last, class Derived>
Matrix<float> infer(const float* parameters, const Eigen::MatrixBase<Derived>& x, const char* where) {
    using L0 = typename Spec::template layer<First>;
    using LN = typename Spec::template layer<Last - 1>;
    constexpr std::size_t in = L0::input_shape::size, out = LN::output_shape::size, chunk = 4096;
    check_sample_size(where, in, std::size_t(x.rows()));
    const std::size_t n = std::size_t(x.cols());
    Matrix<float> result(static_cast<Eigen::Index>(out), static_cast<Eigen::Index>(n));
    if (n == 0) return result;
    DeviceNetwork<Spec, DeviceBackend> network(std::min(chunk, n), in);  // in: the code size for decode()
    upload(network.context(), network.parameters(), parameters, Spec::parameter_count * sizeof(float));
    Matrix<float> input(static_cast<Eigen::Index>(in), static_cast<Eigen::Index>(network.capacity()));
    for (std::size_t first = 0; first < n; first += chunk) {
        const std::size_t m = std::min(chunk, n - first);
        input.leftCols(Eigen::Index(m)) = x.middleCols(Eigen::Index(first), Eigen::Index(m)).template cast<float>();
        upload(network.context(), network.input(), input.data(), in * m * sizeof(float));
        network.template forward<First, Last>(network.input(), int(m));
        download(network.context(), result.data() + first * out, network.output(Last - 1), out * m * sizeof(float));
    }
    return result;
}

}  // namespace latent::detail::cuda

namespace latent::detail {

/// Layers [First, Last) of Spec over the columns of x on backend B: on the GPU when B uses one in this run.
/// requires: `buffers` holds Spec::buffer_count values (no GPU kernel has buffers).
template <class Spec, class B, std::size_t First, std::size_t Last, class Derived>
Matrix<typename B::scalar> infer_on(const typename B::scalar* parameters, const typename B::scalar* buffers,
                                    const Eigen::MatrixBase<Derived>& x, const char* where) {
    if constexpr (is_cuda_backend<B>) {
        return cuda::infer<Spec, B, First, Last>(parameters, x, where);
    } else {
        if constexpr (gpu_capable<B>)
            if (uses_gpu<B>()) return cuda::infer<Spec, device_backend_t<B>, First, Last>(parameters, x, where);
        return infer<Spec, B, First, Last>(parameters, buffers, x, where);
    }
}

}  // namespace latent::detail
