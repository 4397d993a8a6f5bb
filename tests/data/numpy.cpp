// NumPy files: bytes written by NumPy 1.24 (np.save, np.savez, np.savez_compressed) read exactly and written
// byte for byte; round trips of every element type, byte order, memory order and rank; every refusal of the
// strict header and of the zip container with its figures; hostile sizes refused before any allocation.

#include "latent/data/numpy.hpp"
#include "latent/io/numpy.hpp"
#include "latent/latent.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace latent::testing;

template <std::size_t N>
Bytes bytes_of(const char (&text)[N]) {
    return Bytes(reinterpret_cast<const std::uint8_t*>(text), reinterpret_cast<const std::uint8_t*>(text) + N - 1);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Written by NumPy 1.24 with io.BytesIO:
//   np.save(f, np.array([[1.5, -2.25, 3.0], [0.0, 1e-3, -7.0]], dtype='<f4'))
//   np.save(f, np.asfortranarray((np.arange(12).reshape(2, 3, 2) - 5).astype('>i2')))
//   np.save(f, np.array([7, 0, 255], dtype='u1'))
//   np.savez(f, x=<the uint8 array>, y=np.array([[1.0, 2.0]], dtype='<f8')), and np.savez_compressed(f, ...)
const Bytes numpy_float32_2x3 = bytes_of(
    "\x93\x4e\x55\x4d\x50\x59\x01\x00\x76\x00\x7b\x27\x64\x65\x73\x63\x72\x27\x3a\x20\x27\x3c\x66\x34\x27\x2c"
    "\x20\x27\x66\x6f\x72\x74\x72\x61\x6e\x5f\x6f\x72\x64\x65\x72\x27\x3a\x20\x46\x61\x6c\x73\x65\x2c\x20\x27"
    "\x73\x68\x61\x70\x65\x27\x3a\x20\x28\x32\x2c\x20\x33\x29\x2c\x20\x7d\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x0a\x00\x00"
    "\xc0\x3f\x00\x00\x10\xc0\x00\x00\x40\x40\x00\x00\x00\x00\x6f\x12\x83\x3a\x00\x00\xe0\xc0");

const Bytes numpy_int16_big_fortran_2x3x2 = bytes_of(
    "\x93\x4e\x55\x4d\x50\x59\x01\x00\x76\x00\x7b\x27\x64\x65\x73\x63\x72\x27\x3a\x20\x27\x3e\x69\x32\x27\x2c"
    "\x20\x27\x66\x6f\x72\x74\x72\x61\x6e\x5f\x6f\x72\x64\x65\x72\x27\x3a\x20\x54\x72\x75\x65\x2c\x20\x27\x73"
    "\x68\x61\x70\x65\x27\x3a\x20\x28\x32\x2c\x20\x33\x2c\x20\x32\x29\x2c\x20\x7d\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x0a\xff\xfb"
    "\x00\x01\xff\xfd\x00\x03\xff\xff\x00\x05\xff\xfc\x00\x02\xff\xfe\x00\x04\x00\x00\x00\x06");

const Bytes numpy_uint8_3 = bytes_of(
    "\x93\x4e\x55\x4d\x50\x59\x01\x00\x76\x00\x7b\x27\x64\x65\x73\x63\x72\x27\x3a\x20\x27\x7c\x75\x31\x27\x2c"
    "\x20\x27\x66\x6f\x72\x74\x72\x61\x6e\x5f\x6f\x72\x64\x65\x72\x27\x3a\x20\x46\x61\x6c\x73\x65\x2c\x20\x27"
    "\x73\x68\x61\x70\x65\x27\x3a\x20\x28\x33\x2c\x29\x2c\x20\x7d\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x0a\x07\x00"
    "\xff");

const Bytes numpy_savez = bytes_of(
    "\x50\x4b\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\x2d\x43\x3e\x33\x83\x00\x00\x00\x83\x00\x00\x00"
    "\x05\x00\x14\x00\x78\x2e\x6e\x70\x79\x01\x00\x10\x00\x83\x00\x00\x00\x00\x00\x00\x00\x83\x00\x00\x00\x00"
    "\x00\x00\x00\x93\x4e\x55\x4d\x50\x59\x01\x00\x76\x00\x7b\x27\x64\x65\x73\x63\x72\x27\x3a\x20\x27\x7c\x75"
    "\x31\x27\x2c\x20\x27\x66\x6f\x72\x74\x72\x61\x6e\x5f\x6f\x72\x64\x65\x72\x27\x3a\x20\x46\x61\x6c\x73\x65"
    "\x2c\x20\x27\x73\x68\x61\x70\x65\x27\x3a\x20\x28\x33\x2c\x29\x2c\x20\x7d\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x0a\x07\x00\xff\x50\x4b\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\xa1\x1b\xde\x80\x90\x00\x00\x00"
    "\x90\x00\x00\x00\x05\x00\x14\x00\x79\x2e\x6e\x70\x79\x01\x00\x10\x00\x90\x00\x00\x00\x00\x00\x00\x00\x90"
    "\x00\x00\x00\x00\x00\x00\x00\x93\x4e\x55\x4d\x50\x59\x01\x00\x76\x00\x7b\x27\x64\x65\x73\x63\x72\x27\x3a"
    "\x20\x27\x3c\x66\x38\x27\x2c\x20\x27\x66\x6f\x72\x74\x72\x61\x6e\x5f\x6f\x72\x64\x65\x72\x27\x3a\x20\x46"
    "\x61\x6c\x73\x65\x2c\x20\x27\x73\x68\x61\x70\x65\x27\x3a\x20\x28\x31\x2c\x20\x32\x29\x2c\x20\x7d\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x0a\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40\x50\x4b\x01\x02\x14"
    "\x03\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\x2d\x43\x3e\x33\x83\x00\x00\x00\x83\x00\x00\x00\x05\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00\x78\x2e\x6e\x70\x79\x50\x4b\x01\x02\x14\x03"
    "\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\xa1\x1b\xde\x80\x90\x00\x00\x00\x90\x00\x00\x00\x05\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xba\x00\x00\x00\x79\x2e\x6e\x70\x79\x50\x4b\x05\x06\x00\x00\x00"
    "\x00\x02\x00\x02\x00\x66\x00\x00\x00\x81\x01\x00\x00\x00\x00");

const Bytes numpy_savez_compressed = bytes_of(
    "\x50\x4b\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x21\x00\x2d\x43\x3e\x33\x47\x00\x00\x00\x83\x00\x00\x00"
    "\x05\x00\x14\x00\x78\x2e\x6e\x70\x79\x01\x00\x10\x00\x83\x00\x00\x00\x00\x00\x00\x00\x47\x00\x00\x00\x00"
    "\x00\x00\x00\x9b\xec\x17\xea\x1b\x10\xc9\xc8\x50\xc6\x50\xad\x9e\x92\x5a\x9c\x5c\xa4\x6e\xa5\xa0\x5e\x53"
    "\x6a\xa8\xae\xa3\xa0\x9e\x96\x5f\x54\x52\x94\x98\x17\x9f\x5f\x94\x92\x0a\x12\x77\x4b\xcc\x29\x4e\x05\x8a"
    "\x17\x67\x24\x16\xa4\x02\xf9\x1a\xc6\x3a\x9a\x3a\x0a\xb5\x0a\x14\x00\x2e\x76\x86\xff\x00\x50\x4b\x03\x04"
    "\x14\x00\x00\x00\x08\x00\x00\x00\x21\x00\xa1\x1b\xde\x80\x4e\x00\x00\x00\x90\x00\x00\x00\x05\x00\x14\x00"
    "\x79\x2e\x6e\x70\x79\x01\x00\x10\x00\x90\x00\x00\x00\x00\x00\x00\x00\x4e\x00\x00\x00\x00\x00\x00\x00\x9b"
    "\xec\x17\xea\x1b\x10\xc9\xc8\x50\xc6\x50\xad\x9e\x92\x5a\x9c\x5c\xa4\x6e\xa5\xa0\x6e\x93\x66\xa1\xae\xa3"
    "\xa0\x9e\x96\x5f\x54\x52\x94\x98\x17\x9f\x5f\x94\x92\x0a\x12\x77\x4b\xcc\x29\x4e\x05\x8a\x17\x67\x24\x16"
    "\xa4\x02\xf9\x1a\x86\x3a\x0a\x46\x9a\x3a\x0a\xb5\x0a\x64\x03\x2e\x06\x30\xf8\x60\x0f\xa1\x19\x1c\x00\x50"
    "\x4b\x01\x02\x14\x03\x14\x00\x00\x00\x08\x00\x00\x00\x21\x00\x2d\x43\x3e\x33\x47\x00\x00\x00\x83\x00\x00"
    "\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00\x78\x2e\x6e\x70\x79\x50\x4b"
    "\x01\x02\x14\x03\x14\x00\x00\x00\x08\x00\x00\x00\x21\x00\xa1\x1b\xde\x80\x4e\x00\x00\x00\x90\x00\x00\x00"
    "\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x7e\x00\x00\x00\x79\x2e\x6e\x70\x79\x50\x4b\x05"
    "\x06\x00\x00\x00\x00\x02\x00\x02\x00\x66\x00\x00\x00\x03\x01\x00\x00\x00\x00");


// A .npy file with the given header text (a '\n' is appended) and version, as a hostile writer might make it.
Bytes npy_bytes(const std::string& dict, const Bytes& data, std::uint8_t major = 1) {
    Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
    const std::size_t length = dict.size() + 1;
    out.push_back(static_cast<std::uint8_t>(length & 0xff));
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    if (major > 1) out.insert(out.end(), {0, 0});
    out.insert(out.end(), dict.begin(), dict.end());
    out.push_back('\n');
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::string npy_error(const Bytes& bytes) {
    return message_of<latent::format_error>([&] { (void)latent::parse_npy(bytes, "t.npy"); });
}

std::string npz_error(const Bytes& bytes) {
    return message_of<latent::format_error>([&] { (void)latent::parse_npz(bytes, "t.npz"); });
}

template <class T>
std::vector<T> sample_values(std::size_t count) {
    std::vector<T> values(count);
    for (std::size_t i = 0; i < count; ++i) {
        if constexpr (std::is_floating_point_v<T>) values[i] = static_cast<T>(static_cast<double>(i) * 1.25 - 3.5);
        else if constexpr (std::is_signed_v<T>) values[i] = static_cast<T>(static_cast<long long>(i * 37 % 101) - 50);
        else values[i] = static_cast<T>(i * 37 % 101 + 150);
    }
    // Every byte of an element matters: the extremes have distinct high and low bytes.
    if (count > 1) values[1] = std::numeric_limits<T>::max();
    if (count > 2) values[2] = std::numeric_limits<T>::lowest();
    return values;
}

// The element at C index `c` of an array of `shape`, stored in Fortran order.
std::size_t fortran_offset(const std::vector<std::size_t>& shape, std::size_t c) {
    std::size_t offset = 0, stride = 1;
    std::vector<std::size_t> index(shape.size());
    for (std::size_t k = shape.size(); k-- > 0;) {
        index[k] = c % shape[k];
        c /= shape[k];
    }
    for (std::size_t k = 0; k < shape.size(); ++k) {
        offset += index[k] * stride;
        stride *= shape[k];
    }
    return offset;
}

template <class T>
void check_round_trips() {
    const std::vector<std::vector<std::size_t>> shapes = {{5}, {2, 3}, {2, 3, 4}, {3, 1, 2, 2}, {0, 4}};
    for (const auto& shape : shapes) {
        std::size_t count = 1;
        for (const std::size_t d : shape) count *= d;
        const std::vector<T> values = sample_values<T>(count);
        const latent::NpyArray array(shape, values);
        for (const bool fortran : {false, true}) {
            for (const std::endian order : {std::endian::little, std::endian::big}) {
                CAPTURE(latent::npy_type_name(latent::npy_type_of<T>));
                CAPTURE(latent::NpyArray::shape_text(shape));
                CAPTURE(fortran);
                CAPTURE(order == std::endian::big);
                const Bytes bytes = latent::encode_npy(array, {fortran, order});
                CHECK((bytes.size() - count * sizeof(T)) % 64 == 0);  // header padded as NumPy pads it
                const latent::NpyArray back = latent::parse_npy(bytes, "round.npy");
                CHECK(back.type() == latent::npy_type_of<T>);
                CHECK(back.shape() == shape);
                CHECK(back.as<T>() == values);
                // The data bytes themselves: element by element at its Fortran or C offset, in the byte order.
                const std::size_t data = bytes.size() - count * sizeof(T);
                for (std::size_t c = 0; c < count; ++c) {
                    const std::size_t at = data + (fortran ? fortran_offset(shape, c) : c) * sizeof(T);
                    Bytes element(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                  bytes.begin() + static_cast<std::ptrdiff_t>(at + sizeof(T)));
                    if ((order == std::endian::big) != (std::endian::native == std::endian::big))
                        std::reverse(element.begin(), element.end());
                    T value;
                    std::memcpy(&value, element.data(), sizeof(T));
                    CHECK(value == values[c]);
                }
            }
        }
    }
}

}  // namespace

TEST_CASE("parse_npy reads arrays written by NumPy, in either byte order and memory order") {
    const latent::NpyArray f = latent::parse_npy(numpy_float32_2x3, "f.npy");
    CHECK(f.type() == latent::NpyType::float32);
    CHECK(f.shape() == std::vector<std::size_t>{2, 3});
    CHECK(f.as<float>() == std::vector<float>{1.5f, -2.25f, 3.0f, 0.0f, 1e-3f, -7.0f});

    // Big-endian, Fortran order: element (i, j, k) is (i * 6 + j * 2 + k) - 5, returned in C order.
    const latent::NpyArray s = latent::parse_npy(numpy_int16_big_fortran_2x3x2, "s.npy");
    CHECK(s.type() == latent::NpyType::int16);
    CHECK(s.shape() == std::vector<std::size_t>{2, 3, 2});
    std::vector<std::int16_t> expected(12);
    for (std::size_t i = 0; i < 12; ++i) expected[i] = static_cast<std::int16_t>(static_cast<int>(i) - 5);
    CHECK(s.as<std::int16_t>() == expected);

    const latent::NpyArray u = latent::parse_npy(numpy_uint8_3, "u.npy");
    CHECK(u.type() == latent::NpyType::uint8);
    CHECK(u.shape() == std::vector<std::size_t>{3});
    CHECK(u.as<std::uint8_t>() == std::vector<std::uint8_t>{7, 0, 255});
}

TEST_CASE("encode_npy writes the bytes NumPy writes") {
    CHECK(latent::encode_npy(latent::parse_npy(numpy_float32_2x3, "f")) == numpy_float32_2x3);
    CHECK(latent::encode_npy(latent::parse_npy(numpy_int16_big_fortran_2x3x2, "s"), {true, std::endian::big}) ==
          numpy_int16_big_fortran_2x3x2);
    CHECK(latent::encode_npy(latent::parse_npy(numpy_uint8_3, "u")) == numpy_uint8_3);
}

TEST_CASE("npy round trips: every element type, both byte orders, C and Fortran order, 1 to 4 dimensions") {
    check_round_trips<std::int8_t>();
    check_round_trips<std::uint8_t>();
    check_round_trips<std::int16_t>();
    check_round_trips<std::uint16_t>();
    check_round_trips<std::int32_t>();
    check_round_trips<std::uint32_t>();
    check_round_trips<std::int64_t>();
    check_round_trips<std::uint64_t>();
    check_round_trips<float>();
    check_round_trips<double>();
}

TEST_CASE("parse_npy reads versions 2.0 and 3.0 and the header variants Python allows") {
    const Bytes four = {1, 0, 2, 0, 3, 0, 4, 0};
    for (const std::uint8_t major : {1, 2, 3}) {
        const latent::NpyArray a =
            latent::parse_npy(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (4,), }", four, major), "v");
        CHECK(a.as<std::uint16_t>() == std::vector<std::uint16_t>{1, 2, 3, 4});
    }
    // Other key order, double quotes, no trailing comma, spaces, "(2, 2,)".
    const latent::NpyArray b = latent::parse_npy(
        npy_bytes(R"({ "shape" : (2, 2,), "fortran_order": True,'descr':'>u2'}   )", four), "variants");
    CHECK(b.shape() == std::vector<std::size_t>{2, 2});
    // Big-endian bytes 01 00 = 256, Fortran order: (0,0)=256 (1,0)=512 (0,1)=768 (1,1)=1024.
    CHECK(b.as<std::uint16_t>() == std::vector<std::uint16_t>{256, 768, 512, 1024});
}

TEST_CASE("parse_npy: not a .npy file, truncated headers, versions it does not read") {
    CHECK(contains(npy_error({}), "'t.npy' is not a .npy file: expected the magic bytes 0x93 'NUMPY', found an empty"));
    CHECK(contains(npy_error(bytes_of("\x93NUMPZ\x01\x00")), "found 0x93 0x4e 0x55 0x4d 0x50 0x5a"));
    CHECK(contains(npy_error(bytes_of("\x93NUMPY\x01")), "expected a version after the magic"));
    CHECK(contains(npy_error(bytes_of("\x93NUMPY\x04\x00\x00\x00")), "expected 1.0, 2.0 or 3.0, found 4.0"));
    CHECK(contains(npy_error(bytes_of("\x93NUMPY\x01\x01\x00\x00")), "found 1.1"));
    CHECK(contains(npy_error(bytes_of("\x93NUMPY\x02\x00\x10\x00\x00")), "expected its 4-byte length, found 3 bytes"));
    CHECK(contains(npy_error(bytes_of("\x93NUMPY\x01\x00\x76\x00{'descr'")),
                   "truncated .npy header: expected 118 bytes, found 8"));
}

TEST_CASE("parse_npy: headers that are not the dict NumPy writes") {
    const Bytes d8(8);
    const auto error = [&](const std::string& dict) { return npy_error(npy_bytes(dict, d8)); };
    CHECK(contains(error("['descr']"), "invalid .npy header: expected '{' opening the header's dict, found '['"));
    CHECK(contains(error("{'descr': '<f8', 'shape': (1,), }"), "found no 'fortran_order'"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, }"), "found no 'shape'"));
    CHECK(contains(error("{'fortran_order': False, 'shape': (1,), }"), "found no 'descr'"));
    CHECK(contains(error("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }"),
                   "expected each key once, found 'descr' twice"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}"),
                   "found the key 'extra'"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }"),
                   "expected True or False for 'fortran_order', found '0'"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, 'shape': (1), }"), "expected a 1-tuple"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }"),
                   "expected a dimension (a non-negative integer), found '-'"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, 'shape': (01,), }"), "without leading zeros"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, 'shape': [1], }"), "expected a tuple"));
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,) } x"),
                   "followed only by spaces and a final newline, found 'x'"));
    CHECK(contains(error("{'descr': '<f8' 'fortran_order': False, 'shape': (1,) }"),
                   "expected ',' or '}' after the value of 'descr'"));
    CHECK(contains(error("{'descr': '<f8\\', 'fortran_order': False, 'shape': (1,) }"), "of plain ASCII"));
    CHECK(contains(error("{'descr"), "expected a quoted key of plain ASCII, found 0x0a at header byte 7"));
    // The header must end in '\n': replace it with a space.
    Bytes no_newline = npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", d8);
    no_newline[no_newline.size() - 9] = ' ';
    CHECK(contains(npy_error(no_newline), "followed only by spaces and a final newline"));
    // A dimension of 2^64 does not fit.
    CHECK(contains(error("{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551616,), }"),
                   "expected a dimension below 2^64"));
}

TEST_CASE("parse_npy: element types it does not read are refused by name; object arrays too") {
    const auto error = [](const std::string& descr, std::size_t bytes) {
        return npy_error(npy_bytes("{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,), }", Bytes(bytes)));
    };
    CHECK(contains(error("'|O'", 8), "'|O', an array of Python objects (stored with pickle), which latent refuses"));
    CHECK(contains(error("'<c8'", 8), "expected one of float32, float64, int8, int16, int32, int64, uint8, uint16, "
                                      "uint32 or uint64 ('<f4', '>f8', '|u1', ...), found '<c8'"));
    CHECK(contains(error("'|b1'", 1), "found '|b1'"));
    CHECK(contains(error("'<f2'", 2), "found '<f2'"));
    CHECK(contains(error("'<U3'", 12), "found '<U3'"));
    CHECK(contains(error("'<f16'", 16), "found '<f16'"));
    CHECK(contains(error("[('a', '<f4')]", 4), "a structured type (a list of fields), which latent does not read"));
    CHECK(contains(error("'|f4'", 4), "expected a byte order '<' or '>' for the 4-byte type '|f4', found '|'"));
    CHECK(contains(error("'=f4'", 4), "(native order, which depends on the machine that wrote it)"));
    // One-byte types take any of the three byte-order marks.
    for (const char* d : {"'|u1'", "'<u1'", "'>u1'", "'|i1'"})
        CHECK(latent::parse_npy(npy_bytes(std::string("{'descr': ") + d + ", 'fortran_order': False, 'shape': (1,), }",
                                          Bytes{200}),
                                "one").size() == 1);
}

TEST_CASE("parse_npy: data shorter or longer than the shape, shapes whose size overflows, ranks outside 1 to 4") {
    const auto with = [](const std::string& shape, std::size_t bytes) {
        return npy_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", Bytes(bytes)));
    };
    CHECK(contains(with("(2, 3)", 20), "'t.npy' is truncated: expected 24 bytes of data after the header (float32, "
                                       "shape (2, 3)), found 20"));
    CHECK(contains(with("(2, 3)", 28), "'t.npy' has trailing bytes: expected 24 bytes"));
    CHECK(contains(with("(4294967296, 4294967296)", 16), "expected at least 2^64 bytes"));
    // 2^62 elements of 4 bytes overflow only in bytes.
    CHECK(contains(with("(4611686018427387904,)", 16), "expected at least 2^64 bytes"));
    // Fits in 64 bits: plain truncation, never an allocation of that size.
    CHECK(contains(with("(1000000, 1000000, 1000)", 16), "expected 4000000000000000 bytes"));
    // A zero dimension empties the array whatever the others.
    CHECK(latent::parse_npy(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, "
                                      "4294967296), }", {}), "zero").size() == 0);
    CHECK(contains(with("()", 4), "holds an array of 0 dimensions (): expected 1 to 4"));
    CHECK(contains(with("(1, 1, 1, 1, 1)", 4), "holds an array of 5 dimensions (1, 1, 1, 1, 1): expected 1 to 4"));
}

TEST_CASE("parse_npy on every truncation and on random corruptions throws only format_error") {
    const Bytes valid = numpy_int16_big_fortran_2x3x2;
    const auto check = [](const Bytes& bytes) {
        try {
            const latent::NpyArray a = latent::parse_npy(bytes, "fuzz");
            std::size_t count = 1;
            for (const std::size_t d : a.shape()) count *= d;
            CHECK(a.size() == count);
            CHECK(count * latent::npy_type_size(a.type()) < bytes.size());
        } catch (const latent::format_error&) {
        }
    };
    for (std::size_t n = 0; n < valid.size(); ++n) {
        const Bytes cut(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK_THROWS_AS((void)latent::parse_npy(cut, "cut"), latent::format_error);
    }
    std::mt19937 rng{2024};
    std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 3000; ++round) {
        Bytes bytes = valid;
        for (int k = 0; k < 1 + round % 4; ++k) bytes[position(rng)] = static_cast<std::uint8_t>(byte(rng));
        if (round % 3 == 0) bytes.resize(position(rng) + 1);
        check(bytes);
    }
}

TEST_CASE("NpyArray checks its shape against its values; as<T> checks the element type") {
    CHECK_THROWS_AS(latent::NpyArray({}, std::vector<float>{}), latent::shape_error);
    CHECK_THROWS_AS(latent::NpyArray({1, 1, 1, 1, 1}, std::vector<float>{1}), latent::shape_error);
    const std::string m = message_of<latent::shape_error>([] { latent::NpyArray({2, 3}, std::vector<float>(5)); });
    CHECK(contains(m, "expected 6 values for the shape (2, 3), found 5"));
    const latent::NpyArray a({2}, std::vector<double>{1, 2});
    CHECK(contains(message_of<latent::argument_error>([&] { (void)a.as<float>(); }),
                   "expected an array of float32, found float64"));
    CHECK(a.converted<int>() == std::vector<int>{1, 2});
}

TEST_CASE("parse_npz reads archives written by np.savez and np.savez_compressed") {
    for (const Bytes* archive : {&numpy_savez, &numpy_savez_compressed}) {
        const latent::NpzArrays arrays = latent::parse_npz(*archive, "z.npz");
        REQUIRE(arrays.size() == 2);
        CHECK(arrays.at("x").as<std::uint8_t>() == std::vector<std::uint8_t>{7, 0, 255});
        CHECK(arrays.at("y").shape() == std::vector<std::size_t>{1, 2});
        CHECK(arrays.at("y").as<double>() == std::vector<double>{1.0, 2.0});
    }
}

TEST_CASE("npz round trips, stored and deflated, through files") {
    const ScratchDirectory dir;
    latent::NpzArrays arrays;
    arrays.emplace("codes", latent::NpyArray({3, 2}, sample_values<float>(6)));
    arrays.emplace("labels", latent::NpyArray({3}, std::vector<std::int64_t>{0, 9, 4}));
    arrays.emplace("big", latent::NpyArray({64, 64}, std::vector<double>(4096, 0.5)));
    for (const auto compression : {latent::NpzCompression::stored, latent::NpzCompression::deflate}) {
        const std::filesystem::path path = dir.path / "arrays.npz";
        latent::write_npz(path, arrays, compression);
        const Bytes bytes = read_file(path);
        // Deflate shrinks the constant array: 32 kB stored, far less deflated.
        CHECK((compression == latent::NpzCompression::deflate) == (bytes.size() < 4096));
        const latent::NpzArrays back = latent::read_npz(path);
        REQUIRE(back.size() == 3);
        for (const auto& [name, array] : arrays) {
            CHECK(back.at(name).shape() == array.shape());
            CHECK(back.at(name).values() == array.values());
        }
    }
    CHECK_THROWS_AS(latent::encode_npz({{"", latent::NpyArray({1}, std::vector<float>{1})}}), latent::argument_error);
}

namespace {

// Offsets into the stored archive numpy_savez: its first member's local header at 0, its central directory
// found from the end record.
std::size_t u32_at(const Bytes& b, std::size_t at) {
    return std::size_t{b[at]} | std::size_t{b[at + 1]} << 8 | std::size_t{b[at + 2]} << 16 | std::size_t{b[at + 3]} << 24;
}
void put32_at(Bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::size_t end_record(const Bytes& b) { return b.size() - 22; }
std::size_t first_central(const Bytes& b) { return u32_at(b, end_record(b) + 16); }

}  // namespace

TEST_CASE("parse_npz: not a zip, zip64, several disks, a directory outside the file") {
    CHECK(contains(npz_error(numpy_float32_2x3), "'t.npz' is not an .npz file: expected a zip archive, found no "
                                                 "end-of-central-directory record"));
    CHECK(contains(npz_error({}), "is not an .npz file"));
    Bytes zip64 = numpy_savez;
    put32_at(zip64, end_record(zip64) + 16, 0xffffffff);
    CHECK(contains(npz_error(zip64), "is a zip64 archive, which latent does not read"));
    Bytes locator = numpy_savez;
    const Bytes marker = {0x50, 0x4b, 0x06, 0x07};
    locator.insert(locator.begin() + static_cast<std::ptrdiff_t>(end_record(locator)), 20, 0);
    std::copy(marker.begin(), marker.end(), locator.end() - 42);
    CHECK(contains(npz_error(locator), "is a zip64 archive"));
    Bytes disks = numpy_savez;
    disks[end_record(disks) + 4] = 1;
    CHECK(contains(npz_error(disks), "spans several disks"));
    Bytes outside = numpy_savez;
    put32_at(outside, end_record(outside) + 12, 100000);
    CHECK(contains(npz_error(outside), "is a corrupt zip archive: expected its central directory (100000 bytes"));
}

TEST_CASE("parse_npz: encrypted members, other methods, zip64 sizes, names, and a CRC-32 that does not match") {
    const std::size_t c = first_central(numpy_savez);
    Bytes encrypted = numpy_savez;
    encrypted[c + 8] |= 1;
    CHECK(contains(npz_error(encrypted), "member 'x.npy' is encrypted"));
    Bytes bzip2 = numpy_savez;
    bzip2[c + 10] = 12;
    CHECK(contains(npz_error(bzip2), "uses compression method 12: expected 0 (stored) or 8 (deflate)"));
    Bytes aes = numpy_savez;
    aes[c + 10] = 99;
    CHECK(contains(npz_error(aes), "(99 is AES encryption)"));
    Bytes sizes64 = numpy_savez;
    put32_at(sizes64, c + 24, 0xffffffff);
    CHECK(contains(npz_error(sizes64), "has zip64 sizes"));
    Bytes not_npy = numpy_savez;
    not_npy[c + 46 + 2] = 'x';  // "x.xpy"
    CHECK(contains(npz_error(not_npy), "member 'x.xpy': expected only .npy members"));
    Bytes twice = numpy_savez;
    const std::size_t second = c + 46 + 5;  // x.npy has no extra field or comment in the directory
    twice[second + 46] = 'x';               // y.npy becomes x.npy
    CHECK(contains(npz_error(twice), "member 'x.npy' appears twice"));
    Bytes renamed = numpy_savez;
    renamed[30] = 'z';  // the local header's name only
    CHECK(contains(npz_error(renamed), "expected the same name in its local header and the central directory"));
    Bytes corrupt = numpy_savez;
    corrupt[corrupt.size() / 4] ^= 0x01;  // in the first member's .npy header or data
    const std::string m = npz_error(corrupt);
    CHECK((contains(m, "fails its CRC-32 check") || contains(m, "expected the same name")));
    Bytes data_flip = numpy_savez;
    data_flip[first_central(numpy_savez) - 1] ^= 0x80;  // the last data byte of the last member
    CHECK(contains(npz_error(data_flip), "member 'y.npy' fails its CRC-32 check"));
    Bytes unequal = numpy_savez;
    put32_at(unequal, c + 20, static_cast<std::uint32_t>(u32_at(unequal, c + 20) - 1));
    CHECK(contains(npz_error(unequal), "expected them equal"));
    Bytes far = numpy_savez;
    put32_at(far, c + 42, 5000);
    CHECK(contains(npz_error(far), "expected its local header at offset 5000, before the central directory"));
}

TEST_CASE("parse_npz: deflate streams that lie about their size, and the 1 GiB cap checked before inflating") {
    const std::size_t c = first_central(numpy_savez_compressed);
    const std::size_t size = u32_at(numpy_savez_compressed, c + 24);
    Bytes longer = numpy_savez_compressed;
    put32_at(longer, c + 24, static_cast<std::uint32_t>(size + 1));
    CHECK(contains(npz_error(longer), "inflates to " + std::to_string(size) + " bytes: expected the " +
                                          std::to_string(size + 1)));
    Bytes shorter = numpy_savez_compressed;
    put32_at(shorter, c + 24, static_cast<std::uint32_t>(size - 1));
    CHECK(contains(npz_error(shorter), "inflates to more than the " + std::to_string(size - 1) + " bytes"));
    Bytes bomb = numpy_savez_compressed;
    put32_at(bomb, c + 24, 0x40000001);
    CHECK(contains(npz_error(bomb), "holds more than 1073741824 bytes of arrays"));
    Bytes garbage = numpy_savez_compressed;
    const std::size_t data = 30 + 5 + u32_at(garbage, 28) % 65536;  // the first member's deflate stream
    garbage[data] = 0xff;
    garbage[data + 1] = 0xff;
    CHECK(contains(npz_error(garbage), "member 'x.npy'"));
}

TEST_CASE("parse_npz on every truncation and on random corruptions throws only format_error") {
    for (const Bytes* valid : {&numpy_savez, &numpy_savez_compressed}) {
        for (std::size_t n = 0; n < valid->size(); ++n) {
            const Bytes cut(valid->begin(), valid->begin() + static_cast<std::ptrdiff_t>(n));
            CHECK_THROWS_AS((void)latent::parse_npz(cut, "cut"), latent::format_error);
        }
        std::mt19937 rng{77};
        std::uniform_int_distribution<std::size_t> position(0, valid->size() - 1);
        std::uniform_int_distribution<int> byte(0, 255);
        for (int round = 0; round < 2000; ++round) {
            Bytes bytes = *valid;
            for (int k = 0; k < 1 + round % 3; ++k) bytes[position(rng)] = static_cast<std::uint8_t>(byte(rng));
            try {
                (void)latent::parse_npz(bytes, "fuzz");
            } catch (const latent::format_error&) {
            }
        }
    }
}

TEST_CASE("write_npy of a matrix gives NumPy the shape (samples, features)") {
    const ScratchDirectory dir;
    latent::Matrix<float> codes(3, 2);  // 3 features, 2 samples: a column per sample
    codes << 1, 2,
             3, 4,
             5, 6;
    latent::write_npy(dir.path / "codes.npy", codes);
    const latent::NpyArray a = latent::read_npy(dir.path / "codes.npy");
    CHECK(a.shape() == std::vector<std::size_t>{2, 3});
    CHECK(a.as<float>() == std::vector<float>{1, 3, 5, 2, 4, 6});  // row s is sample s
    CHECK(latent::npy_to_matrix<float>(a) == codes);
    CHECK(latent::npy_from_matrix(codes).shape() == std::vector<std::size_t>{2, 3});
    CHECK(latent::npy_from_matrix(codes).as<float>() == a.as<float>());
    CHECK(contains(message_of<latent::shape_error>([] { (void)latent::npy_to_matrix(latent::NpyArray({2}, std::vector<float>{1, 2})); }),
                   "expected a 2-dimensional array (samples, features), found shape (2,)"));

    const latent::Matrix<double> wide = latent::Matrix<double>::Random(4, 7);
    latent::write_npy(dir.path / "wide.npy", wide);
    CHECK(latent::npy_to_matrix<double>(latent::read_npy(dir.path / "wide.npy")) == wide);
}

TEST_CASE("write_npy and write_npz replace files atomically and report unwritable paths") {
    const ScratchDirectory dir;
    const std::filesystem::path path = dir.path / "a.npy";
    latent::write_npy(path, latent::NpyArray({1}, std::vector<float>{1}));
    latent::write_npy(path, latent::NpyArray({2}, std::vector<std::int32_t>{5, 6}));
    CHECK(latent::read_npy(path).as<std::int32_t>() == std::vector<std::int32_t>{5, 6});
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path), std::filesystem::directory_iterator()) == 1);
    CHECK_THROWS_AS(latent::write_npy(dir.path / "missing" / "a.npy", latent::NpyArray({1}, std::vector<float>{1})),
                    latent::file_error);
    CHECK_THROWS_AS(latent::write_npz(dir.path / "missing" / "a.npz", {}), latent::file_error);
    CHECK_THROWS_AS((void)latent::read_npy(dir.path / "none.npy"), latent::file_error);
    CHECK(contains(message_of<latent::format_error>([&] { (void)latent::read_npz(path); }),
                   "a.npy' is not an .npz file"));
}

TEST_CASE("npy_to_dataset: tables, images, labels, and the refusals") {
    // (samples, features) float64 into a Dataset<float>: samples of 1 x features.
    const latent::NpyArray table({3, 2}, std::vector<double>{1, 2, 3, 4, 5, 6});
    const latent::Dataset<float> d = latent::npy_to_dataset<float>(table);
    CHECK(d.size() == 3);
    CHECK(d.height() == 1);
    CHECK(d.width() == 2);
    CHECK(std::vector<float>(d.sample(2).begin(), d.sample(2).end()) == std::vector<float>{5, 6});

    // (samples, height, width) bytes with labels; images keep the 1/255 scale.
    const latent::NpyArray images({2, 2, 3}, std::vector<std::uint8_t>(12, 255));
    const latent::NpyArray labels({2}, std::vector<std::int64_t>{3, 255});
    const latent::Dataset<std::uint8_t> im = latent::npy_to_dataset<std::uint8_t>(images, &labels);
    CHECK(im.height() == 2);
    CHECK(im.width() == 3);
    CHECK(im.labels()[1] == 255);
    CHECK(im.batch(0, 1)(5, 0) == doctest::Approx(1.0f));

    CHECK(contains(message_of<latent::argument_error>([&] { (void)latent::npy_to_dataset<std::uint8_t>(table); }),
                   "expected an array of uint8, found float64"));
    CHECK(contains(message_of<latent::shape_error>(
                       [] { (void)latent::npy_to_dataset<float>(latent::NpyArray({4}, std::vector<float>(4))); }),
                   "found shape (4,)"));
    CHECK_THROWS_AS((void)latent::npy_to_dataset<float>(latent::NpyArray({2, 0}, std::vector<float>{})), latent::shape_error);
    const latent::NpyArray three({3}, std::vector<std::int32_t>{1, 2, 3});
    CHECK(contains(message_of<latent::shape_error>([&] { (void)latent::npy_to_dataset<float>(images, &three); }),
                   "expected labels of shape (2,), one per sample, found shape (3,)"));
    const latent::NpyArray negative({2}, std::vector<std::int8_t>{1, -1});
    CHECK(contains(message_of<latent::argument_error>([&] { (void)latent::npy_to_dataset<float>(images, &negative); }),
                   "expected labels in 0..255, found -1 at index 1"));
    const latent::NpyArray fractional({2}, std::vector<float>{1, 2});
    CHECK(contains(message_of<latent::argument_error>([&] { (void)latent::npy_to_dataset<float>(images, &fractional); }),
                   "expected integer labels, found float32"));
}

TEST_CASE("load_npy_dataset reads data and labels from files") {
    const ScratchDirectory dir;
    latent::write_npy(dir.path / "x.npy", latent::NpyArray({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6}),
                      {true, std::endian::big});
    latent::write_npy(dir.path / "y.npy", latent::NpyArray({2}, std::vector<std::uint8_t>{0, 1}));
    const latent::Dataset<float> d = latent::load_npy_dataset<float>(dir.path / "x.npy", dir.path / "y.npy");
    CHECK(d.size() == 2);
    CHECK(d.sample_size() == 3);
    CHECK(std::vector<float>(d.sample(1).begin(), d.sample(1).end()) == std::vector<float>{4, 5, 6});
    CHECK(d.labels()[1] == 1);
    CHECK_FALSE(latent::load_npy_dataset<float>(dir.path / "x.npy").has_labels());
}

// docs/data.md copies its NumPy example from here, line for line.
TEST_CASE("docs/data.md: a table from NumPy in, codes and reconstructions out") {
    const ScratchDirectory scratch;
    const std::filesystem::path dir = scratch.path;
    // What Python would have written: np.save("table.npy", X) with X of shape (samples, features), and labels.
    std::vector<double> x(40 * 6);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 7) / 7.0;
    latent::write_npy(dir / "table.npy", latent::NpyArray({40, 6}, x));
    latent::write_npy(dir / "labels.npy", latent::NpyArray({40}, std::vector<std::int64_t>(40, 1)));

    const latent::Dataset<float> data = latent::load_npy_dataset<float>(dir / "table.npy", dir / "labels.npy");
    using Model = latent::Autoencoder<latent::Sequential<latent::Dense<6, 3, latent::ReLU>>,
                                      latent::Sequential<latent::Dense<3, 6, latent::Sigmoid>>>;
    Model model{1};
    const latent::Matrix<float> samples = data.batch(0, data.size());  // a column per sample
    latent::write_npy(dir / "codes.npy", model.encode(samples));       // np.load: shape (samples, 3)
    latent::NpzArrays out;
    out.emplace("reconstructions", latent::npy_from_matrix<float>(model.reconstruct(samples)));
    latent::write_npz(dir / "out.npz", out, latent::NpzCompression::deflate);  // np.load(...)["reconstructions"]

    const latent::NpyArray codes = latent::read_npy(dir / "codes.npy");
    CHECK(codes.shape() == std::vector<std::size_t>{40, 3});
    CHECK(latent::npy_to_matrix<float>(codes) == model.encode(samples));
    CHECK(latent::npy_to_matrix<float>(latent::read_npz(dir / "out.npz").at("reconstructions")) ==
          model.reconstruct(samples));
}
