// ThreadPool, ThreadScope and the split of work into parts: every part runs once per task, on its own thread;
// scopes nest; and a product or a training run gives the same bits on any number of threads.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

using namespace latent;

TEST_CASE("a thread pool runs every part of every task exactly once, part 0 on the calling thread") {
    ThreadPool pool{3};
    CHECK(pool.size() == 3);
    std::array<std::atomic<int>, 3> runs{};
    std::array<std::thread::id, 3> ran_on{};
    for (int task = 0; task < 500; ++task) {
        auto count = [&](std::size_t part) noexcept {
            ++runs[part];
            ran_on[part] = std::this_thread::get_id();
        };
        pool.run(count);
    }
    for (const auto& r : runs) CHECK(r == 500);
    CHECK(ran_on[0] == std::this_thread::get_id());
    CHECK(std::set<std::thread::id>(ran_on.begin(), ran_on.end()).size() == 3);
    CHECK_THROWS_AS(ThreadPool{0}, argument_error);
    CHECK_THROWS_AS(ThreadScope{0}, argument_error);
}

TEST_CASE("thread scopes nest and restore the pool in use") {
    CHECK(current_thread_pool() == nullptr);
    {
        ThreadScope outer{2};
        ThreadPool* outer_pool = current_thread_pool();
        REQUIRE(outer_pool != nullptr);
        CHECK(outer_pool->size() == 2);
        {
            ThreadScope single{1};
            CHECK(single.threads() == 1);
            CHECK(current_thread_pool() == nullptr);  // one thread: everything runs here
        }
        CHECK(current_thread_pool() == outer_pool);
    }
    CHECK(current_thread_pool() == nullptr);
}

TEST_CASE("parts cover a range in order, each a whole number of granules but the last") {
    for (std::size_t count : {0, 1, 7, 64, 100, 784}) {
        for (std::size_t parts : {1, 2, 3, 5}) {
            std::size_t next = 0;
            for (std::size_t part = 0; part < parts; ++part) {
                const auto r = detail::part_of(count, part, parts, 8);
                CHECK(r.begin == next);
                CHECK(r.end >= r.begin);
                if (r.end < count) CHECK(r.end % 8 == 0);
                next = r.end;
            }
            CHECK(next == count);
        }
    }
}

TEST_CASE("a matrix product split over threads gives the bits of one thread") {
    // The shapes of a deep autoencoder's large layers and ragged ones, each operand layout.
    auto check = [](auto transpose_a, auto transpose_b, Eigen::Index m, Eigen::Index n, Eigen::Index k) {
        constexpr bool ta = decltype(transpose_a)::value, tb = decltype(transpose_b)::value;
        Rng rng{7};
        Matrix<float> a(ta ? k : m, ta ? m : k), b(tb ? n : k, tb ? k : n);
        for (float& v : a.reshaped()) v = float(rng.normal());
        for (float& v : b.reshaped()) v = float(rng.normal());
        detail::Gemm<float, ta, tb> product(m, n, k);
        Matrix<float> one(m, n), many(m, n);
        product(m, n, k, a.data(), a.rows(), b.data(), b.rows(), one.data(), m, false);
        for (std::size_t threads : {2, 3}) {
            ThreadScope scope{threads};
            many.setConstant(1);
            product(m, n, k, a.data(), a.rows(), b.data(), b.rows(), many.data(), m, false);
            CHECK(std::memcmp(one.data(), many.data(), sizeof(float) * std::size_t(m * n)) == 0);
            product(m, n, k, a.data(), a.rows(), b.data(), b.rows(), many.data(), m, true);  // accumulate
            CHECK((many - 2 * one).cwiseAbs().maxCoeff() <= 1e-4f * (1 + one.cwiseAbs().maxCoeff()));
        }
    };
    using no = std::false_type;
    using yes = std::true_type;
    check(no{}, no{}, 128, 64, 784);
    check(no{}, no{}, 777, 59, 128);
    check(no{}, no{}, 200, 13, 300);  // too few columns to split: split by rows
    check(no{}, yes{}, 128, 784, 64);
    check(yes{}, no{}, 784, 61, 128);
    check(yes{}, no{}, 64, 64, 256);  // 3 threads: a 16-column part is a small product to OpenBLAS
}
