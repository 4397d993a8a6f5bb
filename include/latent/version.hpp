#pragma once
/// \file
/// The library version, written in this file only. CMake's project version and the Conan recipe read it
/// from here; the vcpkg port and CHANGELOG.md are checked against it (tests/packaging/).
///
/// Model files carry their own format version (model_file_major.model_file_minor in latent/io/model_file.hpp).
/// The two are tied by semantic versioning: a release whose files older releases cannot read, or that cannot
/// read older files (a new format major), is a breaking release: a new major version (a new minor while the
/// major is 0). CHANGELOG.md names the format each release writes, and tests/packaging/version.cpp checks it.

#define LATENT_VERSION_MAJOR 0
#define LATENT_VERSION_MINOR 1
#define LATENT_VERSION_PATCH 0

/// The version as one number, for preprocessor checks: `#if LATENT_VERSION >= 200` means 0.2.0 or later.
#define LATENT_VERSION (LATENT_VERSION_MAJOR * 10000 + LATENT_VERSION_MINOR * 100 + LATENT_VERSION_PATCH)

#define LATENT_DETAIL_STRINGIFY(x) #x
#define LATENT_DETAIL_VERSION_STRING(major, minor, patch) \
    LATENT_DETAIL_STRINGIFY(major) "." LATENT_DETAIL_STRINGIFY(minor) "." LATENT_DETAIL_STRINGIFY(patch)

namespace latent {
/// Incremented for changes that break code or model files written for an earlier version.
inline constexpr int version_major = LATENT_VERSION_MAJOR;
/// Incremented for additions that keep code and model files working.
inline constexpr int version_minor = LATENT_VERSION_MINOR;
/// Incremented for fixes.
inline constexpr int version_patch = LATENT_VERSION_PATCH;
/// "major.minor.patch", e.g. "0.1.0".
inline constexpr const char* version_string =
    LATENT_DETAIL_VERSION_STRING(LATENT_VERSION_MAJOR, LATENT_VERSION_MINOR, LATENT_VERSION_PATCH);
}  // namespace latent
