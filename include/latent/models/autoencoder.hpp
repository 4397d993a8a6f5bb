#pragma once
// Autoencoder<Encoder, Decoder, Backend>: the model type users train. Its architecture is its type:
// shapes, parameter count and cost are constants, and a decoder that does not fit the encoder does not
// compile.

#include "latent/backends/backends.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/losses/loss.hpp"
#include "latent/models/model.hpp"
#include "latent/models/sequential.hpp"
#include "latent/models/summary.hpp"
#include "latent/regularizers/gaussian_kl.hpp"
#include "latent/regularizers/regularizer.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace latent {

namespace detail {

// As in sequential.hpp: function templates, so that compilers name their arguments with the message.
template <class Encoder, class Decoder, class EncoderCodeShape, class DecoderInputShape>
constexpr bool decoder_input_must_match_encoder_code() {
    constexpr bool fits = std::is_same_v<EncoderCodeShape, DecoderInputShape>;
    static_assert(fits,
                  "latent::Autoencoder: the decoder's input shape differs from the encoder's code shape "
                  "(the compiler names both and both shapes as this check's template arguments)");
    return fits;
}

template <class Encoder, class Decoder, class EncoderInputShape, class DecoderOutputShape>
constexpr bool decoder_output_must_match_encoder_input() {
    constexpr bool fits = std::is_same_v<EncoderInputShape, DecoderOutputShape>;
    static_assert(fits,
                  "latent::Autoencoder: the decoder's output shape (the reconstruction) differs from the encoder's "
                  "input shape (the compiler names both and both shapes as this check's template arguments)");
    return fits;
}

template <class TiedLayer, class LayerAtTwinIndex>
constexpr bool tied_layer_must_name_its_twin() {
    constexpr bool same = std::is_same_v<typename TiedLayer::twin, LayerAtTwinIndex>;
    static_assert(same,
                  "latent::Autoencoder: a TiedDense's twin index must point at its twin layer (the compiler names "
                  "the tied layer and the layer found there as this check's template arguments)");
    return same;
}

}  // namespace detail

/// An encoder and a decoder trained together, on backend B, with optional regularizers in its
/// objective (sparsity, contraction, a VAE's KL term); see regularizers/.
template <SequentialType Encoder, SequentialType Decoder, Backend B = backend::cpu, Regularizer... Regularizers>
class Autoencoder {
    static constexpr bool code_fits = std::is_same_v<typename Encoder::output_shape, typename Decoder::input_shape>;
    static constexpr bool reconstruction_fits =
        std::is_same_v<typename Encoder::input_shape, typename Decoder::output_shape>;
    // Only the named checks report; these lines never add a second error.
    static_assert(detail::decoder_input_must_match_encoder_code<Encoder, Decoder, typename Encoder::output_shape,
                                                                typename Decoder::input_shape>() ||
                  !code_fits);
    static_assert(!code_fits ||
                  detail::decoder_output_must_match_encoder_input<Encoder, Decoder, typename Encoder::input_shape,
                                                                  typename Decoder::output_shape>() ||
                  !reconstruction_fits);

public:
    using encoder_type = Encoder;
    using decoder_type = Decoder;
    using backend_type = B;
    using scalar = typename B::scalar;
    /// Encoder and decoder layers as one list; the code is the output of layer encoder_depth - 1.
    /// (When the shapes do not fit, the encoder stands in so that only the message above is printed.)
    using network = std::conditional_t<code_fits && reconstruction_fits, concat_t<Encoder, Decoder>, typename Encoder::sequential_type>;
    using output_activation = output_activation_t<typename network::template layer<network::depth - 1>>;
    /// The loss passes' memory, where the backend computes them.
    using workspace = typename B::template workspace<network>;

    static constexpr std::size_t input_size = Encoder::input_size;
    static constexpr std::size_t code_size = Encoder::output_size;
    static constexpr std::size_t output_size = Decoder::output_size;
    static constexpr std::size_t encoder_depth = Encoder::depth;
    static constexpr std::size_t depth = network::depth;
    static constexpr std::size_t parameter_count = Encoder::parameter_count + Decoder::parameter_count;
    /// Non-trainable values saved with the model (BatchNorm's running statistics), encoder first.
    static constexpr std::size_t buffer_count = Encoder::buffer_count + Decoder::buffer_count;
    static constexpr std::size_t min_training_batch = std::max(Encoder::min_training_batch, Decoder::min_training_batch);
    static constexpr std::size_t flops_per_sample = Encoder::flops_per_sample + Decoder::flops_per_sample;
    /// Values one sample's forward pass keeps for the backward pass: every layer's output, code included.
    static constexpr std::size_t activation_size = Encoder::activation_size + Decoder::activation_size;

    /// Parameters drawn from each layer's initialiser, encoder first, from one generator seeded with
    /// `seed`; regularizers with their default settings.
    explicit Autoencoder(std::uint64_t seed = 0) : parameters_(parameter_count), buffers_(buffer_count) {
        initialize(seed);
    }

    /// The same, with the regularizers' settings (each is validated: argument_error when invalid).
    explicit Autoencoder(std::uint64_t seed, Regularizers... regularizers)
        requires(sizeof...(Regularizers) > 0)
        : parameters_(parameter_count), buffers_(buffer_count), regularizers_{regularizers...} {
        initialize(seed);
        std::apply([](const auto&... r) { (r.validate(), ...); }, regularizers_);
    }

    /// Draws the parameters anew and resets the buffers (running mean 0, running variance 1).
    void initialize(std::uint64_t seed) {
        Rng rng{seed};
        network::initialize(parameters_.span(), rng);
        network::initialize_buffers(buffers_.span());
    }

    /// Names the architecture, regularizers included, in model files; the backend is left out so that
    /// files move between backends.
    static std::string signature() {
        return "Autoencoder<" + Encoder::name() + ", " + Decoder::name() + ((", " + Regularizers::name()) + ... + "") +
               ">";
    }

    /// The settings of regularizer R.
    template <class R>
    const R& regularizer() const noexcept {
        return std::get<R>(regularizers_);
    }
    /// Changes the settings of regularizer R (argument_error when invalid).
    template <class R>
    void set_regularizer(const R& settings) {
        settings.validate();
        std::get<R>(regularizers_) = settings;
    }

    /// All parameters, encoder first; each layer's weights then biases.
    std::span<scalar> parameters() noexcept { return parameters_.span(); }
    std::span<const scalar> parameters() const noexcept { return parameters_.span(); }
    /// All buffers, encoder first: state that is saved and loaded with the parameters but not trained (the
    /// optimizer, weight decay and gradient checks never touch it). Empty for models without BatchNorm.
    std::span<scalar> buffers() noexcept { return buffers_.span(); }
    std::span<const scalar> buffers() const noexcept { return buffers_.span(); }

    /// Codes of the samples in the columns of x (a vector is one sample).
    /// requires: x.rows() == input_size (else shape_error).
    template <class Derived>
    auto encode(const Eigen::MatrixBase<Derived>& x) const {
        return run<0, encoder_depth>(x, "latent::Autoencoder::encode");
    }

    /// Outputs of the decoder for codes in the columns of z. requires: z.rows() == code_size.
    template <class Derived>
    auto decode(const Eigen::MatrixBase<Derived>& z) const {
        return run<encoder_depth, depth>(z, "latent::Autoencoder::decode");
    }

    /// decode(encode(x)). requires: x.rows() == input_size.
    template <class Derived>
    auto reconstruct(const Eigen::MatrixBase<Derived>& x) const {
        return run<0, depth>(x, "latent::Autoencoder::reconstruct");
    }

    /// The parameters of network layer I (encoder layers first): its weights, then its biases.
    template <std::size_t I>
    std::span<scalar> layer_parameters() noexcept {
        return parameters().subspan(network::parameter_offsets[I], network::template layer<I>::parameter_count);
    }
    template <std::size_t I>
    std::span<const scalar> layer_parameters() const noexcept {
        return parameters().subspan(network::parameter_offsets[I], network::template layer<I>::parameter_count);
    }

    /// The buffers of network layer I: a BatchNorm's running means, then its running variances.
    template <std::size_t I>
    std::span<scalar> layer_buffers() noexcept {
        return buffers().subspan(network::buffer_offsets[I], buffer_count_of<typename network::template layer<I>>);
    }
    template <std::size_t I>
    std::span<const scalar> layer_buffers() const noexcept {
        return buffers().subspan(network::buffer_offsets[I], buffer_count_of<typename network::template layer<I>>);
    }

    /// Decodes n codes drawn from N(0, I) with `rng`: samples from a VAE's prior.
    Matrix<scalar> sample(std::size_t n, Rng& rng) const {
        Matrix<scalar> codes(static_cast<Eigen::Index>(code_size), static_cast<Eigen::Index>(n));
        for (scalar& c : codes.reshaped()) c = scalar(rng.normal());
        return decode(codes);
    }

    /// A copy of the encoder with its trained weights: a feature extractor on its own.
    Model<Encoder, B> encoder() const {
        return Model<Encoder, B>(parameters().first(Encoder::parameter_count), buffers().first(Encoder::buffer_count));
    }
    /// A copy of the decoder with its trained weights: a generator from codes. (A tied decoder owns no
    /// weights of its own: decode() with the autoencoder instead.)
    Model<Decoder, B> decoder() const {
        return Model<Decoder, B>(parameters().subspan(Encoder::parameter_count), buffers().subspan(Encoder::buffer_count));
    }

    /// A Keras-like table: each layer, its output shape and parameter count, then the totals.
    std::string summary() const {
        std::vector<detail::SummaryRow> rows;
        detail::append_summary_rows<Encoder>(rows, "encoder");
        detail::append_summary_rows<Decoder>(rows, "decoder");
        auto totals = detail::parameter_totals(parameter_count, buffer_count);
        totals.emplace_back("Code size", std::to_string(code_size));
        totals.emplace_back("Forward FLOPs per sample", with_thousands_separators(flops_per_sample));
        if constexpr (sizeof...(Regularizers) > 0) {
            std::string names;
            ((names += (names.empty() ? "" : ", ") + Regularizers::name()), ...);
            totals.emplace_back("Regularizers", names);
        }
        return detail::format_summary("Autoencoder (backend " + B::name() + ")", rows, totals);
    }

    /// Loss of the reconstructions of `input` against `target` (columns are samples) plus the
    /// regularizers' penalties, and its gradient with respect to every parameter, written into
    /// `gradients`: a training pass. Stochastic layers draw from ws.context().rng; BatchNorm layers
    /// normalise with the batch's statistics and keep them in ws for update_buffers.
    /// requires: input and target are input_size x n with n <= ws.capacity(); gradients.size() == parameter_count.
    template <Loss L>
    scalar loss_and_gradients(const L& loss, ConstMatrixView<scalar> input, ConstMatrixView<scalar> target,
                              workspace& ws, std::span<scalar> gradients) const {
        if constexpr (!detail::HostWorkspace<workspace>) {
            detail::check_sample_size("latent::Autoencoder::loss_and_gradients", input_size, std::size_t(input.rows()));
            return ws.template loss<output_activation>(loss, parameters_.data(), input, target, gradients.data());
        } else {
            constexpr bool logits = L::template uses_logits<output_activation>;
            const std::size_t n = std::size_t(input.cols());
            ws.context().mode = PassMode::training;
            Passes::template forward<0, depth>(parameters_.data(), buffers_.data(), input, ws, n, logits);
            scalar value = loss.template value_and_gradient<output_activation>(
                as_const(ws.output(depth - 1, n)), target, as_const(ws.logits(n)), ws.delta(depth - 1, n));
            Passes::template backward<0, depth>(parameters_.data(), input, ws, n, logits, gradients.data(), nullptr,
                                                 [&](auto layer) { value += activity_penalties<layer()>(ws, n, true); });
            value += parameter_penalties(input, ws, n, gradients.data());
            return value;
        }
    }

    /// The same loss without gradients (validation: stochastic layers still sample, BatchNorm layers use
    /// the running statistics).
    template <Loss L>
    scalar loss_value(const L& loss, ConstMatrixView<scalar> input, ConstMatrixView<scalar> target,
                      workspace& ws) const {
        if constexpr (!detail::HostWorkspace<workspace>) {
            detail::check_sample_size("latent::Autoencoder::loss_value", input_size, std::size_t(input.rows()));
            return ws.template loss<output_activation>(loss, parameters_.data(), input, target, nullptr);
        } else {
            constexpr bool logits = L::template uses_logits<output_activation>;
            const std::size_t n = std::size_t(input.cols());
            ws.context().mode = PassMode::evaluation;
            Passes::template forward<0, depth>(parameters_.data(), buffers_.data(), input, ws, n, logits);
            scalar value =
                loss.template value<output_activation>(as_const(ws.output(depth - 1, n)), target, as_const(ws.logits(n)));
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((value += activity_penalties<I>(ws, n, false)), ...);
            }(std::make_index_sequence<depth>{});
            value += parameter_penalties(input, ws, n, nullptr);
            return value;
        }
    }

    /// Folds the batch statistics of the last loss_and_gradients in ws into the running statistics, with each
    /// BatchNorm's momentum: what fit() does after each update. Nothing for models without buffers.
    void update_buffers(workspace& ws) {
        if constexpr (buffer_count > 0) Passes::update_buffers(buffers_.data(), ws);
    }

private:
    using Passes = detail::Passes<network, B>;  // the host passes, where the workspace is the host's

    template <class R>
    static constexpr bool names_a_hidden_layer() {
        if constexpr (ActivityRegularizer<R>)
            return R::layer + 1 < depth;
        else
            return true;
    }
    template <std::size_t J>
    static constexpr bool twin_is_where_it_says() {
        using L = typename network::template layer<J>;
        if constexpr (requires { L::twin_index; })
            return detail::tied_layer_must_name_its_twin<L, typename network::template layer<L::twin_index>>();
        else
            return true;
    }
    static_assert([]<std::size_t... J>(std::index_sequence<J...>) {
        return (twin_is_where_it_says<J>() && ...);
    }(std::make_index_sequence<depth>{}));

    static_assert(detail::runs_regularizers<B> || sizeof...(Regularizers) == 0,
                  "latent::Autoencoder: regularizers (sparse, contractive, variational) have no implementation on "
                  "this backend yet (the GPU's: backend::cuda, and backend::automatic in a build with latent::cuda); "
                  "train this model on backend::cpu");

    static_assert((names_a_hidden_layer<Regularizers>() && ...),
                  "latent::Autoencoder: an activity regularizer must name a hidden layer (its index in the "
                  "encoder-then-decoder layer list), not the output layer");

    /// The activity regularizers on layer `Layer`: their penalties, and their gradients added to the
    /// layer's output delta when `with_gradient`.
    template <std::size_t Layer>
    scalar activity_penalties(workspace& ws, std::size_t n, bool with_gradient) const {
        scalar value = 0;
        [&]<std::size_t... R>(std::index_sequence<R...>) {
            ((value += activity_penalty<Layer, R>(ws, n, with_gradient)), ...);
        }(std::index_sequence_for<Regularizers...>{});
        return value;
    }

    template <std::size_t Layer, std::size_t R>
    scalar activity_penalty(workspace& ws, std::size_t n, bool with_gradient) const {
        using Reg = std::tuple_element_t<R, std::tuple<Regularizers...>>;
        if constexpr (ActivityRegularizer<Reg>) {
            if constexpr (Reg::layer == Layer) {
                MatrixView<scalar> delta = ws.delta(Layer, n);
                return std::get<R>(regularizers_).apply(as_const(ws.output(Layer, n)), with_gradient ? &delta : nullptr);
            }
        }
        return 0;
    }

    scalar parameter_penalties(ConstMatrixView<scalar> input, workspace& ws, std::size_t n, scalar* gradients) const {
        scalar value = 0;
        [&]<std::size_t... R>(std::index_sequence<R...>) {
            ((value += parameter_penalty<R>(input, ws, n, gradients)), ...);
        }(std::index_sequence_for<Regularizers...>{});
        return value;
    }

    template <std::size_t R>
    scalar parameter_penalty(ConstMatrixView<scalar> input, workspace& ws, std::size_t n, scalar* gradients) const {
        using Reg = std::tuple_element_t<R, std::tuple<Regularizers...>>;
        if constexpr (ParameterRegularizer<Reg>) {
            // The penalty's gradient with respect to layer 0's pre-activations, in its delta (free once the backward
            // pass is done), reaches W and b through layer 0's kernel, added to what the backward pass wrote there.
            using L = typename network::template layer<0>;
            MatrixView<scalar> dz = ws.delta(0, n);
            const scalar value = std::get<R>(regularizers_).template apply<Encoder>(
                parameters_.data(), as_const(ws.output(0, n)), gradients ? &dz : nullptr, gradients);
            if (gradients) {
                constexpr std::size_t outputs = L::output_shape::size, weights = L::parameter_count - outputs;
                std::array<scalar, outputs> bias;  // the kernel overwrites the bias gradient; it is added back
                std::copy_n(gradients + weights, outputs, bias.begin());
                Kernel<B, L>::backward(parameters_.data(), input, as_const(ws.output(0, n)), dz,
                                       /*dy_is_logit_gradient=*/true, gradients, nullptr, ws.template state<0>(),
                                       /*accumulate_weights=*/true);
                for (std::size_t j = 0; j < outputs; ++j) gradients[weights + j] += bias[j];
            }
            return value;
        } else {
            return 0;
        }
    }

    template <std::size_t First, std::size_t Last, class Derived>
    auto run(const Eigen::MatrixBase<Derived>& x, const char* where) const {
        auto y = B::template infer<network, First, Last>(parameters_.data(), buffers_.data(), x, where);
        if constexpr (Derived::ColsAtCompileTime == 1)
            return Vector<scalar>(y.col(0));
        else
            return y;
    }

    detail::AlignedBuffer<scalar> parameters_;
    detail::AlignedBuffer<scalar> buffers_;
    std::tuple<Regularizers...> regularizers_;
};

/// A variational autoencoder: the encoder ends with a Dense producing means and log-variances and a
/// GaussianSample layer; the KL term on that Dense's output is part of the objective.
template <SequentialType Encoder, SequentialType Decoder, Backend B = backend::cpu>
using VariationalAutoencoder = Autoencoder<Encoder, Decoder, B, GaussianKL<Encoder::depth - 2>>;

}  // namespace latent
