// Fuzz target: parse_npy on any bytes. Anything but a format_error, or a result whose size does not agree with its
// shape and with the input, is a failure; an array it reads must survive encode_npy and parse_npy unchanged.

#include "fuzz.hpp"

#include <latent/data/numpy.hpp>
#include <latent/io/numpy.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    try {
        const latent::NpyArray array = latent::parse_npy(bytes, "fuzz.npy");
        std::size_t count = 1;
        for (const std::size_t d : array.shape()) count *= d;  // parse_npy ruled out overflow
        latent_fuzz::require(array.rank() >= 1 && array.rank() <= 4, "1 to 4 dimensions");
        latent_fuzz::require(count == array.size(), "values hold the product of the shape");
        latent_fuzz::require(count * latent::npy_type_size(array.type()) < size, "the data is within the input");
        // Compared as bytes, since NaNs are unequal to themselves.
        const std::vector<std::uint8_t> encoded = latent::encode_npy(array);
        const latent::NpyArray again = latent::parse_npy(encoded, "again.npy");
        latent_fuzz::require(again.shape() == array.shape(), "the shape survives a round trip");
        latent_fuzz::require(latent::encode_npy(again) == encoded, "the values survive a round trip");
    } catch (const latent::format_error&) {
        // refused with a typed error: what hostile input should get
    }
    return 0;
}
