# Overlay port that builds latent from this source tree (latent is not in vcpkg's registry):
#   vcpkg install latent[xtensor,cuda] --overlay-ports=<latent>/ports
# or, in manifest mode, "overlay-ports" in vcpkg-configuration.json (tests/consumer/ is an example).
# For a registry port, replace SOURCE_PATH with vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO ... REF v${VERSION}).
# tests/packaging/vcpkg.sh installs it with the real vcpkg client (the consume.vcpkg_* tests).

set(VCPKG_BUILD_TYPE release)  # header-only: nothing differs between debug and release
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

# The features add dependencies only: find_package(latent CONFIG REQUIRED COMPONENTS xtensor cuda) defines
# latent::xtensor and latent::cuda from what it finds when the consumer configures.
vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DLATENT_BUILD_TESTS=OFF
        -DLATENT_BUILD_EXAMPLES=OFF
        -DLATENT_BUILD_BENCHMARKS=OFF
        -DLATENT_BUILD_DOCS=OFF
        -DLATENT_INSTALL=ON
        -DLATENT_INSTALL_CMAKEDIR=share/latent
        -DBUILD_TESTING=OFF
    MAYBE_UNUSED_VARIABLES
        BUILD_TESTING
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME latent CONFIG_PATH share/latent)

# latent installs latent.pc in share/pkgconfig, for an architecture-independent package; vcpkg keeps share/pkgconfig
# for .pc files without a Libs line, and latent.pc has one (-pthread).
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}/lib/pkgconfig")
file(RENAME "${CURRENT_PACKAGES_DIR}/share/pkgconfig/latent.pc" "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/latent.pc")
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/pkgconfig")
vcpkg_fixup_pkgconfig()

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
