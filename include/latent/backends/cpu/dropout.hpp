#pragma once
// Dropout on the CPU: the scaled mask of the last training pass is kept for the backward pass.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/dropout.hpp"

#include <cstddef>
#include <cstdint>

namespace latent {

/// Forward: x times a mask of 0 and 1 / (1 - rate) in training passes, x otherwise. Backward: dy times
/// the same mask (or dy, after a pass that dropped nothing).
template <class S, std::uint64_t Numerator, std::uint64_t Denominator, class In>
struct Kernel<backend::basic_cpu<S>, Bound<Dropout<Numerator, Denominator>, In>> {
    static constexpr double rate = Dropout<Numerator, Denominator>::rate;

    /// The mask of the last pass, for up to `capacity` samples, and whether that pass dropped values.
    struct State {
        explicit State(std::size_t capacity) : mask(capacity * In::size) {}
        detail::AlignedBuffer<S> mask;
        bool dropped = false;
    };

    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State& state,
                        PassContext& context) {
        state.dropped = context.mode == PassMode::training && Numerator > 0;
        if (!state.dropped) {
            y = x;
            return;
        }
        MatrixView<S> mask(state.mask.data(), x.rows(), x.cols());
        const S kept = S(1 / (1 - rate));
        for (S& m : mask.reshaped()) m = context.rng.uniform() < rate ? S(0) : kept;
        y.array() = x.array() * mask.array();
    }

    static void backward(const S*, ConstMatrixView<S> x, ConstMatrixView<S>, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State& state) {
        if (!dx) return;
        if (state.dropped)
            dx->array() = dy.array() * MatrixView<S>(state.mask.data(), x.rows(), x.cols()).array();
        else
            *dx = dy;
    }
};

}  // namespace latent
