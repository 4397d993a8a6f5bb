#pragma once
// Checkpoints: the whole state of a training run, so that fit() can continue it where it stopped and end
// with the same weights, bit for bit, as a run that was never interrupted. Written atomically and checked
// like model files (magic, format version, CRC-32 over everything, every count bounded by the bytes left
// before anything is allocated for it).
//
// Layout (integers little-endian; a string or an array is a u64 count, then its elements):
//   "LATENTCK"  u16 format_major  u16 format_minor  u32 scalar_bytes
//   string model_signature  array<scalar> parameters
//   string optimizer_settings  f64 learning_rate  u64 steps  u64 buffer_count, then buffer_count array<scalar>
//   u64 setting_count, then per setting: string name, string value   (what decides the run's course)
//   u64 epochs_done  f64 base_learning_rate  array<u64> order
//   3 x generator (shuffling, noise, sampling): 4 x u64 words, f64 spare_normal, u8 has_spare_normal
//   u64 consecutive_skips  f64 best_loss  u64 epochs_without_improvement  u8 early_stopped
//   array<scalar> best_parameters (empty, or one per parameter)
//   u64 epoch_count, then per epoch: u64 epoch  f64 train_loss  u8 has_validation_loss  f64 validation_loss
//     f64 learning_rate  f64 seconds  f64 samples_per_second  u64 skipped_batches
//   format 1.1 only, for models with buffers (BatchNorm): array<scalar> buffers  array<scalar> best_buffers
//   u32 crc32(everything before)
// Runs of models without buffers write format 1.0, as before buffers existed.

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/io/model_file.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/training/history.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latent {

inline constexpr std::string_view checkpoint_magic = "LATENTCK";
inline constexpr std::uint16_t checkpoint_major = 1;
inline constexpr std::uint16_t checkpoint_minor = 1;

/// A training run's state after a whole number of epochs: the model's parameters, the optimizer's state,
/// the settings the run must keep to continue exactly, and the trainer's own progress (the shuffled order,
/// its random generators, early stopping, the history so far).
template <class Scalar>
struct TrainingCheckpoint {
    std::string model_signature;
    std::vector<Scalar> parameters;
    OptimizerState<Scalar> optimizer;
    std::vector<std::pair<std::string, std::string>> settings;  ///< name, value: batch_size, seed, ...
    std::uint64_t epochs_done = 0;
    double base_learning_rate = 0;          ///< what schedules scale
    std::vector<std::uint64_t> order;       ///< the training samples' order, shuffled epoch after epoch
    Rng::State shuffling{};
    Rng::State noise{};
    Rng::State sampling{};
    std::uint64_t consecutive_skips = 0;    ///< batches skipped in a row at the end of the last epoch
    double best_loss = 0;                   ///< early stopping's best monitored loss
    std::uint64_t epochs_without_improvement = 0;
    bool early_stopped = false;
    std::vector<Scalar> best_parameters;    ///< early stopping's best weights, when it restores them
    History history;
    std::vector<Scalar> buffers;            ///< the model's buffers (BatchNorm's running statistics)
    std::vector<Scalar> best_buffers;       ///< those that go with best_parameters

};

namespace detail {

inline constexpr FileFormat checkpoint_format{checkpoint_magic, checkpoint_major, checkpoint_minor, "checkpoint",
                                              "latent::load_checkpoint"};

/// Counts the bytes a ByteWriter will need, through the same calls.
struct ByteCounter {
    std::size_t size = 0;
    void put(const void*, std::size_t count) { size += count; }
    template <class T>
    void put(T) {
        size += sizeof(T);
    }
};

template <class Out>
void put_string(Out& out, std::string_view text) {
    out.put(std::uint64_t(text.size()));
    out.put(text.data(), text.size());
}

template <class Out, class T>
void put_array(Out& out, std::span<const T> values) {
    out.put(std::uint64_t(values.size()));
    out.put(values.data(), values.size_bytes());
}

template <class Out>
void put_generator(Out& out, const Rng::State& state) {
    for (const std::uint64_t word : state.words) out.put(word);
    out.put(state.spare_normal);
    out.put(std::uint8_t(state.has_spare_normal));
}

template <class Out, class Scalar>
void put_checkpoint(Out& out, const TrainingCheckpoint<Scalar>& c) {
    out.put(checkpoint_magic.data(), checkpoint_magic.size());
    const bool has_buffers = !c.buffers.empty() || !c.best_buffers.empty();
    out.put(checkpoint_major);
    out.put(std::uint16_t(has_buffers ? 1 : 0));
    out.put(std::uint32_t(sizeof(Scalar)));
    put_string(out, c.model_signature);
    put_array(out, std::span<const Scalar>(c.parameters));
    put_string(out, c.optimizer.settings);
    out.put(c.optimizer.learning_rate);
    out.put(c.optimizer.steps);
    out.put(std::uint64_t(c.optimizer.buffers.size()));
    for (const auto& buffer : c.optimizer.buffers) put_array(out, std::span<const Scalar>(buffer));
    out.put(std::uint64_t(c.settings.size()));
    for (const auto& [name, value] : c.settings) {
        put_string(out, name);
        put_string(out, value);
    }
    out.put(c.epochs_done);
    out.put(c.base_learning_rate);
    put_array(out, std::span<const std::uint64_t>(c.order));
    for (const Rng::State* generator : {&c.shuffling, &c.noise, &c.sampling}) put_generator(out, *generator);
    out.put(c.consecutive_skips);
    out.put(c.best_loss);
    out.put(c.epochs_without_improvement);
    out.put(std::uint8_t(c.early_stopped));
    put_array(out, std::span<const Scalar>(c.best_parameters));
    out.put(std::uint64_t(c.history.epochs.size()));
    for (const EpochRecord& record : c.history.epochs) {
        out.put(std::uint64_t(record.epoch));
        out.put(record.train_loss);
        out.put(std::uint8_t(record.validation_loss.has_value()));
        out.put(record.validation_loss.value_or(0.0));
        out.put(record.learning_rate);
        out.put(record.seconds);
        out.put(record.samples_per_second);
        out.put(std::uint64_t(record.skipped_batches));
    }
    if (has_buffers) {
        put_array(out, std::span<const Scalar>(c.buffers));
        put_array(out, std::span<const Scalar>(c.best_buffers));
    }
}

/// The checkpoint's fields in order, each count checked against the bytes left before it is used.
class CheckpointReader {
public:
    CheckpointReader(std::span<const std::uint8_t> body, const std::filesystem::path& path)
        : reader_{body, path, checkpoint_format.caller}, where_{"latent::load_checkpoint: " + path.string()} {}

    template <class T>
    T read(const char* field) {
        return reader_.read<T>(field);
    }
    bool read_flag(const char* field) {
        const auto value = reader_.read<std::uint8_t>(field);
        if (value > 1)
            throw format_error(where_ + ": expected 0 or 1 for " + field + ", found " + std::to_string(value));
        return value == 1;
    }
    std::uint64_t read_count(const char* field, std::size_t element_size) {
        const auto count = reader_.read<std::uint64_t>(field);
        if (count > reader_.remaining() / element_size)
            throw format_error(where_ + " is truncated or corrupt: expected at most " +
                               std::to_string(reader_.remaining() / element_size) + " " + field + " in the " +
                               std::to_string(reader_.remaining()) + " bytes left, found a count of " +
                               std::to_string(count));
        return count;
    }
    std::string read_string(const char* field) {
        const auto bytes = reader_.take(std::size_t(read_count(field, 1)), field);
        return {bytes.begin(), bytes.end()};
    }
    template <class T>
    std::vector<T> read_array(const char* field) {
        const auto count = std::size_t(read_count(field, sizeof(T)));
        const auto bytes = reader_.take(count * sizeof(T), field);
        std::vector<T> values(count);
        if (count != 0) std::memcpy(values.data(), bytes.data(), bytes.size());
        return values;
    }
    Rng::State read_generator(const char* field) {
        Rng::State state;
        for (auto& word : state.words) word = read<std::uint64_t>(field);
        state.spare_normal = read<double>(field);
        state.has_spare_normal = read_flag(field);
        if (state.words == std::array<std::uint64_t, 4>{})
            throw format_error(where_ + ": expected a state of xoshiro256** for the " + field +
                               ", found all-zero words");
        return state;
    }
    void skip(std::size_t count, const char* field) { (void)reader_.take(count, field); }
    std::size_t remaining() const noexcept { return reader_.remaining(); }
    const std::string& where() const noexcept { return where_; }

private:
    ByteReader reader_;
    std::string where_;
};

}  // namespace detail

/// The bytes of a checkpoint file.
template <class Scalar>
std::vector<std::uint8_t> serialize_checkpoint(const TrainingCheckpoint<Scalar>& checkpoint) {
    detail::ByteCounter counter;
    detail::put_checkpoint(counter, checkpoint);
    detail::ByteWriter out(counter.size + 4);
    detail::put_checkpoint(out, checkpoint);
    out.put(detail::crc32_of(out.written()));
    return std::move(out).take();
}

/// Reads the bytes of a checkpoint file, checking its envelope (magic, version, checksum), its scalar type,
/// every count against the bytes left, and its own consistency (one history record per epoch done, early
/// stopping's weights empty or one per parameter). Whether it fits a model, an optimizer and a run is for
/// the trainer to check.
/// throws: format_error (not a checkpoint, another version, truncated, corrupt), architecture_error (another
/// scalar type).
template <class Scalar>
TrainingCheckpoint<Scalar> deserialize_checkpoint(std::span<const std::uint8_t> bytes,
                                                  const std::filesystem::path& path = "<memory>") {
    const auto body = detail::checked_body(bytes, path, detail::checkpoint_format);
    detail::CheckpointReader in(body, path);
    const std::string& where = in.where();
    in.skip(checkpoint_magic.size() + 2, "header");  // magic and major version, checked with the checksum above
    const auto minor = in.read<std::uint16_t>("format version");
    const auto scalar_bytes = in.read<std::uint32_t>("scalar size");
    if (scalar_bytes != sizeof(Scalar))
        throw architecture_error(where + ": expected a checkpoint of " + detail::scalar_name(sizeof(Scalar)) +
                                 " parameters, found " + detail::scalar_name(scalar_bytes));

    TrainingCheckpoint<Scalar> c;
    c.model_signature = in.read_string("model signature");
    c.parameters = in.read_array<Scalar>("parameters");
    c.optimizer.settings = in.read_string("optimizer settings");
    c.optimizer.learning_rate = in.read<double>("optimizer learning rate");
    c.optimizer.steps = in.read<std::uint64_t>("optimizer steps");
    c.optimizer.buffers.resize(std::size_t(in.read_count("optimizer buffers", 8)));
    for (auto& buffer : c.optimizer.buffers) buffer = in.read_array<Scalar>("optimizer buffer values");
    c.settings.resize(std::size_t(in.read_count("run settings", 16)));
    for (auto& [name, value] : c.settings) {
        name = in.read_string("run setting name");
        value = in.read_string("run setting value");
    }
    c.epochs_done = in.read<std::uint64_t>("epochs done");
    c.base_learning_rate = in.read<double>("base learning rate");
    c.order = in.read_array<std::uint64_t>("sample order");
    c.shuffling = in.read_generator("shuffling generator");
    c.noise = in.read_generator("noise generator");
    c.sampling = in.read_generator("sampling generator");
    c.consecutive_skips = in.read<std::uint64_t>("consecutive skips");
    c.best_loss = in.read<double>("best loss");
    c.epochs_without_improvement = in.read<std::uint64_t>("epochs without improvement");
    c.early_stopped = in.read_flag("early stopped");
    c.best_parameters = in.read_array<Scalar>("best parameters");
    constexpr std::size_t record_bytes = 8 + 8 + 1 + 8 + 8 + 8 + 8 + 8;
    c.history.epochs.resize(std::size_t(in.read_count("epoch records", record_bytes)));
    for (EpochRecord& record : c.history.epochs) {
        record.epoch = std::size_t(in.read<std::uint64_t>("epoch"));
        record.train_loss = in.read<double>("train loss");
        const bool has_validation = in.read_flag("validation flag");
        const double validation = in.read<double>("validation loss");
        if (has_validation) record.validation_loss = validation;
        else if (std::bit_cast<std::uint64_t>(validation) != 0)
            throw format_error(where + ": expected no validation loss (0) for epoch " + std::to_string(record.epoch) +
                               ", found " + std::to_string(validation));
        record.learning_rate = in.read<double>("learning rate");
        record.seconds = in.read<double>("seconds");
        record.samples_per_second = in.read<double>("samples per second");
        record.skipped_batches = std::size_t(in.read<std::uint64_t>("skipped batches"));
    }
    if (minor >= 1) {
        c.buffers = in.read_array<Scalar>("buffers");
        c.best_buffers = in.read_array<Scalar>("best buffers");
        if (c.buffers.empty())  // a run without buffers writes format 1.0
            throw format_error(where + ": expected buffers in a checkpoint of format 1.1, found none");
    }
    if (in.remaining() != 0)
        throw format_error(where + ": expected the file to end after the " + (minor >= 1 ? "buffers" : "history") +
                           ", found " + std::to_string(in.remaining()) + " more bytes");

    if (c.history.epochs.size() != c.epochs_done)
        throw format_error(where + ": expected one history record per epoch done (" + std::to_string(c.epochs_done) +
                           "), found " + std::to_string(c.history.epochs.size()));
    for (std::size_t i = 0; i < c.history.epochs.size(); ++i)
        if (c.history.epochs[i].epoch != i + 1)
            throw format_error(where + ": expected history record " + std::to_string(i + 1) + " to be epoch " +
                               std::to_string(i + 1) + ", found epoch " + std::to_string(c.history.epochs[i].epoch));
    if (!c.best_parameters.empty() && c.best_parameters.size() != c.parameters.size())
        throw format_error(where + ": expected early stopping's best weights to be none or " +
                           std::to_string(c.parameters.size()) + " values (one per parameter), found " +
                           std::to_string(c.best_parameters.size()));
    if (!c.best_buffers.empty() && c.best_buffers.size() != c.buffers.size())
        throw format_error(where + ": expected early stopping's best buffers to be none or " +
                           std::to_string(c.buffers.size()) + " values (one per buffer), found " +
                           std::to_string(c.best_buffers.size()));
    return c;
}

/// Writes a checkpoint to `path` atomically: a crash or error leaves any previous checkpoint there intact.
template <class Scalar>
void save_checkpoint(const TrainingCheckpoint<Scalar>& checkpoint, const std::filesystem::path& path) {
    const auto bytes = serialize_checkpoint(checkpoint);
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

/// Reads and checks the checkpoint at `path` (see deserialize_checkpoint).
/// throws: file_error when it cannot be read; as deserialize_checkpoint.
template <class Scalar>
TrainingCheckpoint<Scalar> load_checkpoint(const std::filesystem::path& path) {
    return deserialize_checkpoint<Scalar>(detail::read_whole_file(path, "latent::load_checkpoint"), path);
}

}  // namespace latent
