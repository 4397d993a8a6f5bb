// Fuzz target: the model-file loader. The input is loaded into a float and a double model, as it is and
// with its checksum set right (so that the fields behind the CRC-32 are explored too). A refused file must
// give a latent::error and leave the model (and scaler) untouched; an accepted one must be exactly the file that
// save_model writes for the parameters (and scaler) it loaded: no wrong weights are ever loaded silently.

#include "fuzz.hpp"

#include <latent/latent.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace {

using Small = latent::Autoencoder<latent::Sequential<latent::Dense<6, 3, latent::ReLU>>,
                                  latent::Sequential<latent::Dense<3, 6, latent::Sigmoid>>>;
using SmallDouble = latent::Autoencoder<latent::Sequential<latent::Dense<6, 3, latent::ReLU>>,
                                        latent::Sequential<latent::Dense<3, 6, latent::Sigmoid>>,
                                        latent::backend::basic_cpu<double>>;

template <class M>
void load(std::span<const std::uint8_t> bytes) {
    static M model{7};
    const std::vector<typename M::scalar> before(model.parameters().begin(), model.parameters().end());
    // Bytes, not values: a file may hold NaN parameters, and NaN != NaN.
    const auto untouched = [&] {
        return std::memcmp(before.data(), model.parameters().data(), model.parameters().size_bytes()) == 0;
    };
    latent::Scaler scaler;
    bool with_scaler = true;
    try {
        latent::deserialize_model(model, scaler, bytes, "fuzz.latent");
    } catch (const latent::error&) {
        latent_fuzz::require(untouched(), "a refused file leaves the model untouched");
        latent_fuzz::require(scaler.features() == 0, "a refused file leaves the scaler untouched");
        with_scaler = false;
    }
    if (with_scaler) {
        latent_fuzz::require(std::ranges::equal(latent::serialize_model(model, scaler), bytes),
                             "an accepted file is the file of the model and scaler it loaded");
        latent::deserialize_model(model, bytes, "fuzz.latent");  // the call without a scaler takes it too
        return;
    }
    try {
        latent::deserialize_model(model, bytes, "fuzz.latent");
    } catch (const latent::error&) {
        latent_fuzz::require(untouched(), "a refused file leaves the model untouched");
        return;
    }
    const std::vector<std::uint8_t> saved = latent::serialize_model(model);
    latent_fuzz::require(std::ranges::equal(saved, bytes), "an accepted file is the file of the model it loaded");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    load<Small>(bytes);
    load<SmallDouble>(bytes);
    if (size >= 4) {
        std::vector<std::uint8_t> fixed(bytes.begin(), bytes.end());
        const std::uint32_t crc = latent::detail::crc32_of(bytes.first(size - 4));
        std::memcpy(fixed.data() + size - 4, &crc, 4);
        load<Small>(fixed);
        load<SmallDouble>(fixed);
    }
    return 0;
}
