#pragma once
// Model<Net, Backend>: a Sequential with its own parameters, for inference. What
// Autoencoder::encoder() returns, so that a trained encoder can be used as a feature extractor.

#include "latent/backends/backends.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/models/sequential.hpp"
#include "latent/models/summary.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace latent {

/// A Sequential with its own parameters, for inference: what Autoencoder::encoder() and decoder() return.
template <SequentialType Net, Backend B = backend::cpu>
class Model {
public:
    using net = typename Net::sequential_type;
    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return (!requires { net::template layer<I>::twin_index; } && ...);
    }(std::make_index_sequence<net::depth>{}),
                  "latent::Model: a layer list with tied weights owns no weights of its own; decode with its autoencoder");
    using backend_type = B;
    using scalar = typename B::scalar;

    static constexpr std::size_t input_size = net::input_size;
    static constexpr std::size_t output_size = net::output_size;
    static constexpr std::size_t parameter_count = net::parameter_count;
    static constexpr std::size_t buffer_count = net::buffer_count;
    static constexpr std::size_t min_training_batch = net::min_training_batch;
    static constexpr std::size_t flops_per_sample = net::flops_per_sample;

    /// Parameters drawn from each layer's initialiser with `seed`.
    explicit Model(std::uint64_t seed = 0) : parameters_(parameter_count), buffers_(buffer_count) { initialize(seed); }

    /// requires: parameters.size() == parameter_count and buffers.size() == buffer_count (else argument_error).
    explicit Model(std::span<const scalar> parameters, std::span<const scalar> buffers = {})
        : parameters_(parameter_count), buffers_(buffer_count) {
        if (parameters.size() != parameter_count || buffers.size() != buffer_count)
            throw argument_error("latent::Model: expected " + std::to_string(parameter_count) + " parameters and " +
                                 std::to_string(buffer_count) + " buffers, found " +
                                 std::to_string(parameters.size()) + " and " + std::to_string(buffers.size()));
        std::copy(parameters.begin(), parameters.end(), parameters_.begin());
        std::copy(buffers.begin(), buffers.end(), buffers_.begin());
    }

    void initialize(std::uint64_t seed) {
        Rng rng{seed};
        net::initialize(parameters_.span(), rng);
        net::initialize_buffers(buffers_.span());
    }

    /// The signature saved in model files: the layer list.
    static std::string signature() { return net::name(); }

    std::span<scalar> parameters() noexcept { return parameters_.span(); }
    std::span<const scalar> parameters() const noexcept { return parameters_.span(); }
    /// Non-trainable state (BatchNorm's running statistics); empty for lists without it.
    std::span<scalar> buffers() noexcept { return buffers_.span(); }
    std::span<const scalar> buffers() const noexcept { return buffers_.span(); }

    /// Outputs for the samples in the columns of x (a vector is one sample).
    /// requires: x.rows() == input_size (else shape_error).
    template <class Derived>
    auto predict(const Eigen::MatrixBase<Derived>& x) const {
        auto y = B::template infer<net, 0, net::depth>(parameters_.data(), buffers_.data(), x, "latent::Model::predict");
        if constexpr (Derived::ColsAtCompileTime == 1)
            return Vector<scalar>(y.col(0));
        else
            return y;
    }

    std::string summary() const {
        std::vector<detail::SummaryRow> rows;
        detail::append_summary_rows<net>(rows, "layer");
        auto totals = detail::parameter_totals(parameter_count, buffer_count);
        totals.emplace_back("Forward FLOPs per sample", with_thousands_separators(flops_per_sample));
        return detail::format_summary("Model (backend " + B::name() + ")", rows, totals);
    }

private:
    detail::AlignedBuffer<scalar> parameters_;
    detail::AlignedBuffer<scalar> buffers_;
};

}  // namespace latent
