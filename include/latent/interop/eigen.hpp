#pragma once
/// \file
/// Eigen interop: train on Eigen matrices, and read results in either sample layout, with the copies stated.
///
/// latent's own layout is Eigen's: a batch is a column-major features x samples matrix, one sample per column.
/// encode(), decode(), reconstruct() and predict() take any Eigen expression in that layout as it is: a Matrix, a
/// Map over your memory (strides allowed), a block, or `rows.transpose()` for data stored one sample per row
/// (inference reads its input chunk by chunk into its own buffer, whatever the input). They return a Matrix they
/// allocated, which samples_in_rows() shows one sample per row without a copy.

#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/data/dataset.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace latent {

/// A row-major matrix: one sample per row, the layout data files, NumPy and xtensor use.
template <class Scalar>
using RowMajorMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The samples x features view of a features x samples batch (what encode() and friends return): the same
/// memory read one sample per row, no copy. The view is valid while `batch` lives and is not resized.
template <class Scalar>
Eigen::Map<RowMajorMatrix<Scalar>> samples_in_rows(Matrix<Scalar>& batch) noexcept {
    return {batch.data(), batch.cols(), batch.rows()};
}

/// The read-only samples x features view of a features x samples batch, no copy.
template <class Scalar>
Eigen::Map<const RowMajorMatrix<Scalar>> samples_in_rows(const Matrix<Scalar>& batch) noexcept {
    return {batch.data(), batch.cols(), batch.rows()};
}

/// Deleted: a view of a temporary would dangle. Keep the matrix in a variable first.
template <class Scalar>
void samples_in_rows(Matrix<Scalar>&& batch) = delete;

/// A Dataset the Trainer can fit on, holding a copy of the samples in the columns of `samples` (a Dataset owns
/// its values), each sample a height x width image stored row by row. Elements keep their type; as for every
/// Dataset, 8-bit elements are scaled by 1/255 when batches are taken.
/// requires: samples.rows() == height * width (else shape_error); labels empty or one per column (else shape_error).
template <class Derived>
Dataset<typename Derived::Scalar> to_dataset(const Eigen::DenseBase<Derived>& samples, std::size_t height,
                                             std::size_t width, std::vector<std::uint8_t> labels = {}) {
    using Element = typename Derived::Scalar;
    if (std::size_t(samples.rows()) != height * width)
        throw shape_error("latent::to_dataset: expected samples of " + std::to_string(height) + " x " +
                          std::to_string(width) + " = " + std::to_string(height * width) +
                          " values (rows), found " + std::to_string(samples.rows()) + " rows");
    std::vector<Element> values(std::size_t(samples.size()));
    Eigen::Map<Matrix<Element>>(values.data(), samples.rows(), samples.cols()) = samples;
    return Dataset<Element>(std::move(values), height, width, std::move(labels));
}

/// A Dataset holding a copy of the samples in the columns of `samples`, each sample a 1 x rows() row of features.
/// requires: samples.rows() >= 1 (else argument_error); labels empty or one per column (else shape_error).
template <class Derived>
Dataset<typename Derived::Scalar> to_dataset(const Eigen::DenseBase<Derived>& samples,
                                             std::vector<std::uint8_t> labels = {}) {
    return to_dataset(samples, 1, std::size_t(samples.rows()), std::move(labels));
}

}  // namespace latent
