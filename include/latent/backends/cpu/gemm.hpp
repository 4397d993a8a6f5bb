#pragma once
// Matrix products that never allocate: Eigen's GEMM packs its operands into blocks that it allocates on
// every call once they pass 128 KB (the 784-wide layers do). A Gemm keeps those blocks for a fixed
// largest shape and hands them to Eigen's kernel, so a training step reuses them.
//
// With a ThreadScope open, a large product is split into contiguous slices of C, one per thread, each
// with its own blocks. The slices are whole kernel blocks and every thread's blocks have the same depth,
// so each element of C is summed in the same order whatever the thread count: results are bitwise
// those of one thread.

#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <memory>
#include <vector>

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
    Gemm(Eigen::Index max_m, Eigen::Index max_n, Eigen::Index max_k) : max_m_{max_m}, max_n_{max_n}, max_k_{max_k} {
        add_blocks();
    }

    /// requires: m, n, k within the sizes given to the constructor; lda, ldb, ldc the column strides
    /// of the stored (untransposed) matrices.
    void operator()(Eigen::Index m, Eigen::Index n, Eigen::Index k, const Scalar* a, Eigen::Index lda, const Scalar* b,
                    Eigen::Index ldb, Scalar* c, Eigen::Index ldc, bool accumulate) {
        ThreadPool* pool = current_thread_pool();
        const std::size_t threads = pool ? pool->size() : 1;
        // Below this many multiply-adds per thread, handing out the work costs more than it saves.
        constexpr double min_work_per_thread = 256.0 * 1024;
        if (threads == 1 || double(m) * double(n) * double(k) < min_work_per_thread * double(threads)) {
            product(0, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        while (blocks_.size() < threads) add_blocks();  // once per thread count: warm-up, not per step
        // Split the columns of C where there are enough: their granule is finer than the rows' (48), so the
        // parts come out even (a 128-row product splits 48/80 by rows), which measured faster here even
        // though each thread then packs all of A.
        const bool split_columns = std::size_t(n) >= threads * column_granule;
        auto task = [&](std::size_t part) noexcept {
            if (split_columns) {
                const Range r = part_of(std::size_t(n), part, threads, column_granule);
                if (r.begin == r.end) return;
                const Eigen::Index j = Eigen::Index(r.begin);
                product(part, m, Eigen::Index(r.end - r.begin), k, a, lda, b + (TransposeB ? j : j * ldb), ldb,
                        c + j * ldc, ldc, accumulate);
            } else {
                const Range r = part_of(std::size_t(m), part, threads, row_granule);
                if (r.begin == r.end) return;
                const Eigen::Index i = Eigen::Index(r.begin);
                product(part, Eigen::Index(r.end - r.begin), n, k, a + (TransposeA ? i * lda : i), lda, b, ldb, c + i,
                        ldc, accumulate);
            }
        };
        pool->run(task);
    }

private:
    // Multiples of the kernel's register blocks (rows: 3 packets of 16 floats at most; columns: 4 or 8).
    static constexpr std::size_t row_granule = 48;
    static constexpr std::size_t column_granule = 8;

    void product(std::size_t part, Eigen::Index m, Eigen::Index n, Eigen::Index k, const Scalar* a, Eigen::Index lda,
                 const Scalar* b, Eigen::Index ldb, Scalar* c, Eigen::Index ldc, bool accumulate) noexcept {
        using Stride = Eigen::OuterStride<>;
        Eigen::Map<Matrix<Scalar>, 0, Stride> result(c, m, n, Stride(ldc));
        if (!accumulate) result.setZero();
#if LATENT_GEMM_WITH_OWN_BLOCKS
        using Product = Eigen::internal::general_matrix_matrix_product<
            Eigen::Index, Scalar, TransposeA ? Eigen::RowMajor : Eigen::ColMajor, false, Scalar,
            TransposeB ? Eigen::RowMajor : Eigen::ColMajor, false, Eigen::ColMajor, 1>;
        Product::run(m, n, k, a, lda, b, ldb, c, 1, ldc, Scalar(1), *blocks_[part], nullptr);
#else
        (void)part;
        auto op_a = operand<TransposeA>(a, TransposeA ? k : m, TransposeA ? m : k, lda);
        auto op_b = operand<TransposeB>(b, TransposeB ? n : k, TransposeB ? k : n, ldb);
        result.noalias() += op_a * op_b;
#endif
    }

#if LATENT_GEMM_WITH_OWN_BLOCKS
    using Blocking = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, Scalar, Scalar, Eigen::Dynamic,
                                                          Eigen::Dynamic, Eigen::Dynamic, 1, false>;
    // Every thread's blocks are sized for the whole largest product, so all have the same depth (kc).
    void add_blocks() {
        blocks_.push_back(std::make_unique<Blocking>(max_m_, max_n_, max_k_, 1, true));
        blocks_.back()->allocateAll();
    }
    std::vector<std::unique_ptr<Blocking>> blocks_;  // one per thread; they own raw blocks, so held by pointer
#else
    void add_blocks() { blocks_.push_back(0); }
    std::vector<char> blocks_;  // only counts the threads prepared for
    template <bool Transpose>
    static auto operand(const Scalar* p, Eigen::Index rows, Eigen::Index cols, Eigen::Index ld) {
        Eigen::Map<const Matrix<Scalar>, 0, Eigen::OuterStride<>> stored(p, rows, cols, Eigen::OuterStride<>(ld));
        if constexpr (Transpose)
            return stored.transpose();
        else
            return stored;
    }
#endif
    Eigen::Index max_m_, max_n_, max_k_;
};

}  // namespace latent::detail
