#pragma once
// The processes that train one model together, as the trainer sees them. Data-parallel: every process holds the
// whole model, takes its share of each batch, and the gradients are summed over the processes before the same
// update on each. SingleProcess, the default, is one process alone and compiles to nothing; latent::mpi::Communicator
// (latent/mpi.hpp, CMake target latent::mpi) is the same over MPI.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace latent {

/// The collective operations the trainer needs from a group of processes training one model; every process of the
/// group must call each of them in the same order.
template <class C, class Scalar>
concept Communicator = requires(C& c, const C& const_c, std::span<Scalar> values, std::span<std::uint64_t> words,
                                bool flag) {
    { const_c.rank() } -> std::convertible_to<std::size_t>;  // this process, 0 to size() - 1; 0 writes files
    { const_c.size() } -> std::convertible_to<std::size_t>;  // the processes in the group
    c.sum(values);                                            // every process gets the sum of all their values
    c.broadcast(values);                                      // every process gets rank 0's values
    c.broadcast(words);
    { c.any(flag) } -> std::same_as<bool>;                    // whether any process passed true
};

/// One process training alone: the default communicator of the trainer; every operation is the identity.
struct SingleProcess {
    static constexpr std::size_t rank() noexcept { return 0; }
    static constexpr std::size_t size() noexcept { return 1; }
    template <class T>
    static constexpr void sum(std::span<T>) noexcept {}
    template <class T>
    static constexpr void broadcast(std::span<T>) noexcept {}
    static constexpr bool any(bool flag) noexcept { return flag; }
};

/// The trainer's default communicator, for spelling it out: Trainer(model, optimizer, loss, single_process).
inline constexpr SingleProcess single_process{};

}  // namespace latent
