#pragma once
// One file per model: magic, format version, the architecture signature derived from the model's type,
// scalar type, parameter count, the parameters, the buffers of architectures that have them (BatchNorm's
// running statistics), optionally the Scaler fitted on the training data, and a CRC-32 of all of it. Written
// atomically; read completely and checked before a single parameter of the model is touched.
//
// Layout (integers little-endian):
//   "LATENTMF"  u16 format_major  u16 format_minor  u32 scalar_bytes
//   u64 signature_length  signature  u64 parameter_count  parameters
//   [u64 buffer_count  buffers: only when the signature names layers with buffers]
//   [u8 scaling  u64 features  f64 offset[features]  f64 scale[features]: format 1.1, only with a scaler]
//   u32 crc32(everything before)
// A file without a scaler is written as format 1.0, byte for byte as before; one with a scaler as 1.1, which a
// reader of 1.0 refuses as "written by a newer latent" instead of dropping the scaler.

#include "latent/core/error.hpp"
#include "latent/data/scaler.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/layers/layer.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace latent {

static_assert(std::endian::native == std::endian::little, "latent's model files are written on little-endian machines");

inline constexpr std::string_view model_file_magic = "LATENTMF";
inline constexpr std::uint16_t model_file_major = 1;
inline constexpr std::uint16_t model_file_minor = 1;

/// What save_model and load_model need: a signature naming the architecture, and the parameters (and the
/// buffers, for a model whose buffer_count is not 0).
template <class M>
concept SavableModel = requires(M& model, const M& const_model) {
    { M::signature() } -> std::convertible_to<std::string>;
    { M::parameter_count } -> std::convertible_to<std::size_t>;
    { model.parameters() } -> std::same_as<std::span<typename M::scalar>>;
    { const_model.parameters() } -> std::same_as<std::span<const typename M::scalar>>;
};

namespace detail {

inline std::string scalar_name(std::uint32_t bytes) {
    return bytes == 4 ? "float32" : bytes == 8 ? "float64" : std::to_string(bytes) + "-byte scalars";
}

inline std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    for (std::size_t done = 0; done < bytes.size();) {  // zlib takes 32-bit lengths
        const auto chunk = std::uint32_t(std::min<std::size_t>(bytes.size() - done, 1u << 30));
        crc = ::crc32(crc, bytes.data() + done, chunk);
        done += chunk;
    }
    return std::uint32_t(crc);
}

/// Writes fields one after another into a buffer sized beforehand (no reallocation, and no
/// vector::insert, which g++ 12 at -O3 mistakes for an overflow).
class ByteWriter {
public:
    explicit ByteWriter(std::size_t size) : bytes_(size) {}
    void put(const void* data, std::size_t size) {
        if (size == 0) return;  // an empty vector's data() may be null, which memcpy must not get even for 0 bytes
        std::memcpy(bytes_.data() + offset_, data, size);
        offset_ += size;
    }
    template <class T>
    void put(T value) {
        put(&value, sizeof(T));
    }
    std::span<const std::uint8_t> written() const noexcept { return std::span(bytes_).first(offset_); }
    std::vector<std::uint8_t> take() && { return std::move(bytes_); }

private:
    std::vector<std::uint8_t> bytes_;
    std::size_t offset_ = 0;
};

/// Bounds-checked little-endian reads from a loaded file; a read past the end is a truncated file.
class ByteReader {
public:
    /// `caller` starts the messages (the function a user called).
    ByteReader(std::span<const std::uint8_t> bytes, const std::filesystem::path& path,
               const char* caller = "latent::load_model")
        : bytes_{bytes}, path_{path}, caller_{caller} {}

    template <class T>
    T read(const char* field) {
        T value;
        std::memcpy(&value, take(sizeof(T), field).data(), sizeof(T));
        return value;
    }
    std::span<const std::uint8_t> take(std::size_t count, const char* field) {
        if (count > bytes_.size() - offset_)
            throw format_error(std::string(caller_) + ": " + path_.string() + " is truncated: expected " +
                               std::to_string(count) + " bytes of " + field + " at offset " + std::to_string(offset_) +
                               ", found " + std::to_string(bytes_.size() - offset_));
        const auto piece = bytes_.subspan(offset_, count);
        offset_ += count;
        return piece;
    }
    std::size_t remaining() const noexcept { return bytes_.size() - offset_; }

private:
    std::span<const std::uint8_t> bytes_;
    const std::filesystem::path& path_;
    const char* caller_;
    std::size_t offset_ = 0;
};

/// What tells one of latent's checksummed files from another: its magic, its format version and its name.
struct FileFormat {
    std::string_view magic;
    std::uint16_t major;
    std::uint16_t minor;
    const char* noun;    ///< "model file"
    const char* caller;  ///< starts the messages: "latent::load_model"
};

/// Checks the envelope every such file shares: magic, format version (same major, same or older minor) and the
/// CRC-32 at its end. Returns the bytes before the checksum, starting with the magic.
/// throws: format_error naming the file, what was expected and what was found.
inline std::span<const std::uint8_t> checked_body(std::span<const std::uint8_t> bytes, const std::filesystem::path& path,
                                                  const FileFormat& format) {
    const std::string where = std::string(format.caller) + ": " + path.string();
    const std::string noun = format.noun;
    ByteReader reader(bytes, path, format.caller);
    const auto magic = reader.take(format.magic.size(), "magic");
    if (!std::equal(magic.begin(), magic.end(), format.magic.begin()))
        throw format_error(where + " is not a latent " + noun + ": expected it to start with \"" +
                           std::string(format.magic) + "\"");
    const auto major = reader.read<std::uint16_t>("format version");
    const auto minor = reader.read<std::uint16_t>("format version");
    if (major != format.major)
        throw format_error(where + ": expected " + noun + " format " + std::to_string(format.major) + ".x, found " +
                           std::to_string(major) + "." + std::to_string(minor));
    // A newer minor version may add fields this reader would misread; older ones are read as they are.
    if (minor > format.minor)
        throw format_error(where + ": expected " + noun + " format " + std::to_string(format.major) + "." +
                           std::to_string(format.minor) + " or older, found " + std::to_string(major) + "." +
                           std::to_string(minor) + " (written by a newer latent)");
    if (bytes.size() < 4 + format.magic.size())
        throw format_error(where + " is truncated: expected a checksum at its end");
    const auto body = bytes.first(bytes.size() - 4);
    std::uint32_t stored_crc;
    std::memcpy(&stored_crc, bytes.data() + body.size(), 4);
    if (const auto crc = crc32_of(body); crc != stored_crc)
        throw format_error(where + " is corrupt or truncated: expected checksum " + std::to_string(stored_crc) +
                           ", found " + std::to_string(crc) + " over its " + std::to_string(body.size()) + " bytes");
    return body;
}

inline constexpr FileFormat model_file_format{model_file_magic, model_file_major, model_file_minor, "model file",
                                              "latent::load_model"};

inline std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path, const char* caller) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw file_error(std::string(caller) + ": expected a file, found the directory " + path.string());
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) throw file_error(std::string(caller) + ": cannot open " + path.string() + ": " + std::strerror(errno));
    std::vector<std::uint8_t> bytes;
    std::uint8_t chunk[1 << 16];
    while (const std::size_t got = std::fread(chunk, 1, sizeof chunk, file.get())) bytes.insert(bytes.end(), chunk, chunk + got);
    if (std::ferror(file.get()))
        throw file_error(std::string(caller) + ": cannot read " + path.string() + ": " + std::strerror(errno));
    return bytes;
}

}  // namespace detail

namespace detail {

/// The fields of a scaler section: 1 + 8 + 16 bytes per feature.
inline std::size_t scaler_section_size(const Scaler& scaler) { return 1 + 8 + 16 * scaler.features(); }

template <SavableModel M>
std::vector<std::uint8_t> serialize_model_file(const M& model, const Scaler* scaler) {
    using S = typename M::scalar;
    const std::string signature = M::signature();
    const auto parameters = model.parameters();
    constexpr std::size_t buffer_count = buffer_count_of<M>;
    detail::ByteWriter out(model_file_magic.size() + 2 + 2 + 4 + 8 + signature.size() + 8 + parameters.size_bytes() +
                           (buffer_count > 0 ? 8 + buffer_count * sizeof(S) : 0) +
                           (scaler ? scaler_section_size(*scaler) : 0) + 4);
    out.put(model_file_magic.data(), model_file_magic.size());
    out.put(model_file_major);
    out.put(std::uint16_t(scaler ? 1 : 0));  // the oldest format that holds what is written
    out.put(std::uint32_t(sizeof(S)));
    out.put(std::uint64_t(signature.size()));
    out.put(signature.data(), signature.size());
    out.put(std::uint64_t(parameters.size()));
    out.put(parameters.data(), parameters.size_bytes());
    if constexpr (buffer_count > 0) {
        const auto buffers = model.buffers();
        out.put(std::uint64_t(buffers.size()));
        out.put(buffers.data(), buffers.size_bytes());
    }
    if (scaler) {
        out.put(std::uint8_t(scaler->scaling()));
        out.put(std::uint64_t(scaler->features()));
        out.put(scaler->offset().data(), scaler->features() * sizeof(double));
        out.put(scaler->scale().data(), scaler->features() * sizeof(double));
    }
    out.put(detail::crc32_of(out.written()));
    return std::move(out).take();
}

template <SavableModel M>
void check_scaler_width(const Scaler& scaler, const char* caller) {
    if constexpr (requires { M::input_size; })
        if (scaler.features() != M::input_size)
            throw shape_error(std::string(caller) + ": expected a scaler of " + std::to_string(M::input_size) +
                              " features, the model's input size, found " + std::to_string(scaler.features()));
}

/// Checks a model file's bytes completely, sets the model's parameters from them and returns its scaler, if it
/// holds one (and refuses a file without one when `scaler_required`). Nothing is changed when it throws.
template <SavableModel M>
std::optional<Scaler> deserialize_model_file(M& model, std::span<const std::uint8_t> bytes,
                                             const std::filesystem::path& path, bool scaler_required) {
    using S = typename M::scalar;
    const std::string where = "latent::load_model: " + path.string();
    const auto body = detail::checked_body(bytes, path, detail::model_file_format);
    detail::ByteReader fields(body, path);
    fields.take(model_file_magic.size() + 2, "header");
    const auto minor = fields.read<std::uint16_t>("format version");
    const auto scalar_bytes = fields.read<std::uint32_t>("scalar size");
    const auto signature_length = fields.read<std::uint64_t>("signature length");
    const auto signature_bytes = fields.take(std::size_t(signature_length), "signature");
    const std::string signature(signature_bytes.begin(), signature_bytes.end());
    if (signature != M::signature())
        throw architecture_error(where + " holds another architecture: expected " + M::signature() + ", found " +
                                 signature);
    if (scalar_bytes != sizeof(S))
        throw architecture_error(where + ": expected " + detail::scalar_name(sizeof(S)) + " parameters, found " +
                                 detail::scalar_name(scalar_bytes));
    const auto count = fields.read<std::uint64_t>("parameter count");
    if (count != M::parameter_count)
        throw format_error(where + ": expected " + std::to_string(M::parameter_count) + " parameters, found " +
                           std::to_string(count));
    const auto payload = fields.take(M::parameter_count * sizeof(S), "parameters");
    constexpr std::size_t buffer_count = buffer_count_of<M>;
    std::span<const std::uint8_t> buffers;
    if constexpr (buffer_count > 0) {
        const auto found = fields.read<std::uint64_t>("buffer count");
        if (found != buffer_count)
            throw format_error(where + ": expected " + std::to_string(buffer_count) +
                               " buffers (running statistics), found " + std::to_string(found));
        buffers = fields.take(buffer_count * sizeof(S), "buffers");
    }
    std::optional<Scaler> scaler;
    if (minor >= 1) {  // format 1.1 and later: a scaler section follows
        const auto scaling = fields.read<std::uint8_t>("scaler kind");
        const auto features = fields.read<std::uint64_t>("scaler width");
        // Checked against the bytes present before anything is allocated: a hostile width cannot over-allocate.
        if (features > fields.remaining() / 16)
            throw format_error(where + " is truncated: expected " + std::to_string(features) +
                               " scaler features (16 bytes each), found " + std::to_string(fields.remaining()) +
                               " bytes");
        const auto n = std::size_t(features);
        std::vector<double> offset(n), scale(n);
        if (n > 0) {
            std::memcpy(offset.data(), fields.take(n * 8, "scaler offsets").data(), n * 8);
            std::memcpy(scale.data(), fields.take(n * 8, "scaler scales").data(), n * 8);
        }
        scaler = Scaler::from_saved(scaling, std::move(offset), std::move(scale), where + ": its scaler");
        if constexpr (requires { M::input_size; })
            if (scaler->features() != M::input_size)
                throw format_error(where + ": expected a scaler of " + std::to_string(M::input_size) +
                                   " features, the model's input size, found " + std::to_string(scaler->features()));
    }
    if (fields.remaining() != 0)
        throw format_error(where + ": expected the file to end after the " +
                           (scaler ? "scaler" : buffer_count > 0 ? "buffers" : "parameters") + ", found " +
                           std::to_string(fields.remaining()) + " more bytes");
    if (scaler_required && !scaler)
        throw format_error(where + ": expected a scaler (a file written by save_model(model, path, scaler)), found a "
                                   "model file without one");
    std::memcpy(model.parameters().data(), payload.data(), payload.size());
    if constexpr (buffer_count > 0) std::memcpy(model.buffers().data(), buffers.data(), buffers.size());
    return scaler;
}

}  // namespace detail

/// Encodes a model as the bytes of a model file (format 1.0).
template <SavableModel M>
std::vector<std::uint8_t> serialize_model(const M& model) {
    return detail::serialize_model_file(model, nullptr);
}

/// Encodes a model and the scaler fitted on its training data (format 1.1).
/// requires: scaler.features() == M::input_size (else shape_error).
template <SavableModel M>
std::vector<std::uint8_t> serialize_model(const M& model, const Scaler& scaler) {
    detail::check_scaler_width<M>(scaler, "latent::save_model");
    return detail::serialize_model_file(model, &scaler);
}

/// Checks a model file's bytes completely, then sets the model's parameters from them. A file that also holds a
/// scaler loads too: the scaler is checked and not returned (the overload with a Scaler returns it).
/// Throws format_error (not a model file, another major or a newer minor format version, truncated, corrupt, a
/// scaler section that is wrong) or architecture_error (another architecture or scalar type); the model is
/// unchanged when it throws.
template <SavableModel M>
void deserialize_model(M& model, std::span<const std::uint8_t> bytes, const std::filesystem::path& path = "<memory>") {
    detail::deserialize_model_file(model, bytes, path, false);
}

/// As above, and sets `scaler` from the file's scaler section.
/// throws: also format_error for a file saved without a scaler; model and scaler are unchanged when it throws.
template <SavableModel M>
void deserialize_model(M& model, Scaler& scaler, std::span<const std::uint8_t> bytes,
                       const std::filesystem::path& path = "<memory>") {
    scaler = std::move(*detail::deserialize_model_file(model, bytes, path, true));
}

/// Writes `model` to `path` atomically: a crash or error leaves any previous file at `path` intact.
template <SavableModel M>
void save_model(const M& model, const std::filesystem::path& path) {
    const auto bytes = serialize_model(model);
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

/// Writes `model` and the scaler fitted on its training data to `path` atomically, so that inference applies the
/// same transform. requires: scaler.features() == M::input_size (else shape_error, and nothing is written).
template <SavableModel M>
void save_model(const M& model, const std::filesystem::path& path, const Scaler& scaler) {
    const auto bytes = serialize_model(model, scaler);
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

/// Loads parameters saved by save_model into `model`; on any error the model is unchanged.
template <SavableModel M>
void load_model(M& model, const std::filesystem::path& path) {
    const auto bytes = detail::read_whole_file(path, "latent::load_model");
    deserialize_model(model, bytes, path);
}

/// Loads a model and its scaler saved by save_model(model, path, scaler); on any error both are unchanged.
/// throws: as load_model, and format_error for a file saved without a scaler.
template <SavableModel M>
void load_model(M& model, Scaler& scaler, const std::filesystem::path& path) {
    const auto bytes = detail::read_whole_file(path, "latent::load_model");
    deserialize_model(model, scaler, bytes, path);
}

/// A model of type M with the parameters saved in `path`.
template <SavableModel M>
M load_model(const std::filesystem::path& path) {
    M model;
    load_model(model, path);
    return model;
}

}  // namespace latent
