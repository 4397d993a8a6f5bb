#pragma once
// Threads for the CPU backend: a pool of persistent workers that a training step hands its matrix
// products and element-wise passes to, split into fixed contiguous parts. Which element a thread computes
// never changes the order in which that element is summed, so results do not depend on the thread count.
//
// The pool in use is the innermost ThreadScope on the calling thread (Trainer::fit opens one from
// FitOptions::threads); without one everything runs on the calling thread.

#include "latent/core/error.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace latent {

/// A fixed set of worker threads that run one task at a time, each worker its own part of it; the thread
/// that hands out a task does part 0 and returns when every part is done. Handing out a task allocates
/// nothing.
class ThreadPool {
public:
    /// threads: parts per task, the calling thread included (1 starts no worker).
    /// throws: argument_error for 0 threads.
    explicit ThreadPool(std::size_t threads) : size_{threads} {
        if (threads == 0) throw argument_error("latent::ThreadPool: expected at least 1 thread, found 0");
        workers_.reserve(threads - 1);
        for (std::size_t part = 1; part < threads; ++part) workers_.emplace_back([this, part] { work(part); });
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ~ThreadPool() {
        stopping_.store(true, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        for (std::thread& worker : workers_) worker.join();
    }

    /// Parts per task, the calling thread included.
    std::size_t size() const noexcept { return size_; }

    /// Calls task(part) for every part in [0, size()), part 0 on the calling thread; returns when all
    /// are done. The task must not throw.
    template <class Task>
    void run(Task& task) noexcept {
        static_assert(std::is_nothrow_invocable_v<Task&, std::size_t>, "latent::ThreadPool: a task must be noexcept");
        if (size_ == 1) {
            task(std::size_t{0});
            return;
        }
        task_ = &task;
        invoke_ = [](void* t, std::size_t part) noexcept { (*static_cast<Task*>(t))(part); };
        pending_.store(std::uint32_t(size_ - 1), std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        task(std::size_t{0});
        for (std::uint32_t value; (value = pending_.load(std::memory_order_acquire)) != 0;) wait_for_change(pending_, value);
    }

private:
    // Spin for up to ~50 microseconds before sleeping: the parts of one step follow each other within
    // microseconds, and a sleeping thread takes longer than that to wake.
    template <class T>
    static void wait_for_change(const std::atomic<T>& value, T seen) noexcept {
        for (int spin = 0; spin < 2048; ++spin) {
            if (value.load(std::memory_order_acquire) != seen) return;
#if defined(__x86_64__) || defined(_M_X64)
            _mm_pause();
#endif
        }
        value.wait(seen, std::memory_order_acquire);
    }

    void work(std::size_t part) noexcept {
        std::uint32_t seen = 0;
        for (;;) {
            wait_for_change(generation_, seen);
            seen = generation_.load(std::memory_order_acquire);
            if (stopping_.load(std::memory_order_relaxed)) return;
            invoke_(task_, part);
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
        }
    }

    std::size_t size_;
    void* task_ = nullptr;
    void (*invoke_)(void*, std::size_t) noexcept = nullptr;
    std::atomic<std::uint32_t> generation_{0};  // 32 bits: what a futex waits on
    std::atomic<std::uint32_t> pending_{0};
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> workers_;
};

namespace detail {
inline ThreadPool*& current_pool_slot() noexcept {
    thread_local ThreadPool* pool = nullptr;
    return pool;
}
}  // namespace detail

/// The pool of the innermost ThreadScope on this thread, or nullptr (everything on this thread).
inline ThreadPool* current_thread_pool() noexcept { return detail::current_pool_slot(); }

/// Runs the CPU backend's work on `threads` threads (the calling one included) while it lives:
/// `latent::ThreadScope threads{2}; model.reconstruct(x);`. Trainer::fit opens one from FitOptions::threads.
class ThreadScope {
public:
    /// throws: argument_error for 0 threads.
    explicit ThreadScope(std::size_t threads) : pool_{threads}, previous_{detail::current_pool_slot()} {
        detail::current_pool_slot() = threads > 1 ? &pool_ : nullptr;
    }
    ThreadScope(const ThreadScope&) = delete;
    ThreadScope& operator=(const ThreadScope&) = delete;
    ~ThreadScope() { detail::current_pool_slot() = previous_; }

    std::size_t threads() const noexcept { return pool_.size(); }

private:
    ThreadPool pool_;
    ThreadPool* previous_;
};

namespace detail {

/// The part [begin, end) of [0, count) that `part` of `parts` takes: contiguous, each a multiple of
/// `granule` long except the last, so that a part boundary never falls inside a vector or a kernel block.
struct Range {
    std::size_t begin, end;
};
inline Range part_of(std::size_t count, std::size_t part, std::size_t parts, std::size_t granule) noexcept {
    const std::size_t granules = (count + granule - 1) / granule;
    const std::size_t begin = std::min(count, granules * part / parts * granule);
    const std::size_t end = std::min(count, granules * (part + 1) / parts * granule);
    return {begin, end};
}

/// Calls body(begin, end) over the parts of [0, count) on the current pool's threads, or once over
/// everything when there is no pool or less work than `min_count` per extra thread.
template <class Body>
void parallel_ranges(std::size_t count, std::size_t granule, std::size_t min_count, Body&& body) noexcept {
    ThreadPool* pool = current_thread_pool();
    const std::size_t parts = pool ? std::min(pool->size(), std::max<std::size_t>(1, count / std::max<std::size_t>(min_count, 1))) : 1;
    if (parts <= 1) {
        body(std::size_t{0}, count);
        return;
    }
    auto task = [&](std::size_t part) noexcept {
        if (part >= parts) return;
        const Range r = part_of(count, part, parts, granule);
        if (r.begin < r.end) body(r.begin, r.end);
    };
    pool->run(task);
}

}  // namespace detail
}  // namespace latent
