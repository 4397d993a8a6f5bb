#pragma once
// Matrix products that never allocate: Eigen's GEMM packs its operands into blocks that it allocates on
// every call once they pass 128 KB (the 784-wide layers do). A Gemm keeps those blocks for a fixed
// largest shape and hands them to Eigen's kernel, so a training step reuses them.
//
// With a ThreadScope open, a large product is split into contiguous slices of C, one per thread, each
// with its own blocks. The slices are whole kernel blocks and every thread's blocks have the same depth,
// so each element of C is summed in the same order whatever the thread count: results are bitwise
// those of one thread.
//
// With LATENT_WITH_BLAS defined (the latent::blas CMake component, or -DLATENT_WITH_BLAS with OpenBLAS's
// cblas.h on the include path and -lopenblas), float and double products go to OpenBLAS's cblas_sgemm /
// cblas_dgemm instead, which is faster than Eigen's kernel on every shape of the dense models (see
// benchmarks/RESULTS.md), but only while a threaded OpenBLAS (pthreads or OpenMP build) is limited to one thread:
// OPENBLAS_NUM_THREADS=1 or openblas_set_num_threads(1). latent never changes that setting (it is the whole
// process's). With more threads OpenBLAS would put its own under each of latent's and sum some products in
// another order; a serial build (Debian's 0.3.21 at least) gives wrong results when two threads call it at once
// (measured), as latent's parts do. In both cases Eigen does the work. OpenBLAS's ordinary kernel, like Eigen's
// blocks here, splits k by k alone, so a slice of C is summed as the whole would be, provided the slice is whole
// register blocks of columns and no product is small (see operator()): results stay bitwise those of one thread.

#include "latent/core/matrix.hpp"
#include "latent/core/threads.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#if defined(LATENT_WITH_BLAS)
#include <cblas.h>
#endif

// Eigen's blocked kernel with caller-provided blocks is internal API; its signature is the one of
// Eigen 3.4. Other versions use the ordinary product, which is as fast but may allocate.
#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
#define LATENT_GEMM_WITH_OWN_BLOCKS 1
#else
#define LATENT_GEMM_WITH_OWN_BLOCKS 0
#endif

namespace latent {

namespace detail {

#if defined(LATENT_WITH_BLAS)
// Asked on every product: the user may change OpenBLAS's thread count at any time. Two loads of a variable.
inline bool blas_usable() noexcept { return openblas_get_parallel() != 0 && openblas_get_num_threads() == 1; }
#endif

template <class Scalar>
bool uses_blas() noexcept {
#if defined(LATENT_WITH_BLAS)
    return (std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>) && blas_usable();
#else
    return false;
#endif
}

}  // namespace detail

/// Which library computes the CPU backend's float matrix products now: "OpenBLAS" (built with
/// LATENT_WITH_BLAS, and a threaded OpenBLAS limited to one thread) or "Eigen".
inline std::string_view cpu_gemm_library() noexcept { return detail::uses_blas<float>() ? "OpenBLAS" : "Eigen"; }

namespace detail {

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
        const double work = double(m) * double(n) * double(k);
        // The library follows from the shape alone, so that a product is summed the same way on any thread
        // count: OpenBLAS for products too small to split, and for those whose halves stay above its small-product
        // size (see below); Eigen, which splits at any size, for those between (128 x 64 x 64: split on 2 threads
        // on Eigen runs faster than whole on OpenBLAS).
        const bool blas =
            uses_blas<Scalar>() && (work < 2 * min_work_per_thread || work > 2 * blas_small_product);
        ThreadPool* pool = current_thread_pool();
        const std::size_t threads = pool ? pool->size() : 1;
        if (threads == 1 || work < min_work_per_thread * double(threads)) {
            product(blas, 0, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        if (!blas)
            while (blocks_.size() < threads) add_blocks();  // once per thread count: warm-up, not per step
        // Split the columns of C where there are enough: their granule is finer than the rows' (48), so the
        // parts come out even (a 128-row product splits 48/80 by rows), which measured faster here even
        // though each thread then packs all of A. OpenBLAS is split by columns only: its Haswell and Zen
        // float kernels sum a row slice in another order than the whole (measured, OpenBLAS 0.3.21).
        const std::size_t column_granule = blas ? blas_column_granule : eigen_column_granule;
        const bool split_columns = blas || std::size_t(n) >= threads * column_granule;
        auto range = [&](std::size_t part, std::size_t parts) {
            return split_columns ? part_of(std::size_t(n), part, parts, column_granule)
                                 : part_of(std::size_t(m), part, parts, row_granule);
        };
        std::size_t parts = threads;
        if (blas) {
            // OpenBLAS (0.3.21 at least) computes a product of at most 100^3 multiply-adds with its "small
            // matrix" kernels, which sum some products in another order than its ordinary kernel: each part
            // must stay above that size, as the whole does, or the whole runs on one thread.
            const double per_column = double(m) * double(k);
            auto splits_well = [&](std::size_t count) {
                if (std::size_t(n) < count * column_granule) return false;
                for (std::size_t part = 0; part < count; ++part) {
                    const Range r = range(part, count);
                    if (double(r.end - r.begin) * per_column <= blas_small_product) return false;
                }
                return true;
            };
            while (parts > 1 && !splits_well(parts)) --parts;
            if (parts == 1) {
                product(blas, 0, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                return;
            }
        }
        auto task = [&](std::size_t part) noexcept {
            if (part >= parts) return;
            const Range r = range(part, parts);
            if (r.begin == r.end) return;
            if (split_columns) {
                const Eigen::Index j = Eigen::Index(r.begin);
                product(blas, part, m, Eigen::Index(r.end - r.begin), k, a, lda, b + (TransposeB ? j : j * ldb), ldb,
                        c + j * ldc, ldc, accumulate);
            } else {
                const Eigen::Index i = Eigen::Index(r.begin);
                product(blas, part, Eigen::Index(r.end - r.begin), n, k, a + (TransposeA ? i * lda : i), lda, b, ldb, c + i,
                        ldc, accumulate);
            }
        };
        pool->run(task);
    }

private:
    // Multiples of the kernels' register blocks. Eigen: rows 3 packets of 16 floats at most, columns 4 or 8.
    // OpenBLAS 0.3.21, columns: 12 for Haswell and Zen floats; 2, 4 or 8 for its other x86 kernels (measured
    // under each OPENBLAS_CORETYPE: a split elsewhere changes the last bits).
    static constexpr std::size_t row_granule = 48;
    static constexpr std::size_t eigen_column_granule = 8;
    static constexpr std::size_t blas_column_granule = 24;
    static constexpr double blas_small_product = 100.0 * 100.0 * 100.0;
    // Below this many multiply-adds per thread, handing out the work costs more than it saves.
    static constexpr double min_work_per_thread = 256.0 * 1024;

    void product(bool blas, std::size_t part, Eigen::Index m, Eigen::Index n, Eigen::Index k, const Scalar* a,
                 Eigen::Index lda, const Scalar* b, Eigen::Index ldb, Scalar* c, Eigen::Index ldc,
                 bool accumulate) noexcept {
#if defined(LATENT_WITH_BLAS)
        if constexpr (std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>) {
            if (blas) {
                constexpr auto op_a = TransposeA ? CblasTrans : CblasNoTrans;
                constexpr auto op_b = TransposeB ? CblasTrans : CblasNoTrans;
                const Scalar beta = accumulate ? Scalar(1) : Scalar(0);
                const auto i = [](Eigen::Index v) { return blasint(v); };
                if constexpr (std::is_same_v<Scalar, float>)
                    cblas_sgemm(CblasColMajor, op_a, op_b, i(m), i(n), i(k), 1.0f, a, i(lda), b, i(ldb), beta, c, i(ldc));
                else
                    cblas_dgemm(CblasColMajor, op_a, op_b, i(m), i(n), i(k), 1.0, a, i(lda), b, i(ldb), beta, c, i(ldc));
                return;
            }
        }
#endif
        (void)blas;
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

}  // namespace detail
}  // namespace latent
