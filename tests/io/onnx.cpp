// ONNX export: the protobuf encoding against protobuf's documented bytes, and exported files read back with a
// minimal protobuf reader: node operators and attributes, initializers holding the parameters in ONNX's layouts,
// and an export that fails leaving nothing behind. tests/interop/onnx/check.py runs the files themselves.

#include <latent/io/onnx.hpp>
#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "support/files.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

using namespace latent;
namespace fs = std::filesystem;

namespace {

/// One field of a protobuf message: a varint or 32-bit value, or length-delimited bytes.
struct Field {
    std::uint32_t number = 0, wire = 0;
    std::uint64_t value = 0;
    std::string_view bytes;
};

std::uint64_t read_varint(std::string_view& in) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        REQUIRE(!in.empty());
        const auto byte = std::uint8_t(in.front());
        in.remove_prefix(1);
        value |= std::uint64_t(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
    }
    FAIL("a varint longer than ten bytes");
    return 0;
}

/// The fields of `message`, in order; fails the test on anything malformed or of a wire type latent never writes.
std::vector<Field> parse(std::string_view message) {
    std::vector<Field> fields;
    while (!message.empty()) {
        const std::uint64_t tag = read_varint(message);
        Field f{std::uint32_t(tag >> 3), std::uint32_t(tag & 7), 0, {}};
        if (f.wire == 0) {
            f.value = read_varint(message);
        } else if (f.wire == 5) {
            REQUIRE(message.size() >= 4);
            std::uint32_t bits = 0;
            for (int i = 0; i < 4; ++i) bits |= std::uint32_t(std::uint8_t(message[std::size_t(i)])) << (8 * i);
            f.value = bits;
            message.remove_prefix(4);
        } else {
            REQUIRE(f.wire == 2);
            const std::uint64_t size = read_varint(message);
            REQUIRE(size <= message.size());
            f.bytes = message.substr(0, size);
            message.remove_prefix(size);
        }
        fields.push_back(f);
    }
    return fields;
}

std::vector<Field> all(std::string_view message, std::uint32_t number) {
    std::vector<Field> found;
    for (const Field& f : parse(message))
        if (f.number == number) found.push_back(f);
    return found;
}
Field one(std::string_view message, std::uint32_t number) {
    const auto found = all(message, number);
    REQUIRE(found.size() == 1);
    return found.front();
}
std::vector<std::string> strings(std::string_view message, std::uint32_t number) {
    std::vector<std::string> out;
    for (const Field& f : all(message, number)) out.emplace_back(f.bytes);
    return out;
}
std::vector<std::int64_t> varints(std::string_view message, std::uint32_t number) {
    std::vector<std::int64_t> out;
    for (const Field& f : all(message, number)) out.push_back(std::int64_t(f.value));
    return out;
}

/// An exported model, read back: its graph's nodes and initializers by name.
struct Exported {
    std::string bytes;
    std::string_view graph;
    std::vector<std::string_view> nodes;

    explicit Exported(const std::vector<std::uint8_t>& file) : bytes(file.begin(), file.end()) {
        graph = one(bytes, 7).bytes;  // ModelProto.graph
        for (const Field& n : all(graph, 1)) nodes.push_back(n.bytes);
    }
    std::vector<std::string> op_types() const {
        std::vector<std::string> ops;
        for (const std::string_view n : nodes) ops.emplace_back(one(n, 4).bytes);
        return ops;
    }
    std::string_view node(const std::string& name) const {
        for (const std::string_view n : nodes)
            if (one(n, 3).bytes == name) return n;
        FAIL("no node " << name);
        return {};
    }
    std::string_view initializer(const std::string& name) const {
        for (const Field& t : all(graph, 5))
            if (one(t.bytes, 8).bytes == name) return t.bytes;
        FAIL("no initializer " << name);
        return {};
    }
    std::vector<std::int64_t> dims(const std::string& name) const { return varints(initializer(name), 1); }
    template <class T>
    std::vector<T> values(const std::string& name) const {
        const std::string_view raw = one(initializer(name), 9).bytes;
        REQUIRE(raw.size() % sizeof(T) == 0);
        std::vector<T> out(raw.size() / sizeof(T));
        std::memcpy(out.data(), raw.data(), raw.size());  // little-endian, as this machine
        return out;
    }
    /// A node's attribute `name`: its AttributeProto.
    static std::string_view attribute(std::string_view node, const std::string& name) {
        for (const Field& a : all(node, 5))
            if (one(a.bytes, 1).bytes == name) return a.bytes;
        FAIL("no attribute " << name);
        return {};
    }
    static std::vector<std::int64_t> ints(std::string_view node, const std::string& name) {
        return varints(attribute(node, name), 8);
    }
    static std::int64_t integer(std::string_view node, const std::string& name) {
        return std::int64_t(one(attribute(node, name), 3).value);
    }
    static float real(std::string_view node, const std::string& name) {
        const auto bits = std::uint32_t(one(attribute(node, name), 2).value);
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    static std::string text(std::string_view node, const std::string& name) {
        return std::string(one(attribute(node, name), 4).bytes);
    }
};

std::string hex(const std::string& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        if (!out.empty()) out += ' ';
        out += digits[std::uint8_t(c) >> 4];
        out += digits[std::uint8_t(c) & 15];
    }
    return out;
}

using DenseAE = Autoencoder<Sequential<Dense<6, 3, ReLU>>, Sequential<Dense<3, 6, Sigmoid>>>;

}  // namespace

TEST_CASE("the protobuf writer gives protobuf's documented encodings") {
    using detail::ProtoWriter;
    CHECK(hex(ProtoWriter{}.varint(1, 150).encoded()) == "08 96 01");
    CHECK(hex(ProtoWriter{}.bytes(2, "testing").encoded()) == "12 07 74 65 73 74 69 6e 67");
    CHECK(hex(ProtoWriter{}.varint(1, -1).encoded()) == "08 ff ff ff ff ff ff ff ff ff 01");
    CHECK(hex(ProtoWriter{}.fixed32(1, 1.0f).encoded()) == "0d 00 00 80 3f");
    CHECK(hex(ProtoWriter{}.message(3, ProtoWriter{}.varint(1, 150)).encoded()) == "1a 03 08 96 01");
    CHECK(hex(ProtoWriter{}.varint(300, 1).encoded()) == "e0 12 01");
}

TEST_CASE("a Dense autoencoder is Gemm nodes with the weights transposed to (out, in), then its activations") {
    const DenseAE model{7};
    const Exported onnx(encode_onnx(model));
    CHECK(one(onnx.bytes, 1).value == 7);  // ir_version
    const std::string_view opset = one(onnx.bytes, 8).bytes;
    CHECK(one(opset, 1).bytes.empty());
    CHECK(one(opset, 2).value == 13);
    CHECK(onnx.op_types() == std::vector<std::string>{"Gemm", "Relu", "Gemm", "Sigmoid"});

    // The tensors flow from "input" through every node to "output".
    std::string flowing = "input";
    for (const std::string_view n : onnx.nodes) {
        CHECK(strings(n, 1).front() == flowing);
        flowing = std::string(one(n, 2).bytes);
    }
    CHECK(flowing == "output");

    const std::string_view gemm = onnx.node("layer0.Gemm");
    CHECK(strings(gemm, 1) == std::vector<std::string>{"input", "layer0.weight", "layer0.bias"});
    CHECK(Exported::integer(gemm, "transB") == 1);
    CHECK(onnx.dims("layer0.weight") == std::vector<std::int64_t>{3, 6});
    CHECK(one(onnx.initializer("layer0.weight"), 2).value == 1);  // FLOAT
    const auto weights = onnx.values<float>("layer0.weight");
    const auto p = model.layer_parameters<0>();
    REQUIRE(weights.size() == 18);
    for (std::size_t o = 0; o < 3; ++o)
        for (std::size_t i = 0; i < 6; ++i) CHECK(weights[o * 6 + i] == p[o + i * 3]);
    CHECK(onnx.values<float>("layer1.bias") == std::vector<float>(model.layer_parameters<1>().begin() + 18,
                                                                   model.layer_parameters<1>().end()));

    // Input and output: (batch, 6), float.
    for (const std::uint32_t field : {11u, 12u}) {
        const std::string_view info = one(onnx.graph, field).bytes;
        const std::string_view tensor = one(one(info, 2).bytes, 1).bytes;
        CHECK(one(tensor, 1).value == 1);
        const auto dims = all(one(tensor, 2).bytes, 1);
        REQUIRE(dims.size() == 2);
        CHECK(one(dims[0].bytes, 2).bytes == "batch");
        CHECK(one(dims[1].bytes, 1).value == 6);
    }
    CHECK(one(onnx.graph, 10).bytes == DenseAE::signature());
}

TEST_CASE("image layers carry latent's geometry: padding, strides, running statistics, interpolation") {
    using Net = Sequential<Input<1, 8, 8>, Conv2D<2, 3, ReLU, Padding::same, 2>, BatchNorm<>, MaxPool2D<2>, Flatten,
                           Dense<8, 32>, Reshape<2, 4, 4>, ConvTranspose2D<3, 2, Identity, Padding::same, 3>,
                           UpSample2D<2, Interpolation::bilinear>, AvgPool2D<2>, UpSample2D<3>>;
    Model<Net> model{3};
    for (std::size_t i = 0; i < model.buffers().size(); ++i) model.buffers()[i] = 0.25f + float(i);
    const Exported onnx(encode_onnx(model));
    CHECK(onnx.op_types() == std::vector<std::string>{"Conv", "Relu", "BatchNormalization", "MaxPool", "Flatten", "Gemm",
                                                      "Reshape", "ConvTranspose", "Resize", "AveragePool", "Resize"});

    // Same with stride 2 and a 3 x 3 kernel: TensorFlow's split puts the one padded row and column at the end.
    const std::string_view conv = onnx.node("layer0.Conv");
    CHECK(Exported::ints(conv, "pads") == std::vector<std::int64_t>{0, 0, 1, 1});
    CHECK(Exported::ints(conv, "strides") == std::vector<std::int64_t>{2, 2});
    CHECK(Exported::ints(conv, "kernel_shape") == std::vector<std::int64_t>{3, 3});
    CHECK(onnx.dims("layer0.weight") == std::vector<std::int64_t>{2, 1, 3, 3});
    const auto conv_parameters = model.parameters().first(18);
    CHECK(onnx.values<float>("layer0.weight") == std::vector<float>(conv_parameters.begin(), conv_parameters.end()));

    const std::string_view norm = onnx.node("layer1.BatchNormalization");
    CHECK(strings(norm, 1) == std::vector<std::string>{"layer0.Relu", "layer1.gamma", "layer1.beta",
                                                       "layer1.running_mean", "layer1.running_variance"});
    CHECK(Exported::real(norm, "epsilon") == 1e-5f);
    CHECK(onnx.values<float>("layer1.running_mean") == std::vector<float>{0.25f, 1.25f});
    CHECK(onnx.values<float>("layer1.running_variance") == std::vector<float>{2.25f, 3.25f});

    CHECK(Exported::ints(onnx.node("layer2.MaxPool"), "kernel_shape") == std::vector<std::int64_t>{2, 2});
    CHECK(Exported::integer(onnx.node("layer3.Flatten"), "axis") == 1);
    CHECK(onnx.values<std::int64_t>("layer5.shape") == std::vector<std::int64_t>{-1, 2, 4, 4});

    // A 2 x 2 kernel with stride 3 leaves a row and a column that only the bias reaches: output_padding.
    const std::string_view transposed = onnx.node("layer6.ConvTranspose");
    CHECK(Exported::ints(transposed, "pads") == std::vector<std::int64_t>{0, 0, 0, 0});
    CHECK(Exported::ints(transposed, "output_padding") == std::vector<std::int64_t>{1, 1});
    CHECK(onnx.dims("layer6.weight") == std::vector<std::int64_t>{2, 3, 2, 2});

    const std::string_view bilinear = onnx.node("layer7.Resize");
    CHECK(strings(bilinear, 1) == std::vector<std::string>{"layer6.ConvTranspose", "", "layer7.scales"});
    CHECK(Exported::text(bilinear, "mode") == "linear");
    CHECK(Exported::text(bilinear, "coordinate_transformation_mode") == "half_pixel");
    CHECK(onnx.values<float>("layer7.scales") == std::vector<float>{1, 1, 2, 2});
    const std::string_view nearest = onnx.node("layer9.Resize");
    CHECK(Exported::text(nearest, "mode") == "nearest");
    CHECK(Exported::text(nearest, "coordinate_transformation_mode") == "asymmetric");
    CHECK(Exported::text(nearest, "nearest_mode") == "floor");
}

TEST_CASE("GaussianSample exports its means, Dropout nothing, and a tied decoder copies its twin's weights") {
    using Encoder = Sequential<Dense<6, 8, ELU>, Dropout<25>, GaussianSample<4>>;
    using Decoder = Sequential<Dense<4, 6, BasicLeakyReLU<1, 5>>>;
    const Exported variational(encode_onnx(Autoencoder<Encoder, Decoder>{1}));
    CHECK(variational.op_types() == std::vector<std::string>{"Gemm", "Elu", "Slice", "Gemm", "LeakyRelu"});
    CHECK(variational.values<std::int64_t>("layer2.ends") == std::vector<std::int64_t>{4});
    CHECK(variational.values<std::int64_t>("layer2.axes") == std::vector<std::int64_t>{1});
    CHECK(Exported::real(variational.node("layer3.LeakyRelu"), "alpha") == 0.2f);

    using Tied = Sequential<Dense<6, 3, Tanh>>;
    const Autoencoder<Tied, Mirror<Tied>> tied{2};
    const Exported onnx(encode_onnx(tied));
    CHECK(onnx.op_types() == std::vector<std::string>{"Gemm", "Tanh", "Gemm", "Sigmoid"});
    CHECK(Exported::integer(onnx.node("layer1.Gemm"), "transB") == 1);
    CHECK(onnx.dims("layer1.weight") == std::vector<std::int64_t>{6, 3});
    const auto twin = tied.layer_parameters<0>().first(18);
    CHECK(onnx.values<float>("layer1.weight") == std::vector<float>(twin.begin(), twin.end()));
}

TEST_CASE("a list that computes nothing at inference is one Identity from input to output") {
    const Exported onnx(encode_onnx(Model<Sequential<Input<4>, Dropout<25>>>{}));
    CHECK(onnx.op_types() == std::vector<std::string>{"Identity"});
    CHECK(strings(onnx.nodes.front(), 1) == std::vector<std::string>{"input"});
    CHECK(one(onnx.nodes.front(), 2).bytes == "output");
}

TEST_CASE("a double model exports double tensors") {
    const Exported onnx(encode_onnx(Autoencoder<Sequential<Dense<2, 1>>, Sequential<Dense<1, 2>>, backend::basic_cpu<double>>{}));
    CHECK(one(onnx.initializer("layer0.weight"), 2).value == 11);  // DOUBLE
    CHECK(onnx.values<double>("layer0.weight").size() == 2);
}

TEST_CASE("export_onnx writes the encoded bytes; a failed export throws and leaves nothing behind") {
    const latent::testing::ScratchDirectory dir;
    const DenseAE model{1};
    const fs::path target = dir.path / "model.onnx";
    export_onnx(model.encoder(), target);
    CHECK(latent::testing::read_file(target) == encode_onnx(model.encoder()));

    CHECK_THROWS_AS(export_onnx(model, dir.path / "no_such_directory" / "model.onnx"), file_error);
    CHECK_THROWS_AS(export_onnx(model, fs::path{}), argument_error);
    // A directory where the temporary file would go: the export fails and the previous file stays whole.
    fs::create_directory(target.string() + ".tmp." + std::to_string(::getpid()));
    CHECK_THROWS_AS(export_onnx(model, target), file_error);
    CHECK(latent::testing::read_file(target) == encode_onnx(model.encoder()));
    fs::remove(target.string() + ".tmp." + std::to_string(::getpid()));
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}
