#pragma once
// Reader for the IDX format of MNIST and Fashion-MNIST: a 4-byte magic number (00 00, an element type code,
// the number of dimensions), one big-endian uint32 per dimension, then the elements. Files may be gzipped.
// Every size read from a file is checked before use, since parse_idx is meant to survive hostile input.

#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace latent {

/// An IDX array of unsigned bytes: `values` holds the product of `dims` elements in row-major order.
struct IdxArray {
    std::vector<std::uint32_t> dims;
    std::vector<std::uint8_t> values;
};

// Nested so that these helpers' short names cannot clash with those of other headers.
namespace detail::idx {

// Deflate expands by up to about 1032:1, so a 1 MB file can inflate to a gigabyte. Fashion-MNIST's
// largest file is 47 MB: 1 GiB leaves room for larger sets and still refuses zip bombs.
inline constexpr std::size_t max_decompressed_bytes = std::size_t{1} << 30;

// Appended piece by piece: g++ 12 gives a false -Wrestrict for "'" + std::string (GCC bug 105329).
inline std::string in_quotes(std::string_view name) {
    std::string quoted(1, '\'');
    quoted += name;
    quoted += '\'';
    return quoted;
}

inline std::string hex_byte(std::uint8_t b) {
    constexpr char digits[] = "0123456789abcdef";
    return {'0', 'x', digits[b >> 4], digits[b & 0xf]};
}

// Long dimension lists (a hostile header may hold 255) are shortened to keep messages readable.
inline std::string dims_text(std::span<const std::uint32_t> dims) {
    if (dims.empty()) return "no dimensions";
    constexpr std::size_t shown = 6;
    std::string text;
    for (std::size_t i = 0; i < dims.size() && i < shown; ++i) text += (i == 0 ? "" : " x ") + std::to_string(dims[i]);
    if (dims.size() > shown) text += " x ... (" + std::to_string(dims.size()) + " dimensions)";
    return text;
}

inline std::string idx_type_name(std::uint8_t code) {
    switch (code) {
        case 0x08: return "unsigned byte";
        case 0x09: return "signed byte";
        case 0x0b: return "16-bit integer";
        case 0x0c: return "32-bit integer";
        case 0x0d: return "float";
        case 0x0e: return "double";
        default: return {};
    }
}

struct IdxHeader {
    std::vector<std::uint32_t> dims;
    std::size_t size = 0;  // bytes before the first element
};

// Validates the header and that exactly the described number of elements follows it.
inline IdxHeader parse_idx_header(std::span<const std::uint8_t> bytes, std::string_view name) {
    const std::string file = "latent: " + in_quotes(name);
    if (bytes.size() < 4)
        throw format_error(file + " is not an IDX file: expected a 4-byte magic number, found " +
                           std::to_string(bytes.size()) + " bytes");
    if (bytes[0] != 0 || bytes[1] != 0)
        throw format_error(file + " is not an IDX file: expected its first two bytes to be 0x00 0x00, found " +
                           hex_byte(bytes[0]) + " " + hex_byte(bytes[1]));
    const std::uint8_t type = bytes[2];
    if (idx_type_name(type).empty())
        throw format_error(file + " is not an IDX file: expected an element type code (0x08, 0x09, 0x0b, 0x0c, " +
                           "0x0d or 0x0e) in its third byte, found " + hex_byte(type));
    if (type != 0x08)
        throw format_error(file + " holds " + idx_type_name(type) + " elements (type code " + hex_byte(type) +
                           "): expected unsigned bytes (type code 0x08), the only element type supported");

    const std::size_t rank = bytes[3];
    IdxHeader header{std::vector<std::uint32_t>(rank), 4 + 4 * rank};
    if (bytes.size() < header.size)
        throw format_error(file + " has a truncated header: expected " + std::to_string(header.size) +
                           " bytes for " + std::to_string(rank) + " dimensions, found " + std::to_string(bytes.size()));
    bool has_zero = false;
    for (std::size_t i = 0; i < rank; ++i) {
        const std::uint8_t* p = bytes.data() + 4 + 4 * i;
        header.dims[i] = std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
        has_zero |= header.dims[i] == 0;
    }

    // A zero dimension makes the product 0 even where the other dimensions alone would overflow.
    std::uint64_t count = has_zero ? 0 : 1;
    bool overflow = false;
    for (std::size_t i = 0; i < rank && count != 0; ++i) {
        if (count > std::numeric_limits<std::uint64_t>::max() / header.dims[i]) {
            overflow = true;
            break;
        }
        count *= header.dims[i];
    }
    const std::size_t found = bytes.size() - header.size;
    if (overflow || count != found) {
        const std::string expected = overflow ? "at least 2^64" : std::to_string(count);
        const std::string problem = overflow || count > found ? " is truncated" : " has trailing bytes";
        throw format_error(file + problem + ": expected " + expected + " bytes of data after the header (" +
                           dims_text(header.dims) + "), found " + std::to_string(found));
    }
    return header;
}

// Reads a whole file; errors carry the OS's reason.
inline std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
    struct Closer {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    const std::unique_ptr<std::FILE, Closer> file{std::fopen(path.string().c_str(), "rb")};
    if (!file)
        throw file_error("latent: cannot open " + in_quotes(path.string()) + ": " +
                         std::generic_category().message(errno));

    std::error_code ec;
    const std::uintmax_t size_hint = std::filesystem::file_size(path, ec);
    // One byte more than the file's size, so that reaching its end needs no extra growth.
    std::vector<std::uint8_t> bytes(ec ? std::size_t{1} << 16 : static_cast<std::size_t>(size_hint) + 1);
    std::size_t used = 0;
    for (;;) {
        if (used == bytes.size()) bytes.resize(bytes.size() * 2);
        const std::size_t wanted = bytes.size() - used;
        const std::size_t got = std::fread(bytes.data() + used, 1, wanted, file.get());
        used += got;
        if (got == wanted) continue;
        if (std::ferror(file.get()))
            throw file_error("latent: cannot read " + in_quotes(path.string()) + ": " +
                             std::generic_category().message(errno));
        break;
    }
    bytes.resize(used);
    return bytes;
}

inline bool is_gzip(std::span<const std::uint8_t> bytes) noexcept {
    return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// How inflate_into stopped.
struct Inflated {
    enum Status { complete, over_limit, truncated, corrupt } status = complete;
    int code = Z_OK;                   // corrupt: zlib's return code
    const char* message = nullptr;     // corrupt: zlib's message, if it gave one
    std::size_t position = 0;          // corrupt: the input byte it stopped near
};

// Feeds `in` through `zs` (inflateInit2 done by the caller, which chooses gzip or raw deflate and ends it) onto
// `out`, until the stream ends (with `members`, the last of several concatenated gzip members), the output would pass
// `limit` bytes, the input ends mid-stream, or zlib finds it corrupt. Throws std::bad_alloc if zlib runs out of
// memory; the caller words every other outcome. Shared by the gzip reader and the .npz reader.
inline Inflated inflate_into(z_stream& zs, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                             std::size_t limit, bool members) {
    // zlib's counters are 32-bit, so the input goes in by chunks and the output comes through a buffer.
    constexpr std::size_t in_chunk = std::size_t{1} << 30;
    std::vector<std::uint8_t> buffer(std::size_t{1} << 18);
    std::size_t in_pos = 0;
    for (;;) {
        if (zs.avail_in == 0 && in_pos < in.size()) {
            const std::size_t n = std::min(in.size() - in_pos, in_chunk);
            zs.next_in = const_cast<Bytef*>(in.data() + in_pos);  // zlib reads through a non-const pointer
            zs.avail_in = static_cast<uInt>(n);
            in_pos += n;
        }
        zs.next_out = buffer.data();
        zs.avail_out = static_cast<uInt>(buffer.size());
        const int rc = inflate(&zs, Z_NO_FLUSH);
        const std::size_t produced = buffer.size() - zs.avail_out;
        if (produced > limit - out.size()) return {Inflated::over_limit};
        out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(produced));
        const bool input_done = zs.avail_in == 0 && in_pos == in.size();
        if (rc == Z_STREAM_END) {
            if (input_done || !members) return {Inflated::complete};
            inflateReset(&zs);  // another member follows; if it is garbage, inflate says so next round
        } else if (rc == Z_MEM_ERROR) {
            throw std::bad_alloc();
        } else if (rc == Z_BUF_ERROR && input_done) {
            return {Inflated::truncated};
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return {Inflated::corrupt, rc, zs.msg, in_pos - zs.avail_in};
        }
    }
}

// Inflates a gzip stream (several concatenated members too, as gzip(1) reads them).
// Throws format_error when the output would exceed `limit` bytes.
inline std::vector<std::uint8_t> gunzip(std::span<const std::uint8_t> in, std::string_view name, std::size_t limit) {
    const std::string file = "latent: " + in_quotes(name);
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();  // it fails only for lack of memory
    struct Ender {
        z_stream* zs;
        ~Ender() { inflateEnd(zs); }
    } ender{&zs};

    // The trailer's ISIZE (length mod 2^32) sizes the output; a hostile file may lie, so it is capped by
    // deflate's largest ratio (about 1032:1) and by the limit. reserve() only maps memory: pages a lie
    // leaves unused are never touched.
    std::uint64_t hint = 0;
    if (in.size() >= 18)
        for (std::size_t i = 0; i < 4; ++i) hint |= std::uint64_t{in[in.size() - 4 + i]} << (8 * i);
    std::vector<std::uint8_t> out;
    out.reserve(static_cast<std::size_t>(std::min({hint, std::uint64_t{1032} * in.size(), std::uint64_t{limit}})));

    const Inflated result = inflate_into(zs, in, out, limit, true);
    switch (result.status) {
        case Inflated::complete: break;
        case Inflated::over_limit:
            throw format_error(file + " decompresses to too much data: expected at most " + std::to_string(limit) +
                               " bytes, found more (a corrupt file or a zip bomb)");
        case Inflated::truncated:
            throw format_error(file + " is a truncated gzip stream: expected more compressed data, found the end of " +
                               "the file after " + std::to_string(in.size()) + " bytes");
        case Inflated::corrupt:
            throw format_error(file + " is a corrupt gzip stream: expected valid compressed data, found " +
                               (result.message != nullptr ? std::string(result.message)
                                                          : "an error " + std::to_string(result.code)) +
                               " near compressed byte " + std::to_string(result.position));
    }
    return out;
}

}  // namespace detail::idx

/// Parses an IDX buffer that is already decompressed; `name` (a path, usually) appears in error messages.
/// ensures: result.values.size() is the product of result.dims.
/// throws: format_error for anything but a complete IDX array of unsigned bytes with no trailing bytes.
inline IdxArray parse_idx(std::span<const std::uint8_t> bytes, std::string_view name) {
    detail::idx::IdxHeader header = detail::idx::parse_idx_header(bytes, name);
    return {std::move(header.dims), std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(header.size),
                                                              bytes.end())};
}

/// Decodes the bytes of an IDX file held in memory, gzipped (recognised by its 1f 8b magic) or not, exactly as
/// read_idx decodes a file's bytes; `name` appears in error messages.
/// throws: format_error as parse_idx, for a corrupt gzip stream, or for more than 1 GiB of decompressed data.
inline IdxArray decode_idx(std::vector<std::uint8_t> bytes, std::string_view name) {
    if (detail::idx::is_gzip(bytes)) bytes = detail::idx::gunzip(bytes, name, detail::idx::max_decompressed_bytes);
    detail::idx::IdxHeader header = detail::idx::parse_idx_header(bytes, name);
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header.size));  // in place: no second copy
    return {std::move(header.dims), std::move(bytes)};
}

/// Reads an IDX file, gzipped (recognised by its 1f 8b magic, not its name) or not.
/// throws: file_error when it cannot be read; format_error as decode_idx.
inline IdxArray read_idx(const std::filesystem::path& path) {
    return decode_idx(detail::idx::read_file(path), path.string());
}

namespace detail::idx {

// Checks that an array is N x height x width with images of at least 1 x 1 (`name` names its file).
inline void check_image_dims(const IdxArray& array, std::string_view name) {
    const std::string file = "latent::load_idx_images: " + in_quotes(name);
    if (array.dims.size() != 3)
        throw format_error(file + ": expected 3 dimensions (count x height x width), found " +
                           std::to_string(array.dims.size()) + " (" + dims_text(array.dims) + ")");
    if (array.dims[1] == 0 || array.dims[2] == 0)
        throw format_error(file + ": expected images of at least 1 x 1 pixels, found " +
                           std::to_string(array.dims[1]) + " x " + std::to_string(array.dims[2]));
}

inline IdxArray read_idx_images(const std::filesystem::path& path) {
    IdxArray array = read_idx(path);
    check_image_dims(array, path.string());
    return array;
}

}  // namespace detail::idx

/// Reads an N x height x width IDX file of images (train-images-idx3-ubyte, say), without labels.
/// throws: as read_idx; format_error unless it has 3 dimensions and images of at least 1 x 1.
inline Dataset<std::uint8_t> load_idx_images(const std::filesystem::path& path) {
    IdxArray array = detail::idx::read_idx_images(path);
    return Dataset<std::uint8_t>(std::move(array.values), array.dims[1], array.dims[2]);
}

/// Reads a one-dimensional IDX file of labels (train-labels-idx1-ubyte, say).
/// throws: as read_idx; format_error unless it has exactly 1 dimension.
inline std::vector<std::uint8_t> load_idx_labels(const std::filesystem::path& path) {
    IdxArray array = read_idx(path);
    if (array.dims.size() != 1)
        throw format_error("latent::load_idx_labels: " + detail::idx::in_quotes(path.string()) +
                           ": expected 1 dimension (count), found " + std::to_string(array.dims.size()) + " (" +
                           detail::idx::dims_text(array.dims) + ")");
    return std::move(array.values);
}

/// Reads images and their labels into one data set.
/// throws: as load_idx_images and load_idx_labels; shape_error when the two files hold different counts.
inline Dataset<std::uint8_t> load_labeled_images(const std::filesystem::path& images_path,
                                                 const std::filesystem::path& labels_path) {
    IdxArray images = detail::idx::read_idx_images(images_path);
    std::vector<std::uint8_t> labels = load_idx_labels(labels_path);
    using detail::idx::in_quotes;
    if (labels.size() != images.dims[0])
        throw shape_error("latent::load_labeled_images: expected one label per image, found " +
                          std::to_string(images.dims[0]) + " images in " + in_quotes(images_path.string()) + " and " +
                          std::to_string(labels.size()) + " labels in " + in_quotes(labels_path.string()));
    return Dataset<std::uint8_t>(std::move(images.values), images.dims[1], images.dims[2], std::move(labels));
}

}  // namespace latent
