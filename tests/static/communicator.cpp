// Compiling this file is the test: the trainer's communicator policy. One process alone is the default, is a
// Communicator for both scalar types, and is empty; a type without the collectives is refused.

#include <latent/latent.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace {

using namespace latent;

using Tiny = Autoencoder<Sequential<Dense<8, 2, Tanh>>, Sequential<Dense<2, 8, Sigmoid>>>;

static_assert(Communicator<SingleProcess, float> && Communicator<SingleProcess, double>);
static_assert(SingleProcess::size() == 1 && SingleProcess::rank() == 0);
static_assert(std::is_empty_v<SingleProcess>);  // and a [[no_unique_address]] member of the trainer
static_assert(std::is_same_v<Trainer<Tiny, Adam<float>, MSE>, Trainer<Tiny, Adam<float>, MSE, SingleProcess>>);

// Missing any(): the processes could not agree to stop, so it is not a communicator.
struct NoAgreement {
    std::size_t rank() const { return 0; }
    std::size_t size() const { return 1; }
    void sum(std::span<float>) {}
    void broadcast(std::span<float>) {}
    void broadcast(std::span<std::uint64_t>) {}
};
static_assert(!Communicator<NoAgreement, float>);

}  // namespace
