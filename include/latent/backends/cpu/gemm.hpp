#pragma once
// Matrix products that never allocate: Eigen's GEMM packs its operands into blocks that it allocates on
// every call once they pass 128 KB (the 784-wide layers do). A Gemm keeps those blocks for a fixed
// largest shape and hands them to Eigen's kernel, so a training step reuses them.

#include "latent/core/matrix.hpp"

#include <Eigen/Core>

#include <memory>

// Eigen's blocked kernel with caller-provided blocks is internal API; its signature is the one of
// Eigen 3.4. Other versions use the ordinary product, which is as fast but may allocate.
#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
#define LATENT_GEMM_WITH_OWN_BLOCKS 1
#else
#define LATENT_GEMM_WITH_OWN_BLOCKS 0
#endif

namespace latent::detail {

/// C (m x n) = op(A) op(B), or C += op(A) op(B), for column-major A, B, C, where op transposes when
/// asked. Sized once for the largest m, n, k it will see.
template <class Scalar, bool TransposeA, bool TransposeB>
class Gemm {
public:
    Gemm(Eigen::Index max_m, Eigen::Index max_n, Eigen::Index max_k)
#if LATENT_GEMM_WITH_OWN_BLOCKS
        : blocking_(std::make_unique<Blocking>(max_m, max_n, max_k, 1, true)) {
        blocking_->allocateAll();
    }
#else
    {
        (void)max_m, (void)max_n, (void)max_k;
    }
#endif

    /// requires: m, n, k within the sizes given to the constructor; lda, ldb, ldc the column strides
    /// of the stored (untransposed) matrices.
    void operator()(Eigen::Index m, Eigen::Index n, Eigen::Index k, const Scalar* a, Eigen::Index lda, const Scalar* b,
                    Eigen::Index ldb, Scalar* c, Eigen::Index ldc, bool accumulate) {
        using Stride = Eigen::OuterStride<>;
        Eigen::Map<Matrix<Scalar>, 0, Stride> result(c, m, n, Stride(ldc));
        if (!accumulate) result.setZero();
#if LATENT_GEMM_WITH_OWN_BLOCKS
        using Product = Eigen::internal::general_matrix_matrix_product<
            Eigen::Index, Scalar, TransposeA ? Eigen::RowMajor : Eigen::ColMajor, false, Scalar,
            TransposeB ? Eigen::RowMajor : Eigen::ColMajor, false, Eigen::ColMajor, 1>;
        Product::run(m, n, k, a, lda, b, ldb, c, 1, ldc, Scalar(1), *blocking_, nullptr);
#else
        auto op_a = operand<TransposeA>(a, TransposeA ? k : m, TransposeA ? m : k, lda);
        auto op_b = operand<TransposeB>(b, TransposeB ? n : k, TransposeB ? k : n, ldb);
        result.noalias() += op_a * op_b;
#endif
    }

private:
#if LATENT_GEMM_WITH_OWN_BLOCKS
    using Blocking = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, Scalar, Scalar, Eigen::Dynamic,
                                                          Eigen::Dynamic, Eigen::Dynamic, 1, false>;
    std::unique_ptr<Blocking> blocking_;  // owns raw blocks: not copyable, so held by pointer
#else
    template <bool Transpose>
    static auto operand(const Scalar* p, Eigen::Index rows, Eigen::Index cols, Eigen::Index ld) {
        Eigen::Map<const Matrix<Scalar>, 0, Eigen::OuterStride<>> stored(p, rows, cols, Eigen::OuterStride<>(ld));
        if constexpr (Transpose)
            return stored.transpose();
        else
            return stored;
    }
#endif
};

}  // namespace latent::detail
