// Fuzz target: parse_safetensors on any bytes, then the tensors into a small model's state_dict. Anything but a
// format_error (or, for a well-formed file of another state_dict, an architecture_error) is a failure; a file it
// reads must hold exactly the bytes its shapes and dtypes say, within the input, and survive encode and parse.

#include "fuzz.hpp"

#include <latent/io/safetensors.hpp>
#include <latent/latent.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace {
// Two Dense layers and a BatchNorm: names with weight, bias, buffers and num_batches_tracked.
using Small = latent::Autoencoder<latent::Sequential<latent::Dense<4, 2, latent::ReLU>, latent::BatchNorm<>>,
                                  latent::Sequential<latent::Dense<2, 4>>>;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    latent::SafetensorsFile file;
    try {
        file = latent::parse_safetensors(bytes, "fuzz.safetensors");
    } catch (const latent::format_error&) {
        return 0;  // refused with a typed error: what hostile input should get
    }
    std::size_t total = 0;
    for (const auto& [name, tensor] : file.tensors) {
        std::size_t count = 1;
        for (const std::uint64_t d : tensor.shape) count *= std::size_t(d);  // parse ruled out overflow
        latent_fuzz::require(count * latent::detail::safetensors::dtype_size(tensor.dtype) == tensor.data.size(),
                             "each tensor holds the bytes of its shape and dtype");
        total += tensor.data.size();
    }
    latent_fuzz::require(total <= size, "the tensors are within the input");
    const latent::SafetensorsFile again = latent::parse_safetensors(latent::encode_safetensors(file), "again");
    latent_fuzz::require(again.metadata == file.metadata && again.tensors.size() == file.tensors.size(),
                         "the names survive a round trip");
    for (const auto& [name, tensor] : file.tensors) {
        const auto& other = again.tensors.at(name);
        latent_fuzz::require(other.dtype == tensor.dtype && other.shape == tensor.shape && other.data == tensor.data,
                             "each tensor survives a round trip");
    }
    Small model{1};
    const Small reference{1};
    try {
        latent::from_torch_state_dict(model, file, "fuzz.safetensors");
    } catch (const latent::architecture_error&) {
        latent_fuzz::require(std::ranges::equal(model.parameters(), reference.parameters()) &&
                                 std::ranges::equal(model.buffers(), reference.buffers()),
                             "a refused state_dict leaves the model unchanged");
    }
    return 0;
}
