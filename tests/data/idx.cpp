// IDX reading: synthetic raw and gzipped files round-tripped bit for bit, every error path with its figures,
// hostile headers, and Fashion-MNIST's real test files where Debian's package installed them.

#include "latent/data/idx.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace latent::testing;

// Built by appending: g++ 12 gives a false -Wrestrict for "'" + std::string (GCC bug 105329).
std::string quoted(const std::string& text) {
    std::string result(1, '\'');
    result += text;
    result += '\'';
    return result;
}

namespace fs = std::filesystem;

const fs::path fashion_dir = "/usr/share/datasets/fashion-mnist";

// A fresh directory under the system's temporary directory, removed with everything in it.

Bytes idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims, const Bytes& data) {
    Bytes out{0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

Bytes counting(std::size_t n) {
    Bytes data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return data;
}




}  // namespace

TEST_CASE("parse_idx reads dims and values of a well-formed buffer") {
    const Bytes data = counting(2 * 3 * 4);
    const latent::IdxArray a = latent::parse_idx(idx_bytes(0x08, {2, 3, 4}, data), "buffer");
    CHECK(a.dims == std::vector<std::uint32_t>{2, 3, 4});
    CHECK(a.values == data);

    // Big-endian dims: 0x01020304 must not be read as 0x04030201.
    const latent::IdxArray b = latent::parse_idx(idx_bytes(0x08, {0x00000102, 1}, counting(258)), "buffer");
    CHECK(b.dims == std::vector<std::uint32_t>{258, 1});
}

TEST_CASE("parse_idx: zero dimensions and zero-sized dimensions") {
    // No dimensions: a scalar, one element (the empty product).
    const latent::IdxArray scalar = latent::parse_idx(idx_bytes(0x08, {}, {42}), "scalar");
    CHECK(scalar.dims.empty());
    CHECK(scalar.values == Bytes{42});

    const latent::IdxArray empty = latent::parse_idx(idx_bytes(0x08, {0, 28, 28}, {}), "empty");
    CHECK(empty.dims == std::vector<std::uint32_t>{0, 28, 28});
    CHECK(empty.values.empty());

    // A zero dimension makes the product 0 even after dims whose product alone overflows.
    const latent::IdxArray zero = latent::parse_idx(
        idx_bytes(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0}, {}), "zero");
    CHECK(zero.values.empty());
    const std::string message = message_of<latent::format_error>(
        [] { (void)latent::parse_idx(idx_bytes(0x08, {0, 28, 28}, {1, 2}), "zero-with-data"); });
    CHECK(message.find("trailing bytes: expected 0 bytes of data after the header (0 x 28 x 28), found 2") !=
          std::string::npos);
}

TEST_CASE("parse_idx: not an IDX file") {
    std::string m = message_of<latent::format_error>([] { (void)latent::parse_idx({}, "empty.idx"); });
    CHECK(m.find("'empty.idx' is not an IDX file") != std::string::npos);
    CHECK(m.find("expected a 4-byte magic number, found 0 bytes") != std::string::npos);

    m = message_of<latent::format_error>([] { (void)latent::parse_idx(Bytes{0, 0, 8}, "short.idx"); });
    CHECK(m.find("found 3 bytes") != std::string::npos);

    m = message_of<latent::format_error>([] { (void)latent::parse_idx(Bytes{0x1f, 0x8b, 8, 0}, "gz.idx"); });
    CHECK(m.find("expected its first two bytes to be 0x00 0x00, found 0x1f 0x8b") != std::string::npos);

    // Only the second byte is wrong, in a file that is otherwise a valid IDX file (00 01 08 01, 2 bytes).
    Bytes second_byte = idx_bytes(0x08, {2}, {5, 6});
    second_byte[1] = 0x01;
    m = message_of<latent::format_error>([&] { (void)latent::parse_idx(second_byte, "second.idx"); });
    CHECK(m.find("'second.idx' is not an IDX file: expected its first two bytes to be 0x00 0x00, found 0x00 0x01") !=
          std::string::npos);

    m = message_of<latent::format_error>([] { (void)latent::parse_idx(Bytes{0, 0, 0x07, 1}, "type.idx"); });
    CHECK(m.find("'type.idx' is not an IDX file: expected an element type code") != std::string::npos);
    CHECK(m.find("found 0x07") != std::string::npos);
}

TEST_CASE("parse_idx: element types other than unsigned byte are refused by name") {
    const std::string m = message_of<latent::format_error>(
        [] { (void)latent::parse_idx(idx_bytes(0x0d, {2}, Bytes(8)), "floats.idx"); });
    CHECK(m.find("'floats.idx' holds float elements (type code 0x0d)") != std::string::npos);
    CHECK(m.find("expected unsigned bytes (type code 0x08)") != std::string::npos);

    CHECK_THROWS_AS((void)latent::parse_idx(idx_bytes(0x09, {2}, Bytes(2)), "signed"), latent::format_error);
    CHECK_THROWS_AS((void)latent::parse_idx(idx_bytes(0x0b, {2}, Bytes(4)), "short"), latent::format_error);
    CHECK_THROWS_AS((void)latent::parse_idx(idx_bytes(0x0c, {2}, Bytes(8)), "int"), latent::format_error);
    CHECK_THROWS_AS((void)latent::parse_idx(idx_bytes(0x0e, {2}, Bytes(16)), "double"), latent::format_error);
}

TEST_CASE("parse_idx: truncated header, truncated data, trailing bytes") {
    // 255 dimensions need 4 + 4 * 255 = 1024 header bytes.
    std::string m = message_of<latent::format_error>([] { (void)latent::parse_idx(Bytes{0, 0, 8, 255, 0, 0}, "h"); });
    CHECK(m.find("truncated header: expected 1024 bytes for 255 dimensions, found 6") != std::string::npos);

    m = message_of<latent::format_error>(
        [] { (void)latent::parse_idx(idx_bytes(0x08, {60000, 28, 28}, Bytes(1234)), "train-images"); });
    CHECK(m.find("'train-images' is truncated: expected 47040000 bytes of data after the header (60000 x 28 x 28), "
                 "found 1234") != std::string::npos);

    m = message_of<latent::format_error>(
        [] { (void)latent::parse_idx(idx_bytes(0x08, {2, 2}, Bytes(5)), "long"); });
    CHECK(m.find("'long' has trailing bytes: expected 4 bytes of data after the header (2 x 2), found 5") !=
          std::string::npos);
}

TEST_CASE("parse_idx: dimensions whose product overflows 64 bits") {
    const std::string m = message_of<latent::format_error>([] {
        (void)latent::parse_idx(idx_bytes(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu}, Bytes(10)), "huge");
    });
    CHECK(m.find("expected at least 2^64 bytes of data after the header (4294967295 x 4294967295 x 4294967295), "
                 "found 10") != std::string::npos);

    // 2^32 - 1 squared fits in 64 bits, so this is plain truncation, with the exact figure.
    const std::string fits = message_of<latent::format_error>(
        [] { (void)latent::parse_idx(idx_bytes(0x08, {0xffffffffu, 0xffffffffu}, Bytes(3)), "big"); });
    CHECK(fits.find("expected 18446744065119617025 bytes") != std::string::npos);

    // 255 dimensions of 2: overflows after 64 of them; the message lists only the first few.
    const std::string many = message_of<latent::format_error>(
        [] { (void)latent::parse_idx(idx_bytes(0x08, std::vector<std::uint32_t>(255, 2), {}), "many"); });
    CHECK(many.find("at least 2^64") != std::string::npos);
    CHECK(many.find("(255 dimensions)") != std::string::npos);
    CHECK(many.size() < 400);
}

TEST_CASE("parse_idx on every truncation and on random corruptions throws only format_error") {
    const Bytes valid = idx_bytes(0x08, {3, 2, 2}, counting(12));
    const auto check = [](const Bytes& bytes) {
        try {
            const latent::IdxArray a = latent::parse_idx(bytes, "fuzz");
            const std::size_t count = std::accumulate(a.dims.begin(), a.dims.end(), std::size_t{1},
                                                      [](std::size_t p, std::uint32_t d) { return p * d; });
            CHECK(a.values.size() == count);
            CHECK(a.values.size() + 4 + 4 * a.dims.size() == bytes.size());
        } catch (const latent::format_error&) {
        }
    };
    for (std::size_t n = 0; n <= valid.size(); ++n)
        check(Bytes(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n)));

    std::mt19937 rng{12345};
    std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 2000; ++round) {
        Bytes bytes = valid;
        for (int k = 0; k < 1 + round % 4; ++k) bytes[position(rng)] = static_cast<std::uint8_t>(byte(rng));
        bytes.resize(position(rng) + 1 + (round % 2 == 0 ? valid.size() : 0));
        check(bytes);
    }
}

TEST_CASE("read_idx round-trips raw and gzipped files bit for bit") {
    const ScratchDirectory dir;
    const Bytes file = idx_bytes(0x08, {5, 3, 7}, counting(5 * 3 * 7));
    write_file(dir.path / "raw", file);
    write_file(dir.path / "packed.gz", gzip(file));
    write_file(dir.path / "packed-no-suffix", gzip(file));  // recognised by content, not by name

    for (const char* name : {"raw", "packed.gz", "packed-no-suffix"}) {
        CAPTURE(name);
        const latent::IdxArray a = latent::read_idx(dir.path / name);
        CHECK(a.dims == std::vector<std::uint32_t>{5, 3, 7});
        CHECK(a.values == Bytes(file.begin() + 16, file.end()));
    }

    // gzip(1) reads concatenated members as one stream; so does read_idx.
    Bytes two = gzip(Bytes(file.begin(), file.begin() + 40));
    const Bytes rest = gzip(Bytes(file.begin() + 40, file.end()));
    two.insert(two.end(), rest.begin(), rest.end());
    write_file(dir.path / "two-members.gz", two);
    CHECK(latent::read_idx(dir.path / "two-members.gz").values == Bytes(file.begin() + 16, file.end()));
}

TEST_CASE("read_idx: missing or unreadable files are file_errors with the OS's reason") {
    const ScratchDirectory dir;
    const fs::path missing = dir.path / "no-such-file.gz";
    std::string m = message_of<latent::file_error>([&] { (void)latent::read_idx(missing); });
    CHECK(m.find("cannot open '" + missing.string() + "': No such file or directory") != std::string::npos);

    m = message_of<latent::file_error>([&] { (void)latent::read_idx(dir.path); });
    CHECK(m.find("cannot read '" + dir.path.string() + "': Is a directory") != std::string::npos);
}

TEST_CASE("read_idx: format errors name the file, also inside gzip") {
    const ScratchDirectory dir;
    const fs::path path = dir.path / "train-images.gz";
    write_file(path, gzip(idx_bytes(0x08, {60000, 28, 28}, Bytes(1234))));
    const std::string m = message_of<latent::format_error>([&] { (void)latent::read_idx(path); });
    CHECK(m.find(quoted(path.string()) + " is truncated: expected 47040000 bytes of data after the header "
                 "(60000 x 28 x 28), found 1234") != std::string::npos);

    write_file(path, gzip(Bytes{'h', 'e', 'l', 'l', 'o'}));
    CHECK_THROWS_AS((void)latent::read_idx(path), latent::format_error);
}

TEST_CASE("read_idx: corrupt and truncated gzip streams are format_errors") {
    const ScratchDirectory dir;
    const Bytes packed = gzip(idx_bytes(0x08, {4, 4}, counting(16)));

    Bytes bad_crc = packed;
    bad_crc[bad_crc.size() - 8] ^= 0xff;  // the trailer's CRC-32 of the uncompressed data
    write_file(dir.path / "crc.gz", bad_crc);
    std::string m = message_of<latent::format_error>([&] { (void)latent::read_idx(dir.path / "crc.gz"); });
    CHECK(m.find("crc.gz' is a corrupt gzip stream: expected valid compressed data, found incorrect data check") !=
          std::string::npos);

    write_file(dir.path / "cut.gz", Bytes(packed.begin(), packed.end() - 6));
    m = message_of<latent::format_error>([&] { (void)latent::read_idx(dir.path / "cut.gz"); });
    CHECK(m.find("cut.gz' is a truncated gzip stream") != std::string::npos);
    CHECK(m.find("found the end of the file after " + std::to_string(packed.size() - 6) + " bytes") !=
          std::string::npos);

    Bytes garbage_after = packed;
    garbage_after.insert(garbage_after.end(), {'x', 'y', 'z', 'w'});
    write_file(dir.path / "garbage.gz", garbage_after);
    CHECK_THROWS_AS((void)latent::read_idx(dir.path / "garbage.gz"), latent::format_error);

    write_file(dir.path / "magic-only.gz", Bytes{0x1f, 0x8b});
    CHECK_THROWS_AS((void)latent::read_idx(dir.path / "magic-only.gz"), latent::format_error);
}

TEST_CASE("gunzip refuses output beyond its limit (the 1 GiB zip-bomb cap, scaled down)") {
    const Bytes zeros(2000);
    const Bytes packed = gzip(zeros);
    CHECK(latent::detail::idx::gunzip(packed, "exact", 2000) == zeros);
    const std::string m =
        message_of<latent::format_error>([&] { (void)latent::detail::idx::gunzip(packed, "bomb.gz", 1999); });
    CHECK(m.find("'bomb.gz' decompresses to too much data: expected at most 1999 bytes, found more") !=
          std::string::npos);
    CHECK(latent::detail::idx::max_decompressed_bytes == std::size_t{1} << 30);

    // A trailer that claims 4 GiB must not make it allocate 4 GiB.
    Bytes lying = packed;
    for (std::size_t i = lying.size() - 4; i < lying.size(); ++i) lying[i] = 0xff;
    CHECK_THROWS_AS((void)latent::detail::idx::gunzip(lying, "lying.gz", 1 << 20), latent::format_error);
}

TEST_CASE("decode_idx reads in-memory bytes, raw or gzipped, as read_idx reads a file") {
    const Bytes file = idx_bytes(0x08, {2, 3}, counting(6));
    for (const Bytes& bytes : {file, gzip(file)}) {
        const latent::IdxArray a = latent::decode_idx(bytes, "memory");
        CHECK(a.dims == std::vector<std::uint32_t>{2, 3});
        CHECK(a.values == counting(6));
    }
    Bytes cut = gzip(file);
    cut.resize(cut.size() / 2);
    const std::string m = message_of<latent::format_error>([&] { (void)latent::decode_idx(cut, "half.gz"); });
    CHECK(m.find("'half.gz' is a truncated gzip stream") != std::string::npos);
    CHECK_THROWS_WITH_AS((void)latent::decode_idx({}, "nothing"), doctest::Contains("'nothing' is not an IDX file"),
                         latent::format_error);
}

TEST_CASE("load_idx_images and load_idx_labels check the number of dimensions") {
    const ScratchDirectory dir;
    write_file(dir.path / "images", idx_bytes(0x08, {2, 3, 4}, counting(24)));
    write_file(dir.path / "labels", gzip(idx_bytes(0x08, {2}, {7, 1})));
    write_file(dir.path / "flat", idx_bytes(0x08, {10000}, Bytes(10000)));
    write_file(dir.path / "no-width", idx_bytes(0x08, {5, 28, 0}, {}));

    const latent::Dataset<std::uint8_t> images = latent::load_idx_images(dir.path / "images");
    CHECK(images.size() == 2);
    CHECK(images.height() == 3);
    CHECK(images.width() == 4);
    CHECK_FALSE(images.has_labels());
    CHECK(images.sample(1)[0] == counting(24)[12]);
    CHECK(latent::load_idx_labels(dir.path / "labels") == Bytes{7, 1});

    std::string m = message_of<latent::format_error>([&] { (void)latent::load_idx_images(dir.path / "flat"); });
    CHECK(m.find(quoted((dir.path / "flat").string()) + ": expected 3 dimensions (count x height x width), found 1 "
                 "(10000)") != std::string::npos);

    m = message_of<latent::format_error>([&] { (void)latent::load_idx_labels(dir.path / "images"); });
    CHECK(m.find(quoted((dir.path / "images").string()) + ": expected 1 dimension (count), found 3 (2 x 3 x 4)") !=
          std::string::npos);

    m = message_of<latent::format_error>([&] { (void)latent::load_idx_images(dir.path / "no-width"); });
    CHECK(m.find("expected images of at least 1 x 1 pixels, found 28 x 0") != std::string::npos);
}

TEST_CASE("load_labeled_images pairs images with labels and refuses different counts") {
    const ScratchDirectory dir;
    write_file(dir.path / "images.gz", gzip(idx_bytes(0x08, {3, 2, 2}, counting(12))));
    write_file(dir.path / "labels", idx_bytes(0x08, {3}, {4, 0, 9}));
    write_file(dir.path / "two-labels", idx_bytes(0x08, {2}, {4, 0}));

    const latent::Dataset<std::uint8_t> data = latent::load_labeled_images(dir.path / "images.gz", dir.path / "labels");
    CHECK(data.size() == 3);
    CHECK(data.height() == 2);
    CHECK(data.width() == 2);
    CHECK(Bytes(data.labels().begin(), data.labels().end()) == Bytes{4, 0, 9});
    CHECK(Bytes(data.values().begin(), data.values().end()) == counting(12));

    const std::string m = message_of<latent::shape_error>(
        [&] { (void)latent::load_labeled_images(dir.path / "images.gz", dir.path / "two-labels"); });
    CHECK(m.find("expected one label per image, found 3 images in '" + (dir.path / "images.gz").string() +
                 "' and 2 labels in '" + (dir.path / "two-labels").string() + "'") != std::string::npos);
}

// Expected figures from Python's gzip and struct modules, read independently of this code.
TEST_CASE("Fashion-MNIST's real test files") {
    const latent::IdxArray labels = latent::read_idx(fashion_dir / "t10k-labels-idx1-ubyte.gz");
    CHECK(labels.dims == std::vector<std::uint32_t>{10000});

    const latent::Dataset<std::uint8_t> test = latent::load_labeled_images(fashion_dir / "t10k-images-idx3-ubyte.gz",
                                                                           fashion_dir / "t10k-labels-idx1-ubyte.gz");
    REQUIRE(test.size() == 10000);
    CHECK(test.height() == 28);
    CHECK(test.width() == 28);
    CHECK(Bytes(test.labels().begin(), test.labels().begin() + 5) == Bytes{9, 2, 1, 1, 6});
    CHECK(test.labels()[9999] == 5);
    const std::span<const std::uint8_t> first = test.sample(0);
    CHECK(first[14 * 28 + 14] == 110);
    CHECK(std::accumulate(first.begin(), first.end(), 0) == 33456);
}
