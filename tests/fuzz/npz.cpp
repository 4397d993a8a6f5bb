// Fuzz target: parse_npz on any bytes (zip container, deflate, CRC-32, then parse_npy per member). Anything but a
// format_error is a failure; archives it reads must survive encode_npz and parse_npz unchanged, stored or deflated.

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
        const latent::NpzArrays arrays = latent::parse_npz(bytes, "fuzz.npz");
        for (const auto& [name, array] : arrays) {
            latent_fuzz::require(!name.empty(), "every member has a name");
            std::size_t count = 1;
            for (const std::size_t d : array.shape()) count *= d;
            latent_fuzz::require(count == array.size(), "values hold the product of the shape");
        }
        for (const auto compression : {latent::NpzCompression::stored, latent::NpzCompression::deflate}) {
            const std::vector<std::uint8_t> encoded = latent::encode_npz(arrays, compression);
            const latent::NpzArrays again = latent::parse_npz(encoded, "again.npz");
            latent_fuzz::require(again.size() == arrays.size(), "the members survive a round trip");
            latent_fuzz::require(latent::encode_npz(again, compression) == encoded, "the arrays survive a round trip");
        }
    } catch (const latent::format_error&) {
        // refused with a typed error: what hostile input should get
    }
    return 0;
}
