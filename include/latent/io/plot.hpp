#pragma once
// Plots drawn by gnuplot (Debian: gnuplot-nox). The data always goes to a CSV beside the picture first, so it
// survives when gnuplot is missing or fails, and can be re-plotted with any other tool.
// Paths and names reach gnuplot only as single-quoted string literals in a script file, never through a shell.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/io/atomic_file.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

extern "C" {
extern char** environ;  // handed to gnuplot unchanged, so that it sees the caller's PATH and locale
}

namespace latent {

/// An Eigen matrix or expression of floating-point latent codes, one sample per column.
template <class Derived>
concept LatentCodes = std::derived_from<Derived, Eigen::MatrixBase<Derived>> &&
                      std::floating_point<typename Derived::Scalar>;

namespace detail {

inline std::string os_reason(int error_number) { return std::generic_category().message(error_number); }

// Appends rather than `"\"" + text`, which trips GCC 12's false -Wrestrict at -O3 (GCC bug 105329).
inline std::string quoted_text(std::string_view text) {
    std::string result = "\"";
    result += text;
    result += '"';
    return result;
}

inline std::string quoted_path(const std::filesystem::path& path) { return quoted_text(path.string()); }

/// The shortest text that reads back as the same value (std::to_chars), so the CSV loses nothing.
template <std::floating_point T>
void append_number(std::string& out, T value) {
    std::array<char, 64> buffer{};  // the longest double, -2.2250738585072014e-308, takes 24
    out.append(buffer.data(), std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr);
}

/// A gnuplot single-quoted string literal: inside one only ' is special (written ''), and neither backquote
/// command substitution nor @macro expansion happens. A line break would end the command, so it becomes a space.
inline std::string gnuplot_string(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) {
        if (c == '\'')
            quoted += "''";
        else if (c == '\n' || c == '\r')
            quoted += ' ';
        else
            quoted += c;
    }
    return quoted + "'";
}

/// A CSV field as RFC 4180 writes it: quoted (with " doubled) when it holds a comma, quote or line break.
inline std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
    std::string field = "\"";
    for (const char c : text) {
        if (c == '"') field += '"';
        field += c;
    }
    return field + "\"";
}

/// `<png without extension>.csv`. throws: argument_error when the picture's own name would be overwritten, or the
/// path has a line break (which a gnuplot string cannot hold).
inline std::filesystem::path plot_csv_path(std::string_view function, const std::filesystem::path& png) {
    const std::string text = png.string();
    if (text.find_first_of("\n\r") != std::string::npos)
        throw argument_error(std::string(function) + ": expected a picture path without line breaks, found " +
                             quoted_path(png));
    if (png.extension() == ".csv")
        throw argument_error(std::string(function) + ": expected a picture path that does not end in .csv (the data "
                                                     "goes to <name>.csv), found " + quoted_path(png));
    return std::filesystem::path{png}.replace_extension(".csv");
}

/// The last `limit` characters of a text file, or "" when it cannot be read.
inline std::string file_tail(const std::filesystem::path& path, std::size_t limit) {
    std::ifstream in{path, std::ios::binary};
    std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (text.size() > limit) text.erase(0, text.size() - limit);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

/// Runs `gnuplot --default-settings <script>` (no shell; ~/.gnuplot ignored so plots look the same everywhere),
/// with its output in `log`, and waits for it.
/// throws: tool_error when gnuplot is not on PATH, cannot start, or does not exit with status 0.
inline void run_gnuplot(std::string_view function, const std::filesystem::path& script,
                        const std::filesystem::path& log, const std::filesystem::path& csv) {
    posix_spawn_file_actions_t actions;
    if (const int error = posix_spawn_file_actions_init(&actions); error != 0)
        throw tool_error(std::string(function) + ": could not start gnuplot: " + os_reason(error));
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);

    std::string program = "gnuplot";
    std::string option = "--default-settings";
    std::string script_text = script.string();
    char* argv[] = {program.data(), option.data(), script_text.data(), nullptr};
    ::pid_t pid = 0;
    const int spawn_error = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error == ENOENT)
        throw tool_error(std::string(function) + ": gnuplot was not found on PATH (apt-get install gnuplot-nox); "
                                                 "the data is in " + quoted_path(csv));
    if (spawn_error != 0)
        throw tool_error(std::string(function) + ": could not start gnuplot: " + os_reason(spawn_error) +
                         "; the data is in " + quoted_path(csv));

    int status = 0;
    ::pid_t waited = 0;
    do {
        waited = ::waitpid(pid, &status, 0);
    } while (waited < 0 && errno == EINTR);
    if (waited < 0)
        throw tool_error(std::string(function) + ": could not wait for gnuplot: " + os_reason(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;

    const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                            : WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                  : "stopped";
    const std::string output = file_tail(log, 2000);
    throw tool_error(std::string(function) + ": gnuplot " + how + "; the data is in " + quoted_path(csv) +
                     (output.empty() ? std::string() : "; gnuplot said:\n" + output));
}

/// Writes `csv_text` to `csv`, then has gnuplot draw `png` with `script_body` (commands after the terminal and
/// output are set; the output is a temporary renamed over `png` once gnuplot succeeds).
/// throws: file_error (writing the CSV or picture), tool_error (gnuplot missing or failing).
inline void plot_with_gnuplot(std::string_view function, const std::filesystem::path& png,
                              const std::filesystem::path& csv, std::string_view csv_text, std::string_view terminal,
                              std::string_view script_body) {
    AtomicFile data{csv};
    data.write(csv_text.data(), csv_text.size());
    data.commit();

    // gnuplot writes into the picture's temporary (same inode, so commit()'s fsync covers its bytes), which is
    // renamed over `png` only once gnuplot has succeeded.
    AtomicFile picture{png};
    // Never committed: AtomicFile names them beside the picture and removes them on every path.
    AtomicFile script{png.string() + ".gp"};
    const AtomicFile log{png.string() + ".log"};

    std::string text = "set terminal " + std::string(terminal) + "\n";
    text += "set output " + gnuplot_string(picture.temporary_path().string()) + "\n";
    text += "set datafile separator ','\n";
    text += script_body;
    text += "unset output\n";
    script.write(text.data(), text.size());
    if (std::fflush(script.handle()) != 0)
        throw file_error(std::string(function) + ": could not write " + quoted_path(script.temporary_path()) + ": " +
                         os_reason(errno));
    run_gnuplot(function, script.temporary_path(), log.temporary_path(), csv);

    std::error_code error;
    if (const auto size = std::filesystem::file_size(picture.temporary_path(), error); error || size == 0)
        throw tool_error(std::string(function) + ": gnuplot exited with status 0 but drew nothing in " +
                         quoted_path(picture.temporary_path()) + "; the data is in " + quoted_path(csv));
    picture.commit();
}

/// Matplotlib's tab10: ten colours that stay distinct for Fashion-MNIST's ten classes.
inline constexpr std::array<std::string_view, 10> class_colours = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/// One gnuplot plot element per class: the points of that class (others NaN, so skipped), named, and coloured by
/// label so that a class keeps its colour in every plot.
/// `using_prefix` selects the coordinates before the filtered last one, e.g. "1:" or "1:2:".
inline std::string class_plots(const std::string& source, std::span<const std::uint8_t> classes,
                               std::span<const std::string> titles, std::string_view using_prefix,
                               std::size_t value_column, std::size_t label_column, bool with_titles) {
    std::string plots;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        if (i > 0) plots += ", \\\n    ";
        const std::string_view colour = class_colours[classes[i] % class_colours.size()];
        plots += source + " skip 1 using " + std::string(using_prefix) + "(column(" + std::to_string(label_column) +
                 ") == " + std::to_string(classes[i]) + " ? column(" + std::to_string(value_column) +
                 ") : NaN) with points pt 7 ps 0.5 lc rgb '" + std::string(colour) + "' ";
        plots += with_titles ? "title " + gnuplot_string(titles[i]) : std::string("notitle");
    }
    return plots + "\n";
}

}  // namespace detail

/// What save_loss_curve plots: `epochs`, one record per epoch with its 1-based `epoch`, `train_loss`, an optional
/// `validation_loss`, `learning_rate` and `seconds`. History (training/history.hpp), what fit() returns, is one;
/// io/ sits below training/ (docs/architecture.md), so this header names only what it reads.
template <class H>
concept LossHistory = requires(const H& history) {
    { history.epochs.empty() } -> std::convertible_to<bool>;
    { history.epochs.size() } -> std::convertible_to<std::size_t>;
    { history.epochs.front().epoch } -> std::convertible_to<std::size_t>;
    { history.epochs.front().train_loss } -> std::same_as<const double&>;
    { history.epochs.front().validation_loss.has_value() } -> std::convertible_to<bool>;
    { *history.epochs.front().validation_loss } -> std::same_as<const double&>;
    { history.epochs.front().learning_rate } -> std::same_as<const double&>;
    { history.epochs.front().seconds } -> std::same_as<const double&>;
};

/// Writes `<png without extension>.csv` (epoch,train_loss,validation_loss,learning_rate,seconds; validation_loss
/// empty for epochs without one), then a PNG line plot of the train and validation losses per epoch.
/// Both files are replaced atomically; the CSV is kept even when plotting fails.
/// requires: history has at least one epoch; gnuplot on PATH.
/// throws: argument_error (empty history, bad path), file_error, tool_error (gnuplot missing or failing).
template <LossHistory H>
void save_loss_curve(const std::filesystem::path& png, const H& history) {
    constexpr std::string_view function = "latent::save_loss_curve";
    const std::filesystem::path csv = detail::plot_csv_path(function, png);
    if (history.epochs.empty())
        throw argument_error("latent::save_loss_curve: expected at least one epoch, found none");

    std::string data = "epoch,train_loss,validation_loss,learning_rate,seconds\n";
    bool has_validation = false;
    for (const auto& record : history.epochs) {
        data += std::to_string(record.epoch) + ',';
        detail::append_number(data, record.train_loss);
        data += ',';
        if (record.validation_loss) detail::append_number(data, *record.validation_loss);
        has_validation |= record.validation_loss.has_value();
        data += ',';
        detail::append_number(data, record.learning_rate);
        data += ',';
        detail::append_number(data, record.seconds);
        data += '\n';
    }

    const std::string source = detail::gnuplot_string(csv.string());
    std::string script = "set title 'Loss per epoch'\nset xlabel 'epoch'\nset ylabel 'loss'\nset grid\n"
                         "set key top right\n";
    if (history.epochs.size() <= 20) script += "set xtics 1\n";  // whole epochs while they fit; gnuplot's otherwise
    script += "plot " + source + " skip 1 using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#1f77b4' title 'train'";
    // An all-empty column would leave a legend entry with no line.
    if (has_validation)
        script += ", \\\n    " + source +
                  " skip 1 using 1:3 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#ff7f0e' title 'validation'";
    script += "\n";
    detail::plot_with_gnuplot(function, png, csv, data, "pngcairo noenhanced size 900,560 font ',11'", script);
}

/// One named series of values for save_histogram, e.g. the reconstruction errors of one group of images.
struct HistogramSeries {
    std::string_view name;
    std::span<const double> values;
};

/// How save_histogram() bins and draws its series.
struct HistogramOptions {
    std::size_t bins = 50;       ///< equal-width bins from the smallest to the largest value of all series
    bool normalize = false;      ///< plot each bin's share of its series, so series of different sizes compare
                                 ///< (the CSV keeps the counts)
    std::string title = "Histogram";
    std::string x_label = "value";
};

/// Writes `<png without extension>.csv` (bin_start,bin_end, then one column of counts per series, headed by its
/// name), then a PNG of the series' histograms overlaid in translucent colours, on the same bins.
/// Bins are [bin_start, bin_end), the last one closed; when every value is the same, one bin is centred on it.
/// requires: at least one series, each named and with at least one value, all values finite; bins >= 1.
/// throws: argument_error (no series, an unnamed or empty series, a NaN or infinite value, 0 bins, bad path),
/// file_error, tool_error (gnuplot missing or failing).
inline void save_histogram(const std::filesystem::path& png, std::span<const HistogramSeries> series,
                           const HistogramOptions& options = {}) {
    constexpr std::string_view function = "latent::save_histogram";
    const std::filesystem::path csv = detail::plot_csv_path(function, png);
    if (series.empty()) throw argument_error("latent::save_histogram: expected at least one series, found none");
    if (options.bins == 0) throw argument_error("latent::save_histogram: expected at least 1 bin, found 0");
    double low = 0;
    double high = 0;
    for (std::size_t s = 0; s < series.size(); ++s) {
        const HistogramSeries& one = series[s];
        if (one.name.empty())
            throw argument_error("latent::save_histogram: expected a name for every series, found none for series " +
                                 std::to_string(s));
        if (one.values.empty())
            throw argument_error("latent::save_histogram: expected at least one value in series " +
                                 detail::quoted_text(one.name) + ", found none");
        for (std::size_t i = 0; i < one.values.size(); ++i) {
            const double value = one.values[i];
            if (!is_finite(value))
                throw argument_error("latent::save_histogram: expected finite values, found " + std::to_string(value) +
                                     " at index " + std::to_string(i) + " of series " +
                                     detail::quoted_text(one.name));
            low = (s == 0 && i == 0) ? value : std::min(low, value);
            high = (s == 0 && i == 0) ? value : std::max(high, value);
        }
    }
    if (low == high) {  // one bin's width around the single value, wide enough to survive rounding
        const double half = std::max(0.5, std::abs(low) * 0x1p-20);
        low -= half;
        high += half;
    }

    // Edges from halves, so that they stay finite however far apart the extremes are; the last edge is `high` itself.
    const std::size_t bins = options.bins;
    std::vector<double> edges(bins + 1);
    const double step = high / double(bins) - low / double(bins);
    for (std::size_t b = 0; b < bins; ++b) edges[b] = low + step * double(b);
    edges[bins] = high;
    // A value's bin is the number of inner edges at or below it: the same edges the CSV shows, with no rounding
    // of its own.
    std::vector<std::vector<std::size_t>> counts(series.size(), std::vector<std::size_t>(bins, 0));
    for (std::size_t s = 0; s < series.size(); ++s)
        for (const double value : series[s].values)
            ++counts[s][std::size_t(std::upper_bound(edges.begin() + 1, edges.end() - 1, value) - (edges.begin() + 1))];

    std::string data = "bin_start,bin_end";
    for (const HistogramSeries& one : series) data += ',' + detail::csv_field(one.name);
    data += '\n';
    for (std::size_t b = 0; b < bins; ++b) {
        detail::append_number(data, edges[b]);
        data += ',';
        detail::append_number(data, edges[b + 1]);
        for (std::size_t s = 0; s < series.size(); ++s) data += ',' + std::to_string(counts[s][b]);
        data += '\n';
    }

    const std::string source = detail::gnuplot_string(csv.string());
    std::string script = "set title " + detail::gnuplot_string(options.title) + "\nset xlabel " +
                         detail::gnuplot_string(options.x_label) + "\nset ylabel " +
                         (options.normalize ? "'share of the series'" : "'count'") +
                         "\nset grid\nset key top right\nset style fill transparent solid 0.35 border\n"
                         "set yrange [0:*]\nset xrange [";
    detail::append_number(script, low);
    script += ':';
    detail::append_number(script, high);
    script += "]\nplot ";
    for (std::size_t s = 0; s < series.size(); ++s) {
        if (s > 0) script += ", \\\n    ";
        const std::string count = "column(" + std::to_string(s + 3) + ")";
        // ".0": gnuplot divides integers as integers.
        const std::string height =
            options.normalize ? count + " / " + std::to_string(series[s].values.size()) + ".0" : count;
        script += source + " skip 1 using ((column(1) + column(2)) / 2):(" + height +
                  "):(column(2) - column(1)) with boxes lw 1.5 lc rgb '" +
                  std::string(detail::class_colours[s % detail::class_colours.size()]) + "' title " +
                  detail::gnuplot_string(series[s].name);
    }
    script += "\n";
    detail::plot_with_gnuplot(function, png, csv, data, "pngcairo noenhanced size 900,560 font ',11'", script);
}

/// save_histogram for series listed in place: save_histogram(png, {{"normal", a}, {"anomalous", b}}).
inline void save_histogram(const std::filesystem::path& png, std::initializer_list<HistogramSeries> series,
                           const HistogramOptions& options = {}) {
    save_histogram(png, std::span<const HistogramSeries>(series.begin(), series.size()), options);
}

/// One point of save_pareto_plot: a named result, its cost (x), its value (y) with a spread, and whether it is on
/// the Pareto front.
struct ParetoPoint {
    std::string_view name;
    double x = 0;
    double y = 0;
    double spread = 0;  ///< drawn as an error bar of +- spread
    bool on_front = false;
};

/// Titles of save_pareto_plot.
struct ParetoPlotOptions {
    std::string title = "Pareto front";
    std::string x_label = "cost";
    std::string y_label = "value";
};

/// Writes `<png without extension>.csv` (name,x,y,spread,on_front), then a PNG scatter of y against x, log x, each
/// point with its error bar, the points on the front joined in order of x and named.
/// requires: at least one point; x > 0 and finite, y and spread finite.
/// throws: argument_error (no points, a bad value, bad path), file_error, tool_error (gnuplot missing or failing).
inline void save_pareto_plot(const std::filesystem::path& png, std::span<const ParetoPoint> points,
                             const ParetoPlotOptions& options = {}) {
    constexpr std::string_view function = "latent::save_pareto_plot";
    const std::filesystem::path csv = detail::plot_csv_path(function, png);
    if (points.empty()) throw argument_error("latent::save_pareto_plot: expected at least one point, found none");
    std::string data = "name,x,y,spread,on_front\n";
    std::vector<const ParetoPoint*> front;
    for (const ParetoPoint& p : points) {
        if (!(is_finite(p.x) && p.x > 0) || !is_finite(p.y) || !is_finite(p.spread))
            throw argument_error("latent::save_pareto_plot: expected x > 0 and finite values (log x), found x " +
                                 std::to_string(p.x) + ", y " + std::to_string(p.y) + ", spread " +
                                 std::to_string(p.spread) + " for " + detail::quoted_text(p.name));
        data += detail::csv_field(p.name) + ',';
        detail::append_number(data, p.x);
        data += ',';
        detail::append_number(data, p.y);
        data += ',';
        detail::append_number(data, p.spread);
        data += p.on_front ? ",1\n" : ",0\n";
        if (p.on_front) front.push_back(&p);
    }
    std::sort(front.begin(), front.end(), [](const ParetoPoint* a, const ParetoPoint* b) { return a->x < b->x; });

    const std::string source = detail::gnuplot_string(csv.string());
    // The front as an inline data block (comma-separated like the CSV, for the separator set): numbers only, so no
    // name reaches gnuplot outside a quoted string.
    std::string script = "$front << EOD\n";
    for (const ParetoPoint* p : front) {
        detail::append_number(script, p->x);
        script += ',';
        detail::append_number(script, p->y);
        script += '\n';
    }
    script += "EOD\nset title " + detail::gnuplot_string(options.title) + "\nset xlabel " +
              detail::gnuplot_string(options.x_label) + "\nset ylabel " + detail::gnuplot_string(options.y_label) +
              "\nset logscale x\nset format x '%.0s%c'\nset grid\nset key top right\n"
              "set offsets graph 0.05, graph 0.15, graph 0.05, graph 0.05\n"
              // Every point with its error bar; the front's points joined, red, and named (the others crowd where
              // members share most of their parameters: the table names them).
              "plot " + source + " skip 1 using 2:3:4 with yerrorbars pt 7 ps 0.8 lc rgb '#1f77b4' title 'member', \\\n"
              "    $front using 1:2 with linespoints pt 7 ps 1.1 lw 2 lc rgb '#d62728' title 'Pareto front', \\\n"
              "    " + source + " skip 1 using 2:3:(column(5) == 1 ? stringcolumn(1) : '') with labels left "
              "offset 0.8,0.5 font ',9' notitle\n";
    detail::plot_with_gnuplot(function, png, csv, data, "pngcairo noenhanced size 900,600 font ',11'", script);
}

/// Writes `<png without extension>.csv` (x,y,label or x,y,z,label), then a PNG scatter of the codes coloured by
/// class with a legend: for 2-D codes one plot; for 3-D codes a 3-D view plus the three 2-D projections.
/// Legend entries are class_names[label] when names are given, else the label number.
/// requires: codes.rows() is 2 or 3; labels.size() == codes.cols() >= 1; class_names empty or covering every label.
/// throws: shape_error (sizes), argument_error (no samples, a label without a name, bad path), file_error,
/// tool_error (gnuplot missing or failing).
template <LatentCodes Derived>
void save_latent_scatter(const std::filesystem::path& png, const Eigen::MatrixBase<Derived>& codes,
                         std::span<const std::uint8_t> labels, std::span<const std::string_view> class_names = {}) {
    constexpr std::string_view function = "latent::save_latent_scatter";
    const std::filesystem::path csv = detail::plot_csv_path(function, png);
    const auto dimensions = static_cast<std::size_t>(codes.rows());
    const auto count = static_cast<std::size_t>(codes.cols());
    if (dimensions != 2 && dimensions != 3)
        throw shape_error("latent::save_latent_scatter: expected codes of 2 or 3 rows (one sample per column), found " +
                          std::to_string(dimensions));
    if (labels.size() != count)
        throw shape_error("latent::save_latent_scatter: expected one label per code (" + std::to_string(count) +
                          "), found " + std::to_string(labels.size()) + " labels");
    if (count == 0) throw argument_error("latent::save_latent_scatter: expected at least one code, found none");

    std::vector<std::uint8_t> classes(labels.begin(), labels.end());
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    if (!class_names.empty() && classes.back() >= class_names.size())
        throw argument_error("latent::save_latent_scatter: expected a class name for every label, found label " +
                             std::to_string(classes.back()) + " with " + std::to_string(class_names.size()) +
                             " names");
    std::vector<std::string> titles;
    for (const std::uint8_t label : classes)
        titles.push_back(class_names.empty() ? std::to_string(label) : std::string(class_names[label]));

    const auto& values = codes.eval();  // no copy for a plain matrix; evaluates products once
    std::string data = dimensions == 2 ? "x,y,label\n" : "x,y,z,label\n";
    for (std::size_t j = 0; j < count; ++j) {
        for (std::size_t i = 0; i < dimensions; ++i) {
            detail::append_number(data, values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));
            data += ',';
        }
        data += std::to_string(labels[j]) + '\n';
    }

    const std::string source = detail::gnuplot_string(csv.string());
    // A margin inside the 2-D axes, so that the extreme points are not cut in half by the border.
    std::string script = "set offsets graph 0.03, graph 0.03, graph 0.03, graph 0.03\n";
    if (dimensions == 2) {
        script += "set title 'Latent space'\nset xlabel 'z1'\nset ylabel 'z2'\nset grid\nset key outside right top\n";
        script += "plot " + detail::class_plots(source, classes, titles, "1:", 2, 3, true);
        detail::plot_with_gnuplot(function, png, csv, data, "pngcairo noenhanced size 900,720 font ',11'", script);
        return;
    }
    script += "set multiplot layout 2,2 title 'Latent space'\nset grid\n"
             "set title '3-D view'\nset xlabel 'z1'\nset ylabel 'z2'\nset zlabel 'z3' rotate parallel\n"
             "set xyplane relative 0\nset view 60,30,1.05\n"
             // The legend in the 3-D panel's empty top-right corner; outside, it would squeeze the view.
             "set key at screen 0.49, 0.93 right top opaque\n";
    script += "splot " + detail::class_plots(source, classes, titles, "1:2:", 3, 4, true);
    script += "unset key\nset title 'z1 / z2'\n";
    script += "plot " + detail::class_plots(source, classes, titles, "1:", 2, 4, false);
    script += "set title 'z1 / z3'\nset ylabel 'z3'\n";
    script += "plot " + detail::class_plots(source, classes, titles, "1:", 3, 4, false);
    script += "set title 'z2 / z3'\nset xlabel 'z2'\n";
    script += "plot " + detail::class_plots(source, classes, titles, "2:", 3, 4, false);
    script += "unset multiplot\n";
    detail::plot_with_gnuplot(function, png, csv, data, "pngcairo noenhanced size 1200,1000 font ',10'", script);
}

}  // namespace latent
