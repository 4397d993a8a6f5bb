#pragma once
// Compile-time tensor shapes of one sample. Dense layers use Shape<N>; image layers use
// Shape<Channels, Height, Width>, stored channel by channel, row by row. The batch dimension is never
// part of a shape.

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

/// A shape of rank 3: channels x height x width.
template <class T>
concept ImageShape = ShapeType<T> && T::rank == 3;

namespace detail {
/// The extents of an image shape; 1 x 1 x 1 for any other, so that layers given a wrong shape still
/// have a well-formed bound_to<In> while their check reports the error.
template <class T>
struct image_extents {
    static constexpr std::size_t channels = 1, height = 1, width = 1;
};
template <std::size_t C, std::size_t H, std::size_t W>
struct image_extents<Shape<C, H, W>> {
    static constexpr std::size_t channels = C, height = H, width = W;
};
}  // namespace detail

}  // namespace latent
