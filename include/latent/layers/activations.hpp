#pragma once
// Element-wise activations. Each gives its value for a pre-activation z and its first and second
// derivatives written in terms of its *output* y, so a layer keeps only its output for the backward
// pass (the second derivative serves the contractive penalty). Each has a scalar
// form (reference, gradient checks, other backends) and an Eigen array form that vectorises.

#include <Eigen/Core>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace latent {

/// An element-wise function with its derivative expressed through its output.
template <class A>
concept Activation = requires {
    { A::name() } -> std::convertible_to<std::string>;
    { A::value(0.0) } -> std::same_as<double>;
    { A::derivative_from_output(0.0) } -> std::same_as<double>;
};

/// f(x) = x: no activation.
struct Identity {
    static std::string name() { return "Identity"; }
    template <class S> static S value(S z) { return z; }
    template <class S> static S derivative_from_output(S) { return S(1); }
    template <class Z> static auto apply(const Z& z) { return z; }
    template <class Y> static auto derivative(const Y& y) { return Y::Constant(y.rows(), y.cols(), 1); }
    template <class S> static S second_derivative_from_output(S) { return S(0); }
    template <class Y> static auto second_derivative(const Y& y) { return Y::Constant(y.rows(), y.cols(), 0); }
};

/// f(x) = max(x, 0).
struct ReLU {
    static std::string name() { return "ReLU"; }
    template <class S> static S value(S z) { return z > S(0) ? z : S(0); }
    template <class S> static S derivative_from_output(S y) { return y > S(0) ? S(1) : S(0); }
    template <class Z> static auto apply(const Z& z) { return z.max(typename Z::Scalar(0)); }
    template <class Y> static auto derivative(const Y& y) {
        using S = typename Y::Scalar;
        return (y > S(0)).template cast<S>();
    }
    template <class S> static S second_derivative_from_output(S) { return S(0); }
    template <class Y> static auto second_derivative(const Y& y) { return Y::Constant(y.rows(), y.cols(), 0); }
};

/// max(z, slope * z) with slope = SlopeNumerator / SlopeDenominator (0.01 by default, as PyTorch).
/// A ratio because clang 14 has no floating-point template parameters.
template <std::int64_t SlopeNumerator = 1, std::int64_t SlopeDenominator = 100>
struct BasicLeakyReLU {
    static_assert(SlopeNumerator > 0 && SlopeDenominator > 0,
                  "latent::LeakyReLU: the slope must be positive, so that the output's sign is the input's");
    static constexpr double slope = double(SlopeNumerator) / double(SlopeDenominator);
    static std::string name() {
        return slope == 0.01 ? "LeakyReLU" : "LeakyReLU(" + std::to_string(SlopeNumerator) + "/" +
                                                 std::to_string(SlopeDenominator) + ")";
    }
    template <class S> static S value(S z) { return z > S(0) ? z : S(slope) * z; }
    template <class S> static S derivative_from_output(S y) { return y > S(0) ? S(1) : S(slope); }
    template <class Z> static auto apply(const Z& z) {
        using S = typename Z::Scalar;
        return (z > S(0)).select(z, S(slope) * z);
    }
    template <class Y> static auto derivative(const Y& y) {
        using S = typename Y::Scalar;
        return (y > S(0)).select(Y::Constant(y.rows(), y.cols(), S(1)), S(slope));
    }
    template <class S> static S second_derivative_from_output(S) { return S(0); }
    template <class Y> static auto second_derivative(const Y& y) { return Y::Constant(y.rows(), y.cols(), 0); }
};
using LeakyReLU = BasicLeakyReLU<>;

/// z for z > 0, else alpha (e^z - 1), alpha = 1 as in PyTorch.
struct ELU {
    static std::string name() { return "ELU"; }
    template <class S> static S value(S z) { return z > S(0) ? z : std::expm1(z); }
    template <class S> static S derivative_from_output(S y) { return y > S(0) ? S(1) : y + S(1); }
    template <class Z> static auto apply(const Z& z) {
        using S = typename Z::Scalar;
        return (z > S(0)).select(z, z.min(S(0)).expm1());
    }
    template <class Y> static auto derivative(const Y& y) {
        using S = typename Y::Scalar;
        return (y > S(0)).select(Y::Constant(y.rows(), y.cols(), S(1)), y + S(1));
    }
    // At z = 0 the first derivative takes the e^z branch and the second the linear one, as PyTorch's.
    template <class S> static S second_derivative_from_output(S y) { return y >= S(0) ? S(0) : y + S(1); }
    template <class Y> static auto second_derivative(const Y& y) {
        using S = typename Y::Scalar;
        return (y >= S(0)).select(Y::Constant(y.rows(), y.cols(), S(0)), y + S(1));
    }
};

/// f(x) = 1 / (1 + exp(-x)): outputs in (0, 1), such as pixel intensities.
struct Sigmoid {
    static std::string name() { return "Sigmoid"; }
    template <class S> static S value(S z) {
        // Two branches so that exp never overflows.
        return z >= S(0) ? S(1) / (S(1) + std::exp(-z)) : std::exp(z) / (S(1) + std::exp(z));
    }
    template <class S> static S derivative_from_output(S y) { return y * (S(1) - y); }
    template <class Z> static auto apply(const Z& z) { return z.logistic(); }
    template <class Y> static auto derivative(const Y& y) {
        using S = typename Y::Scalar;
        return y * (S(1) - y);
    }
    template <class S> static S second_derivative_from_output(S y) { return y * (S(1) - y) * (S(1) - S(2) * y); }
    template <class Y> static auto second_derivative(const Y& y) {
        using S = typename Y::Scalar;
        return y * (S(1) - y) * (S(1) - S(2) * y);
    }
};

/// f(x) = tanh(x): outputs in (-1, 1).
struct Tanh {
    static std::string name() { return "Tanh"; }
    template <class S> static S value(S z) { return std::tanh(z); }
    template <class S> static S derivative_from_output(S y) { return S(1) - y * y; }
    template <class Z> static auto apply(const Z& z) { return z.tanh(); }
    template <class Y> static auto derivative(const Y& y) {
        using S = typename Y::Scalar;
        return S(1) - y.square();
    }
    template <class S> static S second_derivative_from_output(S y) { return S(-2) * y * (S(1) - y * y); }
    template <class Y> static auto second_derivative(const Y& y) {
        using S = typename Y::Scalar;
        return S(-2) * y * (S(1) - y.square());
    }
};

/// log(1 + e^z), computed as max(z, 0) + log1p(e^-|z|) so that it never overflows.
/// Its derivative, the logistic function, equals 1 - e^-y.
struct Softplus {
    static std::string name() { return "Softplus"; }
    template <class S> static S value(S z) { return (z > S(0) ? z : S(0)) + std::log1p(std::exp(-std::abs(z))); }
    template <class S> static S derivative_from_output(S y) { return -std::expm1(-y); }
    template <class Z> static auto apply(const Z& z) {
        using S = typename Z::Scalar;
        return z.max(S(0)) + (-z.abs()).exp().log1p();
    }
    template <class Y> static auto derivative(const Y& y) { return -((-y).expm1()); }
    template <class S> static S second_derivative_from_output(S y) { return -std::expm1(-y) * std::exp(-y); }
    template <class Y> static auto second_derivative(const Y& y) { return -((-y).expm1()) * (-y).exp(); }
};

}  // namespace latent
