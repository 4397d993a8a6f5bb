#pragma once
// A minimal Protocol Buffers encoder: the wire format of the few messages that an ONNX file needs (varints,
// 32-bit floats, length-delimited bytes and nested messages), so that latent writes ONNX without depending on
// protobuf or onnx. It writes what it is told in the order told; the schema (the field numbers) is the caller's.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace latent::detail {

/// One message being encoded; nested messages are encoded on their own and embedded with `message`.
class ProtoWriter {
public:
    /// Field `field` as a varint (int32, int64, enum, bool); negative values take ten bytes, as protobuf's.
    ProtoWriter& varint(std::uint32_t field, std::int64_t value) {
        tag(field, 0);
        raw_varint(static_cast<std::uint64_t>(value));
        return *this;
    }
    /// Field `field` as a 32-bit little-endian float (protobuf's `float`).
    ProtoWriter& fixed32(std::uint32_t field, float value) {
        tag(field, 5);
        const auto bits = std::bit_cast<std::uint32_t>(value);
        for (int shift = 0; shift < 32; shift += 8) bytes_.push_back(char((bits >> shift) & 0xff));
        return *this;
    }
    /// Field `field` as length-delimited bytes (`string`, `bytes`).
    ProtoWriter& bytes(std::uint32_t field, std::string_view value) {
        tag(field, 2);
        raw_varint(value.size());
        bytes_.append(value);
        return *this;
    }
    /// Field `field` as an embedded message.
    ProtoWriter& message(std::uint32_t field, const ProtoWriter& value) { return bytes(field, value.bytes_); }

    const std::string& encoded() const noexcept { return bytes_; }

private:
    void tag(std::uint32_t field, std::uint32_t wire_type) { raw_varint((std::uint64_t(field) << 3) | wire_type); }
    void raw_varint(std::uint64_t value) {
        while (value >= 0x80) {
            bytes_.push_back(char((value & 0x7f) | 0x80));
            value >>= 7;
        }
        bytes_.push_back(char(value));
    }

    std::string bytes_;
};

}  // namespace latent::detail
