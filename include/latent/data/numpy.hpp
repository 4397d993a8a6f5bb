#pragma once
// Reader for NumPy's .npy files and .npz archives (a zip of .npy files, stored or deflated), and data sets and
// matrices built from their arrays. io/numpy.hpp writes them.
//
// A .npy file: the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), the length of the header (2 bytes little-endian
// in 1.0, 4 bytes after), the header, a Python dict literal such as
//     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ending in '\n', then the elements. The header is parsed strictly (exactly these three
// keys, once each) and every size read from a file is checked against the bytes present before anything is
// allocated, since these readers are meant to survive hostile input (tests/fuzz/npy.cpp and npz.cpp fuzz them).

#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace latent {

/// The element types of the NumPy arrays latent reads and writes; in the order of NpyValues' alternatives.
enum class NpyType { int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64 };

/// An array's elements in C (row-major) order, one vector per element type.
using NpyValues = std::variant<std::vector<std::int8_t>, std::vector<std::uint8_t>, std::vector<std::int16_t>,
                               std::vector<std::uint16_t>, std::vector<std::int32_t>, std::vector<std::uint32_t>,
                               std::vector<std::int64_t>, std::vector<std::uint64_t>, std::vector<float>,
                               std::vector<double>>;

static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4, "NumPy's float32 is IEEE binary32");
static_assert(std::numeric_limits<double>::is_iec559 && sizeof(double) == 8, "NumPy's float64 is IEEE binary64");
static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "latent reads NumPy files on little- and big-endian machines only");

namespace detail::npy {

template <class T, class Variant>
struct index_of;
template <class T, class... Ts>
struct index_of<T, std::variant<Ts...>> {
    static constexpr std::size_t value = [] {
        constexpr bool same[] = {std::is_same_v<T, Ts>...};
        for (std::size_t i = 0; i < sizeof...(Ts); ++i)
            if (same[i]) return i;
        return sizeof...(Ts);
    }();
};

}  // namespace detail::npy

/// The NpyType of elements of type T, for the ten types NpyValues holds.
template <class T>
    requires(detail::npy::index_of<std::vector<T>, NpyValues>::value < std::variant_size_v<NpyValues>)
inline constexpr NpyType npy_type_of = static_cast<NpyType>(detail::npy::index_of<std::vector<T>, NpyValues>::value);

/// NumPy's name of an element type: "float32", "uint8", ...
inline std::string npy_type_name(NpyType type) {
    constexpr std::array<const char*, 10> names = {"int8",  "uint8",  "int16",   "uint16",  "int32",
                                                   "uint32", "int64", "uint64", "float32", "float64"};
    return names[static_cast<std::size_t>(type)];
}

/// Bytes per element of a type.
inline std::size_t npy_type_size(NpyType type) {
    constexpr std::array<std::size_t, 10> sizes = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
    return sizes[static_cast<std::size_t>(type)];
}

/// A NumPy array of 1 to 4 dimensions: its shape and its elements in C order (a file in Fortran order is
/// reordered when read). Invariant: the number of elements is the product of the shape.
class NpyArray {
public:
    /// An empty one-dimensional float32 array.
    NpyArray() : shape_{0}, values_{std::vector<float>{}} {}

    /// requires: 1 to 4 dimensions (else shape_error) whose product is values.size() (else shape_error).
    template <class T>
    NpyArray(std::vector<std::size_t> shape, std::vector<T> values) : shape_{std::move(shape)}, values_{std::move(values)} {
        if (shape_.empty() || shape_.size() > 4)
            throw shape_error("latent::NpyArray: expected 1 to 4 dimensions, found " + std::to_string(shape_.size()));
        std::size_t count = 1;
        for (const std::size_t d : shape_) {
            if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d) {
                count = std::numeric_limits<std::size_t>::max();
                break;
            }
            count *= d;
        }
        if (count != size())
            throw shape_error("latent::NpyArray: expected " + std::to_string(count) + " values for the shape " +
                              shape_text(shape_) + ", found " + std::to_string(size()));
    }

    const std::vector<std::size_t>& shape() const noexcept { return shape_; }
    std::size_t rank() const noexcept { return shape_.size(); }
    NpyType type() const noexcept { return static_cast<NpyType>(values_.index()); }
    const NpyValues& values() const noexcept { return values_; }
    std::size_t size() const noexcept {
        return std::visit([](const auto& v) { return v.size(); }, values_);
    }

    /// The elements, when they are of type T. throws: argument_error naming both types otherwise.
    template <class T>
    const std::vector<T>& as() const {
        if (const auto* v = std::get_if<std::vector<T>>(&values_)) return *v;
        throw argument_error("latent::NpyArray::as: expected an array of " + npy_type_name(npy_type_of<T>) +
                             ", found " + npy_type_name(type()));
    }

    /// The elements converted to T (a static_cast each, as NumPy's astype).
    template <class T>
    std::vector<T> converted() const {
        return std::visit([](const auto& v) { return std::vector<T>(v.begin(), v.end()); }, values_);
    }

    /// "(2, 3)", as Python prints a shape.
    static std::string shape_text(std::span<const std::size_t> shape) {
        std::string text = "(";
        for (std::size_t i = 0; i < shape.size(); ++i) {
            if (i != 0) text += ", ";  // appended: g++ 12 gives a false -Wrestrict for "..." + std::string
            text += std::to_string(shape[i]);
        }
        return text + (shape.size() == 1 ? ",)" : ")");
    }

private:
    std::vector<std::size_t> shape_;
    NpyValues values_;
};

/// The arrays of an .npz archive by name (the member's name without ".npy").
using NpzArrays = std::map<std::string, NpyArray, std::less<>>;

namespace detail::npy {

using idx::in_quotes;

/// Arrays and archives larger than this are refused (the same cap as for gzipped IDX files).
inline constexpr std::size_t max_bytes = idx::max_decompressed_bytes;

struct Header {
    NpyType type = NpyType::float32;
    bool big_endian = false;
    bool fortran_order = false;
    std::vector<std::size_t> shape;
    std::size_t data_offset = 0;
    std::size_t data_bytes = 0;
};

// A strict reader of the header's Python dict literal.
class HeaderParser {
public:
    HeaderParser(std::string_view text, std::string file) : text_{text}, file_{std::move(file)} {}

    Header parse() {
        Header header;
        bool seen_descr = false, seen_order = false, seen_shape = false;
        skip_spaces();
        expect('{', "'{' opening the header's dict");
        for (;;) {
            skip_spaces();
            if (peek() == '}') break;
            const std::string key = string_literal("a quoted key");
            skip_spaces();
            expect(':', "':' after the key " + in_quotes(key));
            skip_spaces();
            if (key == "descr") {
                duplicate(seen_descr, key);
                descr(header);
            } else if (key == "fortran_order") {
                duplicate(seen_order, key);
                header.fortran_order = boolean();
            } else if (key == "shape") {
                duplicate(seen_shape, key);
                header.shape = shape();
            } else {
                fail("expected the keys 'descr', 'fortran_order' and 'shape', found the key " + in_quotes(key));
            }
            skip_spaces();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() != '}') fail("expected ',' or '}' after the value of " + in_quotes(key) + ", found " + here());
        }
        ++pos_;  // '}'
        if (!seen_descr || !seen_order || !seen_shape)
            fail(std::string("expected the keys 'descr', 'fortran_order' and 'shape', found no ") +
                 (!seen_descr ? "'descr'" : !seen_order ? "'fortran_order'" : "'shape'"));
        while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
        if (pos_ + 1 != text_.size() || text_[pos_] != '\n')
            fail("expected the header's dict to be followed only by spaces and a final newline, found " + here());
        return header;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw format_error(file_ + " has an invalid .npy header: " + what);
    }
    char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    std::string here() const {
        if (pos_ >= text_.size()) return "the end of the header";
        const unsigned char c = static_cast<unsigned char>(text_[pos_]);
        std::string shown = c >= 0x20 && c < 0x7f ? in_quotes(std::string_view(&text_[pos_], 1)) : idx::hex_byte(c);
        return shown + " at header byte " + std::to_string(pos_);
    }
    void skip_spaces() noexcept {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    }
    void expect(char c, const std::string& what) {
        if (peek() != c) fail("expected " + what + ", found " + here());
        ++pos_;
    }
    void duplicate(bool& seen, const std::string& key) const {
        if (seen) fail("expected each key once, found " + in_quotes(key) + " twice");
        seen = true;
    }
    // 'text' or "text", of printable ASCII without escapes (what NumPy writes for these keys and values).
    std::string string_literal(const std::string& what) {
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail("expected " + what + ", found " + here());
        const std::size_t start = ++pos_;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            const unsigned char c = static_cast<unsigned char>(text_[pos_]);
            if (c < 0x20 || c >= 0x7f || c == '\\') fail("expected " + what + " of plain ASCII, found " + here());
            ++pos_;
        }
        if (pos_ >= text_.size()) fail("expected the end of " + what + ", found the end of the header");
        return std::string(text_.substr(start, pos_++ - start));
    }
    bool boolean() {
        if (text_.substr(pos_, 4) == "True") {
            pos_ += 4;
            return true;
        }
        if (text_.substr(pos_, 5) == "False") {
            pos_ += 5;
            return false;
        }
        fail("expected True or False for 'fortran_order', found " + here());
    }
    std::size_t integer() {
        const std::size_t start = pos_;
        std::size_t value = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            const std::size_t digit = static_cast<std::size_t>(text_[pos_] - '0');
            if (value > (std::numeric_limits<std::size_t>::max() - digit) / 10)
                fail("expected a dimension below 2^64, found a larger one at header byte " + std::to_string(start));
            value = value * 10 + digit;
            ++pos_;
        }
        if (pos_ == start) fail("expected a dimension (a non-negative integer), found " + here());
        if (text_[start] == '0' && pos_ - start > 1)
            fail("expected a dimension without leading zeros, found one at header byte " + std::to_string(start));
        return value;
    }
    // "()", "(3,)", "(2, 3)", "(2, 3,)": a Python tuple of integers; a 1-tuple needs its comma.
    std::vector<std::size_t> shape() {
        expect('(', "a tuple '(...)' for 'shape'");
        std::vector<std::size_t> dims;
        bool trailing_comma = false;
        for (;;) {
            skip_spaces();
            if (peek() == ')') break;
            if (dims.size() == 32) fail("expected at most 32 dimensions (NumPy's limit), found more");
            dims.push_back(integer());
            skip_spaces();
            trailing_comma = peek() == ',';
            if (trailing_comma) {
                ++pos_;
                continue;
            }
            if (peek() != ')') fail("expected ',' or ')' in 'shape', found " + here());
        }
        ++pos_;
        if (dims.size() == 1 && !trailing_comma) fail("expected a 1-tuple written '(n,)' for 'shape', found '(n)'");
        return dims;
    }
    void descr(Header& header) {
        if (peek() == '[')
            fail("expected a plain element type for 'descr', found a structured type (a list of fields), "
                 "which latent does not read");
        const std::string d = string_literal("a quoted type for 'descr'");
        const std::string supported = "expected one of float32, float64, int8, int16, int32, int64, uint8, "
                                      "uint16, uint32 or uint64 ('<f4', '>f8', '|u1', ...), found ";
        if (d.find('O') != std::string::npos)
            fail("found " + in_quotes(d) + ", an array of Python objects (stored with pickle), which latent "
                 "refuses: " + supported.substr(0, supported.size() - 8));
        if (d.size() != 3) fail(supported + in_quotes(d));
        const char order = d[0], kind = d[1], size = d[2];
        NpyType type{};
        if (kind == 'f' && size == '4') type = NpyType::float32;
        else if (kind == 'f' && size == '8') type = NpyType::float64;
        else if (kind == 'i' && size == '1') type = NpyType::int8;
        else if (kind == 'i' && size == '2') type = NpyType::int16;
        else if (kind == 'i' && size == '4') type = NpyType::int32;
        else if (kind == 'i' && size == '8') type = NpyType::int64;
        else if (kind == 'u' && size == '1') type = NpyType::uint8;
        else if (kind == 'u' && size == '2') type = NpyType::uint16;
        else if (kind == 'u' && size == '4') type = NpyType::uint32;
        else if (kind == 'u' && size == '8') type = NpyType::uint64;
        else fail(supported + in_quotes(d));
        const bool one_byte = npy_type_size(type) == 1;
        if (order == '|' && !one_byte)
            fail("expected a byte order '<' or '>' for the " + std::to_string(npy_type_size(type)) +
                 "-byte type " + in_quotes(d) + ", found '|'");
        if (order != '<' && order != '>' && order != '|')
            fail("expected a byte order '<', '>' or '|' in 'descr', found " + in_quotes(d) +
                 (order == '=' ? " (native order, which depends on the machine that wrote it)" : ""));
        header.type = type;
        header.big_endian = order == '>' && !one_byte;
    }

    std::string_view text_;
    std::string file_;
    std::size_t pos_ = 0;
};

inline std::uint32_t little32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}
inline std::uint16_t little16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

// Validates magic, version, header and that exactly the described elements follow it.
inline Header parse_header(std::span<const std::uint8_t> bytes, std::string_view name) {
    const std::string file = "latent: " + in_quotes(name);
    constexpr std::uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (bytes.size() < 6 || !std::equal(magic, magic + 6, bytes.begin())) {
        std::string found;
        for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 6); ++i)
        {
            if (i != 0) found += ' ';  // appended: g++ 12 gives a false -Wrestrict for "..." + std::string
            found += idx::hex_byte(bytes[i]);
        }
        throw format_error(file + " is not a .npy file: expected the magic bytes 0x93 'NUMPY', found " +
                           (found.empty() ? "an empty file" : found));
    }
    if (bytes.size() < 8)
        throw format_error(file + " has a truncated .npy header: expected a version after the magic, found the end");
    const std::uint8_t major = bytes[6], minor = bytes[7];
    if (major < 1 || major > 3 || minor != 0)
        throw format_error(file + " has a .npy version latent does not read: expected 1.0, 2.0 or 3.0, found " +
                           std::to_string(major) + "." + std::to_string(minor));
    const std::size_t length_size = major == 1 ? 2 : 4;
    if (bytes.size() < 8 + length_size)
        throw format_error(file + " has a truncated .npy header: expected its " + std::to_string(length_size) +
                           "-byte length, found " + std::to_string(bytes.size() - 8) + " bytes");
    const std::size_t header_length = major == 1 ? little16(bytes.data() + 8) : little32(bytes.data() + 8);
    const std::size_t start = 8 + length_size;
    if (bytes.size() - start < header_length)
        throw format_error(file + " has a truncated .npy header: expected " + std::to_string(header_length) +
                           " bytes, found " + std::to_string(bytes.size() - start));
    const std::string_view text(reinterpret_cast<const char*>(bytes.data() + start), header_length);
    Header header = HeaderParser(text, file).parse();
    header.data_offset = start + header_length;

    if (header.shape.empty() || header.shape.size() > 4)
        throw format_error(file + " holds an array of " + std::to_string(header.shape.size()) + " dimensions " +
                           NpyArray::shape_text(header.shape) + ": expected 1 to 4");
    // A zero dimension makes the product 0 even where the others alone would overflow.
    const bool has_zero = std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end();
    std::size_t bytes_needed = has_zero ? 0 : npy_type_size(header.type);
    bool overflow = false;
    for (const std::size_t d : header.shape) {
        if (bytes_needed == 0) break;
        if (bytes_needed > std::numeric_limits<std::size_t>::max() / d) {
            overflow = true;
            break;
        }
        bytes_needed *= d;
    }
    const std::size_t found = bytes.size() - header.data_offset;
    if (overflow || bytes_needed != found) {
        const std::string expected = overflow ? "at least 2^64" : std::to_string(bytes_needed);
        const std::string problem = overflow || bytes_needed > found ? " is truncated" : " has trailing bytes";
        throw format_error(file + problem + ": expected " + expected + " bytes of data after the header (" +
                           npy_type_name(header.type) + ", shape " + NpyArray::shape_text(header.shape) + "), found " +
                           std::to_string(found));
    }
    header.data_bytes = bytes_needed;
    return header;
}

template <class T>
T load_element(const std::uint8_t* p, bool swap) noexcept {
    std::array<std::uint8_t, sizeof(T)> raw;
    std::memcpy(raw.data(), p, sizeof(T));
    if (swap) std::reverse(raw.begin(), raw.end());
    T value;
    std::memcpy(&value, raw.data(), sizeof(T));
    return value;
}

// Elements of a C- or Fortran-ordered array, into C order.
template <class T>
std::vector<T> load_values(const std::uint8_t* data, const Header& header) {
    std::size_t count = header.data_bytes / sizeof(T);
    std::vector<T> values(count);
    const bool swap = header.big_endian != (std::endian::native == std::endian::big);
    if (!header.fortran_order || header.shape.size() == 1 || count == 0) {
        for (std::size_t i = 0; i < count; ++i) values[i] = load_element<T>(data + i * sizeof(T), swap);
        return values;
    }
    // Fortran order: element (i0, ..., ik) is at i0 + d0 * (i1 + d1 * (...)). Walk C order with an odometer.
    const std::size_t rank = header.shape.size();
    std::array<std::size_t, 4> stride{}, index{};
    stride[0] = 1;
    for (std::size_t k = 1; k < rank; ++k) stride[k] = stride[k - 1] * header.shape[k - 1];
    std::size_t offset = 0;
    for (std::size_t i = 0; i < count; ++i) {
        values[i] = load_element<T>(data + offset * sizeof(T), swap);
        for (std::size_t k = rank; k-- > 0;) {
            if (++index[k] < header.shape[k]) {
                offset += stride[k];
                break;
            }
            offset -= stride[k] * (header.shape[k] - 1);
            index[k] = 0;
        }
    }
    return values;
}

template <std::size_t I = 0>
NpyValues load_any(const std::uint8_t* data, const Header& header) {
    if constexpr (I < std::variant_size_v<NpyValues>) {
        using T = typename std::variant_alternative_t<I, NpyValues>::value_type;
        if (static_cast<std::size_t>(header.type) == I) return load_values<T>(data, header);
        return load_any<I + 1>(data, header);
    } else {
        return {};
    }
}

}  // namespace detail::npy

/// Parses the bytes of a .npy file; `name` (a path, usually) appears in error messages.
/// ensures: the result holds the file's elements in C order, in the machine's byte order.
/// throws: format_error for anything but one complete array of a supported type and 1 to 4 dimensions, with
/// no trailing bytes (bad magic or version, a header that is not the dict NumPy writes, object or structured
/// arrays, too few or too many data bytes).
inline NpyArray parse_npy(std::span<const std::uint8_t> bytes, std::string_view name) {
    const detail::npy::Header header = detail::npy::parse_header(bytes, name);
    if (header.data_bytes > detail::npy::max_bytes)
        throw format_error("latent: " + detail::npy::in_quotes(name) + " holds " + std::to_string(header.data_bytes) +
                           " bytes of data: expected at most " + std::to_string(detail::npy::max_bytes));
    NpyValues values = detail::npy::load_any(bytes.data() + header.data_offset, header);
    return std::visit([&](auto&& v) { return NpyArray(header.shape, std::move(v)); }, std::move(values));
}

/// Reads a .npy file. throws: file_error when it cannot be read; format_error as parse_npy.
inline NpyArray read_npy(const std::filesystem::path& path) {
    return parse_npy(detail::idx::read_file(path), path.string());
}

namespace detail::npy {

inline constexpr std::uint32_t zip_local = 0x04034b50, zip_central = 0x02014b50, zip_end = 0x06054b50,
                               zip64_locator = 0x07064b50;

// Inflates a raw deflate stream that must give exactly `size` bytes; output grows only as it is produced.
inline std::vector<std::uint8_t> inflate_exactly(std::span<const std::uint8_t> in, std::size_t size,
                                                 const std::string& member) {
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw std::bad_alloc();
    struct Ender {
        z_stream* zs;
        ~Ender() { inflateEnd(zs); }
    } ender{&zs};
    std::vector<std::uint8_t> out;
    const idx::Inflated result = idx::inflate_into(zs, in, out, size, false);
    switch (result.status) {
        case idx::Inflated::complete: break;
        case idx::Inflated::over_limit:
            throw format_error(member + " inflates to more than the " + std::to_string(size) +
                               " bytes its zip entry declares");
        case idx::Inflated::truncated:
            throw format_error(member + " is a truncated deflate stream: expected more compressed data, found the "
                               "end of its " + std::to_string(in.size()) + " bytes");
        case idx::Inflated::corrupt:
            throw format_error(member + " is a corrupt deflate stream: " +
                               (result.message != nullptr ? std::string(result.message)
                                                          : "error " + std::to_string(result.code)));
    }
    if (out.size() != size)
        throw format_error(member + " inflates to " + std::to_string(out.size()) + " bytes: expected the " +
                           std::to_string(size) + " its zip entry declares");
    return out;
}

}  // namespace detail::npy

/// Parses the bytes of an .npz archive: a zip of .npy files, each stored or deflated (np.savez and
/// np.savez_compressed). `name` appears in error messages.
/// ensures: one array per member, named without ".npy".
/// throws: format_error for anything but a zip of .npy members as parse_npy reads them: zip64 archives,
/// encrypted members, other compression methods, members that are not .npy files, duplicate names, a CRC-32 that
/// does not match, more than 1 GiB of decompressed data, and every size or offset outside the file.
inline NpzArrays parse_npz(std::span<const std::uint8_t> bytes, std::string_view name) {
    using namespace detail::npy;
    const std::string file = "latent: " + in_quotes(name);
    auto u16 = [&](std::size_t at) { return std::size_t{little16(bytes.data() + at)}; };
    auto u32 = [&](std::size_t at) { return std::size_t{little32(bytes.data() + at)}; };

    // The end-of-central-directory record: 22 bytes and a comment of up to 65535, the last thing in the file.
    std::size_t end = bytes.size();
    for (std::size_t at = bytes.size() >= 22 ? bytes.size() - 22 + 1 : 0; at-- > 0;) {
        if (bytes.size() - 22 - at > 0xffff) break;
        if (u32(at) == zip_end && at + 22 + u16(at + 20) == bytes.size()) {
            end = at;
            break;
        }
    }
    if (end == bytes.size())
        throw format_error(file + " is not an .npz file: expected a zip archive, found no end-of-central-directory "
                                  "record");
    if (end >= 20 && u32(end - 20) == zip64_locator)
        throw format_error(file + " is a zip64 archive, which latent does not read: expected a plain zip archive "
                                  "(members and archive under 4 GiB, fewer than 65535 members)");
    const std::size_t entries = u16(end + 10), directory_size = u32(end + 12), directory_offset = u32(end + 16);
    if (u16(end + 4) != 0 || u16(end + 6) != 0 || u16(end + 8) != entries)
        throw format_error(file + " spans several disks: expected a zip archive in one file");
    if (entries == 0xffff || directory_size == 0xffffffff || directory_offset == 0xffffffff)
        throw format_error(file + " is a zip64 archive, which latent does not read: expected a plain zip archive");
    if (directory_offset > end || directory_size > end - directory_offset)
        throw format_error(file + " is a corrupt zip archive: expected its central directory (" +
                           std::to_string(directory_size) + " bytes at offset " + std::to_string(directory_offset) +
                           ") before its end record at " + std::to_string(end));

    NpzArrays arrays;
    std::size_t total = 0;
    std::size_t at = directory_offset;
    const std::size_t directory_end = directory_offset + directory_size;
    for (std::size_t i = 0; i < entries; ++i) {
        const std::string entry = file + " entry " + std::to_string(i);
        if (directory_end - at < 46 || u32(at) != zip_central)
            throw format_error(entry + ": expected a central directory record at offset " + std::to_string(at) +
                               ", found " + (directory_end - at < 46 ? "the directory's end" : "other bytes"));
        const std::size_t flags = u16(at + 8), method = u16(at + 10);
        const std::uint32_t crc = little32(bytes.data() + at + 16);
        const std::size_t packed = u32(at + 20), size = u32(at + 24), name_length = u16(at + 28),
                          extra_length = u16(at + 30), comment_length = u16(at + 32), local = u32(at + 42);
        if (directory_end - at - 46 < name_length + extra_length + comment_length)
            throw format_error(entry + ": expected its name, extra field and comment within the central directory");
        const std::string member(reinterpret_cast<const char*>(bytes.data() + at + 46), name_length);
        const std::string where = file + " member " + in_quotes(member);
        at += 46 + name_length + extra_length + comment_length;

        if (flags & 0x41)
            throw format_error(where + " is encrypted: expected an unencrypted archive, as np.savez writes");
        if (packed == 0xffffffff || size == 0xffffffff || local == 0xffffffff)
            throw format_error(where + " has zip64 sizes, which latent does not read: expected a member under 4 GiB");
        if (method != 0 && method != 8)
            throw format_error(where + " uses compression method " + std::to_string(method) +
                               ": expected 0 (stored) or 8 (deflate)" + (method == 99 ? " (99 is AES encryption)" : ""));
        if (member.size() < 5 || member.substr(member.size() - 4) != ".npy")
            throw format_error(where + ": expected only .npy members in an .npz archive");
        const std::string key = member.substr(0, member.size() - 4);
        if (arrays.contains(key)) throw format_error(where + " appears twice: expected each name once");
        if (method == 0 && packed != size)
            throw format_error(where + " is stored with a compressed size of " + std::to_string(packed) +
                               " and a size of " + std::to_string(size) + ": expected them equal");
        if (size > max_bytes - total)
            throw format_error(file + " holds more than " + std::to_string(max_bytes) +
                               " bytes of arrays: expected at most that (a corrupt file or a zip bomb)");
        total += size;

        if (local > directory_offset || directory_offset - local < 30 || u32(local) != zip_local)
            throw format_error(where + ": expected its local header at offset " + std::to_string(local) +
                               ", before the central directory, found " +
                               (local > directory_offset || directory_offset - local < 30 ? "no room" : "other bytes"));
        const std::size_t local_name = u16(local + 26), local_extra = u16(local + 28);
        const std::size_t data = local + 30 + local_name + local_extra;
        if (data > directory_offset || directory_offset - data < packed)
            throw format_error(where + " is truncated: expected " + std::to_string(packed) +
                               " bytes of data before the central directory");
        if (local_name != name_length || !std::equal(member.begin(), member.end(), bytes.begin() +
                                                     static_cast<std::ptrdiff_t>(local + 30)))
            throw format_error(where + ": expected the same name in its local header and the central directory");

        const std::span<const std::uint8_t> stored = bytes.subspan(data, packed);
        std::vector<std::uint8_t> inflated;
        if (method == 8) inflated = inflate_exactly(stored, size, where);
        const std::span<const std::uint8_t> content = method == 8 ? std::span<const std::uint8_t>(inflated) : stored;
        uLong actual = crc32(0L, Z_NULL, 0);
        for (std::size_t done = 0; done < content.size();) {
            const std::size_t n = std::min<std::size_t>(content.size() - done, std::size_t{1} << 30);
            actual = crc32(actual, content.data() + done, static_cast<uInt>(n));
            done += n;
        }
        if (actual != crc)
            throw format_error(where + " fails its CRC-32 check: expected " + std::to_string(crc) + ", found " +
                               std::to_string(actual) + " (a corrupt archive)");
        arrays.emplace(key, parse_npy(content, std::string(name) + ":" + member));
    }
    return arrays;
}

/// Reads an .npz archive. throws: file_error when it cannot be read; format_error as parse_npz.
inline NpzArrays read_npz(const std::filesystem::path& path) {
    return parse_npz(detail::idx::read_file(path), path.string());
}

/// A matrix with one column per sample from a (samples, features) array: the layout encode() and
/// reconstruct() take and give. Elements are converted to Scalar.
/// throws: shape_error unless the array has 2 dimensions.
template <class Scalar = float>
Matrix<Scalar> npy_to_matrix(const NpyArray& array) {
    if (array.rank() != 2)
        throw shape_error("latent::npy_to_matrix: expected a 2-dimensional array (samples, features), found shape " +
                          NpyArray::shape_text(array.shape()));
    Matrix<Scalar> out(static_cast<Eigen::Index>(array.shape()[1]), static_cast<Eigen::Index>(array.shape()[0]));
    std::visit([&](const auto& v) { std::copy(v.begin(), v.end(), out.data()); }, array.values());
    return out;  // C order (samples, features) is column-major features x samples
}

/// A (samples, features) array from a matrix with one column per sample (codes, reconstructions): the inverse of
/// npy_to_matrix, for write_npz. write_npy writes a matrix directly.
template <class Scalar>
    requires(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>)
NpyArray npy_from_matrix(const Matrix<Scalar>& columns) {
    return NpyArray({static_cast<std::size_t>(columns.cols()), static_cast<std::size_t>(columns.rows())},
                    std::vector<Scalar>(columns.data(), columns.data() + columns.size()));
}

/// A data set from a (samples, features) array (samples of 1 x features) or a (samples, height, width) array of
/// images. A floating-point Element takes any element type (converted as NumPy's astype); an integer Element
/// needs the array's own type. `labels`: none, or a one-dimensional integer array of one label 0..255 per sample.
/// throws: shape_error for other ranks, a zero feature count or labels of another count; argument_error for
/// another element type, or labels that are not integers in 0..255.
template <class Element>
Dataset<Element> npy_to_dataset(const NpyArray& data, const NpyArray* labels = nullptr,
                                double scale = Dataset<Element>::default_scale()) {
    const auto& shape = data.shape();
    if (shape.size() != 2 && shape.size() != 3)
        throw shape_error("latent::npy_to_dataset: expected an array (samples, features) or (samples, height, width), "
                          "found shape " + NpyArray::shape_text(shape));
    std::vector<Element> values;
    if constexpr (std::is_floating_point_v<Element>) values = data.converted<Element>();
    else values = data.as<Element>();
    std::vector<std::uint8_t> label_values;
    if (labels != nullptr) {
        if (labels->rank() != 1 || labels->shape()[0] != shape[0])
            throw shape_error("latent::npy_to_dataset: expected labels of shape (" + std::to_string(shape[0]) +
                              ",), one per sample, found shape " + NpyArray::shape_text(labels->shape()));
        if (labels->type() == NpyType::float32 || labels->type() == NpyType::float64)
            throw argument_error("latent::npy_to_dataset: expected integer labels, found " +
                                 npy_type_name(labels->type()));
        std::visit(
            [&](const auto& v) {
                label_values.reserve(v.size());
                using T = typename std::decay_t<decltype(v)>::value_type;
                for (std::size_t i = 0; i < v.size(); ++i) {
                    bool in_range = false;
                    if constexpr (std::is_integral_v<T>) in_range = std::in_range<std::uint8_t>(v[i]);
                    if (!in_range)
                        throw argument_error("latent::npy_to_dataset: expected labels in 0..255, found " +
                                             std::to_string(v[i]) + " at index " + std::to_string(i));
                    label_values.push_back(static_cast<std::uint8_t>(v[i]));
                }
            },
            labels->values());
    }
    const std::size_t height = shape.size() == 3 ? shape[1] : 1;
    const std::size_t width = shape.size() == 3 ? shape[2] : shape[1];
    if (height == 0 || width == 0)
        throw shape_error("latent::npy_to_dataset: expected samples of at least one value, found shape " +
                          NpyArray::shape_text(shape));
    return Dataset<Element>(std::move(values), height, width, std::move(label_values), scale);
}

/// npy_to_dataset on a .npy file, and optionally a .npy file of labels.
/// throws: as read_npy and npy_to_dataset.
template <class Element>
Dataset<Element> load_npy_dataset(const std::filesystem::path& data, const std::filesystem::path& labels = {}) {
    const NpyArray array = read_npy(data);
    if (labels.empty()) return npy_to_dataset<Element>(array);
    const NpyArray label_array = read_npy(labels);
    return npy_to_dataset<Element>(array, &label_array);
}

}  // namespace latent
