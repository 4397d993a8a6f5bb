#pragma once
// The training engine: what a backend gives the trainer's one loop (training/trainer.hpp). A backend policy B
// names its engine as `B::engine<M, O, L>` (model, optimizer, loss); the loop keeps epochs, shuffling,
// schedules, callbacks, early stopping, the NaN policy and checkpoints, and asks the engine for everything that
// touches where the weights, gradients and activations live: one batch gathered, corrupted, run forward, its loss
// taken and run backward; the update; copies for a rollback; the weights moved between the engine and the model.

#include "latent/core/rng.hpp"
#include "latent/data/corruption.hpp"
#include "latent/data/dataset.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace latent {

/// What the trainer's loop calls on an engine, in this order: load() once the model and the optimizer hold the
/// run's starting state; per epoch begin_epoch(order, rate), then per batch train_batch, the finiteness checks,
/// keep() (skip_batch only), update(), update_buffers(); store() before anything on the host reads the model or
/// the optimizer (callbacks, early stopping, checkpoints, the end of fit()); evaluate() for the validation loss.
template <class T>
concept TrainingEngine = requires(T& engine, const Dataset<float>& data, const Dataset<std::uint8_t>& bytes,
                                  std::span<const std::size_t> order, const Corruption& corruption, Rng& noise) {
    { engine.capacity() } -> std::convertible_to<std::size_t>;
    { engine.sampling() } -> std::same_as<Rng&>;  // the generator stochastic layers draw from
    engine.load();                                // the model's weights and the optimizer's state into the engine
    engine.store();                               // and back; a no-op where the engine works on them in place
    engine.begin_epoch(order, 0.0);               // the epoch's sample order and learning rate
    // The loss of samples order[first, first + n) of data, inputs corrupted, and its gradients (kept inside).
    { engine.train_batch(data, std::size_t{0}, std::size_t{1}, corruption, noise) } -> std::convertible_to<double>;
    { engine.train_batch(bytes, std::size_t{0}, std::size_t{1}, corruption, noise) } -> std::convertible_to<double>;
    { engine.gradients_finite() } -> std::same_as<bool>;
    engine.keep();     // copies of the weights and the optimizer's state, for restore()
    engine.restore();
    engine.update();   // the optimizer's step with the last gradients
    { engine.parameters_finite() } -> std::same_as<bool>;
    engine.update_buffers();  // BatchNorm's running statistics from the last batch
    // The mean loss over samples [first, first + n) of data, without gradients.
    { engine.evaluate(data, std::size_t{0}, std::size_t{1}, corruption, std::uint64_t{0}) } -> std::convertible_to<double>;
};

namespace detail {
/// The streams of one seed: shuffling takes the seed itself; these keep noise and sampling independent of it,
/// so that adding a corruption or a sampling layer does not change the order.
inline constexpr std::uint64_t noise_stream = 0x6e6f697365;       // "noise"
inline constexpr std::uint64_t sampling_stream = 0x73616d706c65;  // "sample"
inline constexpr std::uint64_t validation_stream = 0x76616c6964;  // "valid"
}  // namespace detail

}  // namespace latent
