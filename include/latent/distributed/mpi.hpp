#pragma once
// Data-parallel training over MPI: the communicator the trainer sums gradients with, and the MPI environment of a
// program. Needs an MPI implementation (the CMake target latent::mpi brings one); latent/latent.hpp never includes
// this header, so the core library never needs MPI.

#include "latent/core/error.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace latent::mpi {

/// An MPI call failed (where the communicator's error handler returns errors instead of ending the job).
class communication_error : public error {
public:
    using error::error;
};

/// How Communicator::sum adds up the processes' values.
enum class Reduction {
    allreduce,    ///< MPI_Allreduce: MPI picks the order of the additions, which may change with the process count,
                  ///< the placement of the processes and the MPI library
    fixed_order,  ///< every process gathers all the values and adds them in rank order: the same bits on every
                  ///< process and in every run, for size() times the memory and traffic of one block
};

namespace detail {

inline void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw communication_error(std::string("latent::mpi: expected ") + call + " to succeed, found the error: " +
                              std::string(text, std::size_t(length)));
}

template <class T>
MPI_Datatype datatype() {
    if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
    else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return MPI_UINT64_T;
    else static_assert(std::is_same_v<T, float>, "latent::mpi sends float, double and std::uint64_t values only");
}

}  // namespace detail

/// MPI for the lifetime of the object: MPI_Init on construction (unless already done), MPI_Finalize on
/// destruction. Left by an exception, it aborts the whole job instead, so that the other processes stop with an
/// error rather than wait forever in a sum this process will never join.
class Environment {
public:
    Environment(int& argc, char**& argv) {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (!initialized) {
            detail::check(MPI_Init(&argc, &argv), "MPI_Init");
            owner_ = true;
        }
        exceptions_ = std::uncaught_exceptions();
    }
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;
    ~Environment() {
        if (std::uncaught_exceptions() > exceptions_) {
            int rank = 0;
            MPI_Comm_rank(MPI_COMM_WORLD, &rank);
            std::fprintf(stderr, "latent::mpi::Environment: rank %d left MPI by an exception; ending every process "
                                 "of the job (MPI_Abort) rather than leaving them waiting for it\n", rank);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        if (owner_) MPI_Finalize();
    }

private:
    bool owner_ = false;
    int exceptions_ = 0;
};

/// A group of MPI processes training one model (the trainer's communicator: Trainer(model, optimizer, loss,
/// mpi::Communicator{})). Keeps the time spent in sum(), the communication share of training.
class Communicator {
public:
    /// requires: MPI is initialised (an Environment exists) while the communicator is used.
    explicit Communicator(MPI_Comm comm = MPI_COMM_WORLD, Reduction reduction = Reduction::allreduce)
        : comm_{comm}, reduction_{reduction} {
        int rank = 0, size = 0;
        detail::check(MPI_Comm_rank(comm_, &rank), "MPI_Comm_rank");
        detail::check(MPI_Comm_size(comm_, &size), "MPI_Comm_size");
        rank_ = std::size_t(rank);
        size_ = std::size_t(size);
    }

    std::size_t rank() const noexcept { return rank_; }
    std::size_t size() const noexcept { return size_; }
    Reduction reduction() const noexcept { return reduction_; }
    MPI_Comm comm() const noexcept { return comm_; }

    /// Replaces `values` on every process with their sum over the processes.
    template <class T>
    void sum(std::span<T> values) {
        const auto started = std::chrono::steady_clock::now();
        const int count = checked_count(values.size());
        if (reduction_ == Reduction::allreduce) {
            detail::check(MPI_Allreduce(MPI_IN_PLACE, values.data(), count, detail::datatype<T>(), MPI_SUM, comm_),
                          "MPI_Allreduce");
        } else {
            std::vector<T>& all = gathered<T>();
            all.resize(values.size() * size_);  // allocates on the first step only
            detail::check(MPI_Allgather(values.data(), count, detail::datatype<T>(), all.data(), count,
                                        detail::datatype<T>(), comm_),
                          "MPI_Allgather");
            // ((v0 + v1) + v2) + ... for every value, rank by rank over contiguous blocks.
            std::copy(all.begin(), all.begin() + std::ptrdiff_t(values.size()), values.begin());
            for (std::size_t r = 1; r < size_; ++r) {
                const T* block = all.data() + r * values.size();
                for (std::size_t i = 0; i < values.size(); ++i) values[i] += block[i];
            }
        }
        seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }

    /// Replaces `values` on every process with rank 0's.
    template <class T>
    void broadcast(std::span<T> values) {
        detail::check(MPI_Bcast(values.data(), checked_count(values.size()), detail::datatype<T>(), 0, comm_),
                      "MPI_Bcast");
    }

    /// Whether any process passed true.
    bool any(bool flag) {
        int value = flag ? 1 : 0;
        detail::check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_LOR, comm_), "MPI_Allreduce");
        return value != 0;
    }

    /// Seconds spent in sum() since construction: waiting for the other processes included.
    double communication_seconds() const noexcept { return seconds_; }

private:
    static int checked_count(std::size_t size) {
        if (size > std::size_t(INT32_MAX))
            throw argument_error("latent::mpi::Communicator: expected at most 2^31 - 1 values per message, found " +
                                 std::to_string(size));
        return int(size);
    }
    template <class T>
    std::vector<T>& gathered() {
        static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                      "latent::mpi::Communicator::sum adds float and double values only");
        if constexpr (std::is_same_v<T, float>) return gathered_float_;
        else return gathered_double_;
    }

    MPI_Comm comm_;
    Reduction reduction_;
    std::size_t rank_ = 0, size_ = 1;
    double seconds_ = 0;
    std::vector<float> gathered_float_;
    std::vector<double> gathered_double_;
};

}  // namespace latent::mpi
