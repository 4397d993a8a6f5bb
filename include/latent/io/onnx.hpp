#pragma once
// ONNX export for inference: an Autoencoder (encode then decode, what reconstruct() computes), or a Model (what
// Autoencoder::encoder() and decoder() return), as an ONNX file of opset 13 that OpenCV's DNN module and
// ONNX Runtime run. Each layer becomes the ONNX operators that compute what latent's inference computes: Dense is
// Gemm, Conv2D Conv, BatchNorm BatchNormalization with the running statistics, Dropout nothing, GaussianSample
// the means (a Slice), and so on (docs/onnx.md has the table). The protobuf encoding is latent's own
// (io/protobuf.hpp): no dependency on protobuf or onnx.
//
// Layouts: a batch of latent is column-major with one sample per column, so its bytes are those of a row-major
// (samples, features...) tensor; images are channels first. The graph's input "input" and output "output" are
// therefore (batch, C, H, W) or (batch, features), with the batch size left free ("batch").

#include "latent/backends/backend.hpp"
#include "latent/core/error.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/io/protobuf.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/batch_norm.hpp"
#include "latent/layers/conv2d.hpp"
#include "latent/layers/conv_transpose2d.hpp"
#include "latent/layers/dense.hpp"
#include "latent/layers/dropout.hpp"
#include "latent/layers/gaussian_sample.hpp"
#include "latent/layers/layer.hpp"
#include "latent/layers/pooling.hpp"
#include "latent/layers/reshape.hpp"
#include "latent/layers/tied_dense.hpp"
#include "latent/layers/upsample.hpp"
#include "latent/models/autoencoder.hpp"
#include "latent/models/model.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

/// The ONNX operator set latent writes: read by OpenCV 4.6's importer and ONNX Runtime, accepted by onnx's checker.
inline constexpr std::int64_t onnx_opset = 13;
/// The ONNX IR version that goes with opset 13.
inline constexpr std::int64_t onnx_ir_version = 7;

namespace detail {

// Field numbers of onnx.proto (ONNX 1.8 and later; the IR of opset 13).
namespace onnx_field {
enum : std::uint32_t {
    model_ir_version = 1, model_producer_name = 2, model_doc_string = 6, model_graph = 7,
    model_opset_import = 8,
    opset_domain = 1, opset_version = 2,
    graph_node = 1, graph_name = 2, graph_initializer = 5, graph_doc_string = 10, graph_input = 11, graph_output = 12,
    node_input = 1, node_output = 2, node_name = 3, node_op_type = 4, node_attribute = 5,
    attribute_name = 1, attribute_f = 2, attribute_i = 3, attribute_s = 4, attribute_ints = 8, attribute_type = 20,
    tensor_dims = 1, tensor_data_type = 2, tensor_name = 8, tensor_raw_data = 9,
    value_info_name = 1, value_info_type = 2,
    type_tensor_type = 1, tensor_type_elem_type = 1, tensor_type_shape = 2,
    shape_dim = 1, dimension_value = 1, dimension_param = 2,
};
}  // namespace onnx_field

// AttributeProto.AttributeType and TensorProto.DataType values.
enum class OnnxAttributeType : std::int64_t { float_ = 1, int_ = 2, string = 3, ints = 7 };
enum class OnnxDataType : std::int32_t { float_ = 1, int64 = 7, double_ = 11 };

template <class S>
constexpr OnnxDataType onnx_data_type() {
    static_assert(std::is_same_v<S, float> || std::is_same_v<S, double>,
                  "latent::export_onnx: ONNX export is written for float and double models");
    return std::is_same_v<S, float> ? OnnxDataType::float_ : OnnxDataType::double_;
}

/// Values as little-endian bytes, ONNX's raw_data.
template <class T>
std::string little_endian_bytes(std::span<const T> values) {
    std::string out;
    out.reserve(values.size() * sizeof(T));
    using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    for (const T value : values) {
        const auto bits = std::bit_cast<Bits>(value);
        for (std::size_t shift = 0; shift < 8 * sizeof(T); shift += 8) out.push_back(char((bits >> shift) & 0xff));
    }
    return out;
}

inline ProtoWriter onnx_attribute(std::string_view name, std::int64_t value) {
    ProtoWriter a;
    a.bytes(onnx_field::attribute_name, name).varint(onnx_field::attribute_i, value);
    a.varint(onnx_field::attribute_type, std::int64_t(OnnxAttributeType::int_));
    return a;
}
inline ProtoWriter onnx_attribute(std::string_view name, float value) {
    ProtoWriter a;
    a.bytes(onnx_field::attribute_name, name).fixed32(onnx_field::attribute_f, value);
    a.varint(onnx_field::attribute_type, std::int64_t(OnnxAttributeType::float_));
    return a;
}
inline ProtoWriter onnx_attribute(std::string_view name, std::string_view value) {
    ProtoWriter a;
    a.bytes(onnx_field::attribute_name, name).bytes(onnx_field::attribute_s, value);
    a.varint(onnx_field::attribute_type, std::int64_t(OnnxAttributeType::string));
    return a;
}
inline ProtoWriter onnx_attribute(std::string_view name, std::initializer_list<std::int64_t> values) {
    ProtoWriter a;
    a.bytes(onnx_field::attribute_name, name);
    for (const std::int64_t v : values) a.varint(onnx_field::attribute_ints, v);  // unpacked, as onnx.proto (proto2)
    a.varint(onnx_field::attribute_type, std::int64_t(OnnxAttributeType::ints));
    return a;
}

/// A tensor's ValueInfoProto: element type and shape, the batch axis named "batch".
template <class Shape>
ProtoWriter onnx_value_info(std::string_view name, OnnxDataType type) {
    ProtoWriter shape;
    shape.message(onnx_field::shape_dim, ProtoWriter{}.bytes(onnx_field::dimension_param, "batch"));
    [&]<std::size_t... E>(latent::Shape<E...>*) {
        (shape.message(onnx_field::shape_dim, ProtoWriter{}.varint(onnx_field::dimension_value, std::int64_t(E))), ...);
    }(static_cast<Shape*>(nullptr));
    ProtoWriter tensor;
    tensor.varint(onnx_field::tensor_type_elem_type, std::int64_t(type)).message(onnx_field::tensor_type_shape, shape);
    ProtoWriter info;
    info.bytes(onnx_field::value_info_name, name)
        .message(onnx_field::value_info_type, ProtoWriter{}.message(onnx_field::type_tensor_type, tensor));
    return info;
}

/// The graph being built: its nodes and initializers, and the name of the tensor flowing out of the last layer.
template <class S>
class OnnxGraph {
public:
    static constexpr OnnxDataType data_type = onnx_data_type<S>();

    /// The tensor that the next layer reads.
    const std::string& flowing() const noexcept { return flowing_; }

    /// Adds a node reading `inputs` and writing one new tensor named after `name`, which then flows.
    void node(std::string_view op_type, const std::string& name, std::initializer_list<std::string> inputs,
              std::initializer_list<ProtoWriter> attributes = {}) {
        node(op_type, name, inputs, std::vector<ProtoWriter>(attributes));
    }
    void node(std::string_view op_type, const std::string& name, std::initializer_list<std::string> inputs,
              const std::vector<ProtoWriter>& attributes) {
        Node n{std::string(op_type), name, inputs, name, {}};
        for (const ProtoWriter& a : attributes) n.attributes.push_back(a.encoded());
        nodes_.push_back(std::move(n));
        flowing_ = name;
    }

    /// Adds an initializer (a constant tensor) of `values` with `dims`; returns its name.
    template <class T>
    std::string initializer(const std::string& name, std::initializer_list<std::int64_t> dims,
                            std::span<const T> values) {
        ProtoWriter t;
        for (const std::int64_t d : dims) t.varint(onnx_field::tensor_dims, d);
        OnnxDataType type = OnnxDataType::int64;
        if constexpr (!std::is_same_v<T, std::int64_t>) type = onnx_data_type<T>();
        t.varint(onnx_field::tensor_data_type, std::int64_t(type)).bytes(onnx_field::tensor_name, name);
        t.bytes(onnx_field::tensor_raw_data, little_endian_bytes(values));
        initializers_.push_back(std::move(t));
        return name;
    }

    /// The GraphProto: the last node's output renamed "output" (an Identity when no layer wrote a node).
    template <class InputShape, class OutputShape>
    ProtoWriter finish(const std::string& doc) {
        if (nodes_.empty()) node("Identity", "identity", {flowing_});
        nodes_.back().output = "output";
        ProtoWriter graph;
        for (const Node& n : nodes_) {
            ProtoWriter p;
            for (const std::string& input : n.inputs) p.bytes(onnx_field::node_input, input);
            p.bytes(onnx_field::node_output, n.output).bytes(onnx_field::node_name, n.name);
            p.bytes(onnx_field::node_op_type, n.op_type);
            for (const std::string& a : n.attributes) p.bytes(onnx_field::node_attribute, a);
            graph.message(onnx_field::graph_node, p);
        }
        graph.bytes(onnx_field::graph_name, "latent");
        for (const ProtoWriter& t : initializers_) graph.message(onnx_field::graph_initializer, t);
        graph.bytes(onnx_field::graph_doc_string, doc);
        graph.message(onnx_field::graph_input, onnx_value_info<InputShape>("input", data_type));
        graph.message(onnx_field::graph_output, onnx_value_info<OutputShape>("output", data_type));
        return graph;
    }

private:
    struct Node {
        std::string op_type, name;
        std::vector<std::string> inputs;
        std::string output;
        std::vector<std::string> attributes;  // encoded AttributeProtos
    };
    // Each node's output is named after the node, and nodes after their layer's index: names never collide.
    std::vector<Node> nodes_;
    std::vector<ProtoWriter> initializers_;
    std::string flowing_ = "input";
};

/// The ONNX operator of an element-wise activation (none for Identity).
template <class Act>
struct OnnxActivation {
    static_assert(always_false<Act>, "latent::export_onnx: this activation has no ONNX form in latent's exporter");
};
template <>
struct OnnxActivation<Identity> {
    template <class S>
    static void add(OnnxGraph<S>&, const std::string&) {}
};
#define LATENT_ONNX_PLAIN_ACTIVATION(Type, Op)                                                                 \
    template <>                                                                                                \
    struct OnnxActivation<Type> {                                                                              \
        template <class S>                                                                                     \
        static void add(OnnxGraph<S>& g, const std::string& name) {                                            \
            g.node(Op, name + "." Op, {g.flowing()});                                                          \
        }                                                                                                      \
    };
LATENT_ONNX_PLAIN_ACTIVATION(ReLU, "Relu")
LATENT_ONNX_PLAIN_ACTIVATION(Sigmoid, "Sigmoid")
LATENT_ONNX_PLAIN_ACTIVATION(Tanh, "Tanh")
LATENT_ONNX_PLAIN_ACTIVATION(Softplus, "Softplus")
#undef LATENT_ONNX_PLAIN_ACTIVATION
template <>
struct OnnxActivation<ELU> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name) {
        g.node("Elu", name + ".Elu", {g.flowing()}, {onnx_attribute("alpha", 1.0f)});
    }
};
template <std::int64_t N, std::int64_t D>
struct OnnxActivation<BasicLeakyReLU<N, D>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name) {
        g.node("LeakyRelu", name + ".LeakyRelu", {g.flowing()},
               {onnx_attribute("alpha", float(BasicLeakyReLU<N, D>::slope))});
    }
};

/// A layer's ONNX nodes: add(graph, name, parameters, buffers, twin), where `parameters` and `buffers` are the
/// layer's own and `twin` a TiedDense's twin's parameters (null for other layers).
template <class L>
struct OnnxLayer {
    static_assert(always_false<L>, "latent::export_onnx: this layer has no ONNX form in latent's exporter");
};

/// Gemm with transB and B the weights (Out, In), row-major: latent stores W as Out x In column-major, so the
/// exporter transposes it. (OpenCV 4.6 reads Gemm only with transB = 1; its transB = 0 path fails.)
template <std::size_t In, std::size_t Out, class Act, class Init>
struct OnnxLayer<Dense<In, Out, Act, Init>> {
    using L = Dense<In, Out, Act, Init>;
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S* p, const S*, const S*) {
        std::vector<S> rows(L::weight_count);
        for (std::size_t o = 0; o < Out; ++o)
            for (std::size_t i = 0; i < In; ++i) rows[o * In + i] = p[o + i * Out];
        const std::string w = g.initializer(name + ".weight", {Out, In}, std::span<const S>(rows));
        const std::string b = g.initializer(name + ".bias", {Out}, std::span(p + L::bias_offset, Out));
        g.node("Gemm", name + ".Gemm", {g.flowing(), w, b}, {onnx_attribute("transB", std::int64_t(1))});
        OnnxActivation<Act>::add(g, name);
    }
};

/// latent computes W^T x with W the twin's Out x In weights; as a Gemm with transB that is B = W^T, (In, Out)
/// row-major: the twin's weights as stored, copied (a Gemm sharing the twin's initializer would need transB = 0,
/// which OpenCV 4.6 does not read).
template <class Twin, std::size_t TwinIndex, class Act>
struct OnnxLayer<TiedDense<Twin, TwinIndex, Act>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S* p, const S*, const S* twin) {
        const std::string w =
            g.initializer(name + ".weight", {Twin::inputs, Twin::outputs}, std::span(twin, Twin::weight_count));
        const std::string b = g.initializer(name + ".bias", {Twin::inputs}, std::span(p, Twin::inputs));
        g.node("Gemm", name + ".Gemm", {g.flowing(), w, b}, {onnx_attribute("transB", std::int64_t(1))});
        OnnxActivation<Act>::add(g, name);
    }
};

/// Conv with explicit pads: latent's leading padding, and at the end what makes the output its size.
template <std::size_t F, std::size_t K, class Act, Padding Pad, std::size_t Stride, class Init, class In>
struct OnnxLayer<Bound<Conv2D<F, K, Act, Pad, Stride, Init>, In>> {
    using L = Bound<Conv2D<F, K, Act, Pad, Stride, Init>, In>;
    static constexpr std::int64_t trailing(std::size_t out, std::size_t extent, std::size_t lead) {
        const auto total = std::int64_t((out - 1) * Stride + K) - std::int64_t(extent) - std::int64_t(lead);
        return total > 0 ? total : 0;  // a window shorter than the stride leaves cells unread: no padding
    }
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S* p, const S*, const S*) {
        const std::string w =
            g.initializer(name + ".weight", {F, L::channels, K, K}, std::span(p, L::weight_count));
        const std::string b = g.initializer(name + ".bias", {F}, std::span(p + L::bias_offset, F));
        g.node("Conv", name + ".Conv", {g.flowing(), w, b},
               {onnx_attribute("kernel_shape", {K, K}), onnx_attribute("strides", {Stride, Stride}),
                onnx_attribute("pads", {std::int64_t(L::pad_top), std::int64_t(L::pad_left),
                                        trailing(L::out_height, L::height, L::pad_top),
                                        trailing(L::out_width, L::width, L::pad_left)})});
        OnnxActivation<Act>::add(g, name);
    }
};

/// ConvTranspose: W (channels, filters, k, k) as stored. ONNX crops `pads` from the full transposed convolution
/// (Stride (in - 1) + K per axis); latent crops its leading padding before and the rest after, which is more after
/// when K - Stride is odd. OpenCV 4.6 refuses unequal pads here, so the exporter crops the leading padding at both
/// ends and Slices the extra row and column off the end. A kernel smaller than the stride leaves trailing cells
/// that only the bias reaches: output_padding.
template <std::size_t F, std::size_t K, class Act, Padding Pad, std::size_t Stride, class Init, class In>
struct OnnxLayer<Bound<ConvTranspose2D<F, K, Act, Pad, Stride, Init>, In>> {
    using L = Bound<ConvTranspose2D<F, K, Act, Pad, Stride, Init>, In>;
    static constexpr std::int64_t full_height = std::int64_t(Stride * (L::in_height - 1) + K);
    static constexpr std::int64_t full_width = std::int64_t(Stride * (L::in_width - 1) + K);
    static constexpr auto pad_top = std::int64_t(L::pad_top), pad_left = std::int64_t(L::pad_left);
    static constexpr std::int64_t height = full_height - 2 * pad_top, width = full_width - 2 * pad_left;
    static constexpr bool grows = height < std::int64_t(L::height) || width < std::int64_t(L::width);
    static constexpr bool crops = height > std::int64_t(L::height) || width > std::int64_t(L::width);
    static_assert(!(grows && crops), "latent::export_onnx: a ConvTranspose2D geometry the exporter does not know");

    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S* p, const S*, const S*) {
        const std::string w =
            g.initializer(name + ".weight", {L::in_channels, F, K, K}, std::span(p, L::weight_count));
        const std::string b = g.initializer(name + ".bias", {F}, std::span(p + L::bias_offset, F));
        std::vector<ProtoWriter> attributes{onnx_attribute("kernel_shape", {K, K}),
                                            onnx_attribute("strides", {Stride, Stride}),
                                            onnx_attribute("pads", {pad_top, pad_left, pad_top, pad_left})};
        if constexpr (grows)
            attributes.push_back(onnx_attribute(
                "output_padding", {std::int64_t(L::height) - height, std::int64_t(L::width) - width}));
        g.node("ConvTranspose", name + ".ConvTranspose", {g.flowing(), w, b}, attributes);
        if constexpr (crops) {
            const std::int64_t starts[] = {0, 0}, ends[] = {std::int64_t(L::height), std::int64_t(L::width)},
                               axes[] = {2, 3};
            const std::string s = g.initializer(name + ".starts", {2}, std::span<const std::int64_t>(starts));
            const std::string e = g.initializer(name + ".ends", {2}, std::span<const std::int64_t>(ends));
            const std::string a = g.initializer(name + ".axes", {2}, std::span<const std::int64_t>(axes));
            g.node("Slice", name + ".Slice", {g.flowing(), s, e, a});
        }
        OnnxActivation<Act>::add(g, name);
    }
};

/// BatchNormalization in inference mode: gamma, beta, the running mean and the running variance.
template <std::uint64_t M1, std::uint64_t M2, std::uint64_t E1, std::uint64_t E2, class In>
struct OnnxLayer<Bound<BatchNorm<M1, M2, E1, E2>, In>> {
    using L = Bound<BatchNorm<M1, M2, E1, E2>, In>;
    static constexpr std::size_t C = L::channels;
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S* p, const S* buffers, const S*) {
        const std::string scale = g.initializer(name + ".gamma", {C}, std::span(p, C));
        const std::string bias = g.initializer(name + ".beta", {C}, std::span(p + C, C));
        const std::string mean = g.initializer(name + ".running_mean", {C}, std::span(buffers, C));
        const std::string variance = g.initializer(name + ".running_variance", {C}, std::span(buffers + C, C));
        // epsilon as the CPU kernel rounds it for float models (ONNX's attribute is a float).
        g.node("BatchNormalization", name + ".BatchNormalization", {g.flowing(), scale, bias, mean, variance},
               {onnx_attribute("epsilon", float(L::epsilon))});
    }
};

template <std::size_t Pool, std::size_t Stride, class In>
struct OnnxLayer<Bound<MaxPool2D<Pool, Stride>, In>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S*, const S*, const S*) {
        g.node("MaxPool", name + ".MaxPool", {g.flowing()},
               {onnx_attribute("kernel_shape", {Pool, Pool}), onnx_attribute("strides", {Stride, Stride})});
    }
};
template <std::size_t Pool, std::size_t Stride, class In>
struct OnnxLayer<Bound<AvgPool2D<Pool, Stride>, In>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S*, const S*, const S*) {
        g.node("AveragePool", name + ".AveragePool", {g.flowing()},
               {onnx_attribute("kernel_shape", {Pool, Pool}), onnx_attribute("strides", {Stride, Stride})});
    }
};

/// Resize by Factor: nearest reads input floor(o / Factor) (asymmetric, floor); bilinear samples at
/// (o + 0.5) / Factor - 0.5 clamped to the edges (half_pixel), as the CPU kernel.
template <std::size_t Factor, Interpolation Mode, class In>
struct OnnxLayer<Bound<UpSample2D<Factor, Mode>, In>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S*, const S*, const S*) {
        const float scales[] = {1.0f, 1.0f, float(Factor), float(Factor)};
        const std::string s = g.initializer(name + ".scales", {4}, std::span<const float>(scales));
        if constexpr (Mode == Interpolation::nearest)
            g.node("Resize", name + ".Resize", {g.flowing(), "", s},
                   {onnx_attribute("mode", "nearest"), onnx_attribute("coordinate_transformation_mode", "asymmetric"),
                    onnx_attribute("nearest_mode", "floor")});
        else
            g.node("Resize", name + ".Resize", {g.flowing(), "", s},
                   {onnx_attribute("mode", "linear"), onnx_attribute("coordinate_transformation_mode", "half_pixel")});
    }
};

/// Flatten to (batch, values) for a flat result; Reshape to (batch, extents...) otherwise.
template <class In, class Out>
struct OnnxRelabel {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name) {
        if constexpr (Out::rank == 1) {
            g.node("Flatten", name + ".Flatten", {g.flowing()}, {onnx_attribute("axis", std::int64_t(1))});
        } else {
            const std::vector<std::int64_t> dims = []<std::size_t... E>(Shape<E...>*) {
                return std::vector<std::int64_t>{-1, std::int64_t(E)...};
            }(static_cast<Out*>(nullptr));
            const std::string shape =
                g.initializer(name + ".shape", {std::int64_t(dims.size())}, std::span<const std::int64_t>(dims));
            g.node("Reshape", name + ".Reshape", {g.flowing(), shape});
        }
    }
};
template <class In>
struct OnnxLayer<Bound<Flatten, In>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S*, const S*, const S*) {
        OnnxRelabel<In, Shape<In::size>>::add(g, name);
    }
};
template <std::size_t... E, class In>
struct OnnxLayer<Bound<Reshape<E...>, In>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S*, const S*, const S*) {
        OnnxRelabel<In, Shape<E...>>::add(g, name);
    }
};

/// The identity at inference: no node.
template <std::uint64_t N, std::uint64_t D, class In>
struct OnnxLayer<Bound<Dropout<N, D>, In>> {
    template <class S>
    static void add(OnnxGraph<S>&, const std::string&, const S*, const S*, const S*) {}
};

/// The means, as latent's inference: the first Latent values of each sample (a Slice along axis 1).
template <std::size_t Latent>
struct OnnxLayer<GaussianSample<Latent>> {
    template <class S>
    static void add(OnnxGraph<S>& g, const std::string& name, const S*, const S*, const S*) {
        const std::int64_t starts[] = {0}, ends[] = {std::int64_t(Latent)}, axes[] = {1};
        const std::string s = g.initializer(name + ".starts", {1}, std::span<const std::int64_t>(starts));
        const std::string e = g.initializer(name + ".ends", {1}, std::span<const std::int64_t>(ends));
        const std::string a = g.initializer(name + ".axes", {1}, std::span<const std::int64_t>(axes));
        g.node("Slice", name + ".Slice", {g.flowing(), s, e, a});
    }
};

/// The parameters of the twin of Net's layer I when it is a TiedDense, else null.
template <class Net, std::size_t I, class S>
const S* onnx_twin_parameters(const S* parameters) {
    if constexpr (requires { Net::template layer<I>::twin_index; })
        return parameters + Net::parameter_offsets[Net::template layer<I>::twin_index];
    else
        return nullptr;
}

/// The ModelProto of layers [First, Last) of `Net`, whose parameters and buffers are `parameters` and `buffers`.
template <class Net, std::size_t First, std::size_t Last, class S>
std::vector<std::uint8_t> encode_onnx_layers(std::span<const S> parameters, std::span<const S> buffers,
                                             const std::string& doc) {
    OnnxGraph<S> graph;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (OnnxLayer<typename Net::template layer<First + I>>::add(
             graph, "layer" + std::to_string(First + I), parameters.data() + Net::parameter_offsets[First + I],
             buffers.data() + Net::buffer_offsets[First + I],
             onnx_twin_parameters<Net, First + I>(parameters.data())),
         ...);
    }(std::make_index_sequence<Last - First>{});
    using InputShape = typename Net::template layer<First>::input_shape;
    using OutputShape = typename Net::template layer<Last - 1>::output_shape;
    ProtoWriter model;
    model.varint(onnx_field::model_ir_version, onnx_ir_version);
    model.bytes(onnx_field::model_producer_name, "latent");
    model.bytes(onnx_field::model_doc_string, doc);
    model.message(onnx_field::model_graph, graph.template finish<InputShape, OutputShape>(doc));
    model.message(onnx_field::model_opset_import,
                  ProtoWriter{}.bytes(onnx_field::opset_domain, "").varint(onnx_field::opset_version, onnx_opset));
    const std::string& bytes = model.encoded();
    return {bytes.begin(), bytes.end()};
}

inline void write_onnx_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

}  // namespace detail

/// The bytes of an ONNX file (opset 13) computing `model.reconstruct`: the encoder then the decoder, at inference.
/// Regularizers take no part in inference and are not written.
template <SequentialType Encoder, SequentialType Decoder, Backend B, Regularizer... Rs>
std::vector<std::uint8_t> encode_onnx(const Autoencoder<Encoder, Decoder, B, Rs...>& model) {
    using AE = Autoencoder<Encoder, Decoder, B, Rs...>;
    using Net = typename AE::network;
    return detail::encode_onnx_layers<Net, 0, Net::depth>(model.parameters(), model.buffers(), AE::signature());
}

/// The bytes of an ONNX file (opset 13) computing `model.predict` (an encoder() or decoder() of an autoencoder).
template <SequentialType Net, Backend B>
std::vector<std::uint8_t> encode_onnx(const Model<Net, B>& model) {
    using List = typename Model<Net, B>::net;
    return detail::encode_onnx_layers<List, 0, List::depth>(model.parameters(), model.buffers(),
                                                            Model<Net, B>::signature());
}

/// Writes `model` (an Autoencoder or a Model) as an ONNX file for inference, atomically: the graph's input is
/// "input", (batch, sample shape...), its output "output". throws: argument_error for a path that names no file,
/// file_error when it cannot be written (the target is then left as it was).
template <class M>
    requires requires(const M& m) { encode_onnx(m); }
void export_onnx(const M& model, const std::filesystem::path& path) {
    detail::write_onnx_file(path, encode_onnx(model));
}

}  // namespace latent
