#pragma once
// Flatten and Reshape on the CPU: the values are copied unchanged (each layer owns its output buffer).

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu/policy.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/reshape.hpp"

#include <cstddef>

namespace latent {

namespace detail {
/// y = x; dL/dx = dL/dy.
template <class S>
struct CopyKernel {
    /// Nothing: a copy keeps no state.
    struct State {
        explicit State(std::size_t) {}
    };
    static void forward(const S*, ConstMatrixView<S> x, MatrixView<S> y, MatrixView<S>*, State&, PassContext&) {
        y = x;
    }
    static void backward(const S*, ConstMatrixView<S>, ConstMatrixView<S>, MatrixView<S> dy, bool, S*,
                         MatrixView<S>* dx, State&) {
        if (dx) *dx = dy;
    }
};
}  // namespace detail

/// Flatten: a copy.
template <class S, class In>
struct Kernel<backend::basic_cpu<S>, Bound<Flatten, In>> : detail::CopyKernel<S> {};

/// Reshape: a copy.
template <class S, std::size_t... Extents, class In>
struct Kernel<backend::basic_cpu<S>, Bound<Reshape<Extents...>, In>> : detail::CopyKernel<S> {};

}  // namespace latent
