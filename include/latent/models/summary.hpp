#pragma once
// A Keras-like model.summary() table, built from the compile-time description of the layers.

#include "latent/models/sequential.hpp"

#include <algorithm>
#include <initializer_list>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latent {

/// "219,891".
inline std::string with_thousands_separators(std::size_t value) {
    const std::string digits = std::to_string(value);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) text += ',';
        text += digits[i];
    }
    return text;
}

namespace detail {

struct SummaryRow {
    std::string layer;
    std::string output_shape;
    std::size_t parameters;
};

/// "Total params", and for models with buffers, as Keras, how many of them are trained and how many are not
/// (BatchNorm's running statistics).
inline std::vector<std::pair<std::string, std::string>> parameter_totals(std::size_t parameters, std::size_t buffers) {
    if (buffers == 0) return {{"Total params", with_thousands_separators(parameters)}};
    return {{"Total params", with_thousands_separators(parameters + buffers)},
            {"Trainable params", with_thousands_separators(parameters)},
            {"Non-trainable params", with_thousands_separators(buffers)}};
}

/// Appends one row per layer of Spec, named prefix.index; a layer's count includes its buffers, as Keras.
template <class Spec>
void append_summary_rows(std::vector<SummaryRow>& rows, std::string_view prefix) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (rows.push_back({std::string(prefix) + "." + std::to_string(I) + "  " + Spec::template layer<I>::name(),
                         "(batch, " + Spec::template layer<I>::output_shape::to_string() + ")",
                         Spec::template layer<I>::parameter_count + buffer_count_of<typename Spec::template layer<I>>}),
         ...);
    }(std::make_index_sequence<Spec::depth>{});
}

inline std::string format_summary(std::string_view title, const std::vector<SummaryRow>& rows,
                                  const std::vector<std::pair<std::string, std::string>>& totals) {
    std::size_t layer_width = std::string_view("Layer").size(), shape_width = std::string_view("Output shape").size();
    for (const auto& row : rows) {
        layer_width = std::max(layer_width, row.layer.size());
        shape_width = std::max(shape_width, row.output_shape.size());
    }
    constexpr std::size_t count_width = 12;
    const std::size_t width = 1 + layer_width + 2 + shape_width + 2 + count_width;
    auto pad = [](std::string text, std::size_t w) { return text + std::string(w > text.size() ? w - text.size() : 0, ' '); };
    auto pad_left = [](std::string text, std::size_t w) { return std::string(w > text.size() ? w - text.size() : 0, ' ') + text; };

    // Appended piece by piece: `" " + std::string` trips g++ 12's false -Wrestrict (GCC bug 105329).
    std::string out(title);
    auto line = [&](std::initializer_list<std::string_view> pieces) {
        for (std::string_view piece : pieces) out += piece;
        out += '\n';
    };
    const std::string rule(width, '_'), double_rule(width, '=');
    out += '\n';
    line({rule});
    line({" ", pad("Layer", layer_width), "  ", pad("Output shape", shape_width), "  ", pad_left("Param #", count_width)});
    line({double_rule});
    for (const auto& row : rows)
        line({" ", pad(row.layer, layer_width), "  ", pad(row.output_shape, shape_width), "  ",
              pad_left(with_thousands_separators(row.parameters), count_width)});
    line({double_rule});
    for (const auto& [label, value] : totals) line({label, ": ", value});
    line({rule});
    return out;
}

}  // namespace detail
}  // namespace latent
