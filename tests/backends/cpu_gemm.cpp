// The CPU backend's matrix products (detail::Gemm) on whichever library computes them: Eigen, or OpenBLAS in a
// LATENT_WITH_BLAS build (CMake's latent::blas, which latent's own tests link when LATENT_BLAS is on, and run
// with OPENBLAS_NUM_THREADS=1).

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <type_traits>

using namespace latent;

TEST_CASE("the products run on OpenBLAS exactly when built with it and a threaded OpenBLAS runs on one thread") {
#if defined(LATENT_WITH_BLAS)
    const bool usable = openblas_get_parallel() != 0 && openblas_get_num_threads() == 1;
    CHECK(cpu_gemm_library() == (usable ? "OpenBLAS" : "Eigen"));
#else
    CHECK(cpu_gemm_library() == "Eigen");
#endif
#if defined(LATENT_TEST_EXPECT_BLAS)
    // LATENT_BLAS builds run these tests with OPENBLAS_NUM_THREADS=1: they must exercise OpenBLAS.
    CHECK(cpu_gemm_library() == "OpenBLAS");
#endif
}

TEST_CASE("Gemm computes op(A) op(B) for every transposition, with column strides larger than the rows") {
    auto check = [](auto transpose_a, auto transpose_b, auto scalar, Eigen::Index m, Eigen::Index n, Eigen::Index k) {
        constexpr bool ta = decltype(transpose_a)::value, tb = decltype(transpose_b)::value;
        using S = decltype(scalar);
        Rng rng{11};
        // Stored with 3 spare rows each: the strides passed below are not the rows of the product.
        Matrix<S> a((ta ? k : m) + 3, ta ? m : k), b((tb ? n : k) + 3, tb ? k : n), c(m + 3, n);
        for (S& v : a.reshaped()) v = S(rng.normal());
        for (S& v : b.reshaped()) v = S(rng.normal());
        c.setConstant(S(0.5));
        const Matrix<double> op_a = ta ? Matrix<double>(a.template cast<double>().topRows(k).transpose())
                                       : Matrix<double>(a.template cast<double>().topRows(m));
        const Matrix<double> op_b = tb ? Matrix<double>(b.template cast<double>().topRows(n).transpose())
                                       : Matrix<double>(b.template cast<double>().topRows(k));
        const Matrix<double> expected = op_a * op_b;
        const double tolerance = (std::is_same_v<S, float> ? 1e-4 : 1e-12) * double(k);

        detail::Gemm<S, ta, tb> product(m, n, k);
        product(m, n, k, a.data(), a.rows(), b.data(), b.rows(), c.data(), c.rows(), false);
        CHECK((c.template cast<double>().topRows(m) - expected).cwiseAbs().maxCoeff() <= tolerance);
        CHECK((c.bottomRows(3).array() == S(0.5)).all());  // rows past m are left alone
        product(m, n, k, a.data(), a.rows(), b.data(), b.rows(), c.data(), c.rows(), true);
        CHECK((c.template cast<double>().topRows(m) - 2 * expected).cwiseAbs().maxCoeff() <= 2 * tolerance);
    };
    using no = std::false_type;
    using yes = std::true_type;
    check(no{}, no{}, float{}, 128, 64, 784);
    check(no{}, yes{}, float{}, 64, 100, 33);
    check(yes{}, no{}, float{}, 57, 64, 128);
    check(yes{}, yes{}, float{}, 12, 7, 64);
    check(no{}, no{}, double{}, 30, 20, 50);
    check(yes{}, no{}, double{}, 20, 30, 12);
    check(no{}, yes{}, double{}, 3, 64, 12);
}
