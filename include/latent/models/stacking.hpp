#pragma once
// Greedy layer-wise pretraining (stacked autoencoders): train a shallow autoencoder, encode the data
// with it, train the next one on the codes, then copy the trained layers into the deep model, whose
// layers are the same types, and fine-tune it end to end.

#include "latent/core/matrix.hpp"
#include "latent/data/dataset.hpp"
#include "latent/layers/layer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace latent {

namespace detail {
template <class Layer, class SourceLayer>
constexpr bool pretrained_layer_must_have_the_same_type() {
    constexpr bool same = std::is_same_v<Layer, SourceLayer>;
    static_assert(same,
                  "latent::copy_layer: the pretrained layer and the layer it initialises must be the same type "
                  "(both are named in this check's template arguments)");
    return same;
}
}  // namespace detail

/// Copies the parameters (and buffers: a BatchNorm's running statistics) of network layer FromLayer of `from`
/// into network layer ToLayer of `to`; the two layers must be the same type (checked at compile time).
template <std::size_t ToLayer, std::size_t FromLayer, class To, class From>
void copy_layer(To& to, const From& from) {
    using Target = typename To::network::template layer<ToLayer>;
    using Source = typename From::network::template layer<FromLayer>;
    if constexpr (detail::pretrained_layer_must_have_the_same_type<Target, Source>()) {
        const auto source = from.template layer_parameters<FromLayer>();
        std::ranges::copy(source, to.template layer_parameters<ToLayer>().begin());
        if constexpr (buffer_count_of<Target> > 0)
            std::ranges::copy(from.template layer_buffers<FromLayer>(), to.template layer_buffers<ToLayer>().begin());
    }
}

/// The codes of every sample of `data` under `model`'s encoder, as a data set of code_size x 1
/// samples (labels kept): the training data of the next autoencoder in a stack, or features.
template <class M, class E>
Dataset<typename M::scalar> encode_dataset(const M& model, const Dataset<E>& data, std::size_t batch_size = 1024) {
    using S = typename M::scalar;
    std::vector<S> codes(data.size() * M::code_size);
    for (std::size_t first = 0; first < data.size(); first += batch_size) {
        const std::size_t n = std::min(batch_size, data.size() - first);
        const Matrix<S> batch = model.encode(data.template batch<S>(first, n));
        std::copy(batch.data(), batch.data() + batch.size(), codes.begin() + std::ptrdiff_t(first * M::code_size));
    }
    return Dataset<S>(std::move(codes), 1, M::code_size, std::vector<std::uint8_t>(data.labels().begin(), data.labels().end()));
}

}  // namespace latent
