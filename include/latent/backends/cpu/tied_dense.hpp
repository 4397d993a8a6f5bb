#pragma once
// TiedDense on the CPU: the products of Dense with the twin's weight matrix read transposed; its
// weight gradient is written into the twin's gradient slots, which the twin then adds to.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/gemm.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/tied_dense.hpp"

#include <cstddef>
#include <type_traits>

namespace latent {

template <class S, class Twin, std::size_t TwinIndex, class Act>
struct Kernel<backend::basic_cpu<S>, TiedDense<Twin, TwinIndex, Act>> {
    static constexpr auto in = Eigen::Index(Twin::outputs), out = Eigen::Index(Twin::inputs);

    struct State {
        explicit State(std::size_t capacity)
            : forward(out, Eigen::Index(capacity), in),
              weight_gradient(in, out, Eigen::Index(capacity)),
              input_gradient(in, Eigen::Index(capacity), out) {}
        detail::Gemm<S, true, false> forward;          // W^T x
        detail::Gemm<S, false, true> weight_gradient;  // x dz^T: the gradient of W (not of W^T)
        detail::Gemm<S, false, false> input_gradient;  // W dz
    };

    /// `parameters` are this layer's biases; `twin_weights` the twin's (Twin::outputs x Twin::inputs).
    static void forward(const S* parameters, const S* twin_weights, ConstMatrixView<S> x, MatrixView<S> y,
                        MatrixView<S>* logits, State& state, PassContext&) {
        const Eigen::Map<const Vector<S>> b(parameters, out);
        MatrixView<S>& z = logits ? *logits : y;
        state.forward(out, x.cols(), in, twin_weights, in, x.data(), in, z.data(), out, false);
        z.colwise() += b;
        if (logits || !std::is_same_v<Act, Identity>) y.array() = Act::apply(z.array());
    }

    /// Writes (overwrites) the twin's weight gradient slots; the twin, later in the backward pass,
    /// adds its own share.
    static void backward(const S* twin_weights, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy,
                         bool dy_is_logit_gradient, S* gradients, S* twin_weight_gradients, MatrixView<S>* dx,
                         State& state) {
        const auto n = x.cols();
        if constexpr (!std::is_same_v<Act, Identity>)
            if (!dy_is_logit_gradient) dy.array() *= Act::derivative(y.array());
        state.weight_gradient(in, out, n, x.data(), in, dy.data(), out, twin_weight_gradients, in, false);
        Eigen::Map<Vector<S>>(gradients, out).noalias() = dy.rowwise().sum();
        if (dx) state.input_gradient(in, n, out, twin_weights, in, dy.data(), out, dx->data(), in, false);
    }
};

}  // namespace latent
