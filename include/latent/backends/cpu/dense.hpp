#pragma once
// Dense on the CPU: one matrix product per pass over the whole batch (samples are columns), with the
// bias and activation applied in the same sweep over the output.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"
#include "latent/layers/dense.hpp"

#include <algorithm>
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
        detail::parallel_ranges(std::size_t(n), 8, columns_per_thread, [&](std::size_t first, std::size_t end) {
            const auto j = Eigen::Index(first), m = Eigen::Index(end - first);
            if (logits) {
                logits->middleCols(j, m).colwise() += b;
                y.middleCols(j, m).array() = Act::apply(logits->middleCols(j, m).array());
            } else if constexpr (std::is_same_v<Act, Identity>) {
                y.middleCols(j, m).colwise() += b;
            } else {
                y.middleCols(j, m).array() = Act::apply((y.middleCols(j, m).colwise() + b).array());
            }
        });
    }

    /// requires: dy is Out x n and is overwritten with dL/dz; gradients points at this layer's
    /// parameter_count gradient slots, which are overwritten (the weight gradient is added instead when
    /// `accumulate_weights`: a tied layer wrote its share there); dx, when given, is In x n.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx, State& state,
                         bool accumulate_weights = false) {
        const auto n = x.cols();
        if constexpr (!std::is_same_v<Act, Identity>)
            if (!dy_is_logit_gradient)
                detail::parallel_ranges(std::size_t(n), 8, columns_per_thread, [&](std::size_t first, std::size_t end) {
                    const auto j = Eigen::Index(first), m = Eigen::Index(end - first);
                    dy.middleCols(j, m).array() *= Act::derivative(y.middleCols(j, m).array());
                });
        state.weight_gradient(Out, In, n, dy.data(), Out, x.data(), In, gradients, Out, accumulate_weights);
        // The bias gradient sums each row over the batch, column after column, in every part alike.
        detail::parallel_ranges(Out, 16, rows_per_thread, [&](std::size_t first, std::size_t end) {
            const auto i = Eigen::Index(first), m = Eigen::Index(end - first);
            Eigen::Map<Vector<S>> db(gradients + Out * In + i, m);
            db.setZero();
            for (Eigen::Index j = 0; j < n; ++j) db += dy.col(j).segment(i, m);
        });
        if (dx) state.input_gradient(In, n, Out, parameters, Out, dy.data(), Out, dx->data(), In, false);
    }

private:
    // Element-wise passes below this many values per thread run on one thread.
    static constexpr std::size_t columns_per_thread = std::max<std::size_t>(1, 8192 / Out);
    static constexpr std::size_t rows_per_thread = 64;
};

}  // namespace latent
