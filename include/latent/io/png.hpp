#pragma once
// PNG files through libpng, written atomically (AtomicFile): a reader, or a crash, never sees half a picture.
// Link with -lpng.

#include "latent/core/error.hpp"
#include "latent/io/atomic_file.hpp"

#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>

namespace latent {
namespace detail {

struct PngWriteState {
    std::FILE* file = nullptr;
    int write_errno = 0;       // set when the OS refused the bytes, to report its reason instead of libpng's
    char message[256] = {};    // libpng's error text
};

inline void write_png_bytes(png_structp png, png_bytep data, std::size_t size) {
    auto* state = static_cast<PngWriteState*>(png_get_io_ptr(png));
    if (std::fwrite(data, 1, size, state->file) != size) {
        state->write_errno = errno;
        png_error(png, "write failed");
    }
}

inline void flush_png_bytes(png_structp png) {
    auto* state = static_cast<PngWriteState*>(png_get_io_ptr(png));
    if (std::fflush(state->file) != 0) {
        state->write_errno = errno;
        png_error(png, "flush failed");
    }
}

inline void record_png_error(png_structp png, png_const_charp message) {
    auto* state = static_cast<PngWriteState*>(png_get_error_ptr(png));
    std::snprintf(state->message, sizeof state->message, "%s", message);
    png_longjmp(png, 1);
}

inline void ignore_png_warning(png_structp, png_const_charp) {}  // warnings do not make the file wrong

/// Encodes 8-bit rows into state.file; false (with state's message or errno set) on failure.
/// libpng reports errors by longjmp, which skips destructors: only trivially destructible locals here.
inline bool encode_png(PngWriteState& state, std::uint32_t width, std::uint32_t height, int color_type,
                       std::size_t row_bytes, const std::uint8_t* pixels) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, record_png_error, ignore_png_warning);
    if (png == nullptr) {
        std::snprintf(state.message, sizeof state.message, "libpng could not allocate its state");
        return false;
    }
    png_infop info = png_create_info_struct(png);
    if (info == nullptr) {
        png_destroy_write_struct(&png, nullptr);
        std::snprintf(state.message, sizeof state.message, "libpng could not allocate its state");
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, &state, write_png_bytes, flush_png_bytes);
    png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (std::uint32_t y = 0; y < height; ++y) png_write_row(png, pixels + y * row_bytes);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

}  // namespace detail

/// libpng refuses larger images unless told otherwise (PNG_USER_WIDTH_MAX / PNG_USER_HEIGHT_MAX).
inline constexpr std::size_t max_png_side = 1'000'000;

/// Writes an 8-bit PNG: `channels` 1 (gray) or 3 (RGB), `pixels` row-major, top row first, channels interleaved.
/// The file at `path` is replaced atomically: it is either untouched or the complete new picture.
/// requires: 1 <= width, height <= max_png_side; pixels.size() == width * height * channels.
/// throws: argument_error (sizes, channels), shape_error (pixel count), file_error (path and OS or libpng reason).
inline void save_png(const std::filesystem::path& path, std::size_t width, std::size_t height, std::size_t channels,
                     std::span<const std::uint8_t> pixels) {
    if (channels != 1 && channels != 3)
        throw argument_error("latent::save_png: expected 1 (gray) or 3 (RGB) channels, found " +
                             std::to_string(channels));
    if (width == 0 || height == 0 || width > max_png_side || height > max_png_side)
        throw argument_error("latent::save_png: expected a width and height from 1 to " +
                             std::to_string(max_png_side) + ", found " + std::to_string(width) + " x " +
                             std::to_string(height));
    const std::size_t expected = width * height * channels;
    if (pixels.size() != expected)
        throw shape_error("latent::save_png: expected " + std::to_string(expected) + " bytes (" +
                          std::to_string(width) + " x " + std::to_string(height) + " x " + std::to_string(channels) +
                          "), found " + std::to_string(pixels.size()));

    AtomicFile file{path};
    detail::PngWriteState state;
    state.file = file.handle();
    const bool encoded = detail::encode_png(state, static_cast<std::uint32_t>(width),
                                            static_cast<std::uint32_t>(height),
                                            channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                                            width * channels, pixels.data());
    if (!encoded)
        throw file_error("latent::save_png: could not write \"" + file.temporary_path().string() + "\": " +
                         (state.write_errno != 0 ? std::generic_category().message(state.write_errno)
                                                 : "libpng: " + std::string(state.message)));
    file.commit();
}

}  // namespace latent
