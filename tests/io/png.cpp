#include "latent/io/png.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>
#include <png.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using namespace latent::testing;


struct DecodedPng {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::uint32_t format = 0;  // PNG_FORMAT_GRAY or PNG_FORMAT_RGB for what save_png writes
    std::vector<std::uint8_t> pixels;
};

// Decodes with libpng's simplified API, keeping the file's own format.
DecodedPng read_png(const fs::path& path) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    REQUIRE_MESSAGE(png_image_begin_read_from_file(&image, path.c_str()) != 0, image.message);
    DecodedPng decoded{image.width, image.height, image.format, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
    REQUIRE_MESSAGE(png_image_finish_read(&image, nullptr, decoded.pixels.data(), 0, nullptr) != 0, image.message);
    return decoded;
}

std::vector<std::uint8_t> file_bytes(const fs::path& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

std::vector<std::string> names_in(const fs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator{directory}) names.push_back(entry.path().filename().string());
    return names;
}

}  // namespace

TEST_CASE("save_png writes gray pixels that libpng reads back bit for bit") {
    ScratchDirectory dir;
    const fs::path path = dir.path / "gray.png";
    const std::vector<std::uint8_t> pixels = {0, 1, 2, 127, 128, 255};  // 3 wide, 2 high
    latent::save_png(path, 3, 2, 1, pixels);

    const DecodedPng decoded = read_png(path);
    CHECK(decoded.width == 3);
    CHECK(decoded.height == 2);
    CHECK(decoded.format == PNG_FORMAT_GRAY);
    CHECK(decoded.pixels == pixels);

    // IHDR straight from the bytes: 8-bit, colour type 0 (gray).
    const std::vector<std::uint8_t> bytes = file_bytes(path);
    REQUIRE(bytes.size() > 26);
    CHECK(bytes[24] == 8);
    CHECK(bytes[25] == 0);
    CHECK(names_in(dir.path) == std::vector<std::string>{"gray.png"});
}

TEST_CASE("save_png writes interleaved RGB rows top row first") {
    ScratchDirectory dir;
    const fs::path path = dir.path / "rgb.png";
    std::vector<std::uint8_t> pixels;
    for (std::uint8_t y = 0; y < 3; ++y)
        for (std::uint8_t x = 0; x < 4; ++x)
            pixels.insert(pixels.end(), {static_cast<std::uint8_t>(x * 60), static_cast<std::uint8_t>(y * 100), 7});
    latent::save_png(path, 4, 3, 3, pixels);

    const DecodedPng decoded = read_png(path);
    CHECK(decoded.width == 4);
    CHECK(decoded.height == 3);
    CHECK(decoded.format == PNG_FORMAT_RGB);
    CHECK(decoded.pixels == pixels);
    const std::vector<std::uint8_t> bytes = file_bytes(path);
    REQUIRE(bytes.size() > 26);
    CHECK(bytes[24] == 8);
    CHECK(bytes[25] == 2);  // truecolour
}

TEST_CASE("save_png replaces an existing file and leaves no temporary") {
    ScratchDirectory dir;
    const fs::path path = dir.path / "image.png";
    latent::save_png(path, 1, 1, 1, std::vector<std::uint8_t>{10});
    latent::save_png(path, 2, 1, 1, std::vector<std::uint8_t>{20, 30});
    const DecodedPng decoded = read_png(path);
    CHECK(decoded.width == 2);
    CHECK(decoded.pixels == std::vector<std::uint8_t>{20, 30});
    CHECK(names_in(dir.path) == std::vector<std::string>{"image.png"});
}

TEST_CASE("save_png rejects a pixel count that does not match the size, naming both") {
    ScratchDirectory dir;
    const fs::path path = dir.path / "bad.png";
    const std::vector<std::uint8_t> pixels(10);
    CHECK_THROWS_WITH_AS(latent::save_png(path, 4, 3, 1, pixels),
                         "latent::save_png: expected 12 bytes (4 x 3 x 1), found 10", latent::shape_error);
    CHECK_THROWS_AS(latent::save_png(path, 2, 5, 3, pixels), latent::shape_error);
    CHECK(names_in(dir.path).empty());
}

TEST_CASE("save_png rejects bad channel counts and sizes") {
    ScratchDirectory dir;
    const fs::path path = dir.path / "bad.png";
    const std::vector<std::uint8_t> pixels(8);
    CHECK_THROWS_WITH_AS(latent::save_png(path, 2, 2, 2, pixels),
                         "latent::save_png: expected 1 (gray) or 3 (RGB) channels, found 2", latent::argument_error);
    CHECK_THROWS_AS(latent::save_png(path, 0, 8, 1, pixels), latent::argument_error);
    CHECK_THROWS_AS(latent::save_png(path, 8, 0, 1, pixels), latent::argument_error);
    CHECK_THROWS_AS(latent::save_png(path, latent::max_png_side + 1, 1, 1, pixels), latent::argument_error);
    CHECK(names_in(dir.path).empty());
}

TEST_CASE("save_png into a missing directory throws file_error naming the path and the reason") {
    ScratchDirectory dir;
    const fs::path path = dir.path / "missing" / "image.png";
    try {
        latent::save_png(path, 1, 1, 1, std::vector<std::uint8_t>{0});
        FAIL("expected a file_error");
    } catch (const latent::file_error& e) {
        const std::string message = e.what();
        CHECK(message.find(path.string()) != std::string::npos);
        CHECK(message.find("No such file or directory") != std::string::npos);
    }
    CHECK(names_in(dir.path).empty());
}

TEST_CASE("save_png that fails after writing its temporary removes it and leaves the target as it was") {
    // The target is a non-empty directory: the temporary is written, then rename fails (EISDIR). This works even
    // as root, for whom permission bits do not make a directory unwritable.
    ScratchDirectory dir;
    const fs::path path = dir.path / "taken.png";
    fs::create_directories(path / "inside");
    CHECK_THROWS_AS(latent::save_png(path, 2, 2, 1, std::vector<std::uint8_t>{1, 2, 3, 4}), latent::file_error);
    CHECK(names_in(dir.path) == std::vector<std::string>{"taken.png"});
    CHECK(fs::is_directory(path / "inside"));
}
