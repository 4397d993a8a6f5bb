#pragma once
// A Sequential's passes on the GPU over device buffers sized once for up to `capacity` samples: parameters,
// gradients, every layer's output and delta, the output layer's logits, and an input and a target block (the
// input block as wide as the first layer a pass starts from: the code for decode()).

#include "latent/backends/backend.hpp"
#include "latent/backends/cuda/dense.hpp"
#include "latent/backends/cuda/runtime.hpp"
#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
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

/// The kernel protocol of a GPU backend, which DevicePasses calls, over device pointers and a Context (stream and
/// cuBLAS handle): forward(context, parameters, x, y, logits, n); forward_with_loss(..., target, dz, n, loss, sum,
/// state), the output layer fused with the loss and its gradient; backward(context, parameters, x, y, dy,
/// dy_is_logit_gradient, gradients, dx, n). No state of its own: what a kernel needs lives in the passes' buffers.
template <class B, class L>
concept DeviceKernel = requires(Context& context, const float* p, const float* x, float* y, float* g, bool flag,
                                int n, DeviceLoss loss, double* sum, StepState* state) {
    Kernel<B, L>::forward(context, p, x, y, y, n);
    Kernel<B, L>::forward_with_loss(context, p, x, y, y, x, y, n, loss, sum, state);
    Kernel<B, L>::backward(context, p, x, x, y, flag, g, y, n);
};

/// A layer with no kernel on the GPU fails with Kernel's own message alone; one whose kernel breaks the protocol
/// fails with this.
template <class B, class L>
constexpr bool device_kernel_follows_protocol() {
    static_assert(requires { typename Kernel<B, L>::unimplemented; } || DeviceKernel<B, L>,
                  "latent: this layer's kernel does not follow the GPU kernel protocol "
                  "(DeviceKernel<Backend, Layer> in backends/cuda/passes.hpp)");
    return true;
}

/// The passes of Net on the GPU, each layer's arithmetic from Kernel<DeviceBackend, layer>.
template <class Net, class DeviceBackend>
class DevicePasses {
    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return (device_kernel_follows_protocol<DeviceBackend, typename Net::template layer<I>>() && ...);
    }(std::make_index_sequence<Net::depth>{}));
    static_assert(built_with_cuda || always_false<Net>,
                  "latent::backend::cuda: link the latent::cuda CMake component, which defines LATENT_WITH_CUDA and "
                  "compiles the CUDA kernels (see the README, GPU backend)");

public:
    /// input_rows: the values per sample of input(), those of the first layer of the passes that read it (the
    /// code size for the decoder's). throws: device_error where there is no usable GPU or an allocation fails.
    explicit DevicePasses(std::size_t capacity, std::size_t input_rows = Net::input_size)
        : context_{create_context()},
          capacity_{capacity},
          input_rows_{input_rows},
          parameters_(Net::parameter_count),
          gradients_(Net::parameter_count),
          outputs_(capacity * Net::activation_size),
          deltas_(capacity * Net::activation_size),
          logits_(capacity * Net::output_size),
          input_(capacity * input_rows),
          target_(capacity * Net::output_size) {
        reserve_loss_partials(*context_, capacity * Net::output_size);
    }

    Context& context() noexcept { return *context_; }
    std::size_t capacity() const noexcept { return capacity_; }
    /// The values per sample that input() holds, capacity() samples of them.
    std::size_t input_rows() const noexcept { return input_rows_; }
    float* parameters() noexcept { return parameters_.data(); }
    float* gradients() noexcept { return gradients_.data(); }
    float* input() noexcept { return input_.data(); }
    float* target() noexcept { return target_.data(); }
    float* output(std::size_t layer) noexcept { return outputs_.data() + capacity_ * Net::activation_offsets[layer]; }

    /// Layers [First, Last) over the n samples at x (on the device), without gradients; the result is output(Last - 1).
    template <std::size_t First, std::size_t Last>
    void forward(const float* x, int n) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (Kernel<DeviceBackend, typename Net::template layer<First + I>>::forward(
                 context(), parameters() + Net::parameter_offsets[First + I], input_of<First + I, First>(x),
                 output(First + I), nullptr, n),
             ...);
        }(std::make_index_sequence<Last - First>{});
    }

    /// The loss of the reconstructions of x against t (n samples each, on the device), summed into *sum (and
    /// state->batch_loss when state is given); with_gradients also writes every parameter's gradient.
    void loss(DeviceLoss loss, const float* x, const float* t, int n, bool with_gradients, double* sum,
              StepState* state) {
        constexpr std::size_t top = Net::depth - 1;
        forward<0, top>(x, n);
        Kernel<DeviceBackend, typename Net::template layer<top>>::forward_with_loss(
            context(), parameters() + Net::parameter_offsets[top], input_of<top, 0>(x), output(top), logits_.data(), t,
            with_gradients ? delta(top) : nullptr, n, loss, sum, state);
        if (!with_gradients) return;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (backward_layer<top - I>(x, n), ...);
        }(std::make_index_sequence<Net::depth>{});
    }

private:
    float* delta(std::size_t layer) noexcept { return deltas_.data() + capacity_ * Net::activation_offsets[layer]; }

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
        Kernel<DeviceBackend, typename Net::template layer<I>>::backward(
            context(), parameters() + Net::parameter_offsets[I], input_of<I, 0>(x), output(I), delta(I),
            I + 1 == Net::depth, gradients() + Net::parameter_offsets[I], I > 0 ? delta(I - 1) : nullptr, n);
    }

    ContextHandle context_;
    std::size_t capacity_, input_rows_;
    DeviceArray<float> parameters_, gradients_, outputs_, deltas_, logits_, input_, target_;
};

/// The per-call workspace of a model on the GPU (loss_and_gradients, loss_value): a DevicePasses and the
/// PassContext the trainer's interface expects.
template <class Net, class DeviceBackend>
class DeviceWorkspace {
public:
    explicit DeviceWorkspace(std::size_t capacity) : passes_(capacity) {}
    std::size_t capacity() const noexcept { return passes_.capacity(); }
    PassContext& context() noexcept { return context_; }
    DevicePasses<Net, DeviceBackend>& passes() noexcept { return passes_; }

    /// The loss of loss L after the output activation Out of the reconstructions of input against target, and
    /// its gradients when given: one upload of the parameters, input and target, the passes on the device, one
    /// download of the gradients and the loss. The per-call form; training keeps everything on the device.
    template <class Out, class L>
    float loss(const L& loss, const float* parameters, ConstMatrixView<float> input, ConstMatrixView<float> target,
               float* gradients) {
        const std::size_t n = std::size_t(input.cols());
        if (n > capacity() || target.cols() != input.cols() || std::size_t(target.rows()) != Net::output_size)
            throw shape_error("latent::Autoencoder::loss_and_gradients: expected input and target of " +
                              std::to_string(Net::input_size) + " x n with n <= " + std::to_string(capacity()) +
                              " (the workspace's capacity), found " + std::to_string(input.rows()) + " x " +
                              std::to_string(input.cols()) + " and " + std::to_string(target.rows()) + " x " +
                              std::to_string(target.cols()));
        Context& context = passes_.context();
        upload(context, passes_.parameters(), parameters, Net::parameter_count * sizeof(float));
        upload(context, passes_.input(), input.data(), Net::input_size * n * sizeof(float));
        upload(context, passes_.target(), target.data(), Net::output_size * n * sizeof(float));
        if (!sum_.data()) sum_ = DeviceArray<double>(1);
        fill_zero(context, sum_.data(), sizeof(double));
        const DeviceLoss device = device_loss<L, Out>(loss, Net::output_size, n);
        passes_.loss(device, passes_.input(), passes_.target(), int(n), gradients != nullptr, sum_.data(), nullptr);
        if (gradients) download(context, gradients, passes_.gradients(), Net::parameter_count * sizeof(float));
        double value = 0;
        download(context, &value, sum_.data(), sizeof value);
        return float(value * double(device.scale));
    }

private:
    DevicePasses<Net, DeviceBackend> passes_;
    DeviceArray<double> sum_;
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
template <class Net, class DeviceBackend, std::size_t First, std::size_t Last, class Derived>
Matrix<float> infer(const float* parameters, const Eigen::MatrixBase<Derived>& x, const char* where) {
    using L0 = typename Net::template layer<First>;
    using LN = typename Net::template layer<Last - 1>;
    constexpr std::size_t in = L0::input_shape::size, out = LN::output_shape::size, chunk = 4096;
    check_sample_size(where, in, std::size_t(x.rows()));
    const std::size_t n = std::size_t(x.cols());
    Matrix<float> result(static_cast<Eigen::Index>(out), static_cast<Eigen::Index>(n));
    if (n == 0) return result;
    DevicePasses<Net, DeviceBackend> passes(std::min(chunk, n), in);  // in: the code size for decode()
    upload(passes.context(), passes.parameters(), parameters, Net::parameter_count * sizeof(float));
    Matrix<float> input(static_cast<Eigen::Index>(in), static_cast<Eigen::Index>(passes.capacity()));
    for (std::size_t first = 0; first < n; first += chunk) {
        const std::size_t m = std::min(chunk, n - first);
        input.leftCols(Eigen::Index(m)) = x.middleCols(Eigen::Index(first), Eigen::Index(m)).template cast<float>();
        upload(passes.context(), passes.input(), input.data(), in * m * sizeof(float));
        passes.template forward<First, Last>(passes.input(), int(m));
        download(passes.context(), result.data() + first * out, passes.output(Last - 1), out * m * sizeof(float));
    }
    return result;
}

}  // namespace latent::detail::cuda
