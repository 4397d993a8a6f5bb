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

namespace detail {

/// The products of a Dense layer on the CPU, sized for `capacity` samples.
template <class S>
struct DenseProducts {
    DenseProducts(std::size_t in, std::size_t out, std::size_t capacity)
        : forward(Eigen::Index(out), Eigen::Index(capacity), Eigen::Index(in)),
          weight_gradient(Eigen::Index(out), Eigen::Index(in), Eigen::Index(capacity)),
          input_gradient(Eigen::Index(in), Eigen::Index(capacity), Eigen::Index(out)) {}
    Gemm<S, false, false> forward;         // W x
    Gemm<S, false, true> weight_gradient;  // dz x^T
    Gemm<S, true, false> input_gradient;   // W^T dz
};

// The arithmetic of Dense, templated on the scalar and the activation only: the sizes are arguments, so
// every layer with the same activation shares one compiled copy (this keeps compile times down).

// Element-wise passes below this many values per thread run on one thread.
inline std::size_t dense_columns_per_thread(Eigen::Index out) { return std::max<std::size_t>(1, 8192 / std::size_t(out)); }

template <class S, class Act>
void dense_forward(Eigen::Index in, Eigen::Index out, const S* parameters, ConstMatrixView<S> x, MatrixView<S> y,
                   MatrixView<S>* logits, DenseProducts<S>& products) {
    const auto n = x.cols();
    const Eigen::Map<const Vector<S>> b(parameters + out * in, out);
    MatrixView<S>& z = logits ? *logits : y;
    products.forward(out, n, in, parameters, out, x.data(), in, z.data(), out, false);
    parallel_ranges(std::size_t(n), 8, dense_columns_per_thread(out), [&](std::size_t first, std::size_t end) {
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

template <class S, class Act>
void dense_backward(Eigen::Index in, Eigen::Index out, const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y,
                    MatrixView<S> dy, bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx,
                    DenseProducts<S>& products, bool accumulate_weights) {
    const auto n = x.cols();
    if constexpr (!std::is_same_v<Act, Identity>)
        if (!dy_is_logit_gradient)
            parallel_ranges(std::size_t(n), 8, dense_columns_per_thread(out), [&](std::size_t first, std::size_t end) {
                const auto j = Eigen::Index(first), m = Eigen::Index(end - first);
                dy.middleCols(j, m).array() *= Act::derivative(y.middleCols(j, m).array());
            });
    products.weight_gradient(out, in, n, dy.data(), out, x.data(), in, gradients, out, accumulate_weights);
    // The bias gradient sums each row over the batch, column after column, in every part alike.
    parallel_ranges(std::size_t(out), 16, 64, [&](std::size_t first, std::size_t end) {
        const auto i = Eigen::Index(first), m = Eigen::Index(end - first);
        Eigen::Map<Vector<S>> db(gradients + out * in + i, m);
        db.setZero();
        for (Eigen::Index j = 0; j < n; ++j) db += dy.col(j).segment(i, m);
    });
    if (dx) products.input_gradient(in, n, out, parameters, out, dy.data(), out, dx->data(), in, false);
}

}  // namespace detail

/// Forward: y = act(W x + b). Backward receives dL/dy (or dL/dz when the loss was fused with the
/// activation), writes dL/dW and dL/db, and dL/dx when asked.
template <class S, std::size_t In, std::size_t Out, class Act, class Init>
struct Kernel<backend::basic_cpu<S>, Dense<In, Out, Act, Init>> {
    /// The blocks of the three products, sized for `capacity` samples.
    struct State : detail::DenseProducts<S> {
        explicit State(std::size_t capacity) : detail::DenseProducts<S>(In, Out, capacity) {}
    };

    /// requires: x is In x n, y is Out x n, n <= the state's capacity; `logits`, when given, is
    /// Out x n and receives W x + b.
    static void forward(const S* parameters, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>* logits,
                        State& state, PassContext&) {
        detail::dense_forward<S, Act>(In, Out, parameters, x, y, logits, state);
    }

    /// requires: dy is Out x n and is overwritten with dL/dz; gradients points at this layer's
    /// parameter_count gradient slots, which are overwritten (the weight gradient is added instead when
    /// `accumulate_weights`: a tied layer wrote its share there); dx, when given, is In x n.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx, State& state,
                         bool accumulate_weights = false) {
        detail::dense_backward<S, Act>(In, Out, parameters, x, y, dy, dy_is_logit_gradient, gradients, dx, state,
                                       accumulate_weights);
    }
};

}  // namespace latent
