// Fuzz target: the bytes of an IDX file as read_idx decodes them (gunzip when they start with 1f 8b, then
// parse), followed by the checks load_idx_images and load_idx_labels make and the Dataset they build.
// Anything but a latent::error, or a result whose sizes disagree, is a failure.

#include "fuzz.hpp"

#include <latent/data/idx.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        latent::IdxArray array = latent::decode_idx(std::vector<std::uint8_t>(data, data + size), "fuzz.gz");
        std::uint64_t count = 1;
        for (const std::uint32_t d : array.dims) count *= d;
        latent_fuzz::require(count == array.values.size(), "values hold the product of the dimensions");
        if (array.dims.size() == 3) {
            latent::detail::idx::check_image_dims(array, "fuzz.gz");
            const std::size_t images = array.dims[0];
            const latent::Dataset<std::uint8_t> set(std::move(array.values), array.dims[1], array.dims[2]);
            latent_fuzz::require(set.size() == images, "the data set holds every image");
        }
    } catch (const latent::error&) {
        // format_error (IDX, gzip, too much data) or argument/shape errors from the data set
    }
    return 0;
}
