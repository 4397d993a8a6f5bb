#pragma once
// Reader for CSV tables of numbers: an optional header line, a chosen delimiter, the columns to keep (by name or
// index) and a label column. Every value is parsed exactly (std::from_chars, the whole field); a missing,
// non-numeric or non-finite value is refused with its line and column named.

#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/idx.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

/// A column of a CSV table, by its name in the header line or by its index (0 for the first).
struct CsvColumn {
    static constexpr std::size_t no_index = std::numeric_limits<std::size_t>::max();

    CsvColumn(const char* column_name) : name{column_name} {}
    CsvColumn(std::string column_name) : name{std::move(column_name)} {}
    CsvColumn(std::size_t column_index) : index{column_index} {}
    CsvColumn(int column_index) : index{column_index < 0 ? no_index - 1 : static_cast<std::size_t>(column_index)} {}

    std::string name;
    std::size_t index = no_index;
};

/// How read_csv reads a table.
struct CsvOptions {
    /// Between fields: ',' by default; ';', a tab and a space are common too.
    char delimiter = ',';
    /// Whether the first line names the columns (names may be in double quotes).
    bool header = true;
    /// The feature columns, in this order; empty: every column but the label column.
    std::vector<CsvColumn> columns = {};
    /// The column of integer labels 0..255 (a class), if any.
    std::optional<CsvColumn> label = std::nullopt;
};

/// A table of numbers: `values` holds rows() x names.size() values, row after row.
struct CsvTable {
    std::vector<std::string> names;  ///< the selected columns' names ("column 3" without a header line)
    std::vector<double> values;
    std::vector<std::uint8_t> labels;  ///< one per row, when a label column was chosen

    std::size_t rows() const noexcept { return names.empty() ? 0 : values.size() / names.size(); }
};

namespace detail::csv {

using idx::in_quotes;

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Fields of one line; a delimiter that is a space or tab also trims nothing but itself.
inline std::vector<std::string_view> split(std::string_view line, char delimiter) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (;;) {
        const std::size_t at = line.find(delimiter, start);
        fields.push_back(line.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return fields;
        start = at + 1;
    }
}

inline std::string printable(std::string_view field) {
    std::string shown;
    for (const char c : field.substr(0, 40)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) shown += c;
        else shown += idx::hex_byte(u);
    }
    if (field.size() > 40) shown += "...";
    return in_quotes(shown);
}

}  // namespace detail::csv

/// Parses CSV text; `name` (a path, usually) appears in error messages, which give line numbers as an editor
/// does (the header is line 1) and columns by number from 1 and by name.
/// throws: format_error for rows of another length, empty lines inside the table, a missing, non-numeric or
/// non-finite value (NaN, inf), a label that is not an integer 0..255, a table without rows; argument_error for
/// a column that does not exist (by name without a header line), or one chosen twice.
inline CsvTable parse_csv(std::string_view text, std::string_view name, const CsvOptions& options = {}) {
    using namespace detail::csv;
    const std::string file = "latent: " + in_quotes(name);
    if (options.delimiter == '\n' || options.delimiter == '\r' || options.delimiter == '"')
        throw argument_error("latent::parse_csv: expected a delimiter other than a newline or '\"'");

    if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);  // a UTF-8 byte order mark, as Excel writes
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();  // blank lines at the end
    if (lines.empty() || (options.header && lines.size() == 1))
        throw format_error(file + ": expected a table with at least one row of numbers, found none");

    const std::vector<std::string_view> first = split(lines[0], options.delimiter);
    const std::size_t width = first.size();
    std::vector<std::string> all_names(width);
    for (std::size_t c = 0; c < width; ++c) {
        std::string_view n = trim(first[c]);
        if (n.size() >= 2 && n.front() == '"' && n.back() == '"') n = n.substr(1, n.size() - 2);
        all_names[c] = options.header ? std::string(n) : std::string("column ") + std::to_string(c + 1);
    }

    const auto resolve = [&](const CsvColumn& column) -> std::size_t {
        if (column.index != CsvColumn::no_index) {
            if (column.index >= width)
                throw argument_error("latent::parse_csv: " + in_quotes(name) + " has " + std::to_string(width) +
                                     " columns (indices 0 to " + std::to_string(width - 1) + "): expected a column index "
                                     "among them, found " + (column.index == CsvColumn::no_index - 1
                                                                 ? std::string("a negative one")
                                                                 : std::to_string(column.index)));
            return column.index;
        }
        if (!options.header)
            throw argument_error("latent::parse_csv: " + in_quotes(name) + ": a column by name (" +
                                 in_quotes(column.name) + ") needs a header line; choose columns by index");
        for (std::size_t c = 0; c < width; ++c)
            if (all_names[c] == column.name) return c;
        throw argument_error("latent::parse_csv: " + in_quotes(name) + " has no column named " +
                             in_quotes(column.name));
    };
    const std::optional<std::size_t> label =
        options.label ? std::optional<std::size_t>(resolve(*options.label)) : std::nullopt;
    std::vector<std::size_t> selected;
    for (const CsvColumn& column : options.columns) selected.push_back(resolve(column));
    if (options.columns.empty())
        for (std::size_t c = 0; c < width; ++c)
            if (c != label) selected.push_back(c);
    std::vector<bool> used(width, false);
    for (const std::size_t c : selected) {
        if (used[c] || c == label)
            throw argument_error("latent::parse_csv: expected each column once, found " + in_quotes(all_names[c]) +
                                 (c == label ? " both as a feature and as the label" : " twice"));
        used[c] = true;
    }
    if (selected.empty()) throw argument_error("latent::parse_csv: expected at least one feature column, found none");

    CsvTable table;
    for (const std::size_t c : selected) table.names.push_back(all_names[c]);
    const std::size_t first_row = options.header ? 1 : 0;
    table.values.reserve((lines.size() - first_row) * selected.size());
    const auto where = [&](std::size_t line, std::size_t c) {
        return file + " line " + std::to_string(line + 1) + ", column " + std::to_string(c + 1) + " (" +
               in_quotes(all_names[c]) + ")";
    };
    std::vector<double> row(width);
    for (std::size_t l = first_row; l < lines.size(); ++l) {
        if (trim(lines[l]).empty())
            throw format_error(file + " line " + std::to_string(l + 1) + " is empty: expected a row of " +
                               std::to_string(width) + " values");
        const std::vector<std::string_view> fields = split(lines[l], options.delimiter);
        if (fields.size() != width)
            throw format_error(file + " line " + std::to_string(l + 1) + ": expected " + std::to_string(width) +
                               " fields, as in line 1, found " + std::to_string(fields.size()));
        const auto number = [&](std::size_t c) {
            const std::string_view field = trim(fields[c]);
            if (field.empty()) throw format_error(where(l, c) + ": expected a number, found a missing value");
            double value = 0;
            const char* begin = field.data();
            const char* end = field.data() + field.size();
            if (*begin == '+' && end - begin > 1 && begin[1] != '-') ++begin;  // "+1.5", as Python's float() reads
            const auto [ptr, ec] = std::from_chars(begin, end, value);
            if (ec == std::errc::result_out_of_range)
                throw format_error(where(l, c) + ": expected a number within double's range, found " + printable(field));
            if (ec != std::errc{} || ptr != end)
                throw format_error(where(l, c) + ": expected a number, found " + printable(field));
            if (!std::isfinite(value))
                throw format_error(where(l, c) + ": expected a finite number, found " + printable(field) +
                                   " (a missing value?)");
            return value;
        };
        for (const std::size_t c : selected) table.values.push_back(number(c));
        if (label) {
            const double v = number(*label);
            if (!(v >= 0 && v <= 255 && v == std::floor(v)))
                throw format_error(where(l, *label) + ": expected a label, an integer 0..255, found " +
                                   printable(trim(fields[*label])));
            table.labels.push_back(static_cast<std::uint8_t>(v));
        }
    }
    return table;
}

/// Reads a CSV file. throws: file_error when it cannot be read; as parse_csv.
inline CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options = {}) {
    const std::vector<std::uint8_t> bytes = detail::idx::read_file(path);
    return parse_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path.string(),
                     options);
}

/// A data set of the table's rows (samples of 1 x features), with the label column's labels if one was chosen.
template <class Element = float>
    requires std::is_floating_point_v<Element>
Dataset<Element> csv_to_dataset(const CsvTable& table) {
    return Dataset<Element>(std::vector<Element>(table.values.begin(), table.values.end()), 1, table.names.size(),
                            table.labels);
}

/// read_csv then csv_to_dataset. throws: as read_csv.
template <class Element = float>
    requires std::is_floating_point_v<Element>
Dataset<Element> load_csv(const std::filesystem::path& path, const CsvOptions& options = {}) {
    return csv_to_dataset<Element>(read_csv(path, options));
}

}  // namespace latent
