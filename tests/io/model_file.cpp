// Model files: bit-for-bit round trips, and every way a file can be wrong gives a typed error that
// names what was expected and what was found, leaving the model untouched.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

using namespace latent;
namespace fs = std::filesystem;

namespace {

using Small = Autoencoder<Sequential<Dense<6, 3, ReLU>>, Sequential<Dense<3, 6, Sigmoid>>>;
using Other = Autoencoder<Sequential<Dense<6, 2, ReLU>>, Sequential<Dense<2, 6, Sigmoid>>>;
using SmallDouble = Autoencoder<Sequential<Dense<6, 3, ReLU>>, Sequential<Dense<3, 6, Sigmoid>>, backend::basic_cpu<double>>;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("latent_model_file_" + std::to_string(::getpid()) + "_" +
                                                 std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

// Six features, each fitted on four samples: offsets and scales that differ per feature.
Scaler six_features() {
    std::vector<float> values(4 * 6);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = float(i * i % 11) - 3.5f;
    return Scaler::fit(Dataset<float>(std::move(values), 1, 6), Scaling::standard);
}

// A model file of `model` in format 1.1 whose scaler section is `section`, with its checksum set right.
// memcpy into sized vectors, not vector::insert, which g++ 12 at -O3 mistakes for an overread.
std::vector<std::uint8_t> with_scaler_section(const Small& model, const std::vector<std::uint8_t>& section) {
    auto bytes = serialize_model(model);
    bytes[10] = 1;
    const std::size_t body = bytes.size() - 4 + section.size();
    bytes.resize(body + 4);
    if (!section.empty()) std::memcpy(bytes.data() + body - section.size(), section.data(), section.size());
    const std::uint32_t crc = detail::crc32_of(std::span(bytes).first(body));
    std::memcpy(bytes.data() + body, &crc, 4);
    return bytes;
}

std::vector<std::uint8_t> section_of(std::uint8_t scaling, std::uint64_t features, const std::vector<double>& values) {
    std::vector<std::uint8_t> out(1 + 8 + values.size() * sizeof(double));
    out[0] = scaling;
    std::memcpy(out.data() + 1, &features, 8);
    if (!values.empty()) std::memcpy(out.data() + 9, values.data(), values.size() * sizeof(double));
    return out;
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

TEST_CASE("save then load gives the same parameters bit for bit") {
    const TempDir dir;
    const Small saved{42};
    save_model(saved, dir.path / "m.latent");
    Small loaded{1};
    load_model(loaded, dir.path / "m.latent");
    CHECK(std::memcmp(saved.parameters().data(), loaded.parameters().data(), Small::parameter_count * sizeof(float)) == 0);
    const auto also = load_model<Small>(dir.path / "m.latent");
    CHECK(std::ranges::equal(also.parameters(), saved.parameters()));
    // The file's size is the header, the signature, the parameters and the checksum, nothing else.
    CHECK(fs::file_size(dir.path / "m.latent") == 8 + 2 + 2 + 4 + 8 + Small::signature().size() + 8 +
                                                      Small::parameter_count * sizeof(float) + 4);
    // No temporary file is left beside it.
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a file of another architecture is refused naming both architectures") {
    const TempDir dir;
    save_model(Other{}, dir.path / "other.latent");
    Small model{3};
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    const std::string expected =
        "holds another architecture: expected " + Small::signature() + ", found " + Other::signature();
    CHECK_THROWS_WITH_AS(load_model(model, dir.path / "other.latent"), doctest::Contains(expected.c_str()),
                         architecture_error);
    CHECK(std::ranges::equal(model.parameters(), before));
}

TEST_CASE("a file of another variant (a sparse autoencoder of the same layers) is refused naming both") {
    using Sparse = Autoencoder<Sequential<Dense<6, 3, ReLU>>, Sequential<Dense<3, 6, Sigmoid>>, backend::cpu, L1Activity<0>>;
    static_assert(Sparse::parameter_count == Small::parameter_count);  // only the signature tells them apart
    const TempDir dir;
    save_model(Sparse{}, dir.path / "sparse.latent");
    Small plain{3};
    const auto before = std::vector<float>(plain.parameters().begin(), plain.parameters().end());
    const std::string expected = "expected " + Small::signature() + ", found " + Sparse::signature();
    CHECK_THROWS_WITH_AS(load_model(plain, dir.path / "sparse.latent"), doctest::Contains(expected.c_str()),
                         architecture_error);
    CHECK(std::ranges::equal(plain.parameters(), before));
    save_model(plain, dir.path / "plain.latent");
    CHECK_THROWS_AS(load_model<Sparse>(dir.path / "plain.latent"), architecture_error);
}

TEST_CASE("a file of another scalar type is refused naming both") {
    const TempDir dir;
    save_model(SmallDouble{}, dir.path / "double.latent");
    Small model;
    CHECK_THROWS_WITH_AS(load_model(model, dir.path / "double.latent"),
                         doctest::Contains("expected float32 parameters, found float64"), architecture_error);
}

TEST_CASE("a missing file or a directory gives file_error naming the path") {
    const TempDir dir;
    Small model;
    CHECK_THROWS_WITH_AS(load_model(model, dir.path / "absent.latent"),
                         doctest::Contains("absent.latent: No such file or directory"), file_error);
    CHECK_THROWS_WITH_AS(load_model(model, dir.path), doctest::Contains("expected a file, found the directory"), file_error);
    CHECK_THROWS_AS(save_model(model, dir.path / "no_such_directory" / "m.latent"), file_error);
}

TEST_CASE("paths that name no file are refused, and a failed save leaves nothing behind") {
    const TempDir dir;
    Small model{4};
    CHECK_THROWS_WITH_AS(save_model(model, ""), doctest::Contains("expected the path of a file to write, found an empty path"),
                         argument_error);
    CHECK_THROWS_WITH_AS(save_model(model, dir.path / "sub" / ""), doctest::Contains("sub/\""), argument_error);
    CHECK_THROWS_AS(load_model(model, ""), file_error);
    // A directory stands at the target: the rename fails, and the temporary file is removed.
    fs::create_directory(dir.path / "taken");
    CHECK_THROWS_WITH_AS(save_model(model, dir.path / "taken"), doctest::Contains("cannot rename"), file_error);
    CHECK(fs::is_directory(dir.path / "taken"));
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a file that is not a model file, or of another format version, is refused") {
    const TempDir dir;
    write_bytes(dir.path / "text.latent", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', '!'});
    Small model;
    CHECK_THROWS_WITH_AS(load_model(model, dir.path / "text.latent"), doctest::Contains("is not a latent model file"),
                         format_error);
    write_bytes(dir.path / "empty.latent", {});
    CHECK_THROWS_WITH_AS(load_model(model, dir.path / "empty.latent"), doctest::Contains("is truncated"), format_error);

    auto bytes = serialize_model(model);
    bytes[8] = 2;  // format 2.0: a future major version
    write_bytes(dir.path / "future.latent", bytes);
    CHECK_THROWS_WITH_AS(load_model(model, dir.path / "future.latent"),
                         doctest::Contains("expected model file format 1.x, found 2.0"), format_error);

    // A newer minor version may add fields: refused, with a checksum that is right, so only the version can be blamed.
    bytes = serialize_model(model);
    bytes[10] = 2;  // format 1.2
    const std::uint32_t crc = detail::crc32_of(std::span(bytes).first(bytes.size() - 4));
    std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
    write_bytes(dir.path / "newer.latent", bytes);
    CHECK_THROWS_WITH_AS(load_model(model, dir.path / "newer.latent"),
                         doctest::Contains("expected model file format 1.1 or older, found 1.2 (written by a newer latent)"),
                         format_error);
}

TEST_CASE("the fuzzing seed corpus holds model files that load") {
    // tests/fuzz/corpus/model_file/ starts libFuzzer from valid files; a format change must rewrite them
    // (latent_fuzz_write_seeds), or the fuzzer would start from inputs that fail at the first check.
    const fs::path corpus = fs::path(LATENT_TEST_SOURCE_DIR) / "fuzz" / "corpus" / "model_file";
    CHECK(std::ranges::equal(load_model<Small>(corpus / "small_float.latent").parameters(), Small{1}.parameters()));
    CHECK(std::ranges::equal(load_model<SmallDouble>(corpus / "small_double.latent").parameters(),
                             SmallDouble{2}.parameters()));
    CHECK_THROWS_AS(load_model<Small>(corpus / "other_architecture.latent"), architecture_error);
    Small model;
    Scaler scaler;
    load_model(model, scaler, corpus / "small_float_scaler.latent");
    CHECK(std::ranges::equal(model.parameters(), Small{1}.parameters()));
    CHECK(scaler.offset() == six_features().offset());
}

TEST_CASE("every single-bit flip and every truncation gives a typed error, never a wrong load") {
    const Small original{9};
    const auto bytes = serialize_model(original);
    Small model{10};
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    std::size_t refused = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            auto flipped = bytes;
            flipped[i] ^= std::uint8_t(1u << bit);
            try {
                deserialize_model(model, flipped);
            } catch (const format_error&) {
                ++refused;
            } catch (const architecture_error&) {
                ++refused;
            }
        }
    }
    CHECK(refused == bytes.size() * 8);
    for (std::size_t length = 0; length < bytes.size(); ++length)
        CHECK_THROWS_AS(deserialize_model(model, std::span(bytes).first(length)), format_error);
    CHECK(std::ranges::equal(model.parameters(), before));
    deserialize_model(model, bytes);
    CHECK(std::ranges::equal(model.parameters(), original.parameters()));
}

TEST_CASE("a failed save leaves the previous file intact") {
    const TempDir dir;
    const fs::path target = dir.path / "m.latent";
    save_model(Small{1}, target);
    const auto good = read_bytes(target);
    // Make the temporary name unusable: a directory stands where the temporary file would go.
    fs::create_directory(target.string() + ".tmp." + std::to_string(::getpid()));
    CHECK_THROWS_AS(save_model(Small{2}, target), file_error);
    CHECK(read_bytes(target) == good);
}

TEST_CASE("a scaler saved with the model comes back bit for bit, and the file still loads without asking for it") {
    const TempDir dir;
    const Small saved{42};
    const Scaler scaler = six_features();
    save_model(saved, dir.path / "m.latent", scaler);
    const auto bytes = read_bytes(dir.path / "m.latent");
    CHECK(bytes[8] == 1);
    CHECK(bytes[10] == 1);  // format 1.1: a reader of 1.0 refuses it rather than drop the scaler
    CHECK(bytes.size() == serialize_model(saved).size() + 1 + 8 + 6 * 16);
    CHECK(bytes == serialize_model(saved, scaler));

    Small loaded{1};
    Scaler back;
    load_model(loaded, back, dir.path / "m.latent");
    CHECK(std::ranges::equal(loaded.parameters(), saved.parameters()));
    CHECK(back.scaling() == Scaling::standard);
    CHECK(std::memcmp(back.offset().data(), scaler.offset().data(), 6 * sizeof(double)) == 0);
    CHECK(std::memcmp(back.scale().data(), scaler.scale().data(), 6 * sizeof(double)) == 0);

    // The old call loads the parameters; the scaler is checked but not returned.
    Small plain{2};
    load_model(plain, dir.path / "m.latent");
    CHECK(std::ranges::equal(plain.parameters(), saved.parameters()));

    // Min-max round trips too.
    const Scaler min_max = Scaler::fit(Dataset<float>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 1, 6), Scaling::min_max);
    Scaler other;
    deserialize_model(loaded, other, serialize_model(saved, min_max));
    CHECK(other.scaling() == Scaling::min_max);
    CHECK(other.offset() == min_max.offset());
    CHECK(other.scale() == std::vector<double>(6, 6.0));
}

TEST_CASE("asking for a scaler from a file without one, or saving one of another width, is refused") {
    const TempDir dir;
    save_model(Small{3}, dir.path / "plain.latent");
    Small model{4};
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    Scaler scaler = six_features();
    const std::vector<double> offsets = scaler.offset();
    CHECK_THROWS_WITH_AS(load_model(model, scaler, dir.path / "plain.latent"),
                         doctest::Contains("plain.latent: expected a scaler (a file written by save_model(model, path, "
                                           "scaler)), found a model file without one"),
                         format_error);
    CHECK(std::ranges::equal(model.parameters(), before));
    CHECK(scaler.offset() == offsets);

    const Scaler narrow = Scaler::fit(Dataset<float>({1, 2, 3, 4, 5, 7, 8, 9, 10, 11}, 1, 5), Scaling::standard);
    CHECK_THROWS_WITH_AS(save_model(Small{5}, dir.path / "narrow.latent", narrow),
                         doctest::Contains("expected a scaler of 6 features, the model's input size, found 5"),
                         shape_error);
    CHECK_FALSE(fs::exists(dir.path / "narrow.latent"));
}

TEST_CASE("a scaler section that is wrong gives format_error saying what was expected and found") {
    const Small model{6};
    Small target{7};
    Scaler scaler;
    const auto refused = [&](const std::vector<std::uint8_t>& bytes, const char* text) {
        CHECK_THROWS_WITH_AS(deserialize_model(target, scaler, bytes, "s.latent"), doctest::Contains(text), format_error);
        CHECK_THROWS_WITH_AS(deserialize_model(target, bytes, "s.latent"), doctest::Contains(text), format_error);
        CHECK(std::ranges::equal(target.parameters(), Small{7}.parameters()));
        CHECK(scaler.features() == 0);
    };
    std::vector<double> good(12, 1.0);
    refused(with_scaler_section(model, section_of(0, 5, std::vector<double>(10, 1.0))),
            "s.latent: expected a scaler of 6 features, the model's input size, found 5");
    refused(with_scaler_section(model, section_of(2, 6, good)),
            "its scaler: expected scaling 0 (standard) or 1 (min-max), found 2");
    auto bad = good;
    bad[6 + 3] = 0.0;  // the fourth feature's scale
    refused(with_scaler_section(model, section_of(1, 6, bad)),
            "expected a finite offset and a finite scale > 0 for feature 3, found 1.000000 and 0.000000");
    bad = good;
    bad[2] = std::numeric_limits<double>::quiet_NaN();
    refused(with_scaler_section(model, section_of(0, 6, bad)), "for feature 2, found nan");
    // A hostile width is checked against the bytes present before anything is allocated.
    refused(with_scaler_section(model, section_of(0, std::uint64_t(1) << 60, good)),
            "is truncated: expected 1152921504606846976 scaler features (16 bytes each), found 96 bytes");
    refused(with_scaler_section(model, section_of(0, 0, {})),
            "expected offsets and scales of one equal, non-zero length, found 0 and 0");
    refused(with_scaler_section(model, section_of(0, 6, std::vector<double>(13, 1.0))),
            "expected the file to end after the scaler, found 8 more bytes");
    refused(with_scaler_section(model, {0, 6, 0, 0}), "is truncated: expected 8 bytes of scaler width");
}

TEST_CASE("every single-bit flip and every truncation of a file with a scaler gives a typed error") {
    const auto bytes = serialize_model(Small{9}, six_features());
    Small model{10};
    Scaler scaler;
    std::size_t refused = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            auto flipped = bytes;
            flipped[i] ^= std::uint8_t(1u << bit);
            try {
                deserialize_model(model, scaler, flipped);
            } catch (const format_error&) {
                ++refused;
            } catch (const architecture_error&) {
                ++refused;
            }
        }
    CHECK(refused == bytes.size() * 8);
    for (std::size_t length = 0; length < bytes.size(); ++length)
        CHECK_THROWS_AS(deserialize_model(model, scaler, std::span(bytes).first(length)), format_error);
    CHECK(std::ranges::equal(model.parameters(), Small{10}.parameters()));
    CHECK(scaler.features() == 0);
}
