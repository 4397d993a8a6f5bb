# Stands for vcpkg's xtensor port in latent's vcpkg tests (tests/packaging/vcpkg.sh), which run offline: it installs
# nothing, and consumers find Debian's xtensor (apt-get install libxtensor-dev) with its own CMake config.
set(VCPKG_POLICY_EMPTY_PACKAGE enabled)
