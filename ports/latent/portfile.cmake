# Overlay port that builds latent from this source tree (latent is not in vcpkg's registry):
#   vcpkg install latent[xtensor,cuda] --overlay-ports=<latent>/ports
# or, in manifest mode, "overlay-ports" in vcpkg-configuration.json (tests/consumer/vcpkg/ is an example).
# For a registry port, replace SOURCE_PATH with vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO ... REF v${VERSION}).
# The consume.vcpkg_port test runs this file with plain CMake standing in for vcpkg's functions.

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
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/lib" "${CURRENT_PACKAGES_DIR}/debug")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
if(EXISTS "${SOURCE_PATH}/LICENSE")
  vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
else()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright"
       "latent ${VERSION} has not published a license yet; ask its maintainers before redistributing it.\n")
endif()
