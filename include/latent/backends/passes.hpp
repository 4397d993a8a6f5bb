#pragma once
// The forward and backward passes of a layer list (a Sequential) on a host backend, over a workspace that holds every
// layer's output and gradient for up to `capacity` samples. Sized once, reused by every step.

#include "latent/backends/backend.hpp"
#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/layers/layer.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace latent {

namespace detail {
template <class L>
inline constexpr bool is_tied_layer = requires { L::twin_index; };
}  // namespace detail

/// The kernel protocol of a host backend, which Passes below calls. Kernel<B, L> has a State made once from the
/// largest batch (its product blocks, masks, indices), and static functions over column-major views:
/// - forward(parameters, x, y, logits, state, context) writes y (and the pre-activation into *logits when
///   given); a layer with buffers (BatchNorm) takes them after its parameters, a tied layer its twin's weights;
///   stochastic layers draw from context.rng.
/// - backward(parameters, x, y, dy, dy_is_logit_gradient, gradients, dx, state) turns dy (dL/dy, or dL/dz) into
///   its parameter gradients (overwritten) and, when dx is given, dL/dx; a tied layer also writes its twin's
///   gradients, after its own.
/// - update_buffers(buffers, state), for a layer with buffers: what its last training pass measured.
template <class B, class L>
concept HostKernel = requires {
    typename Kernel<B, L>::State;
    requires std::constructible_from<typename Kernel<B, L>::State, std::size_t>;
} && requires(const typename B::scalar* p, const typename B::scalar* q, typename B::scalar* g,
              typename B::scalar* h, ConstMatrixView<typename B::scalar> x, MatrixView<typename B::scalar> y,
              MatrixView<typename B::scalar>* out, bool flag, typename Kernel<B, L>::State& state,
              PassContext& context) {
    requires(detail::is_tied_layer<L> || buffer_count_of<L> > 0) ||
        requires { Kernel<B, L>::forward(p, x, y, out, state, context); };
    requires(!(detail::is_tied_layer<L> || buffer_count_of<L> > 0)) ||
        requires { Kernel<B, L>::forward(p, q, x, y, out, state, context); };
    requires(detail::is_tied_layer<L>) || requires { Kernel<B, L>::backward(p, x, as_const(y), y, flag, g, out, state); };
    requires(!detail::is_tied_layer<L>) ||
        requires { Kernel<B, L>::backward(p, x, as_const(y), y, flag, g, h, out, state); };
    requires(buffer_count_of<L> == 0) || requires { Kernel<B, L>::update_buffers(g, state); };
};

namespace detail {
/// A layer with no kernel on B at all fails with Kernel's own message alone; one whose kernel breaks the protocol
/// fails with this.
template <class B, class L>
constexpr bool kernel_follows_protocol() {
    static_assert(requires { typename Kernel<B, L>::unimplemented; } || HostKernel<B, L>,
                  "latent: this layer's kernel does not follow the host kernel protocol "
                  "(HostKernel<Backend, Layer> in backends/passes.hpp)");
    return true;
}

template <class Net, class Backend, class Indices>
struct KernelStates;
template <class Net, class Backend, std::size_t... I>
struct KernelStates<Net, Backend, std::index_sequence<I...>> {
    using type = std::tuple<typename Kernel<Backend, typename Net::template layer<I>>::State...>;
};
}  // namespace detail

/// The memory of one pass of `Net` on `Backend` over up to `capacity` samples: each layer's output and
/// the gradient with respect to it, the last layer's pre-activation for losses that use logits, and
/// each layer kernel's own State (the CPU's product blocks, for instance).
template <class Net, class Backend>
class Workspace {
    using Scalar = typename Backend::scalar;
    using States = typename detail::KernelStates<Net, Backend, std::make_index_sequence<Net::depth>>::type;

public:
    explicit Workspace(std::size_t capacity)
        : capacity_{capacity},
          outputs_(capacity * Net::activation_size),
          deltas_(capacity * Net::activation_size),
          logits_(capacity * Net::output_size),
          states_{make_states(capacity, std::make_index_sequence<Net::depth>{})} {}

    std::size_t capacity() const noexcept { return capacity_; }

    MatrixView<Scalar> output(std::size_t layer, std::size_t n) noexcept {
        return {outputs_.data() + capacity_ * Net::activation_offsets[layer], Eigen::Index(Net::output_sizes[layer]),
                Eigen::Index(n)};
    }
    MatrixView<Scalar> delta(std::size_t layer, std::size_t n) noexcept {
        return {deltas_.data() + capacity_ * Net::activation_offsets[layer], Eigen::Index(Net::output_sizes[layer]),
                Eigen::Index(n)};
    }
    MatrixView<Scalar> logits(std::size_t n) noexcept {
        return {logits_.data(), Eigen::Index(Net::output_size), Eigen::Index(n)};
    }
    template <std::size_t Layer>
    auto& state() noexcept {
        return std::get<Layer>(states_);
    }
    /// The mode of the next pass and the generator its stochastic layers draw from.
    PassContext& context() noexcept { return context_; }

private:
    template <std::size_t... I>
    static States make_states(std::size_t capacity, std::index_sequence<I...>) {
        return States{(void(I), capacity)...};
    }

    std::size_t capacity_;
    detail::AlignedBuffer<Scalar> outputs_;
    detail::AlignedBuffer<Scalar> deltas_;
    detail::AlignedBuffer<Scalar> logits_;
    States states_;
    PassContext context_;
};

namespace detail {

/// The index of the layer whose weights L shares, or -1 for a layer with its own.
template <class L>
constexpr std::size_t twin_index_of() {
    if constexpr (requires { L::twin_index; })
        return L::twin_index;
    else
        return std::size_t(-1);
}

struct NoHook {
    template <class Layer>
    void operator()(Layer) const noexcept {}
};

/// Passes over the layers [First, Last) of Net, each layer's arithmetic from Kernel<Backend, layer>.
template <class Net, class Backend>
struct Passes {
    using S = typename Backend::scalar;
    using Work = Workspace<Net, Backend>;

    /// requires: x is (input of layer First) x n, n <= ws.capacity(); `buffers` holds Net::buffer_count
    /// values (may be null when that is 0). Outputs land in ws.output(i, n); with keep_logits the last layer's
    /// pre-activation also lands in ws.logits(n).
    template <std::size_t First, std::size_t Last>
    static void forward(const S* parameters, const S* buffers, ConstMatrixView<S> x, Work& ws, std::size_t n,
                        bool keep_logits) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (forward_layer<First + I, First>(parameters, buffers, x, ws, n, keep_logits), ...);
        }(std::make_index_sequence<Last - First>{});
    }

    /// Folds what the last training pass in ws measured (BatchNorm's batch statistics) into `buffers`, layer
    /// by layer; nothing for layers without buffers, or when no training pass ran since the last call.
    static void update_buffers(S* buffers, Work& ws) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (update_layer_buffers<I>(buffers, ws), ...);
        }(std::make_index_sequence<Net::depth>{});
    }

    /// requires: forward<First, Last> ran on the same x and ws; ws.delta(Last - 1, n) holds dL/d(output
    /// of layer Last - 1), or dL/d(logits) when top_is_logit_gradient. Writes every layer's parameter
    /// gradients (overwriting them) and, when dx is given, dL/dx.
    /// `before_layer(std::integral_constant<std::size_t, I>{})` runs just before layer I's backward, when
    /// ws.delta(I, n) holds dL/d(output of I): where activity regularizers add their gradients.
    template <std::size_t First, std::size_t Last, class Hook = NoHook>
    static void backward(const S* parameters, ConstMatrixView<S> x, Work& ws, std::size_t n,
                         bool top_is_logit_gradient, S* gradients, MatrixView<S>* dx, Hook&& before_layer = {}) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((before_layer(std::integral_constant<std::size_t, Last - 1 - I>{}),
              backward_layer<Last - 1 - I, First, Last>(parameters, x, ws, n, top_is_logit_gradient, gradients, dx)),
             ...);
        }(std::make_index_sequence<Last - First>{});
    }

private:
    template <class L>
    static constexpr bool is_tied = requires { L::twin_index; };

    /// Whether a tied layer after layer I shares its weights: then layer I adds its weight gradient
    /// to the one the tied layer wrote earlier in the backward pass.
    template <std::size_t I>
    static constexpr bool shares_weights = []<std::size_t... J>(std::index_sequence<J...>) {
        return ((twin_index_of<typename Net::template layer<J>>() == I) || ...);
    }(std::make_index_sequence<Net::depth>{});

    template <std::size_t I>
    static void update_layer_buffers(S* buffers, Work& ws) {
        using L = typename Net::template layer<I>;
        if constexpr (buffer_count_of<L> > 0)
            Kernel<Backend, L>::update_buffers(buffers + Net::buffer_offsets[I], ws.template state<I>());
    }

    template <std::size_t I, std::size_t First>
    static void forward_layer(const S* parameters, const S* buffers, ConstMatrixView<S> x, Work& ws, std::size_t n,
                              bool keep_logits) {
        using L = typename Net::template layer<I>;
        static_assert(kernel_follows_protocol<Backend, L>());
        const ConstMatrixView<S> in = input_of<I, First>(x, ws, n);
        MatrixView<S> out = ws.output(I, n);
        MatrixView<S> logits = ws.logits(n);
        MatrixView<S>* keep = keep_logits && I + 1 == Net::depth ? &logits : nullptr;
        if constexpr (is_tied<L>)
            Kernel<Backend, L>::forward(parameters + Net::parameter_offsets[I],
                                        parameters + Net::parameter_offsets[L::twin_index], in, out, keep,
                                        ws.template state<I>(), ws.context());
        else if constexpr (buffer_count_of<L> > 0)
            Kernel<Backend, L>::forward(parameters + Net::parameter_offsets[I], buffers + Net::buffer_offsets[I], in,
                                        out, keep, ws.template state<I>(), ws.context());
        else
            Kernel<Backend, L>::forward(parameters + Net::parameter_offsets[I], in, out, keep, ws.template state<I>(),
                                        ws.context());
    }

    template <std::size_t I, std::size_t First, std::size_t Last>
    static void backward_layer(const S* parameters, ConstMatrixView<S> x, Work& ws, std::size_t n,
                               bool top_is_logit_gradient, S* gradients, MatrixView<S>* dx) {
        using L = typename Net::template layer<I>;
        const ConstMatrixView<S> in = input_of<I, First>(x, ws, n);
        MatrixView<S> below = I > First ? ws.delta(I - 1, n) : MatrixView<S>{nullptr, 0, 0};
        MatrixView<S>* input_gradient = I > First ? &below : dx;
        const bool logit = top_is_logit_gradient && I + 1 == Last;
        if constexpr (is_tied<L>)
            Kernel<Backend, L>::backward(parameters + Net::parameter_offsets[L::twin_index], in,
                                         as_const(ws.output(I, n)), ws.delta(I, n), logit,
                                         gradients + Net::parameter_offsets[I],
                                         gradients + Net::parameter_offsets[L::twin_index], input_gradient,
                                         ws.template state<I>());
        else if constexpr (shares_weights<I>)
            Kernel<Backend, L>::backward(parameters + Net::parameter_offsets[I], in, as_const(ws.output(I, n)),
                                         ws.delta(I, n), logit, gradients + Net::parameter_offsets[I], input_gradient,
                                         ws.template state<I>(), /*accumulate=*/true);
        else
            Kernel<Backend, L>::backward(parameters + Net::parameter_offsets[I], in, as_const(ws.output(I, n)),
                                         ws.delta(I, n), logit, gradients + Net::parameter_offsets[I], input_gradient,
                                         ws.template state<I>());
    }

    template <std::size_t I, std::size_t First>
    static ConstMatrixView<S> input_of(ConstMatrixView<S> x, Work& ws, std::size_t n) {
        if constexpr (I == First) {
            return x;
        } else {
            return as_const(ws.output(I - 1, n));
        }
    }
};

/// Runs layers [First, Last) over the columns of x in chunks (inference passes), returning the outputs.
template <class Net, class Backend, std::size_t First, std::size_t Last, class Derived>
Matrix<typename Backend::scalar> infer(const typename Backend::scalar* parameters,
                                       const typename Backend::scalar* buffers, const Eigen::MatrixBase<Derived>& x,
                                       const char* where) {
    using S = typename Backend::scalar;
    using L0 = typename Net::template layer<First>;
    using LN = typename Net::template layer<Last - 1>;
    check_sample_size(where, L0::input_shape::size, std::size_t(x.rows()));
    constexpr std::size_t chunk = 256;  // keeps a chunk's activations in cache
    const std::size_t n = std::size_t(x.cols());
    Matrix<S> result(static_cast<Eigen::Index>(LN::output_shape::size), static_cast<Eigen::Index>(n));
    Workspace<Net, Backend> ws(std::min(chunk, std::max<std::size_t>(n, 1)));
    // Columns of scalars stored one after the other are read in place; anything else is copied chunk by chunk.
    const S* stored = nullptr;
    if constexpr (std::is_same_v<typename Derived::Scalar, S> && bool(Derived::Flags & Eigen::DirectAccessBit) &&
                  !bool(Derived::Flags & Eigen::RowMajorBit))
        if (x.derived().innerStride() == 1 && x.derived().outerStride() == x.rows()) stored = x.derived().data();
    Matrix<S> input(static_cast<Eigen::Index>(L0::input_shape::size), stored ? 0 : static_cast<Eigen::Index>(ws.capacity()));
    for (std::size_t first = 0; first < n; first += chunk) {
        const std::size_t m = std::min(chunk, n - first);
        if (!stored)
            input.leftCols(Eigen::Index(m)) = x.middleCols(Eigen::Index(first), Eigen::Index(m)).template cast<S>();
        const ConstMatrixView<S> in(stored ? stored + first * std::size_t(x.rows()) : input.data(), x.rows(),
                                    Eigen::Index(m));
        Passes<Net, Backend>::template forward<First, Last>(parameters, buffers, in, ws, m, false);
        result.middleCols(Eigen::Index(first), Eigen::Index(m)) = ws.output(Last - 1, m);
    }
    return result;
}

}  // namespace detail
}  // namespace latent
