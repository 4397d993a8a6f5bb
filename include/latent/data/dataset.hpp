#pragma once
// A data set held compactly (images as bytes: 47 MB for Fashion-MNIST's training set instead of 188 MB
// of floats) and converted to the model's scalar type one batch at a time.

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

/// Samples of `sample_size` values each, stored as `Element`; a stored value v means v * scale.
/// Images keep their height and width so that pictures and size checks can use them.
template <class Element = std::uint8_t>
class Dataset {
public:
    using element_type = Element;

    Dataset() = default;

    /// requires: values.size() is a multiple of height * width >= 1; labels empty or one per sample; scale
    /// finite and > 0. throws: argument_error (sizes, scale), shape_error (value or label counts).
    Dataset(std::vector<Element> values, std::size_t height, std::size_t width, std::vector<std::uint8_t> labels = {},
            double scale = default_scale())
        : values_{std::move(values)}, labels_{std::move(labels)}, height_{height}, width_{width}, scale_{scale} {
        if (height_ == 0 || width_ == 0 || height_ > std::numeric_limits<std::size_t>::max() / width_)
            throw argument_error("latent::Dataset: expected a sample size of at least 1 and at most 2^64 - 1 values, "
                                 "found " + std::to_string(height_) + " x " + std::to_string(width_));
        const std::size_t per_sample = height_ * width_;
        if (!(is_finite(scale_) && scale_ > 0))
            throw argument_error("latent::Dataset: expected a scale that is finite and > 0, found " +
                                 std::to_string(scale_));
        if (values_.size() % per_sample != 0)
            throw shape_error("latent::Dataset: expected a multiple of " + std::to_string(per_sample) +
                              " values (samples of " + std::to_string(height_) + " x " + std::to_string(width_) +
                              "), found " + std::to_string(values_.size()));
        if (!labels_.empty() && labels_.size() != size())
            throw shape_error("latent::Dataset: expected one label per sample (" + std::to_string(size()) +
                              "), found " + std::to_string(labels_.size()) + " labels");
    }

    /// Bytes are pixel intensities 0..255 and map to [0, 1]; other element types are used as they are.
    static constexpr double default_scale() noexcept { return std::is_same_v<Element, std::uint8_t> ? 1.0 / 255.0 : 1.0; }

    std::size_t size() const noexcept { return sample_size() == 0 ? 0 : values_.size() / sample_size(); }
    bool empty() const noexcept { return size() == 0; }
    std::size_t sample_size() const noexcept { return height_ * width_; }
    std::size_t height() const noexcept { return height_; }
    std::size_t width() const noexcept { return width_; }
    double scale() const noexcept { return scale_; }
    bool has_labels() const noexcept { return !labels_.empty(); }
    std::span<const std::uint8_t> labels() const noexcept { return labels_; }
    std::span<const Element> values() const noexcept { return values_; }

    /// The stored (unscaled) values of sample i. requires: i < size() (else argument_error).
    std::span<const Element> sample(std::size_t i) const {
        if (i >= size())
            throw argument_error("latent::Dataset::sample: expected an index below " + std::to_string(size()) +
                                 ", found " + std::to_string(i));
        return {values_.data() + i * sample_size(), sample_size()};
    }

    /// Writes the samples `indices` as the columns of `out`, scaled to the model's range.
    /// requires: out is sample_size() x indices.size() (else shape_error) and every index < size() (else
    /// argument_error); nothing is written when either check fails.
    template <class Scalar>
    void gather(std::span<const std::size_t> indices, MatrixView<Scalar> out) const {
        if (std::size_t(out.rows()) != sample_size() || std::size_t(out.cols()) != indices.size())
            throw shape_error("latent::Dataset::gather: expected an output of " + std::to_string(sample_size()) +
                              " x " + std::to_string(indices.size()) + ", found " + std::to_string(out.rows()) + " x " +
                              std::to_string(out.cols()));
        for (const std::size_t i : indices)
            if (i >= size())
                throw argument_error("latent::Dataset::gather: expected indices below " + std::to_string(size()) +
                                     ", found " + std::to_string(i));
        const Scalar s = static_cast<Scalar>(scale_);
        for (std::size_t j = 0; j < indices.size(); ++j) {
            const Element* src = values_.data() + indices[j] * sample_size();
            Scalar* dst = out.data() + j * sample_size();
            for (std::size_t k = 0; k < sample_size(); ++k) dst[k] = static_cast<Scalar>(src[k]) * s;
        }
    }

    /// Samples [first, first + count) as the columns of a matrix, scaled: what encode() and
    /// reconstruct() take. requires: first + count <= size() (else argument_error).
    template <class Scalar = float>
    Matrix<Scalar> batch(std::size_t first, std::size_t count) const {
        check_range("batch", first, count);
        Matrix<Scalar> out(static_cast<Eigen::Index>(sample_size()), static_cast<Eigen::Index>(count));
        std::vector<std::size_t> indices(count);
        for (std::size_t j = 0; j < count; ++j) indices[j] = first + j;
        gather(std::span<const std::size_t>(indices), MatrixView<Scalar>(out.data(), out.rows(), out.cols()));
        return out;
    }

    /// Samples [first, first + count) as their own data set (labels follow).
    Dataset slice(std::size_t first, std::size_t count) const {
        check_range("slice", first, count);
        std::vector<Element> values(values_.begin() + static_cast<std::ptrdiff_t>(first * sample_size()),
                                    values_.begin() + static_cast<std::ptrdiff_t>((first + count) * sample_size()));
        std::vector<std::uint8_t> labels;
        if (has_labels())
            labels.assign(labels_.begin() + static_cast<std::ptrdiff_t>(first),
                          labels_.begin() + static_cast<std::ptrdiff_t>(first + count));
        return Dataset(std::move(values), height_, width_, std::move(labels), scale_);
    }

    /// The samples whose label satisfies `keep`, in their order, as their own data set (labels follow): e.g. the
    /// classes an anomaly detector is trained on, `train.filter_by_label([](std::uint8_t c) { return c != 8; })`.
    /// requires: labels, unless the data set is empty (else argument_error).
    template <std::predicate<std::uint8_t> Keep>
    Dataset filter_by_label(Keep keep) const {
        if (empty()) return *this;
        if (!has_labels())
            throw argument_error("latent::Dataset::filter_by_label: expected a data set with labels, found " +
                                 std::to_string(size()) + " samples without");
        std::vector<Element> values;
        std::vector<std::uint8_t> labels;
        for (std::size_t i = 0; i < size(); ++i) {
            if (!keep(labels_[i])) continue;
            const std::span<const Element> one = sample(i);
            values.insert(values.end(), one.begin(), one.end());
            labels.push_back(labels_[i]);
        }
        return Dataset(std::move(values), height_, width_, std::move(labels), scale_);
    }

private:
    void check_range(const char* function, std::size_t first, std::size_t count) const {
        if (first > size() || count > size() - first)
            throw argument_error(std::string("latent::Dataset::") + function + ": expected a range within the " +
                                 std::to_string(size()) + " samples, found [" + std::to_string(first) + ", " +
                                 std::to_string(first + count) + ")");
    }

    std::vector<Element> values_;
    std::vector<std::uint8_t> labels_;
    std::size_t height_ = 0;
    std::size_t width_ = 0;
    double scale_ = default_scale();
};

}  // namespace latent
