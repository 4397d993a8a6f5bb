// PNG folders as data sets: gray and RGB round trips bit for bit (channels first), labels from sorted class
// folders, palette, 16-bit, low-bit gray and interlaced files through libpng's transforms; and every refusal typed
// and naming the file: another size, another channel count, alpha, corrupt, truncated, hostile headers, no images.

#include "latent/data/image_folder.hpp"
#include "latent/io/png.hpp"

#include <doctest/doctest.h>

#include <zlib.h>

#include <csetjmp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("latent_image_folder_" + std::to_string(::getpid()) + "_" +
                                                 std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

Bytes read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const fs::path& p, const Bytes& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Pixels that differ per position, channel and image.
Bytes pattern(std::size_t count, std::uint8_t seed) {
    Bytes out(count);
    for (std::size_t i = 0; i < count; ++i) out[i] = std::uint8_t(i * 37 + seed * 11 + i * i);
    return out;
}

// Interleaved to channels first, as the reader must give them.
Bytes planar(const Bytes& interleaved, std::size_t channels) {
    const std::size_t plane = interleaved.size() / channels;
    Bytes out(interleaved.size());
    for (std::size_t p = 0; p < plane; ++p)
        for (std::size_t c = 0; c < channels; ++c) out[c * plane + p] = interleaved[p * channels + c];
    return out;
}

// Any PNG libpng can write: `rows` are the file's own rows (packed bits, big-endian 16-bit samples, palette indices).
void write_raw_png(const fs::path& path, std::uint32_t width, std::uint32_t height, int bit_depth, int color_type,
                   const Bytes& rows, int interlace = PNG_INTERLACE_NONE, const std::vector<png_color>& palette = {}) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, bit_depth, color_type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (!palette.empty()) png_set_PLTE(png, info, palette.data(), int(palette.size()));
    png_write_info(png, info);
    const std::size_t row_bytes = rows.size() / height;
    std::vector<png_bytep> pointers(height);
    for (std::uint32_t y = 0; y < height; ++y) pointers[y] = const_cast<png_bytep>(rows.data() + y * row_bytes);
    png_write_image(png, pointers.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
}

void put32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(v >> shift));
}

// A PNG signature, an IHDR chunk with a right CRC and the start of an empty IDAT chunk, where libpng's header
// reading stops: a header that promises what it likes.
Bytes bare_header(std::uint32_t width, std::uint32_t height, std::uint8_t color_type) {
    Bytes out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put32(out, 13);
    const std::size_t type_at = out.size();
    out.insert(out.end(), {'I', 'H', 'D', 'R'});
    put32(out, width);
    put32(out, height);
    out.insert(out.end(), {8, color_type, 0, 0, 0});
    put32(out, std::uint32_t(crc32(0, out.data() + type_at, 17)));
    put32(out, 0);
    out.insert(out.end(), {'I', 'D', 'A', 'T'});
    return out;
}

}  // namespace

TEST_CASE("class folders of RGB images come back bit for bit, channels first, labels from the sorted names") {
    const TempDir dir;
    fs::create_directories(dir.path / "dog");
    fs::create_directories(dir.path / "cat");
    const Bytes cat0 = pattern(4 * 3 * 3, 1), cat1 = pattern(4 * 3 * 3, 2), dog0 = pattern(4 * 3 * 3, 3);
    latent::save_png(dir.path / "dog" / "a.png", 4, 3, 3, dog0);
    latent::save_png(dir.path / "cat" / "b.png", 4, 3, 3, cat1);
    latent::save_png(dir.path / "cat" / "a.png", 4, 3, 3, cat0);
    write_bytes(dir.path / "cat" / "notes.txt", {'x'});  // not a .png: not read

    const auto folder = latent::load_image_folder(dir.path);
    CHECK(folder.class_names == std::vector<std::string>{"cat", "dog"});
    CHECK(folder.channels == 3);
    CHECK(folder.height == 3);
    CHECK(folder.width == 4);
    REQUIRE(folder.data.size() == 3);
    CHECK(folder.data.height() == 9);  // channels x height
    CHECK(folder.data.width() == 4);
    CHECK(folder.data.labels()[0] == 0);
    CHECK(folder.data.labels()[1] == 0);
    CHECK(folder.data.labels()[2] == 1);
    CHECK(folder.files[0] == dir.path / "cat" / "a.png");
    CHECK(folder.files[2] == dir.path / "dog" / "a.png");
    const Bytes expected[] = {planar(cat0, 3), planar(cat1, 3), planar(dog0, 3)};
    for (std::size_t i = 0; i < 3; ++i) {
        const auto sample = folder.data.sample(i);
        CHECK(Bytes(sample.begin(), sample.end()) == expected[i]);
    }
}

TEST_CASE("a flat folder of gray images gives samples without labels, in [0, 1] for a float data set") {
    const TempDir dir;
    const Bytes b = pattern(5 * 2, 7), a = pattern(5 * 2, 8);
    latent::save_png(dir.path / "b.png", 5, 2, 1, b);
    latent::save_png(dir.path / "a.png", 5, 2, 1, a);
    const auto folder = latent::load_image_folder<float>(dir.path);
    CHECK(folder.class_names.empty());
    CHECK_FALSE(folder.data.has_labels());
    CHECK(folder.channels == 1);
    const latent::Matrix<float> batch = folder.data.batch(0, 2);
    REQUIRE(batch.rows() == 10);
    for (Eigen::Index i = 0; i < 10; ++i) {
        CHECK(batch(i, 0) == doctest::Approx(a[std::size_t(i)] / 255.0));
        CHECK(batch(i, 1) == doctest::Approx(b[std::size_t(i)] / 255.0));
    }
}

TEST_CASE("palette, 16-bit, 1-bit gray and interlaced files are read through libpng's transforms") {
    const TempDir dir;
    // A 2-bit palette of four colours: 3 x 2 pixels, indices 0 1 2 / 3 2 1.
    const std::vector<png_color> colors{{10, 20, 30}, {40, 50, 60}, {70, 80, 90}, {255, 0, 128}};
    write_raw_png(dir.path / "palette.png", 3, 2, 2, PNG_COLOR_TYPE_PALETTE, {0b00011000, 0b11100100}, PNG_INTERLACE_NONE,
                  colors);
    const latent::PngImage palette = latent::read_png(dir.path / "palette.png");
    CHECK(palette.channels == 3);
    const int indices[] = {0, 1, 2, 3, 2, 1};
    for (std::size_t p = 0; p < 6; ++p) {
        const png_color& c = colors[std::size_t(indices[p])];
        CHECK(palette.pixels[p] == c.red);
        CHECK(palette.pixels[6 + p] == c.green);
        CHECK(palette.pixels[12 + p] == c.blue);
    }

    // 16-bit gray, big-endian: 0, 65535, 100 * 257 and 128 * 257.
    write_raw_png(dir.path / "deep.png", 4, 1, 16, PNG_COLOR_TYPE_GRAY, {0, 0, 255, 255, 100, 100, 128, 128});
    CHECK(latent::read_png(dir.path / "deep.png").pixels == Bytes{0, 255, 100, 128});

    // 1-bit gray: 0 and 1 become 0 and 255.
    write_raw_png(dir.path / "bits.png", 3, 1, 1, PNG_COLOR_TYPE_GRAY, {0b10100000});
    CHECK(latent::read_png(dir.path / "bits.png").pixels == Bytes{255, 0, 255});

    // Adam7 interlacing: the same pixels as the file without it.
    const Bytes rgb = pattern(9 * 7 * 3, 5);
    write_raw_png(dir.path / "interlaced.png", 9, 7, 8, PNG_COLOR_TYPE_RGB, rgb, PNG_INTERLACE_ADAM7);
    const latent::PngImage interlaced = latent::read_png(dir.path / "interlaced.png");
    CHECK(interlaced.height == 7);
    CHECK(interlaced.width == 9);
    CHECK(interlaced.pixels == planar(rgb, 3));
}

TEST_CASE("an image of another size or channel count is refused naming its file") {
    const TempDir dir;
    latent::save_png(dir.path / "a.png", 4, 3, 1, pattern(12, 1));
    latent::save_png(dir.path / "b.png", 3, 4, 1, pattern(12, 2));
    const std::string other_size = "expected images of 1 x 3 x 4 (as '" + (dir.path / "a.png").string() +
                                   "'), found 1 x 4 x 3 in '" + (dir.path / "b.png").string() + "'";
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path), doctest::Contains(other_size.c_str()), latent::shape_error);
    latent::save_png(dir.path / "b.png", 4, 3, 3, pattern(36, 2));
    const std::string other_channels = "found 3 x 3 x 4 in '" + (dir.path / "b.png").string() + "'";
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path), doctest::Contains(other_channels.c_str()),
                         latent::shape_error);
}

TEST_CASE("corrupt, truncated, alpha and hostile files give format_error naming the file, never a crash") {
    const TempDir dir;
    latent::save_png(dir.path / "good.png", 6, 5, 3, pattern(90, 4));
    const Bytes good = read_bytes(dir.path / "good.png");
    for (std::size_t length = 0; length < good.size(); ++length)
        CHECK_THROWS_AS(latent::decode_png(std::span(good).first(length), "cut.png"), latent::format_error);
    CHECK_THROWS_WITH_AS(latent::decode_png(std::span(good).first(good.size() / 2), "cut.png"),
                         doctest::Contains("'cut.png' is corrupt: "), latent::format_error);

    // A flipped bit in the image data: libpng's CRC check of a critical chunk refuses it.
    Bytes flipped = good;
    flipped[good.size() - 20] ^= 0x10;
    write_bytes(dir.path / "good.png", flipped);
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path), doctest::Contains("good.png' is corrupt"),
                         latent::format_error);

    CHECK_THROWS_WITH_AS(latent::decode_png(Bytes{'h', 'e', 'l', 'l', 'o', '!', '!', '!', '!'}, "text.png"),
                         doctest::Contains("'text.png' is not a PNG file"), latent::format_error);

    // Headers promising 30 GB, or 1 MB from a 41-byte file: refused before anything is allocated.
    CHECK_THROWS_WITH_AS(latent::decode_png(bare_header(100000, 100000, 2), "bomb.png"),
                         doctest::Contains("that a 41-byte file can hold, found a header declaring 100000 x 100000 x 3"),
                         latent::format_error);
    CHECK_THROWS_WITH_AS(latent::decode_png(bare_header(1000, 1000, 0), "small_bomb.png"),
                         doctest::Contains("that a 41-byte file can hold, found a header declaring 1000 x 1000 x 1"),
                         latent::format_error);
    // Sides beyond libpng's user limit are refused by libpng itself.
    CHECK_THROWS_WITH_AS(latent::decode_png(bare_header(1u << 24, 1, 0), "wide.png"),
                         doctest::Contains("'wide.png' is corrupt: "), latent::format_error);

    latent::save_png(dir.path / "good.png", 2, 2, 1, pattern(4, 4));
    write_raw_png(dir.path / "alpha.png", 2, 2, 8, PNG_COLOR_TYPE_RGB_ALPHA, pattern(16, 1));
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path),
                         doctest::Contains("alpha.png': expected a gray or RGB image, found RGB with alpha"),
                         latent::format_error);

    // A palette with a transparent entry: libpng would expand it to RGBA, so it is refused as alpha is.
    png_color opaque[2] = {{1, 2, 3}, {4, 5, 6}};
    png_byte alpha[1] = {0};
    std::FILE* file = std::fopen((dir.path / "clear.png").c_str(), "wb");
    REQUIRE(file != nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, file);
    png_set_IHDR(png, info, 2, 1, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_PLTE(png, info, opaque, 2);
    png_set_tRNS(png, info, alpha, 1, nullptr);
    png_write_info(png, info);
    png_byte row[2] = {0, 1};
    png_write_row(png, row);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    CHECK_THROWS_WITH_AS(latent::read_png(dir.path / "clear.png"),
                         doctest::Contains("found a palette with transparency (tRNS)"), latent::format_error);
}

TEST_CASE("an empty folder, a missing one, and images beside class folders are refused") {
    const TempDir dir;
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path), doctest::Contains("expected .png images, found none"),
                         latent::argument_error);
    fs::create_directories(dir.path / "empty_class");
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path), doctest::Contains("expected .png images, found none"),
                         latent::argument_error);
    latent::save_png(dir.path / "stray.png", 2, 2, 1, pattern(4, 4));
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path),
                         doctest::Contains("expected either class folders or images, found both ('stray.png' beside 1 "
                                           "folders)"),
                         latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::load_image_folder(dir.path / "nowhere"), doctest::Contains("expected a folder"),
                         latent::file_error);
}
