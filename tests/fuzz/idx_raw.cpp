// Fuzz target: parse_idx on raw (not gzipped) bytes. Anything but a format_error, or a result whose sizes do
// not agree with the input, is a failure.

#include "fuzz.hpp"

#include <latent/data/idx.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    try {
        const latent::IdxArray array = latent::parse_idx(bytes, "fuzz.idx");
        std::uint64_t count = 1;
        for (const std::uint32_t d : array.dims) count *= d;  // parse_idx ruled out overflow
        latent_fuzz::require(count == array.values.size(), "values hold the product of the dimensions");
        const std::size_t header = 4 + 4 * array.dims.size();
        latent_fuzz::require(header + array.values.size() == size, "header and values are the whole input");
        latent_fuzz::require(std::equal(array.values.begin(), array.values.end(), bytes.begin() + std::ptrdiff_t(header)),
                             "values are the bytes after the header");
    } catch (const latent::format_error&) {
        // refused with a typed error: what hostile input should get
    }
    return 0;
}
