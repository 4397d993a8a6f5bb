#pragma once
// The CPU backend: Eigen, one matrix product per layer over the whole batch (samples are columns).

#include "latent/backends/backend.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/dense.hpp"

#include <string>
#include <type_traits>

namespace latent {
namespace backend {

/// Computes on the CPU in `Scalar` (float by default; double for gradient checks).
template <class Scalar>
struct basic_cpu {
    static_assert(std::is_floating_point_v<Scalar>, "latent::backend::basic_cpu: the scalar must be float or double");
    using scalar = Scalar;
    static std::string name() { return std::is_same_v<Scalar, float> ? "cpu" : "cpu<double>"; }
};

using cpu = basic_cpu<float>;

}  // namespace backend

/// Dense on the CPU. Forward: y = act(W x + b). Backward receives dL/dy (or dL/dz when the loss was
/// fused with the activation), writes dL/dW and dL/db, and dL/dx when asked.
template <class S, std::size_t In, std::size_t Out, class Act, class Init>
struct Kernel<backend::basic_cpu<S>, Dense<In, Out, Act, Init>> {
    using Bias = Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, 1>>;

    /// requires: x is In x n, y is Out x n; `logits`, when given, is Out x n and receives W x + b.
    static void forward(const S* parameters, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>* logits) {
        const Eigen::Map<const Matrix<S>> W(parameters, Out, In);
        const Bias b(parameters + Out * In, Out);
        if (logits) {
            logits->noalias() = W * x;
            logits->colwise() += b;
            y.array() = Act::apply(logits->array());
        } else {
            y.noalias() = W * x;
            if constexpr (std::is_same_v<Act, Identity>)
                y.colwise() += b;
            else
                y.array() = Act::apply((y.colwise() + b).array());
        }
    }

    /// requires: dy is Out x n and is overwritten with dL/dz; gradients points at this layer's
    /// parameter_count gradient slots, which are overwritten; dx, when given, is In x n.
    static void backward(const S* parameters, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, MatrixView<S>* dx) {
        if constexpr (!std::is_same_v<Act, Identity>)
            if (!dy_is_logit_gradient) dy.array() *= Act::derivative(y.array());
        MatrixView<S> dW(gradients, Out, In);
        Eigen::Map<Vector<S>> db(gradients + Out * In, Out);
        dW.noalias() = dy * x.transpose();
        db.noalias() = dy.rowwise().sum();
        if (dx) {
            const Eigen::Map<const Matrix<S>> W(parameters, Out, In);
            dx->noalias() = W.transpose() * dy;
        }
    }
};

}  // namespace latent
