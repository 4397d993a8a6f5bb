// Fuzz target: the checkpoint reader, for float and double checkpoints, on the input as it is and with its
// checksum set right (so that the fields behind the CRC-32 are explored too). A refused input must give a
// latent::error; an accepted one must be exactly the bytes its contents serialise to.

#include "fuzz.hpp"

#include <latent/latent.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace {

template <class Scalar>
void load(std::span<const std::uint8_t> bytes) {
    try {
        const auto checkpoint = latent::deserialize_checkpoint<Scalar>(bytes, "fuzz.ckpt");
        latent_fuzz::require(std::ranges::equal(latent::serialize_checkpoint(checkpoint), bytes),
                             "an accepted checkpoint is the bytes of what was read");
        latent_fuzz::require(checkpoint.history.epochs.size() == checkpoint.epochs_done,
                             "one history record per epoch done");
    } catch (const latent::error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    load<float>(bytes);
    load<double>(bytes);
    if (size >= 4) {
        std::vector<std::uint8_t> fixed(bytes.begin(), bytes.end());
        const std::uint32_t crc = latent::detail::crc32_of(bytes.first(size - 4));
        std::memcpy(fixed.data() + size - 4, &crc, 4);
        load<float>(fixed);
        load<double>(fixed);
    }
    return 0;
}
