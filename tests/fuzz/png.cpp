// Fuzz target: decode_png on any bytes. Anything but a format_error, a result whose size does not agree with its
// header, or more pixels than the input could hold, is a failure; an image it reads must come back unchanged from
// save_png and decode_png.

#include "fuzz.hpp"

#include <latent/data/image_folder.hpp>
#include <latent/io/png.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    latent::PngImage image;
    try {
        image = latent::decode_png(bytes, "fuzz.png");
    } catch (const latent::format_error&) {
        return 0;  // refused with a typed error: what hostile input should get
    }
    latent_fuzz::require(image.channels == 1 || image.channels == 3, "gray or RGB");
    latent_fuzz::require(image.height >= 1 && image.width >= 1, "at least one pixel");
    latent_fuzz::require(image.pixels.size() == image.channels * image.height * image.width,
                         "pixels hold channels x height x width");
    latent_fuzz::require(image.pixels.size() <= latent::max_png_image_bytes, "at most the limit");
    // Small images only: the round trip writes a file.
    if (image.pixels.size() > 4096) return 0;
    const std::size_t plane = image.height * image.width;
    std::vector<std::uint8_t> interleaved(image.pixels.size());
    for (std::size_t p = 0; p < plane; ++p)
        for (std::size_t c = 0; c < image.channels; ++c) interleaved[p * image.channels + c] = image.pixels[c * plane + p];
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("latent_fuzz_png_" + std::to_string(::getpid()) + ".png");
    latent::save_png(path, image.width, image.height, image.channels, interleaved);
    const latent::PngImage again = latent::read_png(path);
    std::filesystem::remove(path);
    latent_fuzz::require(again.pixels == image.pixels && again.height == image.height && again.width == image.width,
                         "an image survives save_png and read_png unchanged");
    return 0;
}
