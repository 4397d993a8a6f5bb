#include "latent/io/image_grid.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>
#include <png.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using namespace latent::testing;


struct GrayPng {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::vector<std::uint8_t> pixels;

    std::uint8_t at(std::uint32_t x, std::uint32_t y) const { return pixels.at(std::size_t{y} * width + x); }
};

// Decodes with libpng's simplified API; the grids must be stored as 8-bit gray.
GrayPng read_gray_png(const fs::path& path) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    REQUIRE_MESSAGE(png_image_begin_read_from_file(&image, path.c_str()) != 0, image.message);
    REQUIRE(image.format == PNG_FORMAT_GRAY);
    GrayPng decoded{image.width, image.height, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
    REQUIRE_MESSAGE(png_image_finish_read(&image, nullptr, decoded.pixels.data(), 0, nullptr) != 0, image.message);
    return decoded;
}

// Every pixel of the w x h rectangle at (x0, y0) has `level`.
bool rectangle_is(const GrayPng& png, std::uint32_t x0, std::uint32_t y0, std::uint32_t w, std::uint32_t h,
                  std::uint8_t level) {
    for (std::uint32_t y = y0; y < y0 + h; ++y)
        for (std::uint32_t x = x0; x < x0 + w; ++x)
            if (png.at(x, y) != level) return false;
    return true;
}

constexpr std::uint8_t gray = 128;

}  // namespace

TEST_CASE("save_image_grid lays images out row by row with gray gutters at scale 1") {
    // Five 2 x 3 images (height 2, width 3) in 3 columns: 2 grid rows, the last cell empty.
    latent::Matrix<float> images(6, 5);
    images.col(0).setOnes();
    for (int k = 0; k < 6; ++k) images(k, 1) = static_cast<float>(k) / 5.0f;  // row-major ramp inside the column
    images.col(2).setZero();
    images.col(3).setConstant(0.5f);
    images.col(4).setConstant(1.0f);

    ScratchDirectory dir;
    const fs::path path = dir.path / "grid.png";
    latent::save_image_grid(path, images, 2, 3, 3, 1);
    const GrayPng png = read_gray_png(path);
    CHECK(png.width == 3 * (3 + 2) + 2);
    CHECK(png.height == 2 * (2 + 2) + 2);

    // Cell (row r, column c) starts at x = 2 + 5c, y = 2 + 4r.
    CHECK(rectangle_is(png, 2, 2, 3, 2, 255));   // image 0: all 1.0
    CHECK(png.at(7, 2) == 0);                    // image 1, pixel (0, 0) = 0/5
    CHECK(png.at(9, 2) == 102);                  // pixel (0, 2) = 2/5 -> 102
    CHECK(png.at(7, 3) == 153);                  // pixel (1, 0) = 3/5 -> 153: rows are stored one after the other
    CHECK(png.at(9, 3) == 255);                  // pixel (1, 2) = 5/5
    CHECK(rectangle_is(png, 12, 2, 3, 2, 0));    // image 2: black
    CHECK(rectangle_is(png, 2, 6, 3, 2, 128));   // image 3: 0.5 -> 128 (rounded)
    CHECK(rectangle_is(png, 7, 6, 3, 2, 255));   // image 4
    CHECK(rectangle_is(png, 12, 6, 3, 2, gray)); // the empty cell is background
    CHECK(rectangle_is(png, 0, 0, png.width, 2, gray));  // top border
    CHECK(rectangle_is(png, 5, 0, 2, png.height, gray)); // gutter between columns 0 and 1
    CHECK(rectangle_is(png, 0, 4, png.width, 2, gray));  // gutter between the rows
    CHECK(rectangle_is(png, 0, 8, png.width, 2, gray));  // bottom border
}

TEST_CASE("save_image_grid scales every pixel and the gutters") {
    latent::Matrix<double> images(4, 2);  // two 2 x 2 images
    images.col(0) << 1, 0, 0, 1;
    images.col(1).setConstant(1);

    ScratchDirectory dir;
    const fs::path path = dir.path / "scaled.png";
    latent::save_image_grid(path, images, 2, 2, 8, 3);  // 8 columns asked, 2 images: a 1 x 2 grid
    const GrayPng png = read_gray_png(path);
    const std::uint32_t gutter = 6, cell = 6;
    CHECK(png.width == 2 * (cell + gutter) + gutter);
    CHECK(png.height == cell + 2 * gutter);
    CHECK(rectangle_is(png, gutter, gutter, 3, 3, 255));          // image 0 pixel (0, 0) as a 3 x 3 block
    CHECK(rectangle_is(png, gutter + 3, gutter, 3, 3, 0));        // pixel (0, 1)
    CHECK(rectangle_is(png, gutter, gutter + 3, 3, 3, 0));        // pixel (1, 0)
    CHECK(rectangle_is(png, gutter + 3, gutter + 3, 3, 3, 255));  // pixel (1, 1)
    CHECK(rectangle_is(png, gutter + cell, 0, gutter, png.height, gray));
    CHECK(rectangle_is(png, 2 * gutter + cell, gutter, cell, cell, 255));
}

TEST_CASE("save_image_grid clamps values outside 0..1 and draws NaN as black") {
    latent::Matrix<float> images(4, 1);
    images << -0.5f, 1.7f, std::numeric_limits<float>::quiet_NaN(), 0.25f;
    ScratchDirectory dir;
    const fs::path path = dir.path / "clamped.png";
    latent::save_image_grid(path, images, 1, 4, 1, 1);
    const GrayPng png = read_gray_png(path);
    CHECK(png.at(2, 2) == 0);
    CHECK(png.at(3, 2) == 255);
    CHECK(png.at(4, 2) == 0);
    CHECK(png.at(5, 2) == 64);  // 0.25 * 255 = 63.75 rounds to 64
}

TEST_CASE("save_image_grid accepts Eigen expressions") {
    latent::Matrix<float> images = latent::Matrix<float>::Ones(4, 3);
    ScratchDirectory dir;
    const fs::path path = dir.path / "expression.png";
    latent::save_image_grid(path, (images * 0.5f).leftCols(2), 2, 2, 2, 1);
    const GrayPng png = read_gray_png(path);
    CHECK(png.width == 2 * (2 + 2) + 2);
    CHECK(rectangle_is(png, 2, 2, 2, 2, 128));
    CHECK(rectangle_is(png, 6, 2, 2, 2, 128));
}

TEST_CASE("save_reconstruction_grid puts originals above their reconstructions") {
    latent::Matrix<float> originals = latent::Matrix<float>::Ones(6, 4);  // four 3 x 2 images
    latent::Matrix<float> reconstructions = latent::Matrix<float>::Zero(6, 4);
    originals(0, 2) = 0.0f;           // image 2, pixel (0, 0)
    reconstructions(5, 3) = 1.0f;     // image 3, pixel (2, 1)

    ScratchDirectory dir;
    const fs::path path = dir.path / "reconstructions.png";
    latent::save_reconstruction_grid(path, originals, reconstructions, 3, 2, 2);
    const GrayPng png = read_gray_png(path);
    const std::uint32_t gutter = 4, cell_width = 4, cell_height = 6;
    CHECK(png.width == 4 * (cell_width + gutter) + gutter);
    CHECK(png.height == 2 * (cell_height + gutter) + gutter);

    const std::uint32_t top = gutter, bottom = 2 * gutter + cell_height;
    const auto left = [&](std::uint32_t column) { return gutter + column * (cell_width + gutter); };
    CHECK(rectangle_is(png, left(0), top, cell_width, cell_height, 255));
    CHECK(rectangle_is(png, left(0), bottom, cell_width, cell_height, 0));
    CHECK(rectangle_is(png, left(2), top, 2, 2, 0));                  // the changed original pixel
    CHECK(rectangle_is(png, left(2) + 2, top, 2, cell_height, 255));
    CHECK(rectangle_is(png, left(3) + 2, bottom + 4, 2, 2, 255));     // the changed reconstruction pixel
    CHECK(rectangle_is(png, left(3), bottom, 2, cell_height, 0));
    CHECK(rectangle_is(png, 0, top + cell_height, png.width, gutter, gray));  // between the two rows
}

TEST_CASE("image grids reject images whose pixel count is not height x width, naming both") {
    const latent::Matrix<float> images = latent::Matrix<float>::Zero(100, 3);
    ScratchDirectory dir;
    const fs::path path = dir.path / "bad.png";
    CHECK_THROWS_WITH_AS(latent::save_image_grid(path, images, 28, 28, 8),
                         "latent::save_image_grid: expected images of 28 x 28 = 784 pixels per column, found 100 rows",
                         latent::shape_error);
    const latent::Matrix<float> good = latent::Matrix<float>::Zero(784, 3);
    CHECK_THROWS_WITH_AS(latent::save_reconstruction_grid(path, good, images, 28, 28),
                         "latent::save_reconstruction_grid: expected reconstructions of 28 x 28 = 784 pixels per "
                         "column, found 100 rows",
                         latent::shape_error);
    CHECK_THROWS_AS(latent::save_reconstruction_grid(path, images, good, 28, 28), latent::shape_error);
    CHECK(fs::is_empty(dir.path));
}

TEST_CASE("save_reconstruction_grid rejects different counts of originals and reconstructions") {
    const latent::Matrix<float> originals = latent::Matrix<float>::Zero(4, 3);
    const latent::Matrix<float> reconstructions = latent::Matrix<float>::Zero(4, 2);
    ScratchDirectory dir;
    CHECK_THROWS_WITH_AS(latent::save_reconstruction_grid(dir.path / "bad.png", originals, reconstructions, 2, 2),
                         "latent::save_reconstruction_grid: expected as many reconstructions as originals (3), found 2",
                         latent::shape_error);
    CHECK(fs::is_empty(dir.path));
}

TEST_CASE("image grids reject zero sizes, no images and pictures too large for PNG") {
    const latent::Matrix<float> images = latent::Matrix<float>::Zero(4, 2);
    const latent::Matrix<float> none = latent::Matrix<float>::Zero(4, 0);
    ScratchDirectory dir;
    const fs::path path = dir.path / "bad.png";
    CHECK_THROWS_AS(latent::save_image_grid(path, images, 2, 2, 0), latent::argument_error);
    CHECK_THROWS_AS(latent::save_image_grid(path, images, 2, 2, 1, 0), latent::argument_error);
    CHECK_THROWS_AS(latent::save_image_grid(path, images, 0, 4, 1), latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::save_image_grid(path, none, 2, 2, 4),
                         "latent::save_image_grid: expected at least one image, found none", latent::argument_error);
    CHECK_THROWS_AS(latent::save_reconstruction_grid(path, none, none, 2, 2), latent::argument_error);
    CHECK_THROWS_AS(latent::save_image_grid(path, images, 2, 2, 2, std::size_t{1} << 62), latent::argument_error);
    CHECK(fs::is_empty(dir.path));
}

TEST_CASE("save_image_grid into a missing directory throws file_error") {
    const latent::Matrix<float> images = latent::Matrix<float>::Zero(4, 2);
    ScratchDirectory dir;
    CHECK_THROWS_AS(latent::save_image_grid(dir.path / "missing" / "grid.png", images, 2, 2, 2), latent::file_error);
}
