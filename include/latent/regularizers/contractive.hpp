#pragma once

#include "latent/backends/cpu/dense.hpp"
#include "latent/layers/dense.hpp"
#include "latent/backends/passes.hpp"
#include "latent/regularizers/regularizer.hpp"

#include <cstddef>
#include <string>
#include <type_traits>

namespace latent {

namespace detail {
template <class L>
inline constexpr bool is_dense_v = false;
template <std::size_t In, std::size_t Out, class Act, class Init>
inline constexpr bool is_dense_v<Dense<In, Out, Act, Init>> = true;
}  // namespace detail

/// The contractive autoencoder's penalty (Rifai et al., 2011): weight * mean over samples of the squared
/// Frobenius norm of the encoder's Jacobian dh/dx, computed analytically for a one-layer Dense encoder
/// h = act(W x + b): ||J||^2 = sum_j act'(z_j)^2 sum_i W_ji^2. Its gradient, which needs act'', is
/// analytic too; no finite differences in training.
struct Contractive {
    using parameter_regularizer_tag = void;
    double weight = 0.1;

    static std::string name() { return "Contractive"; }
    void validate() const { detail::check_weight("Contractive", weight); }

    /// requires: a forward pass of x through the network in ws; the backward pass done (layer 0's
    /// delta buffer is reused as scratch). Adds to the gradients when given; returns the penalty.
    template <class Encoder, class Network, class B, class S>
    S apply(const S* parameters, ConstMatrixView<S> x, Workspace<Network, B>& ws, std::size_t n, S* gradients) const {
        using L = typename Network::template layer<0>;
        static_assert(Encoder::depth == 1 && detail::is_dense_v<L>,
                      "latent::Contractive: the analytic Jacobian penalty needs a one-layer Dense encoder "
                      "(as in Rifai et al. 2011)");
        static_assert(std::is_same_v<B, backend::basic_cpu<S>>, "latent::Contractive: implemented for the CPU backend");
        using Act = typename L::activation;
        constexpr auto out = Eigen::Index(L::outputs), in = Eigen::Index(L::inputs);
        const Eigen::Map<const Matrix<S>> W(parameters, out, in);
        const auto h = as_const(ws.output(0, n)).array();
        const S scale = S(weight) / S(n);

        S penalty = 0;
        for (Eigen::Index j = 0; j < out; ++j)
            penalty += W.row(j).squaredNorm() * Act::derivative(h.row(j)).square().sum();
        if (!gradients) return scale * penalty;

        // d/dz_j of the penalty, per sample: 2 act'(z_j) act''(z_j) sum_i W_ji^2; through z = W x + b it
        // reaches W (times x^T) and b. W also appears directly: 2 W_ji sum_samples act'(z_j)^2.
        MatrixView<S> dz = ws.delta(0, n);
        dz.array() = S(2) * scale * Act::derivative(h) * Act::second_derivative(h);
        MatrixView<S> dW(gradients, out, in);
        for (Eigen::Index j = 0; j < out; ++j) {
            dz.row(j) *= W.row(j).squaredNorm();
            dW.row(j) += (S(2) * scale * Act::derivative(h.row(j)).square().sum()) * W.row(j);
        }
        ws.template state<0>().weight_gradient(out, in, Eigen::Index(n), dz.data(), out, x.data(), in, gradients, out, true);
        Eigen::Map<Vector<S>>(gradients + out * in, out) += dz.rowwise().sum();
        return scale * penalty;
    }
};

}  // namespace latent
