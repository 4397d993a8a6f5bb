#pragma once
// NaN/inf detection on the bit pattern: -ffast-math makes std::isnan and Eigen's allFinite() lie.

#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

namespace latent {

/// True unless x is NaN or +-infinity; correct under -ffast-math.
constexpr bool is_finite(float x) noexcept {
    return (std::bit_cast<std::uint32_t>(x) & 0x7f800000u) != 0x7f800000u;
}
constexpr bool is_finite(double x) noexcept {
    return (std::bit_cast<std::uint64_t>(x) & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
}

/// True when every element is finite; correct under -ffast-math.
template <class Scalar>
bool all_finite(std::span<const Scalar> values) noexcept {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "latent::all_finite reads the bits of float or double values");
    using Bits = std::conditional_t<sizeof(Scalar) == 4, std::uint32_t, std::uint64_t>;
    constexpr Bits magnitude = ~Bits{0} >> 1;  // all but the sign bit
    constexpr Bits infinity = std::bit_cast<Bits>(std::numeric_limits<Scalar>::infinity());
    // A value is finite exactly when its magnitude bits are below infinity's (NaNs are above). The largest
    // of them, with no early exit, vectorises: the trainer checks every gradient of every batch this way.
    Bits largest = 0;
    for (const Scalar v : values) {
        const Bits m = std::bit_cast<Bits>(v) & magnitude;
        largest = m > largest ? m : largest;
    }
    return largest < infinity;
}

}  // namespace latent
