#pragma once
// Dense on the CPU: one matrix product per pass over the whole batch (samples are columns), with the
// bias and activation applied in the same sweep over the output.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/dense.hpp"

#include <cstddef>
#include <type_traits>

namespace latent {

/// Forward: y = act(W x + b). Backward receives dL/dy (or dL/dz when the loss was fused with the
/// activation), writes dL/dW and dL/db, and dL/dx when asked.
template <class S, std::size_t In, std::size_t Out, class Act, class Init>
struct Kernel<backend::basic_cpu<S>, Dense<In, Out, Act, Init>> {
    /// The blocks of the three products, sized for `capacity` samples.
    struct State {
        explicit State(std::size_t capacity)
            : forward(Out, Eigen::Index(capacity), In),
              weight_gradient(Out, In, Eigen::Index(capacity)),
              input_gradient(In, Eigen::Index(capacity), Out) {}
        detail::Gemm<S, false, false> forward;         // W x
        detail::Gemm<S, false, true> weight_gradient;  // dz x^T
        detail::Gemm<S, true, false> input_gradient;   // W^T dz
    };

    /// requires: x is In x n, y is Out x n, n <= the state's capacity; `logits`, when given, is
    /// Out x n and receives W x + b.
    static void forward(const S* parameters, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>* logits,
                        State& state, PassContext&) {
        const auto n = x.cols();
        const Eigen::Map<const Vector<S>> b(parameters + Out * In, Out);
        MatrixView<S>& z = logits ? *logits : y;
        state.forward(Out, n, In, parameters, Out, x.data(), In, z.data(), Out, false);
        if (logits) {
            logits->colwise() += b;
            y.array() = Act::apply(logits->array());
        } else if constexpr (std::is_same_v<Act, Identity>) {
            y.colwise() += b;
        } else {
            y.array() = Act::apply((y.colwise() + b).array());
        }
    }

    /// requires: dy is Out x n and is overwritten with dL/dz; gradients points at this layer's
    /// parameter_count gradient slots, which are overwritten (the weight gradient is added instead when
    /// `accumulate_weights`: a tied layer wrote its share there); dx, when given, is In x n.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx, State& state,
                         bool accumulate_weights = false) {
        const auto n = x.cols();
        if constexpr (!std::is_same_v<Act, Identity>)
            if (!dy_is_logit_gradient) dy.array() *= Act::derivative(y.array());
        state.weight_gradient(Out, In, n, dy.data(), Out, x.data(), In, gradients, Out, accumulate_weights);
        Eigen::Map<Vector<S>>(gradients + Out * In, Out).noalias() = dy.rowwise().sum();
        if (dx) state.input_gradient(In, n, Out, parameters, Out, dy.data(), Out, dx->data(), In, false);
    }
};

}  // namespace latent
