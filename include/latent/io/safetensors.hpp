#pragma once
// safetensors, HuggingFace's tensor file, under PyTorch's state_dict names and layouts: a model saved here loads
// into the equivalent torch.nn module with load_state_dict(strict=True), and a state_dict written as safetensors
// loads into the latent model. docs/interop.md gives the naming table.
//
// Format: u64 little-endian header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}}, then the tensors' little-endian bytes,
// offsets relative to the end of the header. The offsets must tile the data exactly: no gap, no overlap.

#include "latent/core/error.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/io/model_file.hpp"
#include "latent/layers/activations.hpp"
#include "latent/layers/batch_norm.hpp"
#include "latent/layers/conv2d.hpp"
#include "latent/layers/conv_transpose2d.hpp"
#include "latent/layers/dense.hpp"
#include "latent/layers/dropout.hpp"
#include "latent/layers/gaussian_sample.hpp"
#include "latent/layers/layer.hpp"
#include "latent/layers/pooling.hpp"
#include "latent/layers/reshape.hpp"
#include "latent/layers/tied_dense.hpp"
#include "latent/layers/upsample.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

static_assert(std::endian::native == std::endian::little, "latent writes safetensors on little-endian machines");

/// One tensor of a safetensors file: dtype ("F32", "F64", "I64", ...), shape, and its little-endian bytes.
struct SafetensorsTensor {
    std::string dtype;
    std::vector<std::uint64_t> shape;
    std::vector<std::uint8_t> data;
};

/// A safetensors file: its tensors by name, and the optional "__metadata__" strings.
struct SafetensorsFile {
    std::map<std::string, SafetensorsTensor> tensors;
    std::map<std::string, std::string> metadata;
};

namespace detail::safetensors {

/// The Rust reference implementation refuses headers over 100 MB; so does latent.
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

/// Bytes per element of a safetensors dtype; 0 for a name the format does not define.
inline std::size_t dtype_size(std::string_view dtype) {
    static constexpr std::pair<std::string_view, std::size_t> sizes[] = {
        {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},  {"U16", 2}, {"F16", 2},
        {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"I64", 8},     {"U64", 8},  {"F64", 8}};
    for (const auto& [name, size] : sizes)
        if (name == dtype) return size;
    return 0;
}

inline std::string shape_text(std::span<const std::uint64_t> shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) text += ", ";  // appended: g++ 12 gives a false -Wrestrict for a short literal + std::string
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

inline std::string quoted(std::string_view text) {
    std::string out(1, '"');
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out + '"';
}

/// A JSON value; numbers keep their literal text (the format needs only non-negative integers).
struct Json {
    enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
    std::string text;
    std::vector<Json> items;         ///< an array's values, or an object's
    std::vector<std::string> names;  ///< an object's member names, one per item
};

/// A strict JSON parser (RFC 8259) over the header, with a depth limit so that hostile nesting cannot exhaust
/// the stack.
class JsonParser {
public:
    JsonParser(std::string_view text, std::string where) : text_{text}, where_{std::move(where)} {}

    Json document() {
        Json value = parse(0);
        skip_space();
        if (at_ != text_.size()) fail("the end of the header's JSON", describe_here());
        return value;
    }

private:
    static constexpr int max_depth = 64;

    [[noreturn]] void fail(const std::string& expected, const std::string& found) const {
        throw format_error(where_ + ": malformed JSON header: expected " + expected + " at byte " +
                           std::to_string(at_) + ", found " + found);
    }
    std::string describe_here() const {
        if (at_ >= text_.size()) return "the end of the header";
        const auto c = static_cast<unsigned char>(text_[at_]);
        if (c >= 0x20 && c < 0x7f) return std::string("'") + char(c) + "'";
        return "byte " + std::to_string(c);
    }
    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
            ++at_;
    }
    bool take(char c) {
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!take(c)) fail(std::string("'") + c + "'", describe_here());
    }

    Json parse(int depth) {
        if (depth > max_depth) fail("at most " + std::to_string(max_depth) + " levels of nesting", "more");
        skip_space();
        if (at_ >= text_.size()) fail("a value", "the end of the header");
        Json value;
        const char c = text_[at_];
        if (c == '{') {
            value.kind = Json::Kind::object;
            ++at_;
            skip_space();
            if (take('}')) return value;
            do {
                skip_space();
                if (at_ >= text_.size() || text_[at_] != '"') fail("a member name in quotes", describe_here());
                std::string name = string();
                skip_space();
                expect(':');
                value.names.push_back(std::move(name));
                value.items.push_back(parse(depth + 1));
                skip_space();
            } while (take(','));
            expect('}');
        } else if (c == '[') {
            value.kind = Json::Kind::array;
            ++at_;
            skip_space();
            if (take(']')) return value;
            do {
                value.items.push_back(parse(depth + 1));
                skip_space();
            } while (take(','));
            expect(']');
        } else if (c == '"') {
            value.kind = Json::Kind::string;
            value.text = string();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            value.kind = Json::Kind::number;
            value.text = number();
        } else if (literal("true") || literal("false")) {
            value.kind = Json::Kind::boolean;
        } else if (literal("null")) {
            value.kind = Json::Kind::null;
        } else {
            fail("a value", describe_here());
        }
        return value;
    }

    bool literal(std::string_view word) {
        if (text_.substr(at_, word.size()) != word) return false;
        at_ += word.size();
        return true;
    }

    std::string number() {
        const std::size_t start = at_;
        auto digits = [&] {
            const std::size_t from = at_;
            while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
            return at_ - from;
        };
        take('-');
        if (take('0')) {
            // JSON allows no leading zeros
        } else if (digits() == 0) {
            fail("a digit", describe_here());
        }
        if (take('.') && digits() == 0) fail("a digit after '.'", describe_here());
        if (take('e') || take('E')) {
            if (!take('+')) take('-');
            if (digits() == 0) fail("a digit in the exponent", describe_here());
        }
        return std::string(text_.substr(start, at_ - start));
    }

    unsigned hex4() {
        unsigned value = 0;
        for (int i = 0; i < 4; ++i, ++at_) {
            if (at_ >= text_.size()) fail("four hex digits after \\u", "the end of the header");
            const char h = text_[at_];
            value <<= 4;
            if (h >= '0' && h <= '9') value |= unsigned(h - '0');
            else if (h >= 'a' && h <= 'f') value |= unsigned(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') value |= unsigned(h - 'A' + 10);
            else fail("four hex digits after \\u", describe_here());
        }
        return value;
    }

    static void put_utf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += char(code);
        } else if (code < 0x800) {
            out += char(0xc0 | (code >> 6));
            out += char(0x80 | (code & 0x3f));
        } else if (code < 0x10000) {
            out += char(0xe0 | (code >> 12));
            out += char(0x80 | ((code >> 6) & 0x3f));
            out += char(0x80 | (code & 0x3f));
        } else {
            out += char(0xf0 | (code >> 18));
            out += char(0x80 | ((code >> 12) & 0x3f));
            out += char(0x80 | ((code >> 6) & 0x3f));
            out += char(0x80 | (code & 0x3f));
        }
    }

    std::string string() {
        expect('"');
        std::string out;
        for (;;) {
            if (at_ >= text_.size()) fail("'\"' to end a string", "the end of the header");
            const char c = text_[at_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) {
                --at_;
                fail("no control characters in a string", describe_here());
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_ >= text_.size()) fail("an escape after '\\'", "the end of the header");
            switch (const char e = text_[at_++]) {
                case '"': case '\\': case '/': out += e; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += char(9); break;
                case 'u': {
                    unsigned code = hex4();
                    if (code >= 0xd800 && code < 0xdc00) {  // a high surrogate needs its low half
                        if (!literal("\\u")) fail("the low half of a surrogate pair", describe_here());
                        const unsigned low = hex4();
                        if (low < 0xdc00 || low >= 0xe000) fail("the low half of a surrogate pair", "another escape");
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                    } else if (code >= 0xdc00 && code < 0xe000) {
                        fail("a character", "a lone low surrogate");
                    }
                    put_utf8(out, code);
                    break;
                }
                default:
                    --at_;
                    fail("one of the escapes \" \\ / b f n r t u", describe_here());
            }
        }
    }

    std::string_view text_;
    std::string where_;
    std::size_t at_ = 0;
};

inline const char* kind_name(Json::Kind kind) {
    switch (kind) {
        case Json::Kind::null: return "null";
        case Json::Kind::boolean: return "a boolean";
        case Json::Kind::number: return "a number";
        case Json::Kind::string: return "a string";
        case Json::Kind::array: return "an array";
        case Json::Kind::object: return "an object";
    }
    return "a value";
}

/// A non-negative integer that fits 64 bits, or a format_error naming `what`.
inline std::uint64_t unsigned_integer(const Json& value, const std::string& where, const std::string& what) {
    const bool digits = value.kind == Json::Kind::number && !value.text.empty() &&
                        std::all_of(value.text.begin(), value.text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
        const std::string found = value.kind == Json::Kind::number ? value.text : kind_name(value.kind);
        throw format_error(where + ": expected " + what + " to be a non-negative integer, found " + found);
    }
    std::uint64_t result = 0;
    for (const char c : value.text) {
        const auto digit = std::uint64_t(c - '0');
        if (result > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
            throw format_error(where + ": expected " + what + " to fit 64 bits, found " + value.text);
        result = result * 10 + digit;
    }
    return result;
}

struct Located {
    std::string name;
    std::uint64_t begin, end;
};

}  // namespace detail::safetensors

/// Reads the bytes of a safetensors file completely and checks them: the header length within the file, the JSON,
/// each dtype, shape and offsets, and offsets that tile the data exactly. `name` names the file in messages.
/// throws: format_error saying what was expected and what was found; nothing is allocated beyond the input's size.
inline SafetensorsFile parse_safetensors(std::span<const std::uint8_t> bytes, std::string_view name) {
    namespace st = detail::safetensors;
    using st::Json;
    const std::string where = "latent::read_safetensors: " + std::string(name);
    if (bytes.size() < 8)
        throw format_error(where + " is truncated: expected an 8-byte header length, found " +
                           std::to_string(bytes.size()) + " bytes");
    std::uint64_t header_length = 0;
    for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | bytes[std::size_t(i)];
    if (header_length > bytes.size() - 8)
        throw format_error(where + ": expected a header of at most the " + std::to_string(bytes.size() - 8) +
                           " bytes after its length, found a header length of " + std::to_string(header_length));
    if (header_length > st::max_header_bytes)
        throw format_error(where + ": expected a header of at most " + std::to_string(st::max_header_bytes) +
                           " bytes, found " + std::to_string(header_length));
    const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), std::size_t(header_length));
    if (text.empty() || text.front() != '{') {
        std::string found = "an empty header";
        if (!text.empty()) found = std::string(1, '\'') + text.front() + '\'';
        throw format_error(where + ": expected the header to start with '{', found " + found);
    }
    const Json root = st::JsonParser(text, where).document();
    if (root.kind != Json::Kind::object)
        throw format_error(where + ": expected the header to be a JSON object, found " + st::kind_name(root.kind));

    const auto data = bytes.subspan(8 + std::size_t(header_length));
    SafetensorsFile file;
    std::vector<st::Located> located;
    bool seen_metadata = false;
    for (std::size_t member = 0; member < root.items.size(); ++member) {
        const std::string& key = root.names[member];
        const Json& value = root.items[member];
        if (key == "__metadata__") {
            if (seen_metadata) throw format_error(where + ": expected one \"__metadata__\", found it twice");
            seen_metadata = true;
            if (value.kind != Json::Kind::object)
                throw format_error(where + ": expected \"__metadata__\" to be an object of strings, found " +
                                   st::kind_name(value.kind));
            for (std::size_t i = 0; i < value.items.size(); ++i) {
                const std::string& field = value.names[i];
                const Json& text_value = value.items[i];
                if (text_value.kind != Json::Kind::string)
                    throw format_error(where + ": expected metadata " + st::quoted(field) + " to be a string, found " +
                                       st::kind_name(text_value.kind));
                if (!file.metadata.emplace(field, text_value.text).second)
                    throw format_error(where + ": expected metadata " + st::quoted(field) + " once, found it twice");
            }
            continue;
        }
        const std::string tensor = "tensor " + st::quoted(key);
        if (value.kind != Json::Kind::object)
            throw format_error(where + ": expected " + tensor + " to be an object, found " + st::kind_name(value.kind));
        const Json* dtype = nullptr;
        const Json* shape = nullptr;
        const Json* offsets = nullptr;
        for (std::size_t i = 0; i < value.items.size(); ++i) {
            const std::string& field = value.names[i];
            const Json& field_value = value.items[i];
            const Json** slot = field == "dtype" ? &dtype : field == "shape" ? &shape : field == "data_offsets" ? &offsets : nullptr;
            if (!slot)
                throw format_error(where + ": expected only dtype, shape and data_offsets in " + tensor + ", found " +
                                   st::quoted(field));
            if (*slot) throw format_error(where + ": expected " + field + " once in " + tensor + ", found it twice");
            *slot = &field_value;
        }
        if (!dtype || !shape || !offsets)
            throw format_error(where + ": expected dtype, shape and data_offsets in " + tensor + ", found no " +
                               (!dtype ? "dtype" : !shape ? "shape" : "data_offsets"));
        if (dtype->kind != Json::Kind::string)
            throw format_error(where + ": expected the dtype of " + tensor + " to be a string, found " +
                               st::kind_name(dtype->kind));
        const std::size_t item = st::dtype_size(dtype->text);
        if (item == 0)
            throw format_error(where + ": expected a safetensors dtype (F32, F64, I64, ...) for " + tensor +
                               ", found " + st::quoted(dtype->text));
        if (shape->kind != Json::Kind::array)
            throw format_error(where + ": expected the shape of " + tensor + " to be an array, found " +
                               st::kind_name(shape->kind));
        if (offsets->kind != Json::Kind::array || offsets->items.size() != 2)
            throw format_error(where + ": expected the data_offsets of " + tensor + " to be [begin, end], found " +
                               (offsets->kind == Json::Kind::array
                                    ? "an array of " + std::to_string(offsets->items.size())
                                    : std::string(st::kind_name(offsets->kind))));
        SafetensorsTensor parsed;
        parsed.dtype = dtype->text;
        // The element count, checked against overflow: it can never exceed the data's size in bytes.
        std::uint64_t count = 1;
        bool too_large = false;
        for (const Json& extent : shape->items) {
            const std::uint64_t d = st::unsigned_integer(extent, where, "each extent of " + tensor);
            parsed.shape.push_back(d);
            if (d != 0 && count > std::numeric_limits<std::uint64_t>::max() / d) too_large = true;
            else count *= d;
        }
        const std::uint64_t begin = st::unsigned_integer(offsets->items[0], where, "the begin offset of " + tensor);
        const std::uint64_t end = st::unsigned_integer(offsets->items[1], where, "the end offset of " + tensor);
        if (begin > end || end > data.size())
            throw format_error(where + ": expected the data_offsets of " + tensor + " within the " +
                               std::to_string(data.size()) + " bytes of data, begin <= end, found [" +
                               std::to_string(begin) + ", " + std::to_string(end) + "]");
        if (count > std::numeric_limits<std::uint64_t>::max() / item) too_large = true;
        if (too_large || count * item != end - begin)
            throw format_error(where + ": expected " + tensor + " of shape " + st::shape_text(parsed.shape) + " and " +
                               parsed.dtype + " to take " + (too_large ? "over 2^64" : std::to_string(count * item)) +
                               " bytes, found offsets spanning " + std::to_string(end - begin));
        located.push_back({key, begin, end});
        if (!file.tensors.emplace(key, std::move(parsed)).second)
            throw format_error(where + ": expected " + tensor + " once, found it twice");
    }
    // The offsets tile the data: each tensor starts where the one before it ends, and the last ends at the end.
    std::sort(located.begin(), located.end(),
              [](const st::Located& a, const st::Located& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
    std::uint64_t covered = 0;
    for (const st::Located& piece : located) {
        if (piece.begin != covered)
            throw format_error(where + ": expected tensor " + st::quoted(piece.name) + " to start at byte " +
                               std::to_string(covered) + " of the data (" +
                               (piece.begin < covered ? "overlapping the tensor before it" : "leaving a gap") +
                               "), found " + std::to_string(piece.begin));
        covered = piece.end;
    }
    if (covered != data.size())
        throw format_error(where + ": expected the tensors to cover the " + std::to_string(data.size()) +
                           " bytes of data, found " + std::to_string(covered) + " bytes covered");
    for (const st::Located& piece : located) {
        const auto slice = data.subspan(std::size_t(piece.begin), std::size_t(piece.end - piece.begin));
        file.tensors[piece.name].data.assign(slice.begin(), slice.end());
    }
    return file;
}

/// Reads a safetensors file. throws: file_error when it cannot be read; format_error as parse_safetensors.
inline SafetensorsFile read_safetensors(const std::filesystem::path& path) {
    const auto bytes = detail::read_whole_file(path, "latent::read_safetensors");
    return parse_safetensors(bytes, path.string());
}

/// The bytes of a safetensors file holding `file`: metadata first, then the tensors in name order, the header
/// padded with spaces to a multiple of 8 bytes (as the reference writer does, so that the data is aligned).
/// throws: argument_error for an unknown dtype or a tensor whose bytes do not match its shape and dtype.
inline std::vector<std::uint8_t> encode_safetensors(const SafetensorsFile& file) {
    namespace st = detail::safetensors;
    std::string header = "{";
    if (!file.metadata.empty()) {
        header += "\"__metadata__\":{";
        bool first = true;
        for (const auto& [key, value] : file.metadata) {
            if (!first) header += ',';  // appended: g++ 12 gives a false -Wrestrict for "" + std::string
            header += st::quoted(key) + ":" + st::quoted(value);
            first = false;
        }
        header += "}";
    }
    std::uint64_t offset = 0;
    for (const auto& [name, tensor] : file.tensors) {
        if (name == "__metadata__")
            throw argument_error("latent::encode_safetensors: expected tensor names other than \"__metadata__\"");
        const std::size_t item = st::dtype_size(tensor.dtype);
        if (item == 0)
            throw argument_error("latent::encode_safetensors: expected a safetensors dtype for tensor " + st::quoted(name) +
                                 ", found " + st::quoted(tensor.dtype));
        std::uint64_t count = 1;
        for (const std::uint64_t d : tensor.shape) count *= d;
        if (count * item != tensor.data.size())
            throw argument_error("latent::encode_safetensors: expected " + std::to_string(count * item) +
                                 " bytes for tensor " + st::quoted(name) + " of shape " + st::shape_text(tensor.shape) +
                                 " and " + tensor.dtype + ", found " + std::to_string(tensor.data.size()));
        if (header.size() > 1) header += ',';
        header += st::quoted(name) + ":{\"dtype\":\"" + tensor.dtype +
                  "\",\"shape\":" + st::shape_text(tensor.shape) + ",\"data_offsets\":[" + std::to_string(offset) +
                  "," + std::to_string(offset + tensor.data.size()) + "]}";
        offset += tensor.data.size();
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' ');
    detail::ByteWriter out(8 + header.size() + std::size_t(offset));
    out.put(std::uint64_t(header.size()));
    out.put(header.data(), header.size());
    for (const auto& entry : file.tensors) out.put(entry.second.data.data(), entry.second.data.size());
    return std::move(out).take();
}

/// Writes `file` as safetensors, atomically. throws: as encode_safetensors; file_error when it cannot be written.
inline void write_safetensors(const std::filesystem::path& path, const SafetensorsFile& file) {
    const auto bytes = encode_safetensors(file);
    AtomicFile out(path);
    out.write(bytes.data(), bytes.size());
    out.commit();
}

/// One entry of the torch state_dict a latent model corresponds to: its name, dtype and shape.
struct TorchTensorInfo {
    std::string name;
    std::string dtype;
    std::vector<std::uint64_t> shape;
};

namespace detail::torch {

template <class T>
inline constexpr bool always_false = false;

/// Where one state_dict tensor lives in a latent model.
struct Slot {
    enum class Source { parameters, buffers, batches_tracked };
    std::string name;
    std::vector<std::uint64_t> shape;
    Source source = Source::parameters;
    std::size_t offset = 0, count = 0;
    /// When not 0: latent holds a column-major rows x cols matrix, torch the same matrix row-major (nn.Linear's
    /// weight (out, in) against Dense's column-major Out x In).
    std::size_t rows = 0, cols = 0;
};

template <class L>
struct spec_of {
    using type = L;
};
template <class L>
    requires requires { typename L::spec; }
struct spec_of<L> {
    using type = typename L::spec;
};

/// The torch modules of one latent layer: `modules` indices of the nn.Sequential (the layer's own module, and
/// one more for an activation) and its tensors. The primary template refuses a layer with no torch equivalent.
template <class L, class Spec = typename spec_of<L>::type>
struct Module {
    static_assert(always_false<L>,
                  "latent safetensors: this layer has no torch.nn equivalent in the state_dict naming (the compiler "
                  "names it); see docs/interop.md for the layers that have one");
};

template <class L>
inline constexpr std::size_t activation_modules = std::is_same_v<output_activation_t<L>, Identity> ? 0 : 1;

inline std::uint64_t u64(std::size_t n) { return std::uint64_t(n); }

template <class L, std::size_t In, std::size_t Out, class Act, class Init>
struct Module<L, Dense<In, Out, Act, Init>> {
    static constexpr std::size_t modules = 1 + activation_modules<L>;
    static void slots(std::vector<Slot>& out, const std::string& prefix, std::size_t p, std::size_t) {
        out.push_back({prefix + "weight", {u64(Out), u64(In)}, Slot::Source::parameters, p, In * Out, Out, In});
        out.push_back({prefix + "bias", {u64(Out)}, Slot::Source::parameters, p + In * Out, Out, 0, 0});
    }
};

template <class L, std::size_t F, std::size_t K, class Act, Padding Pad, std::size_t S, class Init>
struct Module<L, Conv2D<F, K, Act, Pad, S, Init>> {
    static_assert(Pad == Padding::valid || K <= S || (K - S) % 2 == 0,
                  "latent safetensors: a Conv2D with padding same and an odd kernel size minus stride pads one more "
                  "row and column after than before, which nn.Conv2d(padding=p) cannot express");
    static constexpr std::size_t modules = 1 + activation_modules<L>;
    static void slots(std::vector<Slot>& out, const std::string& prefix, std::size_t p, std::size_t) {
        // Conv2D keeps nn.Conv2d's (out, in, kh, kw) in C order.
        out.push_back({prefix + "weight", {u64(F), u64(L::channels), u64(K), u64(K)}, Slot::Source::parameters, p,
                       L::weight_count, 0, 0});
        out.push_back({prefix + "bias", {u64(F)}, Slot::Source::parameters, p + L::weight_count, F, 0, 0});
    }
};

template <class L, std::size_t F, std::size_t K, class Act, Padding Pad, std::size_t S, class Init>
struct Module<L, ConvTranspose2D<F, K, Act, Pad, S, Init>> {
    static_assert(Pad == Padding::valid || K <= S || (K - S) % 2 == 0,
                  "latent safetensors: a ConvTranspose2D with padding same and an odd kernel size minus stride crops "
                  "one more row and column after than before, which nn.ConvTranspose2d(padding=p) cannot express");
    static constexpr std::size_t modules = 1 + activation_modules<L>;
    static void slots(std::vector<Slot>& out, const std::string& prefix, std::size_t p, std::size_t) {
        // ConvTranspose2D keeps nn.ConvTranspose2d's (in, out, kh, kw) in C order.
        out.push_back({prefix + "weight", {u64(L::in_channels), u64(F), u64(K), u64(K)}, Slot::Source::parameters, p,
                       L::weight_count, 0, 0});
        out.push_back({prefix + "bias", {u64(F)}, Slot::Source::parameters, p + L::weight_count, F, 0, 0});
    }
};

template <class L, std::uint64_t MN, std::uint64_t MD, std::uint64_t EN, std::uint64_t ED>
struct Module<L, BatchNorm<MN, MD, EN, ED>> {
    static constexpr std::size_t modules = 1;
    static void slots(std::vector<Slot>& out, const std::string& prefix, std::size_t p, std::size_t b) {
        constexpr std::size_t c = L::channels;
        out.push_back({prefix + "weight", {u64(c)}, Slot::Source::parameters, p, c, 0, 0});
        out.push_back({prefix + "bias", {u64(c)}, Slot::Source::parameters, p + c, c, 0, 0});
        out.push_back({prefix + "running_mean", {u64(c)}, Slot::Source::buffers, b, c, 0, 0});
        out.push_back({prefix + "running_var", {u64(c)}, Slot::Source::buffers, b + c, c, 0, 0});
        out.push_back({prefix + "num_batches_tracked", {}, Slot::Source::batches_tracked, 0, 1, 0, 0});
    }
};

/// A layer without tensors that is one torch module (pooling, upsampling, Flatten, Unflatten, Dropout).
struct Stateless {
    static constexpr std::size_t modules = 1;
    static void slots(std::vector<Slot>&, const std::string&, std::size_t, std::size_t) {}
};
template <class L, std::size_t P, std::size_t S>
struct Module<L, MaxPool2D<P, S>> : Stateless {};
template <class L, std::size_t P, std::size_t S>
struct Module<L, AvgPool2D<P, S>> : Stateless {};
template <class L, std::size_t F, Interpolation M>
struct Module<L, UpSample2D<F, M>> : Stateless {};
template <class L>
struct Module<L, Flatten> : Stateless {};
template <class L, std::size_t... E>
struct Module<L, Reshape<E...>> : Stateless {};
template <class L, std::uint64_t N, std::uint64_t D>
struct Module<L, Dropout<N, D>> : Stateless {};

template <class L, class Twin, std::size_t I, class Act>
struct Module<L, TiedDense<Twin, I, Act>> {
    static_assert(always_false<L>,
                  "latent safetensors: TiedDense uses its twin's weight, which a torch state_dict cannot share with "
                  "an nn.Linear; save the untied model (Mirror of the encoder) or use save_model");
};
template <class L, std::size_t Z>
struct Module<L, GaussianSample<Z>> {
    static_assert(always_false<L>,
                  "latent safetensors: GaussianSample (a VAE's sampling) is no nn.Sequential module; save the VAE with "
                  "save_model");
};

template <class Net>
void list_slots(std::vector<Slot>& out, const std::string& prefix, std::size_t parameters, std::size_t buffers) {
    std::size_t index = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((Module<typename Net::template layer<I>>::slots(out, prefix + std::to_string(index) + ".",
                                                         parameters + Net::parameter_offsets[I],
                                                         buffers + Net::buffer_offsets[I]),
          index += Module<typename Net::template layer<I>>::modules),
         ...);
    }(std::make_index_sequence<Net::depth>{});
}

/// An Autoencoder (encoder_type and decoder_type): "encoder.i..." then "decoder.i..."; a Model: "i...".
template <class M>
std::vector<Slot> slots() {
    std::vector<Slot> out;
    if constexpr (requires { typename M::encoder_type; typename M::decoder_type; }) {
        using E = typename M::encoder_type::sequential_type;
        using D = typename M::decoder_type::sequential_type;
        list_slots<E>(out, "encoder.", 0, 0);
        list_slots<D>(out, "decoder.", E::parameter_count, E::buffer_count);
    } else {
        list_slots<typename M::net>(out, "", 0, 0);
    }
    return out;
}

template <class S>
inline constexpr const char* dtype_of = std::is_same_v<S, float> ? "F32" : "F64";

inline std::string dtype_of_slot(const Slot& slot, const char* scalar) {
    return slot.source == Slot::Source::batches_tracked ? "I64" : scalar;
}

}  // namespace detail::torch

/// What save_safetensors and load_safetensors need: an Autoencoder (encoder_type, decoder_type) or a Model (net)
/// of float or double parameters and buffers.
template <class M>
concept TorchExchangeable = requires(M& model, const M& const_model) {
    requires std::is_same_v<typename M::scalar, float> || std::is_same_v<typename M::scalar, double>;
    { model.parameters() } -> std::same_as<std::span<typename M::scalar>>;
    { const_model.parameters() } -> std::same_as<std::span<const typename M::scalar>>;
    { model.buffers() } -> std::same_as<std::span<typename M::scalar>>;
    { const_model.buffers() } -> std::same_as<std::span<const typename M::scalar>>;
    requires requires { typename M::net; } ||
                 requires { typename M::encoder_type::sequential_type; typename M::decoder_type::sequential_type; };
};

/// The torch state_dict that model type M corresponds to, in the order save_safetensors writes it.
template <TorchExchangeable M>
std::vector<TorchTensorInfo> torch_state_dict_layout() {
    std::vector<TorchTensorInfo> out;
    for (const auto& slot : detail::torch::slots<M>())
        out.push_back({slot.name, detail::torch::dtype_of_slot(slot, detail::torch::dtype_of<typename M::scalar>), slot.shape});
    return out;
}

/// The model's parameters and buffers as the state_dict of its torch equivalent (docs/interop.md), metadata
/// {"format": "pt", "latent.signature": M::signature()}. BatchNorm's num_batches_tracked is written as 0: latent
/// does not count batches, and torch reads the count only when its momentum is None.
template <TorchExchangeable M>
SafetensorsFile to_torch_state_dict(const M& model) {
    using S = typename M::scalar;
    using detail::torch::Slot;
    SafetensorsFile file;
    file.metadata["format"] = "pt";
    if constexpr (requires { M::signature(); }) file.metadata["latent.signature"] = M::signature();
    for (const Slot& slot : detail::torch::slots<M>()) {
        SafetensorsTensor& tensor = file.tensors[slot.name];
        tensor.dtype = detail::torch::dtype_of_slot(slot, detail::torch::dtype_of<S>);
        tensor.shape = slot.shape;
        if (slot.source == Slot::Source::batches_tracked) {
            tensor.data.assign(sizeof(std::int64_t), 0);
            continue;
        }
        const auto from = (slot.source == Slot::Source::parameters ? model.parameters() : model.buffers())
                              .subspan(slot.offset, slot.count);
        std::vector<S> values(from.begin(), from.end());
        if (slot.rows)  // column-major rows x cols to row-major
            for (std::size_t r = 0; r < slot.rows; ++r)
                for (std::size_t c = 0; c < slot.cols; ++c) values[r * slot.cols + c] = from[c * slot.rows + r];
        tensor.data.resize(values.size() * sizeof(S));
        if (!values.empty()) std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
    }
    return file;
}

/// Sets the model's parameters and buffers from a state_dict of its torch equivalent. Every name must be there with
/// its dtype and shape, and no other name; metadata is not read; num_batches_tracked is checked for dtype and shape
/// and otherwise ignored. `name` names the source in messages.
/// throws: architecture_error naming the tensor, what was expected and what was found; the model is unchanged.
template <TorchExchangeable M>
void from_torch_state_dict(M& model, const SafetensorsFile& file, std::string_view name = "<memory>") {
    using S = typename M::scalar;
    using detail::torch::Slot;
    namespace st = detail::safetensors;
    const std::string where = "latent::load_safetensors: " + std::string(name);
    const auto slots = detail::torch::slots<M>();
    std::vector<S> parameters(model.parameters().begin(), model.parameters().end());
    std::vector<S> buffers(model.buffers().begin(), model.buffers().end());
    for (const Slot& slot : slots) {
        const std::string dtype = detail::torch::dtype_of_slot(slot, detail::torch::dtype_of<S>);
        const auto found = file.tensors.find(slot.name);
        if (found == file.tensors.end()) {
            std::string names;
            for (const auto& entry : file.tensors) {
                if (!names.empty()) names += ", ";
                names += entry.first;
            }
            throw architecture_error(where + ": expected tensor " + st::quoted(slot.name) + " (" + dtype + " " +
                                     st::shape_text(slot.shape) + "), found no such tensor; the file holds: " +
                                     (names.empty() ? "nothing" : names));
        }
        const SafetensorsTensor& tensor = found->second;
        if (tensor.dtype != dtype)
            throw architecture_error(where + ": expected tensor " + st::quoted(slot.name) + " of dtype " + dtype +
                                     ", found " + tensor.dtype);
        if (tensor.shape != slot.shape)
            throw architecture_error(where + ": expected tensor " + st::quoted(slot.name) + " of shape " +
                                     st::shape_text(slot.shape) + ", found " + st::shape_text(tensor.shape));
        if (tensor.data.size() != slot.count * st::dtype_size(dtype))
            throw architecture_error(where + ": expected tensor " + st::quoted(slot.name) + " to hold " +
                                     std::to_string(slot.count * st::dtype_size(dtype)) + " bytes, found " +
                                     std::to_string(tensor.data.size()));
        if (slot.source == Slot::Source::batches_tracked) continue;
        std::vector<S> values(slot.count);
        if (!values.empty()) std::memcpy(values.data(), tensor.data.data(), tensor.data.size());
        S* to = (slot.source == Slot::Source::parameters ? parameters.data() : buffers.data()) + slot.offset;
        if (slot.rows)  // row-major rows x cols to column-major
            for (std::size_t r = 0; r < slot.rows; ++r)
                for (std::size_t c = 0; c < slot.cols; ++c) to[c * slot.rows + r] = values[r * slot.cols + c];
        else
            std::copy(values.begin(), values.end(), to);
    }
    if (file.tensors.size() != slots.size()) {
        std::string unexpected;
        for (const auto& entry : file.tensors) {
            if (std::any_of(slots.begin(), slots.end(), [&](const Slot& s) { return s.name == entry.first; })) continue;
            if (!unexpected.empty()) unexpected += ", ";
            unexpected += st::quoted(entry.first);
        }
        throw architecture_error(where + ": expected the " + std::to_string(slots.size()) +
                                 " tensors of the model's state_dict only, found also " + unexpected);
    }
    std::copy(parameters.begin(), parameters.end(), model.parameters().begin());
    std::copy(buffers.begin(), buffers.end(), model.buffers().begin());
}

/// Writes the model as a safetensors file of its torch state_dict (see to_torch_state_dict), atomically.
/// throws: file_error when it cannot be written.
template <TorchExchangeable M>
void save_safetensors(const M& model, const std::filesystem::path& path) {
    write_safetensors(path, to_torch_state_dict(model));
}

/// Loads a safetensors file of the model's torch state_dict (one that torch.save'd state_dict became, or that
/// save_safetensors wrote). throws: file_error, format_error (not a valid safetensors file), architecture_error
/// (another state_dict); the model is unchanged when it throws.
template <TorchExchangeable M>
void load_safetensors(M& model, const std::filesystem::path& path) {
    from_torch_state_dict(model, read_safetensors(path), path.string());
}

}  // namespace latent
