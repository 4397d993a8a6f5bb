#pragma once
// backend::automatic: every layer's CPU kernel, and, in a build with latent::cuda, the GPU's engine instead of the
// CPU's where a usable GPU is found when training starts.

#include "latent/backends/backend.hpp"
#include "latent/backends/cpu.hpp"
#include "latent/backends/cuda/engine.hpp"
#include "latent/backends/cuda/policy.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

namespace latent::detail {
template <class M, class O, class L>
class AutomaticEngine;
}  // namespace latent::detail

namespace latent::backend {

/// The GPU when one is present at run time (and the program was built with latent::cuda), the CPU otherwise.
struct automatic {
    using scalar = float;
    static std::string name() { return "automatic"; }
    /// The GPU's engine or the CPU's, chosen when training starts; the CPU's alone in a build without latent::cuda.
    template <class M, class O, class L>
    using engine = std::conditional_t<latent::detail::built_with_cuda, latent::detail::AutomaticEngine<M, O, L>,
                                      latent::detail::HostEngine<M, O, L>>;
    /// Host buffers: the loss passes of a model run on the CPU (training on the GPU goes through the engine).
    template <class Net>
    using workspace = Workspace<Net, automatic>;
    /// Regularizers run on the CPU only, and the engine may train on the GPU.
    static constexpr bool runs_regularizers = !latent::detail::built_with_cuda;
    template <class Net, std::size_t First, std::size_t Last, class Derived>
    static Matrix<float> infer(const float* parameters, const float* buffers, const Eigen::MatrixBase<Derived>& x,
                               const char* where) {
        if constexpr (latent::detail::built_with_cuda)
            if (cuda_available())
                return latent::detail::cuda::infer<Net, basic_cuda<true>, First, Last>(parameters, x, where);
        return latent::detail::infer<Net, automatic, First, Last>(parameters, buffers, x, where);
    }
};

}  // namespace latent::backend

namespace latent {

/// A layer of a backend::automatic model computed on the CPU: the CPU backend's kernel for it.
template <class Layer>
struct Kernel<backend::automatic, Layer> : Kernel<backend::cpu, Layer> {};

namespace detail {

/// The GPU's engine where cuda_available() says a GPU can be used, the CPU's otherwise; each call goes to the one
/// chosen at construction.
template <class M, class O, class L>
class AutomaticEngine {
public:
    AutomaticEngine(M& model, O& optimizer, const L& loss, std::size_t capacity, bool rollback = false) {
        if (backend::cuda_available())
            device_.emplace(model, optimizer, loss, capacity, rollback);
        else
            host_.emplace(model, optimizer, loss, capacity, rollback);
    }

    std::size_t capacity() const noexcept { return device_ ? device_->capacity() : host_->capacity(); }
    Rng& sampling() noexcept { return device_ ? device_->sampling() : host_->sampling(); }
    void load() { device_ ? device_->load() : host_->load(); }
    void store() { device_ ? device_->store() : host_->store(); }
    void begin_epoch(std::span<const std::size_t> order, double rate) {
        device_ ? device_->begin_epoch(order, rate) : host_->begin_epoch(order, rate);
    }
    template <class E>
    double train_batch(const Dataset<E>& data, std::size_t first, std::size_t n, const Corruption& corruption,
                       Rng& noise) {
        return device_ ? device_->train_batch(data, first, n, corruption, noise)
                       : host_->train_batch(data, first, n, corruption, noise);
    }
    bool gradients_finite() { return device_ ? device_->gradients_finite() : host_->gradients_finite(); }
    bool parameters_finite() { return device_ ? device_->parameters_finite() : host_->parameters_finite(); }
    void keep() { device_ ? device_->keep() : host_->keep(); }
    void restore() { device_ ? device_->restore() : host_->restore(); }
    void update() { device_ ? device_->update() : host_->update(); }
    void update_buffers() { device_ ? device_->update_buffers() : host_->update_buffers(); }
    template <class E>
    double evaluate(const Dataset<E>& data, std::size_t first, std::size_t n, const Corruption& corruption,
                    std::uint64_t seed) {
        return device_ ? device_->evaluate(data, first, n, corruption, seed)
                       : host_->evaluate(data, first, n, corruption, seed);
    }

private:
    std::optional<HostEngine<M, O, L>> host_;
    std::optional<cuda::DeviceEngine<M, O, L, backend::cuda>> device_;
};

}  // namespace detail
}  // namespace latent
