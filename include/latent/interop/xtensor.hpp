#pragma once
/// \file
/// xtensor interop: encode, decode and reconstruct xtensor batches through Eigen views of their memory (no
/// copy before inference, which reads any input chunk by chunk into its own buffer), get the results back as
/// xtensor containers without copying them, and train on xtensor data (one copy, into a Dataset).
///
/// Not included by latent/latent.hpp: include it yourself and link the CMake target latent::xtensor
/// (find_package(latent CONFIG REQUIRED COMPONENTS xtensor)). Tested with xtensor 0.24.3 only; xtensor 0.26 moved
/// its headers, and the include below follows it (untested).
///
/// Layout: xtensor arrays are row-major samples x features (one sample per row). That memory, read column-major,
/// is latent's features x samples batch, so the two meet without a copy in both directions:
///
///     xt::xtensor<float, 2> batch = ...;                                   // samples x features
///     auto codes = latent::to_xtensor(model.encode(latent::from_xtensor(batch)));  // samples x code_size
///
/// Only containers, adaptors and strided views are used here: xtensor 0.24.3 compiled by g++ 12 in C++20 has
/// reducers that crash and pad/tile that return wrong values, and none of them is needed.

#if __has_include(<xtensor/containers/xtensor.hpp>)  // xtensor >= 0.26 moved its headers
#include <xtensor/containers/xtensor.hpp>
#else
#include <xtensor/xtensor.hpp>
#endif

#include "latent/core/error.hpp"
#include "latent/core/matrix.hpp"
#include "latent/data/dataset.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

/// A features x samples Eigen view of memory owned by an xtensor expression, with that expression's strides;
/// what from_xtensor() returns and encode(), decode(), reconstruct() and predict() accept.
template <class Scalar>
using StridedConstMatrixView =
    Eigen::Map<const Matrix<Scalar>, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

/// A one-sample Eigen view of memory owned by a 1-D xtensor expression.
template <class Scalar>
using StridedConstVectorView = Eigen::Map<const Vector<Scalar>, Eigen::Unaligned, Eigen::InnerStride<Eigen::Dynamic>>;

namespace detail {

/// An Eigen matrix or vector presented as the flat storage an xt::xtensor_adaptor owns: the matrix moves in,
/// its buffer stays where it is.
template <class PlainMatrix>
class EigenStorage {
public:
    using Scalar = typename PlainMatrix::Scalar;
    using value_type = Scalar;
    using reference = Scalar&;
    using const_reference = const Scalar&;
    using pointer = Scalar*;
    using const_pointer = const Scalar*;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using iterator = Scalar*;
    using const_iterator = const Scalar*;
    using reverse_iterator = std::reverse_iterator<iterator>;
    using const_reverse_iterator = std::reverse_iterator<const_iterator>;
    using allocator_type = std::allocator<Scalar>;  // xtensor asks for one; Eigen allocates

    EigenStorage() = default;
    explicit EigenStorage(PlainMatrix&& matrix) noexcept : matrix_(std::move(matrix)) {}
    explicit EigenStorage(size_type size) : matrix_(Eigen::Index(size), 1) {}

    Scalar* data() noexcept { return matrix_.data(); }
    const Scalar* data() const noexcept { return matrix_.data(); }
    size_type size() const noexcept { return size_type(matrix_.size()); }
    bool empty() const noexcept { return matrix_.size() == 0; }
    /// xtensor resizes storage before it overwrites every element, so the values need not survive.
    void resize(size_type size) {
        if (size != this->size()) matrix_.resize(Eigen::Index(size), 1);
    }
    Scalar& operator[](size_type i) noexcept { return data()[i]; }
    const Scalar& operator[](size_type i) const noexcept { return data()[i]; }

    iterator begin() noexcept { return data(); }
    iterator end() noexcept { return data() + size(); }
    const_iterator begin() const noexcept { return data(); }
    const_iterator end() const noexcept { return data() + size(); }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }
    reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
    reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
    const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
    const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }
    const_reverse_iterator crbegin() const noexcept { return rbegin(); }
    const_reverse_iterator crend() const noexcept { return rend(); }

private:
    PlainMatrix matrix_;
};

template <class E>
concept XtensorWithMemory = requires(const E& e) {
    e.data();
    e.data_offset();
    e.strides();
    e.shape();
};

template <class E>
inline constexpr std::ptrdiff_t static_rank = [] {
    if constexpr (requires { std::tuple_size<typename E::shape_type>::value; })
        return std::ptrdiff_t(std::tuple_size<typename E::shape_type>::value);
    else
        return std::ptrdiff_t(-1);  // xarray and other expressions whose rank is known at run time
}();

/// False for every type: a static_assert on it fires only when the template around it is used.
template <class>
inline constexpr bool rejected_by_interop = false;

/// Strides in elements as Eigen wants them: xtensor gives 0 along an axis of length 1, and no view here goes
/// backwards.
inline Eigen::Index checked_stride(std::ptrdiff_t stride, std::size_t extent, Eigen::Index natural) {
    if (stride < 0)
        throw argument_error("latent::from_xtensor: expected an expression with non-negative strides, found a stride of " +
                             std::to_string(stride) + " (a reversed view); copy it first (xt::xtensor<T, N> copy = view)");
    return extent <= 1 ? natural : Eigen::Index(stride);
}

}  // namespace detail

/// A samples x features (row-major) xtensor container that owns an Eigen batch moved into it: what
/// to_xtensor() returns. It is an xtensor container (shape, strides, element access, views, arithmetic,
/// assignment to xt::xtensor); its data() is the Eigen matrix's.
template <class Scalar>
using XtensorBatch = xt::xtensor_adaptor<detail::EigenStorage<Matrix<Scalar>>, 2, xt::layout_type::row_major>;

/// A one-sample xtensor container that owns an Eigen vector moved into it.
template <class Scalar>
using XtensorSample = xt::xtensor_adaptor<detail::EigenStorage<Vector<Scalar>>, 1, xt::layout_type::row_major>;

/// A features x samples Eigen view of `samples` (a 2-D samples x features expression, one sample per row), with
/// no copy: pass it to encode(), decode(), reconstruct() or predict(). Any layout and non-negative strides work
/// (xt::xtensor, xt::xarray in either layout, xt::adapt, strided views such as a range of rows). A static 1-D
/// expression (xt::xtensor<T, 1>) is one sample and gives a vector view, and then encode() returns a vector; a
/// 1-D xt::xarray is one sample in a features x 1 view. The view reads the expression's memory: keep it alive.
/// requires: an expression with memory (not a lazy a + b: evaluate that first; a compile error says so);
///           rank 1 or 2 (else shape_error); non-negative strides (else argument_error).
template <class E>
auto from_xtensor(const xt::xexpression<E>& samples) {
    if constexpr (!detail::XtensorWithMemory<E>) {
        static_assert(detail::rejected_by_interop<E>,
                      "latent::from_xtensor: this xtensor expression has no memory of its own (a lazy expression such "
                      "as a + b, or a non-strided view): evaluate it into an xt::xtensor first");
    } else {
        const E& e = samples.derived_cast();
        using Scalar = std::remove_cv_t<typename E::value_type>;
        constexpr std::ptrdiff_t rank = detail::static_rank<E>;
        static_assert(rank == -1 || rank == 1 || rank == 2,
                      "latent::from_xtensor: expected a 2-D samples x features expression or a 1-D sample");
        const Scalar* first = e.data() + e.data_offset();
        const auto& shape = e.shape();
        const auto& strides = e.strides();
        if constexpr (rank == 1) {
            const Eigen::Index stride = detail::checked_stride(strides[0], shape[0], 1);
            return StridedConstVectorView<Scalar>(first, Eigen::Index(shape[0]),
                                                  Eigen::InnerStride<Eigen::Dynamic>(stride));
        } else {
            using View = StridedConstMatrixView<Scalar>;
            using Stride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
            if (shape.size() == 1) {
                const Eigen::Index inner = detail::checked_stride(strides[0], shape[0], 1);
                return View(first, Eigen::Index(shape[0]), 1, Stride(inner * Eigen::Index(shape[0]), inner));
            }
            if (shape.size() != 2)
                throw shape_error("latent::from_xtensor: expected a 2-D samples x features array or a 1-D sample, "
                                  "found " + std::to_string(shape.size()) + " dimensions");
            const std::size_t count = shape[0], features = shape[1];
            const Eigen::Index inner = detail::checked_stride(strides[1], features, 1);
            const Eigen::Index outer = detail::checked_stride(strides[0], count, inner * Eigen::Index(features));
            return View(first, Eigen::Index(features), Eigen::Index(count), Stride(outer, inner));
        }
    }
}

/// The samples x features xtensor container of a features x samples batch (what encode(), decode(),
/// reconstruct() and predict() return), with no copy: the matrix moves into the container.
/// For a plain xt::xtensor<Scalar, 2>, assign the result to one (that is one copy).
template <class Scalar>
XtensorBatch<Scalar> to_xtensor(Matrix<Scalar>&& batch) {
    const std::size_t features = std::size_t(batch.rows()), count = std::size_t(batch.cols());
    return XtensorBatch<Scalar>(detail::EigenStorage<Matrix<Scalar>>(std::move(batch)), {count, features});
}

/// The 1-D xtensor container of one sample (what encode() and friends return for a vector), with no copy.
template <class Scalar>
XtensorSample<Scalar> to_xtensor(Vector<Scalar>&& sample) {
    const std::size_t size = std::size_t(sample.size());
    return XtensorSample<Scalar>(detail::EigenStorage<Vector<Scalar>>(std::move(sample)), {size});
}

/// Not a copy in disguise: to_xtensor() takes the matrix by rvalue so that it never copies.
template <class Derived>
void to_xtensor(const Eigen::MatrixBase<Derived>&) {
    static_assert(detail::rejected_by_interop<Derived>,
                  "latent::to_xtensor: takes a Matrix or Vector by rvalue so that it never copies: write "
                  "to_xtensor(std::move(m)), or to_xtensor(latent::Matrix<float>(m)) if you want a copy");
}

/// A Dataset the Trainer can fit on, holding a copy of `samples` (a Dataset owns its values; xtensor's buffer
/// cannot be adopted): a 2-D samples x features expression gives samples of 1 x features, a 3-D samples x height
/// x width one gives height x width images. Any expression works, lazy ones included (it is read once, row-major).
/// Elements keep their type; as for every Dataset, 8-bit elements are scaled by 1/255 when batches are taken.
/// requires: rank 2 or 3 (else shape_error); labels empty or one per sample (else shape_error).
template <class E>
Dataset<std::remove_cv_t<typename E::value_type>> to_dataset(const xt::xexpression<E>& samples,
                                                            std::vector<std::uint8_t> labels = {}) {
    using Element = std::remove_cv_t<typename E::value_type>;
    const E& e = samples.derived_cast();
    const auto& shape = e.shape();
    if (shape.size() != 2 && shape.size() != 3)
        throw shape_error("latent::to_dataset: expected a samples x features or samples x height x width array, found " +
                          std::to_string(shape.size()) + " dimensions");
    const std::size_t count = shape[0];
    const std::size_t height = shape.size() == 3 ? std::size_t(shape[1]) : 1;
    const std::size_t width = shape[shape.size() - 1];
    std::vector<Element> values(count * height * width);
    std::copy(e.template begin<xt::layout_type::row_major>(), e.template end<xt::layout_type::row_major>(),
              values.begin());
    return Dataset<Element>(std::move(values), height, width, std::move(labels));
}

}  // namespace latent
