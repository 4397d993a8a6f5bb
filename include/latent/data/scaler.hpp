#pragma once
// Per-feature scaling of tabular data: standardisation (zero mean, unit variance) or min-max to [0, 1], fitted on
// the training data only and applied unchanged to validation, test and inference data. A scaler travels inside the
// model file (save_model(model, path, scaler) in io/model_file.hpp), or alone as three NumPy arrays (to_npz, then
// write_npz from io/numpy.hpp; read back with from_npz).

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/numpy.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

/// What a Scaler does to each feature: subtract the mean and divide by the standard deviation, or map the range
/// seen in training to [0, 1].
enum class Scaling : std::uint8_t { standard = 0, min_max = 1 };

/// x' = (x - offset) / scale per feature, with offset and scale fitted on training data. A constant feature gets
/// scale 1, so it maps to 0 instead of dividing by zero.
class Scaler {
public:
    Scaler() = default;

    /// Fits on every sample of `train` (its values times its scale(), as batch() gives them).
    /// throws: argument_error for an empty data set.
    template <class Element>
    static Scaler fit(const Dataset<Element>& train, Scaling scaling) {
        if (train.empty()) throw argument_error("latent::Scaler::fit: expected training data, found an empty data set");
        const std::size_t n = train.sample_size();
        Scaler s;
        s.scaling_ = scaling;
        s.offset_.assign(n, 0.0);
        s.scale_.assign(n, 1.0);
        const double k = train.scale();
        if (scaling == Scaling::standard) {
            std::vector<double> mean(n, 0.0), m2(n, 0.0);  // Welford's update: stable for large offsets
            for (std::size_t i = 0; i < train.size(); ++i) {
                const auto x = train.sample(i);
                for (std::size_t f = 0; f < n; ++f) {
                    const double v = static_cast<double>(x[f]) * k;
                    const double delta = v - mean[f];
                    mean[f] += delta / static_cast<double>(i + 1);
                    m2[f] += delta * (v - mean[f]);
                }
            }
            for (std::size_t f = 0; f < n; ++f) {
                const double sd = std::sqrt(m2[f] / static_cast<double>(train.size()));
                s.offset_[f] = mean[f];
                s.scale_[f] = sd > 0 ? sd : 1.0;
            }
        } else {
            std::vector<double> low(n), high(n);
            for (std::size_t i = 0; i < train.size(); ++i) {
                const auto x = train.sample(i);
                for (std::size_t f = 0; f < n; ++f) {
                    const double v = static_cast<double>(x[f]) * k;
                    low[f] = i == 0 ? v : std::min(low[f], v);
                    high[f] = i == 0 ? v : std::max(high[f], v);
                }
            }
            for (std::size_t f = 0; f < n; ++f) {
                s.offset_[f] = low[f];
                s.scale_[f] = high[f] > low[f] ? high[f] - low[f] : 1.0;
            }
        }
        return s;
    }

    Scaling scaling() const noexcept { return scaling_; }
    std::size_t features() const noexcept { return offset_.size(); }
    const std::vector<double>& offset() const noexcept { return offset_; }
    const std::vector<double>& scale() const noexcept { return scale_; }

    /// The data set scaled: same shape and labels, values (x * data.scale() - offset) / scale, stored as Element.
    /// requires: as many features as fitted (else shape_error).
    template <class Element>
        requires std::is_floating_point_v<Element>
    Dataset<Element> transform(const Dataset<Element>& data) const {
        check(data.sample_size(), "transform");
        const std::span<const Element> in = data.values();
        std::vector<Element> values(in.size());
        const double k = data.scale();
        const std::size_t n = features();
        for (std::size_t i = 0; i < values.size(); ++i)
            values[i] = static_cast<Element>((static_cast<double>(in[i]) * k - offset_[i % n]) / scale_[i % n]);
        std::vector<std::uint8_t> labels;
        if (data.has_labels()) labels.assign(data.labels().begin(), data.labels().end());
        return Dataset<Element>(std::move(values), data.height(), data.width(), std::move(labels), 1.0);
    }

    /// Samples in the columns of `x` scaled in place (inference on new data). requires: x.rows() == features().
    template <class Scalar>
    void transform_in_place(Matrix<Scalar>& x) const {
        check(static_cast<std::size_t>(x.rows()), "transform_in_place");
        for (Eigen::Index j = 0; j < x.cols(); ++j)
            for (Eigen::Index f = 0; f < x.rows(); ++f) {
                const auto u = static_cast<std::size_t>(f);
                x(f, j) = static_cast<Scalar>((static_cast<double>(x(f, j)) - offset_[u]) / scale_[u]);
            }
    }

    /// The inverse, for reconstructions: x * scale + offset. requires: x.rows() == features().
    template <class Scalar>
    void inverse_in_place(Matrix<Scalar>& x) const {
        check(static_cast<std::size_t>(x.rows()), "inverse_in_place");
        for (Eigen::Index j = 0; j < x.cols(); ++j)
            for (Eigen::Index f = 0; f < x.rows(); ++f) {
                const auto u = static_cast<std::size_t>(f);
                x(f, j) = static_cast<Scalar>(static_cast<double>(x(f, j)) * scale_[u] + offset_[u]);
            }
    }

    /// The scaler as arrays: "scaling" (uint8, 0 standard, 1 min-max), "offset" and "scale" (float64).
    NpzArrays to_npz() const {
        NpzArrays arrays;
        arrays.emplace("scaling", NpyArray({1}, std::vector<std::uint8_t>{static_cast<std::uint8_t>(scaling_)}));
        arrays.emplace("offset", NpyArray({offset_.size()}, offset_));
        arrays.emplace("scale", NpyArray({scale_.size()}, scale_));
        return arrays;
    }

    /// A scaler from to_npz's arrays (read_npz of a file write_npz wrote).
    /// throws: format_error for missing arrays, other types or lengths, an unknown scaling, a non-finite offset, or
    /// a scale that is not finite and > 0.
    static Scaler from_npz(const NpzArrays& arrays) {
        const auto get = [&](const char* key) -> const NpyArray& {
            const auto it = arrays.find(key);
            if (it == arrays.end())
                throw format_error(std::string("latent::Scaler::from_npz: expected an array '") + key + "', found none");
            return it->second;
        };
        const NpyArray& kind = get("scaling");
        const NpyArray& offset = get("offset");
        const NpyArray& scale = get("scale");
        if (kind.type() != NpyType::uint8 || kind.size() != 1 || kind.as<std::uint8_t>()[0] > 1)
            throw format_error("latent::Scaler::from_npz: expected 'scaling' to be one uint8, 0 or 1");
        if (offset.type() != NpyType::float64 || scale.type() != NpyType::float64 || offset.rank() != 1 ||
            scale.rank() != 1 || offset.size() != scale.size() || offset.size() == 0)
            throw format_error("latent::Scaler::from_npz: expected 'offset' and 'scale' to be float64 vectors of one "
                               "equal, non-zero length, found " + npy_type_name(offset.type()) + " " +
                               NpyArray::shape_text(offset.shape()) + " and " + npy_type_name(scale.type()) + " " +
                               NpyArray::shape_text(scale.shape()));
        return from_saved(kind.as<std::uint8_t>()[0], offset.as<double>(), scale.as<double>(), "latent::Scaler::from_npz");
    }

    /// A scaler from the fields a file stored (from_npz, or a model file's scaler section); `reader` starts the
    /// messages. throws: format_error for an unknown scaling, no features, lengths that differ, a non-finite
    /// offset, or a scale that is not finite and > 0.
    static Scaler from_saved(std::uint8_t scaling, std::vector<double> offset, std::vector<double> scale,
                             const std::string& reader) {
        if (scaling > 1)
            throw format_error(reader + ": expected scaling 0 (standard) or 1 (min-max), found " + std::to_string(scaling));
        if (offset.size() != scale.size() || offset.empty())
            throw format_error(reader + ": expected offsets and scales of one equal, non-zero length, found " +
                               std::to_string(offset.size()) + " and " + std::to_string(scale.size()));
        Scaler s;
        s.scaling_ = static_cast<Scaling>(scaling);
        s.offset_ = std::move(offset);
        s.scale_ = std::move(scale);
        for (std::size_t f = 0; f < s.features(); ++f)
            if (!is_finite(s.offset_[f]) || !is_finite(s.scale_[f]) || !(s.scale_[f] > 0))
                throw format_error(reader + ": expected a finite offset and a finite scale > 0 for feature " +
                                   std::to_string(f) + ", found " + std::to_string(s.offset_[f]) + " and " +
                                   std::to_string(s.scale_[f]));
        return s;
    }

private:
    void check(std::size_t n, const char* function) const {
        if (n != features())
            throw shape_error(std::string("latent::Scaler::") + function + ": expected samples of " +
                              std::to_string(features()) + " features, as fitted, found " + std::to_string(n));
    }

    Scaling scaling_ = Scaling::standard;
    std::vector<double> offset_;
    std::vector<double> scale_;
};

}  // namespace latent
