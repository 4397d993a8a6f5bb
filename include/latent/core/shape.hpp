#pragma once
// Compile-time tensor shapes of one sample. Dense layers use Shape<N>; image layers will use
// Shape<Channels, Height, Width>. The batch dimension is never part of a shape.

#include <cstddef>
#include <string>
#include <type_traits>

namespace latent {

/// The compile-time shape of one sample (Shape<784>, Shape<1, 28, 28>); the batch is never part of it.
template <std::size_t... Extents>
struct Shape {
    static_assert(sizeof...(Extents) > 0, "latent::Shape needs at least one extent");
    static_assert(((Extents > 0) && ...), "latent::Shape: every extent must be at least 1");

    static constexpr std::size_t rank = sizeof...(Extents);
    static constexpr std::size_t size = (Extents * ...);

    /// "128" or "32 x 14 x 14".
    static std::string to_string() {
        std::string text;
        ((text += (text.empty() ? "" : " x ") + std::to_string(Extents)), ...);
        return text;
    }
};

template <class T>
inline constexpr bool is_shape_v = false;
template <std::size_t... Extents>
inline constexpr bool is_shape_v<Shape<Extents...>> = true;

/// A compile-time shape of one sample.
template <class T>
concept ShapeType = is_shape_v<T>;

}  // namespace latent
