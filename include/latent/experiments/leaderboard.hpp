#pragma once
// What an experiment (experiments/runner.hpp) finds: one record per (member, seed) run, summed up per member in a
// leaderboard, written as Markdown, CSV and a picture of loss against parameters with the Pareto front. None of it
// is a template: it is compiled once however many members a family has.

#include "latent/core/error.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/io/model_file.hpp"
#include "latent/io/plot.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace latent {

/// A member of a family as the leaderboard names it.
struct MemberInfo {
    std::string name;       ///< short and readable: the encoder's shapes, "784-128-3 ReLU"
    std::string signature;  ///< the model file's architecture signature: what tells members apart
    std::size_t parameters = 0;
    std::size_t flops_per_sample = 0;  ///< forward pass, encoder and decoder
};

/// One member trained with one seed.
struct RunResult {
    std::size_t member = 0;  ///< index in the family
    std::uint64_t seed = 0;
    double best_validation_loss = 0;
    std::size_t best_epoch = 0;  ///< 1-based
    double seconds_per_epoch = 0;
    double samples_per_second = 0;
    bool resumed = false;  ///< read back from an earlier, interrupted call rather than trained in this one
};

/// One member's figures over its seeds.
struct MemberResult {
    MemberInfo info;
    std::vector<double> losses;  ///< best validation loss per seed, in the order of ExperimentOptions::seeds
    double mean_loss = 0;
    double loss_spread = 0;      ///< sample standard deviation over the seeds (0 for one seed)
    std::uint64_t best_seed = 0;
    double seconds_per_epoch = 0;   ///< mean over the seeds
    double samples_per_second = 0;  ///< mean over the seeds
    bool pareto = false;  ///< no other member has as few parameters or fewer and as low a mean loss or lower, one of them strictly
    std::filesystem::path model_file;  ///< the best seed's best weights, relative to the experiment's directory
};

/// The members, best mean validation loss first; complete when every (member, seed) run has finished.
struct Leaderboard {
    std::vector<MemberResult> members;
    std::size_t runs_trained = 0;  ///< in this call
    std::size_t runs_resumed = 0;  ///< finished by an earlier call, read back
    std::size_t runs_left = 0;     ///< not yet run (ExperimentOptions::max_runs stopped this call)
    bool complete() const noexcept { return runs_left == 0; }
};

namespace detail {

/// For each point, whether it is on the Pareto front of (x, y), both minimised: no other point is at least as good
/// in both and better in one.
inline std::vector<bool> pareto_front(std::span<const double> x, std::span<const double> y) {
    std::vector<bool> front(x.size(), true);
    for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t j = 0; j < x.size() && front[i]; ++j)
            if (j != i && x[j] <= x[i] && y[j] <= y[i] && (x[j] < x[i] || y[j] < y[i])) front[i] = false;
    return front;
}

/// The pieces one after another (appended: g++ 12 at -O3 gives false -Wrestrict reports for "text" + std::string,
/// GCC bug 105329).
inline std::string joined(std::initializer_list<std::string_view> pieces) {
    std::string text;
    for (const std::string_view piece : pieces) text += piece;
    return text;
}

inline std::string number_text(double value) {
    std::string text;
    append_number(text, value);
    return text;
}

/// `value` with `digits` significant digits, for tables meant to be read.
inline std::string rounded(double value, int digits = 4) {
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, digits).ptr;
    return std::string(buffer, end);
}

/// A member's name as a file name: letters, digits, '-' and '.', the rest '_'.
inline std::string file_stem(std::size_t index, std::string_view name) {
    std::string stem = joined({"m", std::to_string(index), "-"});
    for (const char c : name)
        stem += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
    return stem;
}

/// FNV-1a: a short fingerprint of an experiment's description, stored in each run's record.
inline std::uint64_t fingerprint(std::string_view text) {
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : text) hash = (hash ^ std::uint8_t(c)) * 1099511628211ull;
    return hash;
}

inline constexpr std::string_view run_record_magic = "latent experiment run 1";

/// The record of one finished run: a few lines of text, written atomically, so that a run either counts or reruns.
inline void write_run_record(const std::filesystem::path& path, std::uint64_t experiment, const RunResult& run) {
    const std::string text =
        joined({run_record_magic, "\nexperiment ", std::to_string(experiment), "\nmember ", std::to_string(run.member),
                "\nseed ", std::to_string(run.seed), "\nbest_validation_loss ", number_text(run.best_validation_loss),
                "\nbest_epoch ", std::to_string(run.best_epoch), "\nseconds_per_epoch ",
                number_text(run.seconds_per_epoch), "\nsamples_per_second ", number_text(run.samples_per_second), "\n"});
    AtomicFile file(path);
    file.write(text.data(), text.size());
    file.commit();
}

/// Reads a run record; throws format_error for one that is not, and argument_error for the record of another
/// experiment (other members, epochs, seeds, data or optimizer), naming the file.
inline RunResult read_run_record(const std::filesystem::path& path, std::uint64_t experiment, std::size_t member,
                                 std::uint64_t seed) {
    const auto bytes = read_whole_file(path, "latent::run_experiment");
    const std::string text(bytes.begin(), bytes.end());
    std::vector<std::string_view> values;
    std::size_t line_start = 0;
    const std::string_view keys[] = {"experiment", "member", "seed", "best_validation_loss", "best_epoch",
                                     "seconds_per_epoch", "samples_per_second"};
    auto malformed = [&](const std::string& what) -> format_error {
        return format_error("latent::run_experiment: " + path.string() + " is not a run record: " + what);
    };
    std::size_t line = 0;
    while (line_start < text.size()) {
        const std::size_t end = text.find('\n', line_start);
        if (end == std::string::npos) throw malformed("expected each line to end with a line break");
        const std::string_view content(text.data() + line_start, end - line_start);
        if (line == 0) {
            if (content != run_record_magic)
                throw malformed("expected the first line \"" + std::string(run_record_magic) + "\", found \"" +
                                std::string(content) + "\"");
        } else {
            if (line > std::size(keys)) throw malformed("expected " + std::to_string(std::size(keys) + 1) + " lines");
            const std::string_view key = keys[line - 1];
            if (content.substr(0, key.size() + 1) != std::string(key) + " ")
                throw malformed("expected line " + std::to_string(line + 1) + " to start with \"" + std::string(key) +
                                "\", found \"" + std::string(content) + "\"");
            values.push_back(content.substr(key.size() + 1));
        }
        line_start = end + 1;
        ++line;
    }
    if (values.size() != std::size(keys))
        throw malformed("expected " + std::to_string(std::size(keys) + 1) + " lines, found " + std::to_string(line));
    auto integer = [&](std::size_t i) {
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(values[i].data(), values[i].data() + values[i].size(), value);
        if (error != std::errc{} || end != values[i].data() + values[i].size())
            throw malformed("expected a whole number for " + std::string(keys[i]) + ", found \"" +
                            std::string(values[i]) + "\"");
        return value;
    };
    auto real = [&](std::size_t i) {
        double value = 0;
        const auto [end, error] = std::from_chars(values[i].data(), values[i].data() + values[i].size(), value);
        if (error != std::errc{} || end != values[i].data() + values[i].size())
            throw malformed("expected a number for " + std::string(keys[i]) + ", found \"" + std::string(values[i]) +
                            "\"");
        return value;
    };
    if (const auto found = integer(0); found != experiment)
        throw argument_error("latent::run_experiment: " + path.string() + " records a run of another experiment: " +
                             "expected fingerprint " + std::to_string(experiment) + " (these members, epochs, batch "
                             "size, data and optimizer), found " + std::to_string(found) +
                             "; give this experiment another directory or empty this one");
    if (integer(1) != member || integer(2) != seed)
        throw format_error("latent::run_experiment: " + path.string() + ": expected the run of member " +
                           std::to_string(member) + " with seed " + std::to_string(seed) + ", found member " +
                           std::string(values[1]) + " with seed " + std::string(values[2]));
    return {member, seed, real(3), std::size_t(integer(4)), real(5), real(6), true};
}

/// Sums up the runs (complete or not: members with no finished run are left out) into a leaderboard.
inline Leaderboard summarise(std::span<const MemberInfo> members, std::span<const std::uint64_t> seeds,
                             std::span<const RunResult> runs, std::span<const char> finished) {
    Leaderboard board;
    for (std::size_t m = 0; m < members.size(); ++m) {
        MemberResult result;
        result.info = members[m];
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t s = 0; s < seeds.size(); ++s) {
            const std::size_t job = m * seeds.size() + s;
            if (!finished[job]) {
                ++board.runs_left;
                continue;
            }
            const RunResult& run = runs[job];
            (run.resumed ? board.runs_resumed : board.runs_trained) += 1;
            result.losses.push_back(run.best_validation_loss);
            result.seconds_per_epoch += run.seconds_per_epoch;
            result.samples_per_second += run.samples_per_second;
            if (run.best_validation_loss < best) {
                best = run.best_validation_loss;
                result.best_seed = run.seed;
            }
        }
        if (result.losses.empty()) continue;
        const double n = double(result.losses.size());
        result.mean_loss = std::accumulate(result.losses.begin(), result.losses.end(), 0.0) / n;
        double squares = 0;
        for (const double loss : result.losses) squares += (loss - result.mean_loss) * (loss - result.mean_loss);
        result.loss_spread = result.losses.size() > 1 ? std::sqrt(squares / (n - 1)) : 0;
        result.seconds_per_epoch /= n;
        result.samples_per_second /= n;
        result.model_file = std::filesystem::path("models") /
                            joined({file_stem(m, members[m].name), "-seed", std::to_string(result.best_seed), ".latent"});
        board.members.push_back(std::move(result));
    }
    std::vector<double> x, y;
    for (const MemberResult& member : board.members) {
        x.push_back(double(member.info.parameters));
        y.push_back(member.mean_loss);
    }
    const std::vector<bool> front = pareto_front(x, y);
    for (std::size_t i = 0; i < board.members.size(); ++i) board.members[i].pareto = front[i];
    std::stable_sort(board.members.begin(), board.members.end(),
                     [](const MemberResult& a, const MemberResult& b) { return a.mean_loss < b.mean_loss; });
    return board;
}

}  // namespace detail

/// The leaderboard as a Markdown table: rank, member, parameters, FLOPs, best validation loss (mean ± spread over
/// the seeds), seconds per epoch, samples per second, whether it is on the Pareto front.
inline std::string leaderboard_markdown(const Leaderboard& board) {
    std::string text = "| rank | member | parameters | FLOPs / sample | best validation loss (mean ± sd) | seeds | "
                       "s / epoch | samples / s | Pareto |\n|---:|---|---:|---:|---:|---:|---:|---:|:---:|\n";
    for (std::size_t i = 0; i < board.members.size(); ++i) {
        const MemberResult& m = board.members[i];
        text += detail::joined({"| ", std::to_string(i + 1), " | `", m.info.name, "` | ", std::to_string(m.info.parameters),
                                " | ", std::to_string(m.info.flops_per_sample), " | ", detail::rounded(m.mean_loss),
                                " ± ", detail::rounded(m.loss_spread, 2), " | ", std::to_string(m.losses.size()), " | ",
                                detail::rounded(m.seconds_per_epoch, 3), " | ", detail::rounded(m.samples_per_second, 3),
                                " | ", m.pareto ? "yes" : "", " |\n"});
    }
    return text;
}

/// The leaderboard as CSV, every figure exact (the shortest text that reads back as the same double); the losses per
/// seed separated by ';' in the seeds' order.
inline std::string leaderboard_csv(const Leaderboard& board) {
    std::string text = "rank,member,signature,parameters,flops_per_sample,mean_loss,loss_spread,losses,best_seed,"
                       "seconds_per_epoch,samples_per_second,pareto,model_file\n";
    for (std::size_t i = 0; i < board.members.size(); ++i) {
        const MemberResult& m = board.members[i];
        std::string losses;
        for (const double loss : m.losses) {
            if (!losses.empty()) losses += ';';
            losses += detail::number_text(loss);
        }
        text += detail::joined({std::to_string(i + 1), ",", detail::csv_field(m.info.name), ",",
                                detail::csv_field(m.info.signature), ",", std::to_string(m.info.parameters), ",",
                                std::to_string(m.info.flops_per_sample), ",", detail::number_text(m.mean_loss), ",",
                                detail::number_text(m.loss_spread), ",", losses, ",", std::to_string(m.best_seed), ",",
                                detail::number_text(m.seconds_per_epoch), ",", detail::number_text(m.samples_per_second),
                                ",", m.pareto ? "1" : "0", ",", detail::csv_field(m.model_file.string()), "\n"});
    }
    return text;
}

/// Writes leaderboard.md and leaderboard.csv in `directory` (atomically), and with `plot` the picture
/// pareto.png (with its data in pareto.csv): mean best validation loss against parameters, log x, error bars of
/// one spread, the Pareto front joined.
/// throws: file_error; tool_error when gnuplot is missing or fails (the tables are written by then).
inline void save_leaderboard(const std::filesystem::path& directory, const Leaderboard& board, bool plot = true) {
    for (const auto& [name, text] : {std::pair{"leaderboard.md", leaderboard_markdown(board)},
                                     std::pair{"leaderboard.csv", leaderboard_csv(board)}}) {
        AtomicFile file(directory / name);
        file.write(text.data(), text.size());
        file.commit();
    }
    if (!plot || board.members.empty()) return;
    std::vector<ParetoPoint> points;
    for (const MemberResult& m : board.members)
        points.push_back({m.info.name, double(m.info.parameters), m.mean_loss, m.loss_spread, m.pareto});
    save_pareto_plot(directory / "pareto.png", points,
                     {.title = "Best validation loss against parameters", .x_label = "parameters",
                      .y_label = "best validation loss (mean over seeds)"});
}

}  // namespace latent
