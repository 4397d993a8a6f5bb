#pragma once
// Writer for NumPy's .npy files and .npz archives, as NumPy itself writes them (version 1.0 headers padded to 64
// bytes; zip members stored or deflated). Every file is written atomically: a crash leaves the old file or the
// new one, never half of one. data/numpy.hpp reads them.

#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/data/numpy.hpp"
#include "latent/io/atomic_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace latent {

/// How write_npy lays out elements: C or Fortran order, little- or big-endian. NumPy reads all four.
struct NpyLayout {
    bool fortran_order = false;
    std::endian byte_order = std::endian::little;
};

/// Whether write_npz deflates its members (np.savez_compressed) or stores them (np.savez).
enum class NpzCompression { stored, deflate };

namespace detail::npy {

inline std::string descr(NpyType type, std::endian order) {
    constexpr std::array<const char*, 10> codes = {"i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"};
    const char byte_order = npy_type_size(type) == 1 ? '|' : order == std::endian::big ? '>' : '<';
    return std::string(1, byte_order) + codes[static_cast<std::size_t>(type)];
}

// A .npy file of `count` elements of `type` held in C order at `values` (the machine's byte order).
inline std::vector<std::uint8_t> encode(NpyType type, std::span<const std::size_t> shape, const void* values,
                                        std::size_t count, NpyLayout layout) {
    std::string header = "{'descr': '" + descr(type, layout.byte_order) + "', 'fortran_order': " +
                         (layout.fortran_order ? "True" : "False") + ", 'shape': " + NpyArray::shape_text(shape) +
                         ", }";
    // As NumPy: spaces and a newline pad magic, version, length and header to a multiple of 64 bytes.
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    const std::size_t item = npy_type_size(type);
    const std::uint8_t prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(header.size() & 0xff),
                                     static_cast<std::uint8_t>(header.size() >> 8)};
    // Sized once and filled with memcpy: vector::insert of bytes gives g++ 12 false -Wstringop-overflow warnings.
    const std::size_t data = 10 + header.size();
    std::vector<std::uint8_t> out(data + count * item);
    std::memcpy(out.data(), prefix, 10);
    std::memcpy(out.data() + 10, header.data(), header.size());
    const auto* in = static_cast<const std::uint8_t*>(values);
    const bool swap = (layout.byte_order == std::endian::big) != (std::endian::native == std::endian::big);
    auto put = [&](std::size_t to, std::size_t from) {
        std::uint8_t* dst = out.data() + data + to * item;
        std::memcpy(dst, in + from * item, item);
        if (swap) std::reverse(dst, dst + item);
    };
    if (!layout.fortran_order || shape.size() == 1 || count == 0) {
        for (std::size_t i = 0; i < count; ++i) put(i, i);
        return out;
    }
    // Element (i0, ..., ik), at its C offset in `values`, goes to i0 + d0 * (i1 + d1 * (...)).
    const std::size_t rank = shape.size();
    std::array<std::size_t, 4> stride{}, index{};
    stride[0] = 1;
    for (std::size_t k = 1; k < rank; ++k) stride[k] = stride[k - 1] * shape[k - 1];
    std::size_t offset = 0;
    for (std::size_t i = 0; i < count; ++i) {
        put(offset, i);
        for (std::size_t k = rank; k-- > 0;) {
            if (++index[k] < shape[k]) {
                offset += stride[k];
                break;
            }
            offset -= stride[k] * (shape[k] - 1);
            index[k] = 0;
        }
    }
    return out;
}

// Appends n bytes; resize and memcpy, since vector::insert of bytes gives g++ 12 false -Wstringop-overflow warnings.
inline void append(std::vector<std::uint8_t>& out, const void* bytes, std::size_t n) {
    if (n == 0) return;
    const std::size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, bytes, n);
}

inline void put16(std::vector<std::uint8_t>& out, std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
    out.push_back(static_cast<std::uint8_t>((v >> 8) & 0xff));
}
inline void put32(std::vector<std::uint8_t>& out, std::size_t v) {
    put16(out, v & 0xffff);
    put16(out, (v >> 16) & 0xffff);
}

inline std::vector<std::uint8_t> deflate_raw(std::span<const std::uint8_t> in) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc();
    struct Ender {
        z_stream* zs;
        ~Ender() { deflateEnd(zs); }
    } ender{&zs};
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(in.size())));
    zs.next_in = const_cast<Bytef*>(in.data());  // zlib reads through a non-const pointer
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::bad_alloc();  // the output holds deflateBound
    out.resize(zs.total_out);
    return out;
}

}  // namespace detail::npy

/// The bytes of a .npy file holding `array`, as np.save writes it (with `layout`'s order and byte order).
inline std::vector<std::uint8_t> encode_npy(const NpyArray& array, NpyLayout layout = {}) {
    return std::visit(
        [&](const auto& v) { return detail::npy::encode(array.type(), array.shape(), v.data(), v.size(), layout); },
        array.values());
}

/// Writes `array` to a .npy file, atomically. throws: file_error when it cannot be written (the OS's reason).
inline void write_npy(const std::filesystem::path& path, const NpyArray& array, NpyLayout layout = {}) {
    const std::vector<std::uint8_t> bytes = encode_npy(array, layout);
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

/// Writes a matrix with one column per sample (codes, reconstructions) as a .npy array of shape
/// (samples, features), float32 or float64, which NumPy reads as `np.load(path)[sample]`. Atomic.
/// throws: file_error when it cannot be written.
template <class Scalar>
    requires(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>)
void write_npy(const std::filesystem::path& path, const Matrix<Scalar>& columns) {
    // Column-major features x samples is C-order (samples, features): the bytes go out as they are.
    const std::array<std::size_t, 2> shape = {static_cast<std::size_t>(columns.cols()),
                                              static_cast<std::size_t>(columns.rows())};
    const std::vector<std::uint8_t> bytes =
        detail::npy::encode(npy_type_of<Scalar>, shape, columns.data(), static_cast<std::size_t>(columns.size()), {});
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

/// The bytes of an .npz archive of `arrays`, each the member "<name>.npy", as np.savez (stored) or
/// np.savez_compressed (deflate) writes it.
/// throws: argument_error for an empty name, or for an archive that would need zip64 (a member or the whole
/// over 4 GiB, 65535 members or more), which latent does not write.
inline std::vector<std::uint8_t> encode_npz(const NpzArrays& arrays, NpzCompression compression = NpzCompression::stored) {
    using detail::npy::put16;
    using detail::npy::put32;
    constexpr std::size_t limit = 0xffffffff;
    if (arrays.size() >= 0xffff)
        throw argument_error("latent::encode_npz: expected fewer than 65535 arrays (zip64 is not written), found " +
                             std::to_string(arrays.size()));
    std::vector<std::uint8_t> out, directory;
    for (const auto& [key, array] : arrays) {
        if (key.empty()) throw argument_error("latent::encode_npz: expected a name for every array, found an empty one");
        const std::string member = key + ".npy";
        if (member.size() > 0xffff)
            throw argument_error("latent::encode_npz: expected names under 65531 bytes, found " +
                                 std::to_string(key.size()));
        const std::vector<std::uint8_t> npy = encode_npy(array);
        const std::vector<std::uint8_t> packed =
            compression == NpzCompression::deflate ? detail::npy::deflate_raw(npy) : std::vector<std::uint8_t>{};
        const std::span<const std::uint8_t> data = compression == NpzCompression::deflate
                                                       ? std::span<const std::uint8_t>(packed)
                                                       : std::span<const std::uint8_t>(npy);
        if (npy.size() > limit || data.size() > limit || out.size() > limit)
            throw argument_error("latent::encode_npz: expected members and an archive under 4 GiB (zip64 is not "
                                 "written), found " + detail::npy::in_quotes(member) + " of " +
                                 std::to_string(npy.size()) + " bytes at offset " + std::to_string(out.size()));
        uLong crc = crc32(0L, Z_NULL, 0);
        for (std::size_t done = 0; done < npy.size();) {
            const std::size_t n = std::min<std::size_t>(npy.size() - done, std::size_t{1} << 30);
            crc = crc32(crc, npy.data() + done, static_cast<uInt>(n));
            done += n;
        }
        const std::size_t method = compression == NpzCompression::deflate ? 8 : 0;
        const bool utf8 = std::any_of(member.begin(), member.end(), [](char c) { return (c & 0x80) != 0; });
        const std::size_t offset = out.size();
        // The fields both headers share: version needed (2.0), flags, method, time, date (1980-01-01, as NumPy),
        // CRC-32, sizes, name length, extra field length.
        auto common = [&](std::vector<std::uint8_t>& to) {
            put16(to, 20);
            put16(to, utf8 ? 0x0800 : 0);
            put16(to, method);
            put16(to, 0);
            put16(to, 0x21);
            put32(to, crc);
            put32(to, data.size());
            put32(to, npy.size());
            put16(to, member.size());
            put16(to, 0);
        };
        put32(out, detail::npy::zip_local);
        common(out);
        detail::npy::append(out, member.data(), member.size());
        detail::npy::append(out, data.data(), data.size());

        put32(directory, detail::npy::zip_central);
        put16(directory, 20);  // made by: version 2.0
        common(directory);
        put16(directory, 0);  // comment length
        put16(directory, 0);  // disk
        put16(directory, 0);  // internal attributes
        put32(directory, 0);  // external attributes
        put32(directory, offset);
        detail::npy::append(directory, member.data(), member.size());
    }
    if (out.size() > limit || directory.size() > limit)
        throw argument_error("latent::encode_npz: expected an archive under 4 GiB (zip64 is not written), found " +
                             std::to_string(out.size() + directory.size()) + " bytes");
    const std::size_t directory_offset = out.size();
    detail::npy::append(out, directory.data(), directory.size());
    put32(out, detail::npy::zip_end);
    put16(out, 0);
    put16(out, 0);
    put16(out, arrays.size());
    put16(out, arrays.size());
    put32(out, directory.size());
    put32(out, directory_offset);
    put16(out, 0);  // comment length
    return out;
}

/// Writes an .npz archive of `arrays` (np.load(path)["name"] reads each), atomically.
/// throws: as encode_npz; file_error when it cannot be written.
inline void write_npz(const std::filesystem::path& path, const NpzArrays& arrays,
                      NpzCompression compression = NpzCompression::stored) {
    const std::vector<std::uint8_t> bytes = encode_npz(arrays, compression);
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

}  // namespace latent
