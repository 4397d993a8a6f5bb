#pragma once
// Pictures of images as PNG: a grid of samples, or originals above their reconstructions as in the tutorials'
// figures. Images are the columns of a matrix, each stored row-major, with intensities in [0, 1] (clamped).
// Link with -lpng.

#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/io/png.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace latent {

/// An Eigen matrix or expression of floating-point values, one image per column: Matrix<float>,
/// `x.leftCols(16)`, `model.reconstruct(x)`.
template <class Derived>
concept ImageColumns = std::derived_from<Derived, Eigen::MatrixBase<Derived>> &&
                       std::floating_point<typename Derived::Scalar>;

namespace detail {

inline constexpr std::uint8_t grid_background = 128;  // mid-gray: tells black and white images from the gutter
inline constexpr std::size_t grid_gutter = 2;         // pixels around every image, before scaling

/// [0, 1] -> 0..255, rounding; out-of-range values clamp, and NaN gives 0 (both comparisons are false).
inline std::uint8_t gray_level(double value) noexcept {
    const double clamped = value > 0 ? (value < 1 ? value : 1) : 0;
    return static_cast<std::uint8_t>(clamped * 255 + 0.5);
}

/// A mid-gray picture of rows x columns cells, each holding one image drawn scale x scale per pixel.
class ImageGridCanvas {
public:
    /// throws: argument_error when a side would exceed max_png_side.
    ImageGridCanvas(std::string_view function, std::size_t rows, std::size_t columns, std::size_t image_height,
                    std::size_t image_width, std::size_t scale)
        : image_height_{image_height}, image_width_{image_width}, scale_{scale}, gutter_{grid_gutter * scale} {
        // In double, so that a huge scale is reported instead of wrapping around.
        const auto side = [&](std::size_t cells, std::size_t extent) {
            return static_cast<double>(cells) * (static_cast<double>(extent) * static_cast<double>(scale) +
                                                 static_cast<double>(grid_gutter) * static_cast<double>(scale)) +
                   static_cast<double>(grid_gutter) * static_cast<double>(scale);
        };
        const double height = side(rows, image_height);
        const double width = side(columns, image_width);
        if (height > static_cast<double>(max_png_side) || width > static_cast<double>(max_png_side))
            throw argument_error(std::string(function) + ": expected a picture of at most " +
                                 std::to_string(max_png_side) + " pixels a side, found more for a grid of " +
                                 std::to_string(rows) + " x " + std::to_string(columns) + " images at scale " +
                                 std::to_string(scale));
        width_ = static_cast<std::size_t>(width);
        height_ = static_cast<std::size_t>(height);
        pixels_.assign(width_ * height_, grid_background);
    }

    /// Draws `image` (image_height * image_width values, row-major) into cell (row, column).
    template <class Derived>
    void draw(std::size_t row, std::size_t column, const Eigen::MatrixBase<Derived>& image) {
        const std::size_t top = gutter_ + row * (image_height_ * scale_ + gutter_);
        const std::size_t left = gutter_ + column * (image_width_ * scale_ + gutter_);
        for (std::size_t y = 0; y < image_height_; ++y)
            for (std::size_t x = 0; x < image_width_; ++x) {
                const auto index = static_cast<Eigen::Index>(y * image_width_ + x);
                const std::uint8_t level = gray_level(static_cast<double>(image(index)));
                for (std::size_t dy = 0; dy < scale_; ++dy) {
                    std::uint8_t* out = pixels_.data() + (top + y * scale_ + dy) * width_ + left + x * scale_;
                    std::fill_n(out, scale_, level);
                }
            }
    }

    void save(const std::filesystem::path& path) const { save_png(path, width_, height_, 1, pixels_); }

private:
    std::size_t image_height_;
    std::size_t image_width_;
    std::size_t scale_;
    std::size_t gutter_;
    std::size_t width_ = 0;
    std::size_t height_ = 0;
    std::vector<std::uint8_t> pixels_;
};

/// throws: argument_error when an image side or the scale is 0.
inline void check_image_size(std::string_view function, std::size_t image_height, std::size_t image_width,
                             std::size_t scale) {
    if (image_height == 0 || image_width == 0)
        throw argument_error(std::string(function) + ": expected an image size of at least 1 x 1, found " +
                             std::to_string(image_height) + " x " + std::to_string(image_width));
    if (scale == 0) throw argument_error(std::string(function) + ": expected a scale of at least 1, found 0");
}

/// throws: shape_error when `images` does not have image_height * image_width rows.
template <class Derived>
void check_image_rows(std::string_view function, std::string_view name, const Eigen::MatrixBase<Derived>& images,
                      std::size_t image_height, std::size_t image_width) {
    const std::size_t expected = image_height * image_width;
    if (static_cast<std::size_t>(images.rows()) != expected)
        throw shape_error(std::string(function) + ": expected " + std::string(name) + " of " +
                          std::to_string(image_height) + " x " + std::to_string(image_width) + " = " +
                          std::to_string(expected) + " pixels per column, found " + std::to_string(images.rows()) +
                          " rows");
}

}  // namespace detail

/// Saves the columns of `images` as a grayscale PNG grid, `columns` images a row (fewer when there are fewer
/// images), filled row by row, with 2-pixel mid-gray gutters; every pixel becomes scale x scale.
/// requires: images.rows() == image_height * image_width; at least one image; columns, scale >= 1.
/// throws: shape_error (pixel count), argument_error (zero sizes, no images, picture too large), file_error.
template <ImageColumns Derived>
void save_image_grid(const std::filesystem::path& path, const Eigen::MatrixBase<Derived>& images,
                     std::size_t image_height, std::size_t image_width, std::size_t columns, std::size_t scale = 2) {
    constexpr std::string_view function = "latent::save_image_grid";
    detail::check_image_size(function, image_height, image_width, scale);
    if (columns == 0) throw argument_error("latent::save_image_grid: expected at least 1 column, found 0");
    detail::check_image_rows(function, "images", images, image_height, image_width);
    const auto count = static_cast<std::size_t>(images.cols());
    if (count == 0) throw argument_error("latent::save_image_grid: expected at least one image, found none");

    const auto& values = images.eval();  // no copy for a plain matrix; evaluates products once
    const std::size_t grid_columns = std::min(columns, count);
    detail::ImageGridCanvas canvas{function, (count + grid_columns - 1) / grid_columns, grid_columns,
                                   image_height, image_width, scale};
    for (std::size_t i = 0; i < count; ++i)
        canvas.draw(i / grid_columns, i % grid_columns, values.col(static_cast<Eigen::Index>(i)));
    canvas.save(path);
}

/// Saves a grayscale PNG with `originals` in the top row and each one's reconstruction directly below it,
/// 2-pixel mid-gray gutters, every pixel scale x scale.
/// requires: both have image_height * image_width rows and the same number (>= 1) of columns.
/// throws: shape_error (pixel counts, counts differ), argument_error (zero sizes, no images, too large), file_error.
template <ImageColumns Originals, ImageColumns Reconstructions>
void save_reconstruction_grid(const std::filesystem::path& path, const Eigen::MatrixBase<Originals>& originals,
                              const Eigen::MatrixBase<Reconstructions>& reconstructions, std::size_t image_height,
                              std::size_t image_width, std::size_t scale = 2) {
    constexpr std::string_view function = "latent::save_reconstruction_grid";
    detail::check_image_size(function, image_height, image_width, scale);
    detail::check_image_rows(function, "originals", originals, image_height, image_width);
    detail::check_image_rows(function, "reconstructions", reconstructions, image_height, image_width);
    if (reconstructions.cols() != originals.cols())
        throw shape_error("latent::save_reconstruction_grid: expected as many reconstructions as originals (" +
                          std::to_string(originals.cols()) + "), found " + std::to_string(reconstructions.cols()));
    const auto count = static_cast<std::size_t>(originals.cols());
    if (count == 0) throw argument_error("latent::save_reconstruction_grid: expected at least one image, found none");

    const auto& top = originals.eval();
    const auto& bottom = reconstructions.eval();
    detail::ImageGridCanvas canvas{function, 2, count, image_height, image_width, scale};
    for (std::size_t i = 0; i < count; ++i) {
        canvas.draw(0, i, top.col(static_cast<Eigen::Index>(i)));
        canvas.draw(1, i, bottom.col(static_cast<Eigen::Index>(i)));
    }
    canvas.save(path);
}

}  // namespace latent
