#pragma once

#include "latent/core/matrix.hpp"
#include "latent/layers/dense.hpp"
#include "latent/regularizers/regularizer.hpp"

#include <cstddef>
#include <string>

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

    /// The penalty for the n samples whose encoder outputs are h, and its gradient: dz receives the penalty's
    /// gradient with respect to the encoder layer's pre-activations z (Out x n), and the direct term in W is added
    /// to weight_gradients (the layer's Out x In weight gradient slots). The model carries dz through the layer's
    /// kernel to W and b, as for any other gradient with respect to z (so this header names no backend).
    /// requires: parameters point at the encoder layer's W (Out x In, column-major) and b; h is Out x n; dz and
    /// weight_gradients both given or both null.
    template <class Encoder, class S>
    S apply(const S* parameters, ConstMatrixView<S> h, MatrixView<S>* dz, S* weight_gradients) const {
        using L = typename Encoder::template layer<0>;
        static_assert(Encoder::depth == 1 && detail::is_dense_v<L>,
                      "latent::Contractive: the analytic Jacobian penalty needs a one-layer Dense encoder "
                      "(as in Rifai et al. 2011)");
        using Act = typename L::activation;
        constexpr auto out = Eigen::Index(L::outputs), in = Eigen::Index(L::inputs);
        const Eigen::Map<const Matrix<S>> W(parameters, out, in);
        const auto a = h.array();
        const S scale = S(weight) / S(h.cols());

        S penalty = 0;
        for (Eigen::Index j = 0; j < out; ++j)
            penalty += W.row(j).squaredNorm() * Act::derivative(a.row(j)).square().sum();
        if (!dz) return scale * penalty;

        // d/dz_j of the penalty, per sample: 2 act'(z_j) act''(z_j) sum_i W_ji^2; through z = W x + b it
        // reaches W (times x^T) and b. W also appears directly: 2 W_ji sum_samples act'(z_j)^2.
        dz->array() = S(2) * scale * Act::derivative(a) * Act::second_derivative(a);
        MatrixView<S> dW(weight_gradients, out, in);
        for (Eigen::Index j = 0; j < out; ++j) {
            dz->row(j) *= W.row(j).squaredNorm();
            dW.row(j) += (S(2) * scale * Act::derivative(a.row(j)).square().sum()) * W.row(j);
        }
        return scale * penalty;
    }
};

}  // namespace latent
