#pragma once
// Dense on the GPU: cuBLAS for the three products, one fused kernel for the bias and the activation (and,
// on the output layer of a training step, the loss and its gradient), over device pointers.

#include "latent/backends/backend.hpp"
#include "latent/backends/cuda/policy.hpp"
#include "latent/backends/cuda/runtime.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/dense.hpp"
#include "latent/losses/bce.hpp"
#include "latent/losses/l1.hpp"
#include "latent/losses/mse.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace latent::detail::cuda {

/// The device kernels' code for activation A; an activation without one does not compile.
template <class A>
struct activation_code {
    static_assert(always_false<A>, "latent::backend::cuda: this activation has no implementation on the cuda backend");
};
template <> struct activation_code<Identity> { static constexpr DeviceActivation value{ActivationCode::identity, 0}; };
template <> struct activation_code<ReLU> { static constexpr DeviceActivation value{ActivationCode::relu, 0}; };
template <std::int64_t N, std::int64_t D>
struct activation_code<BasicLeakyReLU<N, D>> {
    static constexpr DeviceActivation value{ActivationCode::leaky_relu, float(BasicLeakyReLU<N, D>::slope)};
};
template <> struct activation_code<ELU> { static constexpr DeviceActivation value{ActivationCode::elu, 0}; };
template <> struct activation_code<Sigmoid> { static constexpr DeviceActivation value{ActivationCode::sigmoid, 0}; };
template <> struct activation_code<Tanh> { static constexpr DeviceActivation value{ActivationCode::tanh, 0}; };
template <> struct activation_code<Softplus> { static constexpr DeviceActivation value{ActivationCode::softplus, 0}; };

/// The device kernels' form of loss L after output activation A, for a batch of `rows` x `cols`.
template <class L, class A>
DeviceLoss device_loss(const L& loss, std::size_t rows, std::size_t cols) {
    const float scale = loss.reduction == Reduction::mean ? 1.0f / float(rows * cols) : 1.0f / float(cols);
    if constexpr (std::is_same_v<L, MSE>)
        return {LossCode::mse, false, scale};
    else if constexpr (std::is_same_v<L, L1>)
        return {LossCode::l1, false, scale};
    else if constexpr (std::is_same_v<L, BCE>)
        return {LossCode::bce, BCE::uses_logits<A>, scale};
    else
        static_assert(always_false<L>, "latent::backend::cuda: this loss has no implementation on the cuda backend");
}

}  // namespace latent::detail::cuda

namespace latent {

/// Dense on the GPU. Matrices are column-major with one sample per column, as on the CPU, so the
/// products are the same three GEMMs: W x forward, dz x^T and W^T dz backward.
template <bool C, std::size_t In, std::size_t Out, class Act, class Init>
struct Kernel<backend::basic_cuda<C>, Dense<In, Out, Act, Init>> {
    static constexpr detail::cuda::DeviceActivation act = detail::cuda::activation_code<Act>::value;

    /// requires: x is In x n and y is Out x n on the device; `logits`, when given, is Out x n and
    /// receives W x + b.
    static void forward(detail::cuda::Context& context, const float* parameters, const float* x, float* y,
                        float* logits, int n) {
        float* z = logits ? logits : y;
        detail::cuda::gemm(context, false, false, int(Out), n, int(In), parameters, int(Out), x, int(In), z, int(Out),
                           false);
        detail::cuda::bias_activation(context, act, parameters + Out * In, z, y, int(Out), n);
    }

    /// The output layer of a loss: forward, then the loss summed into *sum (and state->batch_loss) and,
    /// when dz is given, dL/d(W x + b) written there. requires: logits is Out x n.
    static void forward_with_loss(detail::cuda::Context& context, const float* parameters, const float* x, float* y,
                                  float* logits, const float* target, float* dz, int n, detail::cuda::DeviceLoss loss,
                                  double* sum, detail::cuda::StepState* state) {
        detail::cuda::gemm(context, false, false, int(Out), n, int(In), parameters, int(Out), x, int(In), logits,
                           int(Out), false);
        detail::cuda::output_loss(context, act, loss, parameters + Out * In, logits, y, target, dz, int(Out), n, sum,
                                  state);
    }

    /// requires: dy is Out x n and holds dL/dy (overwritten with dL/dz), or dL/dz when dy_is_logit_gradient;
    /// writes this layer's parameter_count gradients and, when dx is given, dL/dx (In x n).
    static void backward(detail::cuda::Context& context, const float* parameters, const float* x, const float* y,
                         float* dy, bool dy_is_logit_gradient, float* gradients, float* dx, int n) {
        if constexpr (!std::is_same_v<Act, Identity>)
            if (!dy_is_logit_gradient) detail::cuda::activation_backward(context, act, y, dy, Out * std::size_t(n));
        detail::cuda::gemm(context, false, true, int(Out), int(In), n, dy, int(Out), x, int(In), gradients, int(Out),
                           false);
        detail::cuda::row_sums(context, dy, gradients + Out * In, int(Out), n);
        if (dx)
            detail::cuda::gemm(context, true, false, int(In), n, int(Out), parameters, int(Out), dy, int(Out), dx,
                               int(In), false);
    }
};

}  // namespace latent
