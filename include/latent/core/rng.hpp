#pragma once
// latent's own random numbers: the std distributions are implementation-defined (libstdc++ and libc++
// give different normals), so initialisation, shuffling and noise are written here on top of
// xoshiro256** to give the same numbers for the same seed with every compiler and optimisation level:
// no expression here can be fused into a multiply-add differently by two builds. Normals call the C
// library's log, sin and cos, so they are the same wherever that library is.

#include "latent/core/error.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <utility>

namespace latent {

/// xoshiro256** seeded through splitmix64; passed explicitly, never global.
class Rng {
public:
    using result_type = std::uint64_t;

    explicit Rng(std::uint64_t seed = 0) noexcept { reseed(seed); }

    void reseed(std::uint64_t seed) noexcept {
        for (auto& word : state_) word = splitmix64(seed);
        has_spare_normal_ = false;
    }

    /// Everything that decides the numbers to come, to save a generator and restore it exactly (checkpoints).
    struct State {
        std::array<std::uint64_t, 4> words{};
        double spare_normal = 0;  ///< the second value of the last Box-Muller pair, when not yet used
        bool has_spare_normal = false;
        bool operator==(const State&) const = default;
    };
    State state() const noexcept { return {{state_[0], state_[1], state_[2], state_[3]}, spare_normal_, has_spare_normal_}; }
    /// throws: argument_error for all-zero words, a state xoshiro256** never reaches (it would give only zeros).
    void restore(const State& state) {
        if (state.words == std::array<std::uint64_t, 4>{})
            throw argument_error("latent::Rng::restore: expected a state of xoshiro256**, found all-zero words");
        for (std::size_t i = 0; i < 4; ++i) state_[i] = state.words[i];
        spare_normal_ = state.spare_normal;
        has_spare_normal_ = state.has_spare_normal;
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return ~result_type{0}; }

    result_type operator()() noexcept {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform in [0, 1), with every value a multiple of 2^-53.
    double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

    /// Uniform in [low, high). One explicit fused multiply-add: written as low + (high - low) * u, compilers
    /// fuse it or not by optimisation level and instruction set, which changes the last bit.
    double uniform(double low, double high) noexcept { return std::fma(high - low, uniform(), low); }

    /// Standard normal by Box-Muller (the spare value of each pair is kept for the next call).
    double normal() noexcept {
        if (has_spare_normal_) {
            has_spare_normal_ = false;
            return spare_normal_;
        }
        // (0, 1]: log stays finite. No fusing can change 1 - u: u is a whole number times 2^-53, an exact product.
        const double u1 = 1.0 - uniform();
        const double u2 = uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        const double angle = 2.0 * std::numbers::pi * u2;
        spare_normal_ = radius * std::sin(angle);
        has_spare_normal_ = true;
        return radius * std::cos(angle);
    }

    /// Uniform integer in [0, bound) without modulo bias (draws past the last whole multiple are redrawn).
    /// throws: argument_error when bound is 0 (the range is empty).
    std::uint64_t below(std::uint64_t bound) {
        if (bound == 0) throw argument_error("latent::Rng::below: expected a bound >= 1, found 0");
        const std::uint64_t limit = max() - max() % bound;
        for (;;) {
            const std::uint64_t x = (*this)();
            if (x < limit) return x % bound;
        }
    }

    /// Fisher-Yates shuffle, identical on every standard library (std::shuffle is not).
    template <class T>
    void shuffle(std::span<T> values) noexcept {
        for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[below(i)]);
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    static constexpr std::uint64_t splitmix64(std::uint64_t& x) noexcept {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

    std::uint64_t state_[4]{};
    double spare_normal_ = 0.0;
    bool has_spare_normal_ = false;
};

}  // namespace latent
