#pragma once
// Finite-difference gradient checks, public so that users can check layers they write themselves
// (as dlib's test_layer). Run in double precision: central differences with a step of
// 1e-6 * max(1, |value|) agree with a correct analytic gradient to about 1e-9 relative error.

#include "latent/backends/cpu.hpp"
#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/layers/layer.hpp"
#include "latent/losses/loss.hpp"
#include "latent/backends/passes.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace latent {

/// Settings of the finite-difference gradient checks: seed, batch, step and tolerance.
struct GradientCheckOptions {
    std::uint64_t seed = 0;
    std::size_t batch = 3;
    double step = 1e-6;       ///< relative to max(1, |value|)
    double tolerance = 1e-6;  ///< on the relative error below
};

/// Relative errors ||analytic - numeric|| / max(||analytic|| + ||numeric||, 1e-12), per gradient.
struct GradientCheckResult {
    double parameter_error = 0;
    double input_error = 0;
    double tolerance = 0;
    bool passed() const noexcept { return parameter_error <= tolerance && input_error <= tolerance; }
};

namespace detail {

inline double relative_error(std::span<const double> analytic, std::span<const double> numeric) {
    double difference = 0, a = 0, b = 0;
    for (std::size_t i = 0; i < analytic.size(); ++i) {
        difference += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
        a += analytic[i] * analytic[i];
        b += numeric[i] * numeric[i];
    }
    return std::sqrt(difference) / std::max(std::sqrt(a) + std::sqrt(b), 1e-12);
}

/// Central differences of f with respect to each element of `values`, which are restored.
inline std::vector<double> numeric_gradient(std::span<double> values, double step, const std::function<double()>& f) {
    std::vector<double> gradient(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double saved = values[i];
        const double h = step * std::max(1.0, std::abs(saved));
        values[i] = saved + h;
        const double up = f();
        values[i] = saved - h;
        const double down = f();
        values[i] = saved;
        gradient[i] = (up - down) / (2 * h);
    }
    return gradient;
}

/// A batch of 0 would compare two empty gradients and pass whatever the code does; a step of 0 divides by 0.
inline void check_gradient_options(const char* function, const GradientCheckOptions& options) {
    if (options.batch == 0)
        throw argument_error(std::string("latent::") + function + ": expected batch >= 1, found 0");
    if (!(is_finite(options.step) && options.step > 0))
        throw argument_error(std::string("latent::") + function + ": expected a step that is finite and > 0, found " +
                             std::to_string(options.step));
    if (!(is_finite(options.tolerance) && options.tolerance >= 0))
        throw argument_error(std::string("latent::") + function + ": expected a tolerance that is finite and >= 0, found " +
                             std::to_string(options.tolerance));
}

}  // namespace detail

/// Checks Kernel<basic_cpu<double>, L>::backward against finite differences of forward (training passes), for
/// the parameters and the input, with random parameters, inputs and loss weights R (loss = sum(R .* y)).
template <Layer L>
GradientCheckResult check_layer_gradients(const GradientCheckOptions& options = {}) {
    detail::check_gradient_options("check_layer_gradients", options);
    using B = backend::basic_cpu<double>;
    using K = Kernel<B, L>;
    constexpr std::size_t in = L::input_shape::size, out = L::output_shape::size;
    const auto n = Eigen::Index(options.batch);
    Rng rng{options.seed};

    std::vector<double> parameters(L::parameter_count);
    L::initialize(std::span<double>(parameters), rng);
    for (double& p : parameters) p += 0.1 * rng.normal();  // no zero biases: every path is exercised
    Matrix<double> x(Eigen::Index(in), n), weights(Eigen::Index(out), n), y(Eigen::Index(out), n);
    for (double& v : x.reshaped()) v = rng.normal();
    for (double& v : weights.reshaped()) v = rng.normal();

    typename K::State state(options.batch);
    PassContext context{PassMode::training, Rng{options.seed}};
    std::vector<double> buffers(buffer_count_of<L>);  // read in inference passes only: never changed here
    auto loss = [&] {
        context.rng.reseed(options.seed);  // stochastic layers draw the same noise in every evaluation
        MatrixView<double> yv(y.data(), y.rows(), y.cols());
        const ConstMatrixView<double> xv(x.data(), x.rows(), n);
        if constexpr (buffer_count_of<L> > 0)
            K::forward(parameters.data(), buffers.data(), xv, yv, nullptr, state, context);
        else
            K::forward(parameters.data(), xv, yv, nullptr, state, context);
        return (weights.array() * y.array()).sum();
    };
    loss();
    Matrix<double> dy = weights, dx(Eigen::Index(in), n);
    // Start from infinity so that a gradient the kernel never writes cannot pass.
    std::vector<double> gradients(L::parameter_count, INFINITY);
    dx.setConstant(INFINITY);
    MatrixView<double> dyv(dy.data(), dy.rows(), n), dxv(dx.data(), dx.rows(), n);
    K::backward(parameters.data(), ConstMatrixView<double>(x.data(), x.rows(), n),
                ConstMatrixView<double>(y.data(), y.rows(), n), dyv, false, gradients.data(), &dxv, state);

    const auto numeric_parameters = detail::numeric_gradient(parameters, options.step, loss);
    const auto numeric_input = detail::numeric_gradient(std::span<double>(x.data(), std::size_t(x.size())), options.step, loss);
    return {detail::relative_error(gradients, numeric_parameters),
            detail::relative_error(std::span<const double>(dx.data(), std::size_t(dx.size())), numeric_input),
            options.tolerance};
}

/// Checks a loss's gradient (with respect to the output, or to the logits when the loss uses them
/// after OutputActivation) against finite differences of its value. Targets are uniform in [0, 1].
template <Loss Fn, Activation OutputActivation>
GradientCheckResult check_loss_gradients(const Fn& loss = {}, const GradientCheckOptions& options = {}) {
    detail::check_gradient_options("check_loss_gradients", options);
    constexpr bool logits = Fn::template uses_logits<OutputActivation>;
    constexpr Eigen::Index rows = 5;
    const auto n = Eigen::Index(options.batch);
    Rng rng{options.seed};
    Matrix<double> z(rows, n), y(rows, n), t(rows, n), g(rows, n);
    for (double& v : z.reshaped()) v = 2 * rng.normal();
    for (double& v : t.reshaped()) v = rng.uniform();
    auto view = [n](Matrix<double>& m) { return ConstMatrixView<double>(m.data(), m.rows(), n); };
    auto activate = [&] { y = z.unaryExpr([](double v) { return OutputActivation::value(v); }); };
    activate();

    auto value = [&] {
        if (logits) activate();
        return double(loss.template value<OutputActivation>(view(y), view(t), view(z)));
    };
    g.setConstant(INFINITY);
    loss.template value_and_gradient<OutputActivation>(view(y), view(t), view(z), MatrixView<double>(g.data(), rows, n));
    auto& varied = logits ? z : y;
    const auto numeric = detail::numeric_gradient(std::span<double>(varied.data(), std::size_t(varied.size())), options.step, value);
    return {0, detail::relative_error(std::span<const double>(g.data(), std::size_t(g.size())), numeric), options.tolerance};
}

/// Checks a whole model's loss_and_gradients (forward, loss, backward through every layer) against
/// finite differences of the same training-mode loss (BatchNorm with batch statistics), for a double-precision
/// model M on random inputs in [0, 1]. The model's buffers are left as they were.
template <class M, Loss Fn>
GradientCheckResult check_model_gradients(M& model, const Fn& loss = {}, const GradientCheckOptions& options = {}) {
    detail::check_gradient_options("check_model_gradients", options);
    static_assert(std::is_same_v<typename M::scalar, double>, "latent::check_model_gradients needs a double-precision model");
    const auto n = Eigen::Index(options.batch);
    Rng rng{options.seed};
    Matrix<double> x(Eigen::Index(M::input_size), n);
    for (double& v : x.reshaped()) v = rng.uniform();
    const ConstMatrixView<double> xv(x.data(), x.rows(), n);
    typename M::workspace ws(options.batch);
    std::vector<double> gradients(M::parameter_count, INFINITY);
    // Stochastic layers (a VAE's sampling) draw the same noise in every evaluation.
    ws.context().rng.reseed(options.seed);
    model.loss_and_gradients(loss, xv, xv, ws, std::span<double>(gradients));
    std::vector<double> scratch(M::parameter_count);
    const auto numeric = detail::numeric_gradient(model.parameters(), options.step, [&] {
        ws.context().rng.reseed(options.seed);
        return double(model.loss_and_gradients(loss, xv, xv, ws, std::span<double>(scratch)));
    });
    return {detail::relative_error(gradients, numeric), 0, options.tolerance};
}

}  // namespace latent
