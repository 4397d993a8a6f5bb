#pragma once
// Folders of PNG images as data sets: one sub-folder per class (labels from the sorted folder names), or one flat
// folder without labels. Decoded with libpng from bytes in memory, so a hostile file can neither crash the reader
// (libpng's errors come back by longjmp into a frame that owns nothing) nor make it allocate more than the file
// could hold. Link with -lpng (the latent target does).

#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/idx.hpp"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace latent {

/// A decoded picture: 8-bit values stored channel by channel, row by row, top row first (channels first, as the
/// convolutional layers take images).
struct PngImage {
    std::size_t channels = 0;  ///< 1 (gray) or 3 (RGB)
    std::size_t height = 0;
    std::size_t width = 0;
    std::vector<std::uint8_t> pixels;  ///< channels x height x width
};

/// The most bytes one decoded image may take (1 GiB, as the other readers' limit).
inline constexpr std::size_t max_png_image_bytes = std::size_t{1} << 30;

namespace detail::png_read {

// Deflate expands by at most about 1032:1; with PNG's filter byte per row, a file of n bytes cannot hold more
// than this many bytes of rows. A header that promises more is a lie, refused before anything is allocated.
inline constexpr std::size_t max_inflation = 1040;

struct State {
    std::span<const std::uint8_t> bytes;
    std::size_t offset = 0;
    char message[256] = {};
    // Filled by read_header, or used by read_rows.
    std::uint32_t width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    std::size_t file_channels = 0;  // samples per pixel as stored: 1 for a palette
    bool transparent = false;       // a tRNS chunk: libpng's palette expansion would add an alpha channel
    std::size_t channels = 0, row_bytes = 0;
};

inline void read_bytes(png_structp png, png_bytep out, std::size_t count) {
    auto* state = static_cast<State*>(png_get_io_ptr(png));
    if (count > state->bytes.size() - state->offset) png_error(png, "the file ends early (truncated)");
    std::memcpy(out, state->bytes.data() + state->offset, count);
    state->offset += count;
}

inline void record_error(png_structp png, png_const_charp message) {
    auto* state = static_cast<State*>(png_get_error_ptr(png));
    std::snprintf(state->message, sizeof state->message, "%s", message);
    png_longjmp(png, 1);
}

inline void ignore_warning(png_structp, png_const_charp) {}  // a bad ancillary chunk does not make the pixels wrong

/// libpng's read state, destroyed on every path.
struct Reader {
    png_structp png = nullptr;
    png_infop info = nullptr;
    Reader() = default;
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

// The two steps that may longjmp: each is a frame with only trivially destructible locals, so the jump skips no
// destructor. Each returns false with state.message set.
inline bool read_header(Reader& r, State& state) {
    if (setjmp(png_jmpbuf(r.png))) return false;
    png_set_read_fn(r.png, &state, read_bytes);
    png_set_user_limits(r.png, 1u << 20, 1u << 20);
    png_set_chunk_malloc_max(r.png, 8u << 20);  // text and ICC chunks: a hostile length cannot allocate more
    png_read_info(r.png, r.info);
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(r.png, r.info, &width, &height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
    state.width = width;
    state.height = height;
    state.bit_depth = bit_depth;
    state.color_type = color_type;
    state.file_channels = png_get_channels(r.png, r.info);
    state.transparent = png_get_valid(r.png, r.info, PNG_INFO_tRNS) != 0;
    return true;
}

inline bool read_rows(Reader& r, State& state, std::uint8_t* rows) {
    if (setjmp(png_jmpbuf(r.png))) return false;
    if (state.color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
    if (state.color_type == PNG_COLOR_TYPE_GRAY && state.bit_depth < 8) png_set_expand_gray_1_2_4_to_8(r.png);
    if (state.bit_depth == 16) png_set_scale_16(r.png);
    const int passes = png_set_interlace_handling(r.png);
    png_read_update_info(r.png, r.info);
    if (png_get_rowbytes(r.png, r.info) != state.row_bytes || png_get_channels(r.png, r.info) != state.channels)
        png_error(r.png, "libpng's transformed rows are not 8-bit gray or RGB");
    for (int pass = 0; pass < passes; ++pass)  // each pass of an interlaced image fills in the same rows
        for (std::uint32_t y = 0; y < state.height; ++y) png_read_row(r.png, rows + y * state.row_bytes, nullptr);
    png_read_end(r.png, nullptr);
    return true;
}

inline std::string color_name(int color_type) {
    switch (color_type) {
        case PNG_COLOR_TYPE_GRAY_ALPHA: return "gray with alpha";
        case PNG_COLOR_TYPE_RGB_ALPHA: return "RGB with alpha";
        case PNG_COLOR_TYPE_PALETTE: return "a palette with transparency (tRNS)";
        default: return "color type " + std::to_string(color_type);
    }
}

}  // namespace detail::png_read

/// Decodes a PNG held in memory (`name` names it in messages). Gray and RGB at 8 bits come back as they are;
/// 1, 2 and 4-bit gray are expanded to 8 bits, palettes to RGB, and 16-bit samples scaled to 8 bits
/// (v * 255 / 65535, rounded).
/// throws: format_error naming the file for anything that is not such a PNG: a bad signature, a truncated or
/// corrupt stream (libpng's reason is given), an alpha channel, or a header promising more than 1 GiB of pixels
/// or more than the file could hold.
inline PngImage decode_png(std::span<const std::uint8_t> bytes, std::string_view name) {
    using namespace detail::png_read;
    const std::string where = "latent::decode_png: " + detail::idx::in_quotes(name);
    if (bytes.size() < 8 || png_sig_cmp(bytes.data(), 0, 8) != 0)
        throw format_error(where + " is not a PNG file: expected its 8-byte signature");
    State state;
    state.bytes = bytes;
    Reader r;
    r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, record_error, ignore_warning);
    if (r.png != nullptr) r.info = png_create_info_struct(r.png);
    if (r.png == nullptr || r.info == nullptr) throw file_error(where + ": libpng could not allocate its state");
    if (!read_header(r, state)) throw format_error(where + " is corrupt: " + state.message);
    if (state.color_type == PNG_COLOR_TYPE_GRAY_ALPHA || state.color_type == PNG_COLOR_TYPE_RGB_ALPHA ||
        (state.color_type == PNG_COLOR_TYPE_PALETTE && state.transparent))
        throw format_error(where + ": expected a gray or RGB image, found " + color_name(state.color_type) +
                           " (a data set holds no alpha channel)");
    state.channels = state.color_type == PNG_COLOR_TYPE_GRAY ? 1 : 3;
    // libpng's user limits keep each side below 2^20, so these products cannot overflow.
    state.row_bytes = std::size_t(state.width) * state.channels;
    const std::size_t total = state.row_bytes * state.height;
    const std::size_t stored = (std::size_t(state.width) * state.file_channels * std::size_t(state.bit_depth) + 7) / 8 + 1;
    if (total > max_png_image_bytes || stored * state.height / max_inflation > bytes.size())
        throw format_error(where + ": expected at most " + std::to_string(max_png_image_bytes) +
                           " bytes of pixels that a " + std::to_string(bytes.size()) +
                           "-byte file can hold, found a header declaring " + std::to_string(state.width) + " x " +
                           std::to_string(state.height) + " x " + std::to_string(state.channels));
    std::vector<std::uint8_t> rows(total);
    if (!read_rows(r, state, rows.data())) throw format_error(where + " is corrupt: " + state.message);

    PngImage image{state.channels, state.height, state.width, std::vector<std::uint8_t>(total)};
    const std::size_t plane = std::size_t(state.width) * state.height;
    for (std::size_t p = 0; p < plane; ++p)  // interleaved RGBRGB... to channels first
        for (std::size_t c = 0; c < state.channels; ++c) image.pixels[c * plane + p] = rows[p * state.channels + c];
    return image;
}

/// Reads and decodes the PNG file at `path`. throws: file_error (cannot open or read), format_error (as decode_png).
inline PngImage read_png(const std::filesystem::path& path) {
    return decode_png(detail::idx::read_file(path), path.string());
}

/// What load_image_folder returns: the samples, and what they came from.
template <class Element>
struct ImageFolder {
    /// Sample i is files[i]'s image, channels x height x width values; the Dataset's height() is channels * height.
    Dataset<Element> data;
    std::vector<std::string> class_names;         ///< label k is class_names[k]; empty for a flat folder
    std::vector<std::filesystem::path> files;     ///< in the order of the samples
    std::size_t channels = 0, height = 0, width = 0;
};

/// Every `.png` file in `dir` as one data set, in sorted path order. If `dir` holds sub-folders, each is a class:
/// their sorted names are labels 0..n-1 and their `.png` files (not recursing further) its samples; files beside
/// the sub-folders are then refused. Otherwise `dir`'s own `.png` files are the samples, without labels.
/// Values are 0..255 with scale 1/255, so batches are in [0, 1] for any Element.
/// throws: file_error (no such folder, unreadable files), argument_error (no images, more than 256 classes, a PNG
/// beside class folders), format_error (a file that is not such a PNG), shape_error naming the first file whose
/// size or channel count differs from the first file's.
template <class Element = std::uint8_t>
ImageFolder<Element> load_image_folder(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    const std::string where = "latent::load_image_folder: " + detail::idx::in_quotes(dir.string());
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw file_error(where + ": expected a folder, found none");
    const auto pngs_in = [&](const fs::path& folder, std::vector<fs::path>* sub_folders) {
        std::vector<fs::path> files;
        fs::directory_iterator it(folder, ec);
        if (ec) throw file_error(where + ": cannot list " + detail::idx::in_quotes(folder.string()) + ": " + ec.message());
        for (const fs::directory_entry& entry : it) {
            if (entry.is_directory()) {
                if (sub_folders) sub_folders->push_back(entry.path());
            } else if (entry.path().extension() == ".png" || entry.path().extension() == ".PNG") {
                files.push_back(entry.path());
            }
        }
        std::ranges::sort(files);
        return files;
    };
    ImageFolder<Element> out;
    std::vector<fs::path> classes;
    std::vector<fs::path> files = pngs_in(dir, &classes);
    std::vector<std::uint8_t> labels;
    if (!classes.empty()) {
        if (!files.empty())
            throw argument_error(where + ": expected either class folders or images, found both (" +
                                 detail::idx::in_quotes(files.front().filename().string()) + " beside " +
                                 std::to_string(classes.size()) + " folders)");
        if (classes.size() > 256)
            throw argument_error(where + ": expected at most 256 class folders (labels are bytes), found " +
                                 std::to_string(classes.size()));
        std::ranges::sort(classes);
        for (std::size_t k = 0; k < classes.size(); ++k) {
            out.class_names.push_back(classes[k].filename().string());
            for (fs::path& file : pngs_in(classes[k], nullptr)) {
                files.push_back(std::move(file));
                labels.push_back(std::uint8_t(k));
            }
        }
    }
    if (files.empty()) throw argument_error(where + ": expected .png images, found none");

    std::vector<Element> values;
    for (const fs::path& file : files) {
        const PngImage image = read_png(file);
        if (out.channels == 0) {
            out.channels = image.channels;
            out.height = image.height;
            out.width = image.width;
            values.reserve(files.size() * image.pixels.size());
        } else if (image.channels != out.channels || image.height != out.height || image.width != out.width) {
            throw shape_error(where + ": expected images of " + std::to_string(out.channels) + " x " +
                              std::to_string(out.height) + " x " + std::to_string(out.width) + " (as " +
                              detail::idx::in_quotes(files.front().string()) + "), found " +
                              std::to_string(image.channels) + " x " + std::to_string(image.height) + " x " +
                              std::to_string(image.width) + " in " + detail::idx::in_quotes(file.string()));
        }
        for (const std::uint8_t v : image.pixels) values.push_back(static_cast<Element>(v));
    }
    out.data = Dataset<Element>(std::move(values), out.channels * out.height, out.width, std::move(labels), 1.0 / 255.0);
    out.files = std::move(files);
    return out;
}

}  // namespace latent
