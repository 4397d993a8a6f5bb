// safetensors under PyTorch's state_dict names: round trips bit for bit, the exact names, shapes and layouts of a
// model's state_dict, and every way a file can be wrong gives a typed error naming what was expected and what
// was found, leaving the model untouched. tests/torch/ checks the same files against PyTorch itself.

#include <latent/latent.hpp>
#include <latent/io/safetensors.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace latent;
namespace fs = std::filesystem;

namespace {

using DenseAE = Autoencoder<Sequential<Dense<12, 6, ReLU>, Dense<6, 3>>, Sequential<Dense<3, 6, ReLU>, Dense<6, 12, Sigmoid>>>;
using ConvEncoder = Sequential<Input<1, 8, 8>, Conv2D<4, 3, ReLU>, BatchNorm<>, MaxPool2D<2>, AvgPool2D<2>, Flatten,
                               Dense<16, 6>, BatchNorm<>>;
using ConvDecoder = Sequential<Dense<6, 16, ReLU>, Reshape<4, 2, 2>, ConvTranspose2D<4, 4, ReLU, Padding::same, 2>,
                               BatchNorm<>, UpSample2D<2>, Conv2D<1, 3, Sigmoid>>;
using ConvAE = Autoencoder<ConvEncoder, ConvDecoder>;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("latent_safetensors_" + std::to_string(::getpid()) + "_" +
                                                 std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

/// A file with this header text (its length written as `length`, the true one unless given) and `data_size`
/// bytes of data.
std::vector<std::uint8_t> handmade(const std::string& header, std::size_t data_size,
                                   std::uint64_t length = ~std::uint64_t{0}) {
    if (length == ~std::uint64_t{0}) length = header.size();
    std::vector<std::uint8_t> out(8 + header.size() + data_size, 0);
    for (int i = 0; i < 8; ++i) out[std::size_t(i)] = std::uint8_t(length >> (8 * i));
    std::memcpy(out.data() + 8, header.data(), header.size());
    for (std::size_t i = 0; i < data_size; ++i) out[8 + header.size() + i] = std::uint8_t(i * 7 + 1);
    return out;
}

template <class M>
void set_buffers(M& model, float start) {
    // Positive values, so that running variances stay valid; distinct, so that a misplaced one shows.
    for (std::size_t i = 0; i < model.buffers().size(); ++i) model.buffers()[i] = start + 0.125f * float(i);
}

Matrix<float> samples(Eigen::Index features, Eigen::Index n, std::uint64_t seed) {
    Rng rng{seed};
    Matrix<float> x(features, n);
    for (Eigen::Index j = 0; j < x.size(); ++j) x.data()[j] = float(rng.uniform());
    return x;
}

template <class M>
bool same_bits(const M& a, const M& b) {
    return std::memcmp(a.parameters().data(), b.parameters().data(), a.parameters().size_bytes()) == 0 &&
           (a.buffers().empty() || std::memcmp(a.buffers().data(), b.buffers().data(), a.buffers().size_bytes()) == 0);
}

/// Runs `load` expecting an error of type E whose message contains every one of `parts`, and checks that the
/// model kept its parameters and buffers.
template <class E, class M, class F>
void refused(M& model, F&& load, std::initializer_list<std::string> parts) {
    const std::vector<float> parameters(model.parameters().begin(), model.parameters().end());
    const std::vector<float> buffers(model.buffers().begin(), model.buffers().end());
    try {
        load();
        FAIL("expected an error");
    } catch (const E& e) {
        const std::string what = e.what();
        for (const std::string& part : parts) CHECK_MESSAGE(what.find(part) != std::string::npos, what);
    }
    CHECK(std::equal(parameters.begin(), parameters.end(), model.parameters().begin()));
    CHECK(std::equal(buffers.begin(), buffers.end(), model.buffers().begin()));
}

}  // namespace

TEST_CASE("a dense autoencoder saved as safetensors loads back bit for bit") {
    const TempDir dir;
    const DenseAE saved{7};
    save_safetensors(saved, dir.path / "dense.safetensors");
    DenseAE loaded{8};
    CHECK_FALSE(same_bits(saved, loaded));
    load_safetensors(loaded, dir.path / "dense.safetensors");
    CHECK(same_bits(saved, loaded));
    const Matrix<float> x = samples(12, 5, 1);
    const Matrix<float> a = saved.reconstruct(x), b = loaded.reconstruct(x);
    CHECK(std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0);
    // Written atomically: no temporary file beside it.
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a conv autoencoder with BatchNorm, pooling and upsampling round-trips parameters and running statistics") {
    const TempDir dir;
    ConvAE saved{3};
    set_buffers(saved, 0.5f);
    save_safetensors(saved, dir.path / "conv.safetensors");
    ConvAE loaded{4};
    load_safetensors(loaded, dir.path / "conv.safetensors");
    CHECK(same_bits(saved, loaded));
    const Matrix<float> x = samples(64, 3, 2);
    const Matrix<float> a = saved.reconstruct(x), b = loaded.reconstruct(x);
    CHECK(std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0);
}

TEST_CASE("an encoder Model saves as a plain nn.Sequential and loads back") {
    const TempDir dir;
    ConvAE trained{5};
    set_buffers(trained, 0.25f);
    const auto encoder = trained.encoder();
    save_safetensors(encoder, dir.path / "encoder.safetensors");
    const SafetensorsFile file = read_safetensors(dir.path / "encoder.safetensors");
    CHECK(file.tensors.count("0.weight") == 1);
    CHECK(file.tensors.count("7.running_var") == 1);
    CHECK(file.tensors.count("encoder.0.weight") == 0);
    Model<ConvEncoder> loaded{9};
    load_safetensors(loaded, dir.path / "encoder.safetensors");
    CHECK(same_bits(encoder, loaded));
    const Matrix<float> x = samples(64, 4, 3);
    const Matrix<float> a = trained.encode(x), b = loaded.predict(x);
    CHECK(std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0);
    // The encoder's file is not the autoencoder's: every name is missing.
    refused<architecture_error>(
        trained, [&] { load_safetensors(trained, dir.path / "encoder.safetensors"); },
        {"expected tensor \"encoder.0.weight\" (F32 [4, 1, 3, 3]), found no such tensor", "0.weight"});
}

TEST_CASE("the state_dict names count activation modules, and shapes follow torch") {
    using Info = std::pair<std::string, std::vector<std::uint64_t>>;
    const std::vector<Info> expected = {
        {"encoder.0.weight", {4, 1, 3, 3}},  // Conv2d(1, 4, 3, padding=1); 1 is its ReLU
        {"encoder.0.bias", {4}},
        {"encoder.2.weight", {4}},  // BatchNorm2d(4); 3 MaxPool2d, 4 AvgPool2d, 5 Flatten
        {"encoder.2.bias", {4}},
        {"encoder.2.running_mean", {4}},
        {"encoder.2.running_var", {4}},
        {"encoder.2.num_batches_tracked", {}},
        {"encoder.6.weight", {6, 16}},  // Linear(16, 6): (out, in)
        {"encoder.6.bias", {6}},
        {"encoder.7.weight", {6}},  // BatchNorm1d(6)
        {"encoder.7.bias", {6}},
        {"encoder.7.running_mean", {6}},
        {"encoder.7.running_var", {6}},
        {"encoder.7.num_batches_tracked", {}},
        {"decoder.0.weight", {16, 6}},  // Linear(6, 16); 1 ReLU, 2 Unflatten
        {"decoder.0.bias", {16}},
        {"decoder.3.weight", {4, 4, 4, 4}},  // ConvTranspose2d(4, 4, 4, 2, padding=1): (in, out, kh, kw); 4 ReLU
        {"decoder.3.bias", {4}},
        {"decoder.5.weight", {4}},  // BatchNorm2d(4); 6 Upsample
        {"decoder.5.bias", {4}},
        {"decoder.5.running_mean", {4}},
        {"decoder.5.running_var", {4}},
        {"decoder.5.num_batches_tracked", {}},
        {"decoder.7.weight", {1, 4, 3, 3}},  // Conv2d(4, 1, 3, padding=1); 8 Sigmoid
        {"decoder.7.bias", {1}},
    };
    const auto layout = torch_state_dict_layout<ConvAE>();
    REQUIRE(layout.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(layout[i].name == expected[i].first);
        CHECK(layout[i].shape == expected[i].second);
        CHECK(layout[i].dtype == (layout[i].name.ends_with("num_batches_tracked") ? "I64" : "F32"));
    }
    // The file holds exactly these, with metadata torch's writer also sets.
    const TempDir dir;
    save_safetensors(ConvAE{1}, dir.path / "conv.safetensors");
    const SafetensorsFile file = read_safetensors(dir.path / "conv.safetensors");
    CHECK(file.tensors.size() == expected.size());
    for (const auto& [name, shape] : expected) {
        REQUIRE(file.tensors.count(name) == 1);
        CHECK(file.tensors.at(name).shape == shape);
    }
    CHECK(file.metadata.at("format") == "pt");
    CHECK(file.metadata.at("latent.signature") == ConvAE::signature());
    // The header's length is a multiple of 8, and its first byte is '{'.
    const auto bytes = read_bytes(dir.path / "conv.safetensors");
    std::uint64_t length = 0;
    std::memcpy(&length, bytes.data(), 8);
    CHECK(length % 8 == 0);
    CHECK(bytes[8] == '{');
}

TEST_CASE("Dense weights are transposed to nn.Linear's (out, in), convolutions copied in torch's order") {
    DenseAE model{2};
    // Dense<12, 6>'s W is column-major 6 x 12: W(o, i) at i * 6 + o. Mark W(4, 9).
    model.layer_parameters<0>()[9 * 6 + 4] = 42.0f;
    const SafetensorsFile file = to_torch_state_dict(model);
    const auto& weight = file.tensors.at("encoder.0.weight");
    float value = 0;
    std::memcpy(&value, weight.data.data() + (4 * 12 + 9) * sizeof(float), sizeof(float));  // torch's [4][9]
    CHECK(value == 42.0f);
    // Biases follow the weights in latent; in the file they are their own tensor.
    float bias = 0;
    std::memcpy(&bias, file.tensors.at("encoder.0.bias").data.data() + 5 * sizeof(float), sizeof(float));
    CHECK(bias == model.layer_parameters<0>()[72 + 5]);

    ConvAE conv{2};
    conv.layer_parameters<0>()[2 * 9 + 1 * 3 + 2] = -7.0f;  // filter 2, channel 0, ky 1, kx 2
    const SafetensorsFile conv_file = to_torch_state_dict(conv);
    std::memcpy(&value, conv_file.tensors.at("encoder.0.weight").data.data() + (2 * 9 + 1 * 3 + 2) * sizeof(float),
                sizeof(float));
    CHECK(value == -7.0f);
    // BatchNorm: gamma and beta are parameters, the running mean and variance buffers, in that order.
    set_buffers(conv, 1.0f);
    const SafetensorsFile with_statistics = to_torch_state_dict(conv);
    std::memcpy(&value, with_statistics.tensors.at("encoder.2.running_var").data.data() + sizeof(float), sizeof(float));
    CHECK(value == 1.0f + 0.125f * 5);  // the variance of channel 1 follows the 4 means
    std::int64_t count = -1;
    std::memcpy(&count, with_statistics.tensors.at("encoder.2.num_batches_tracked").data.data(), 8);
    CHECK(count == 0);
}

TEST_CASE("a double model writes F64 and refuses an F32 file") {
    using DoubleAE = Autoencoder<Sequential<Dense<4, 2>>, Sequential<Dense<2, 4>>, backend::basic_cpu<double>>;
    const TempDir dir;
    save_safetensors(DoubleAE{1}, dir.path / "double.safetensors");
    CHECK(read_safetensors(dir.path / "double.safetensors").tensors.at("encoder.0.weight").dtype == "F64");
    using FloatAE = Autoencoder<Sequential<Dense<4, 2>>, Sequential<Dense<2, 4>>>;
    FloatAE model{2};
    refused<architecture_error>(model, [&] { load_safetensors(model, dir.path / "double.safetensors"); },
                                {"expected tensor \"encoder.0.weight\" of dtype F32, found F64"});
}

TEST_CASE("a state_dict with a wrong shape, a missing or an unexpected tensor is refused by name") {
    using Small = Autoencoder<Sequential<Dense<4, 2>>, Sequential<Dense<2, 4>>>;
    Small model{3};
    SafetensorsFile file = to_torch_state_dict(Small{4});

    SafetensorsFile wrong_shape = file;
    wrong_shape.tensors["encoder.0.weight"].shape = {4, 2};
    refused<architecture_error>(model, [&] { from_torch_state_dict(model, wrong_shape, "w"); },
                                {"expected tensor \"encoder.0.weight\" of shape [2, 4], found [4, 2]"});

    SafetensorsFile missing = file;
    missing.tensors.erase("decoder.0.bias");
    refused<architecture_error>(model, [&] { from_torch_state_dict(model, missing, "m"); },
                                {"expected tensor \"decoder.0.bias\" (F32 [4]), found no such tensor"});

    SafetensorsFile extra = file;
    extra.tensors["decoder.1.weight"] = extra.tensors["decoder.0.bias"];
    refused<architecture_error>(model, [&] { from_torch_state_dict(model, extra, "e"); },
                                {"expected the 4 tensors of the model's state_dict only, found also \"decoder.1.weight\""});

    from_torch_state_dict(model, file);
    CHECK(std::equal(model.parameters().begin(), model.parameters().end(), Small{4}.parameters().begin()));
}

TEST_CASE("hostile safetensors files give format errors that say what was expected and what was found") {
    using Small = Autoencoder<Sequential<Dense<4, 2>>, Sequential<Dense<2, 4>>>;
    const TempDir dir;
    const fs::path path = dir.path / "hostile.safetensors";
    Small model{5};
    auto refuses = [&](const std::vector<std::uint8_t>& bytes, std::initializer_list<std::string> parts) {
        write_bytes(path, bytes);
        refused<format_error>(model, [&] { load_safetensors(model, path); }, parts);
    };
    const std::string one = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

    refuses({1, 2, 3}, {"truncated", "expected an 8-byte header length, found 3 bytes"});
    // A header length beyond the file, up to 2^64 - 1: refused before anything is allocated for it.
    refuses(handmade(one, 8, one.size() + 9), {"header length of " + std::to_string(one.size() + 9)});
    refuses(handmade(one, 8, ~std::uint64_t{0} - 1), {"header length of 18446744073709551614"});
    refuses(handmade("[1]", 0), {"expected the header to start with '{', found '['"});
    refuses(handmade(R"({"a":{"dtype":"F32",)", 0), {"malformed JSON header", "expected a member name in quotes"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x)", 8),
            {"expected the end of the header's JSON", "found 'x'"});
    refuses(handmade(std::string(1, '{') + "\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", 0),
            {"expected at most 64 levels of nesting"});
    refuses(handmade(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8),
            {"expected a safetensors dtype (F32, F64, I64, ...) for tensor \"a\", found \"F33\""});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
            {"expected each extent of tensor \"a\" to be a non-negative integer, found -2"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9]}})", 8),
            {"within the 8 bytes of data", "found [0, 9]"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
            {"expected tensor \"a\" of shape [3] and F32 to take 12 bytes, found offsets spanning 8"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})", 8),
            {"to take over 2^64 bytes, found offsets spanning 8"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
            {"overlapping the tensor before it"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
            {"expected tensor \"a\" to start at byte 0 of the data (leaving a gap), found 4"});
    refuses(handmade(one, 12), {"expected the tensors to cover the 12 bytes of data, found 8 bytes covered"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", 8),
            {"expected only dtype, shape and data_offsets in tensor \"a\", found \"x\""});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[2]}})", 0), {"found no data_offsets"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[0],)"
                     R"("data_offsets":[8,8]}})", 8),
            {"expected tensor \"a\" once, found it twice"});
    refuses(handmade(R"({"__metadata__":{"k":1}})", 0), {"expected metadata \"k\" to be a string, found a number"});
    refuses(handmade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}})", 8),
            {"to fit 64 bits, found 18446744073709551616"});
    refuses(handmade("{\"\\ud800\":1}", 0), {"the low half of a surrogate pair"});

    // A well-formed file of another model is an architecture error instead.
    write_bytes(path, handmade(one, 8));
    refused<architecture_error>(model, [&] { load_safetensors(model, path); },
                                {"expected tensor \"encoder.0.weight\" (F32 [2, 4]), found no such tensor; the file holds: a"});
}

TEST_CASE("the reader takes what another writer may write: metadata, escapes, padding, any order, empty tensors") {
    const std::string header = R"({"__metadata__":{"format":"pt","note":"caf\u00e9 \"x\""}, "b" : {"dtype":"I64",)"
                               R"("shape":[],"data_offsets":[8,16]},"a\/z":{"dtype":"F32","shape":[2],)"
                               R"("data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[16,16]}}   )";
    const SafetensorsFile file = parse_safetensors(handmade(header, 16), "memory");
    CHECK(file.metadata.at("note") == "caf\xc3\xa9 \"x\"");
    REQUIRE(file.tensors.count("a/z") == 1);
    CHECK(file.tensors.at("a/z").data == std::vector<std::uint8_t>{1, 8, 15, 22, 29, 36, 43, 50});
    CHECK(file.tensors.at("b").shape.empty());
    CHECK(file.tensors.at("b").data.size() == 8);
    CHECK(file.tensors.at("e").data.empty());
    // Encoding and parsing again gives the same tensors and metadata.
    const SafetensorsFile again = parse_safetensors(encode_safetensors(file), "again");
    CHECK(again.metadata == file.metadata);
    REQUIRE(again.tensors.size() == 3);
    for (const auto& [name, tensor] : file.tensors) {
        CHECK(again.tensors.at(name).dtype == tensor.dtype);
        CHECK(again.tensors.at(name).shape == tensor.shape);
        CHECK(again.tensors.at(name).data == tensor.data);
    }
    SafetensorsFile bad;
    bad.tensors["x"] = {"F32", {3}, std::vector<std::uint8_t>(8)};
    CHECK_THROWS_AS(encode_safetensors(bad), argument_error);
}
