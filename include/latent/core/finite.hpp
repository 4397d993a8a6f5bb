#pragma once
// NaN/inf detection on the bit pattern: -ffast-math makes std::isnan and Eigen's allFinite() lie.

#include <bit>
#include <cstdint>
#include <span>

namespace latent {

/// True unless x is NaN or +-infinity; correct under -ffast-math.
constexpr bool is_finite(float x) noexcept {
    return (std::bit_cast<std::uint32_t>(x) & 0x7f800000u) != 0x7f800000u;
}
constexpr bool is_finite(double x) noexcept {
    return (std::bit_cast<std::uint64_t>(x) & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
}

/// True when every element is finite.
template <class Scalar>
bool all_finite(std::span<const Scalar> values) noexcept {
    bool finite = true;
    for (Scalar v : values) finite &= is_finite(v);  // no early exit: the loop vectorises
    return finite;
}

}  // namespace latent
