#pragma once
// Eigen types used throughout: column-major matrices whose columns are samples, so that a batch is a
// contiguous block and every layer is one matrix product over the whole batch.

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <span>

namespace latent {

template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// A mutable view of a features x samples block (one sample per column).
template <class Scalar>
using MatrixView = Eigen::Map<Matrix<Scalar>>;
/// A read-only view of a features x samples block.
template <class Scalar>
using ConstMatrixView = Eigen::Map<const Matrix<Scalar>>;

/// The read-only view of the same block.
template <class Scalar>
ConstMatrixView<Scalar> as_const(const MatrixView<Scalar>& view) noexcept {
    return {view.data(), view.rows(), view.cols()};
}

namespace detail {

inline constexpr std::size_t buffer_alignment = 64;  // a cache line; also what AVX-512 loads want

/// A fixed-size, 64-byte aligned, zero-initialised array: parameters, gradients, optimizer state and
/// activations live in these so that a training step never allocates.
template <class T>
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(std::size_t size) : size_{size}, data_{allocate(size)} {}
    AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_) {
        std::copy(other.begin(), other.end(), begin());
    }
    AlignedBuffer(AlignedBuffer&&) noexcept = default;
    AlignedBuffer& operator=(const AlignedBuffer& other) {
        if (this != &other) {
            AlignedBuffer copy{other};
            *this = std::move(copy);
        }
        return *this;
    }
    AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;

    T* data() noexcept { return data_.get(); }
    const T* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    T* begin() noexcept { return data(); }
    T* end() noexcept { return data() + size_; }
    const T* begin() const noexcept { return data(); }
    const T* end() const noexcept { return data() + size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    std::span<T> span() noexcept { return {data(), size_}; }
    std::span<const T> span() const noexcept { return {data(), size_}; }

private:
    struct Free {
        void operator()(T* p) const noexcept { ::operator delete[](p, std::align_val_t{buffer_alignment}); }
    };
    static T* allocate(std::size_t size) {
        if (size == 0) return nullptr;
        T* p = static_cast<T*>(::operator new[](size * sizeof(T), std::align_val_t{buffer_alignment}));
        std::uninitialized_value_construct_n(p, size);
        return p;
    }
    std::size_t size_ = 0;
    std::unique_ptr<T[], Free> data_;
};

}  // namespace detail
}  // namespace latent
