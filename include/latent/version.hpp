#pragma once
// The library version; CMake's project version, the package recipes and the model-file header agree with it.

#define LATENT_VERSION_MAJOR 0
#define LATENT_VERSION_MINOR 1
#define LATENT_VERSION_PATCH 0

namespace latent {
inline constexpr int version_major = LATENT_VERSION_MAJOR;
inline constexpr int version_minor = LATENT_VERSION_MINOR;
inline constexpr int version_patch = LATENT_VERSION_PATCH;
inline constexpr const char* version_string = "0.1.0";
}  // namespace latent
