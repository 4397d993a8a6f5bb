#pragma once
// GaussianSample on the CPU: the noise of the last forward pass is kept for the backward pass.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/gaussian_sample.hpp"

#include <cstddef>

namespace latent {

template <class S, std::size_t Latent>
struct Kernel<backend::basic_cpu<S>, GaussianSample<Latent>> {
    struct State {
        explicit State(std::size_t capacity) : noise(Latent * capacity) {}
        detail::AlignedBuffer<S> noise;  // eps of the last forward pass, Latent x n
    };

    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State& state,
                        PassContext& context) {
        const auto mean = x.topRows(Latent);
        if (context.mode == PassMode::inference) {
            y = mean;
            return;
        }
        MatrixView<S> noise(state.noise.data(), Latent, x.cols());
        for (S& e : noise.reshaped()) e = S(context.rng.normal());
        y.array() = mean.array() + noise.array() * (S(0.5) * x.bottomRows(Latent).array()).exp();
    }

    /// dL/dmean = dL/dz; dL/dlogvar = dL/dz * eps * exp(logvar / 2) / 2, which is dL/dz * (z - mean) / 2.
    static void backward(const S*, ConstMatrixView<S> x, ConstMatrixView<S> y, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State&) {
        if (!dx) return;
        dx->topRows(Latent) = dy;
        dx->bottomRows(Latent).array() = dy.array() * (y.array() - x.topRows(Latent).array()) * S(0.5);
    }
};

}  // namespace latent
