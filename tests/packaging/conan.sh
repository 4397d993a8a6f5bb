#!/bin/sh
# latent's Conan package, checked by the real Conan 2 client, offline, in a fresh Conan home (the consume.conan_*
# tests in tests/CMakeLists.txt; docs/install.md copies its commands):
#
#   conan.sh create|create-xtensor|install <latent source> <Conan tools folder> <work folder> <latent version>
#
# create: `conan create` builds the package and runs test_package (create-xtensor: with xtensor=True, which
# test_package also builds against). install: tests/consumer/ gets latent through `conan install` (CMakeDeps,
# CMakeToolchain), then builds and runs its program. All three check what Conan does not: the recipe's version
# is latent's (read from include/latent/version.hpp), and the package holds every header and the licence.
#
# The tools folder holds the client (conan) and recipes standing for ConanCenter's eigen, zlib and libpng
# (system-recipes/); tests/packaging/stand-ins/conan/xtensor stands for xtensor. The work folder is emptied
# first and holds everything Conan writes. CXX names the compiler and CXXFLAGS adds flags, as for CMake. Exits 77
# (CTest: skipped) where the client or what it needs is missing.
set -eu

mode=$1 src=$2 tools=$3 work=$4 version=$5
skip() {
    echo "skipped: $*"
    exit 77
}
fail() {
    echo "FAILED: $*"
    exit 1
}
run() {
    echo "+ $*"
    "$@"
}

case $mode in
create | create-xtensor | install) ;;
*) fail "unknown mode '$mode' (create, create-xtensor or install)" ;;
esac
conan=$tools/conan
[ -x "$conan" ] || skip "no Conan client at $conan (set LATENT_CONAN_TOOLS to the folder that holds it)"
[ -d "$tools/system-recipes" ] || skip "no system-recipes/ beside the Conan client in $tools"
if [ "$mode" = create-xtensor ] && [ ! -f /usr/include/xtensor/xtensor.hpp ]; then
    skip "Debian's libxtensor-dev, which the xtensor stand-in recipe points at, is not installed"
fi
rm -rf "$work"
mkdir -p "$work"
export CONAN_HOME="$work/home" # never the user's own
if ! output=$("$conan" --version 2>&1); then
    case $output in
    *ModuleNotFoundError* | *"not found"*) skip "the Conan client cannot start: $(echo "$output" | tail -n 1)" ;;
    *) fail "conan --version: $output" ;;
    esac
fi
echo "$output"
run "$conan" profile detect
run "$conan" remote disable conancenter
for recipe in "$tools"/system-recipes/eigen "$tools"/system-recipes/zlib "$tools"/system-recipes/libpng \
    "$src/tests/packaging/stand-ins/conan/xtensor"; do
    run "$conan" export "$recipe"
done

inspected=$("$conan" inspect "$src")
echo "$inspected" | grep -qx "version: $version" || fail "the recipe's version is not latent's $version: $inspected"
echo "$inspected" | grep -qx "license: MIT" || fail "the recipe declares no MIT licence: $inspected"

# The commands below are the ones docs/install.md gives (run from latent's source tree, with `conan` on the PATH).
case $mode in
create | create-xtensor)
    cp -R "$src/test_package" "$work/test_package" # conan create builds test_package inside its folder
    if [ "$mode" = create ]; then
        run "$conan" create "$src" --build=missing -s compiler.cppstd=20 --test-folder "$work/test_package"
    else
        run "$conan" create "$src" --build=missing -s compiler.cppstd=20 -o "latent/*:xtensor=True" \
            --test-folder "$work/test_package"
    fi
    ;;
install)
    run "$conan" export "$src"
    # A user's project: conan install writes CMakeUserPresets.json beside its conanfile.txt.
    cp -R "$src/tests/consumer" "$work/consumer"
    cd "$work/consumer"
    run "$conan" install . --output-folder=build --build=missing -s compiler.cppstd=20
    run cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=build/conan_toolchain.cmake -DCMAKE_BUILD_TYPE=Release \
        -DEXPECTED_LATENT_PREFIX="$work"
    run cmake --build build
    run ctest --test-dir build --output-on-failure
    ;;
esac

# package_id() clears everything, so the one package has the id of nothing (SHA-1 of the empty string).
package=$("$conan" cache path "latent/$version:da39a3ee5e6b4b0d3255bfef95601890afd80709")
diff -r "$src/include" "$package/include" || fail "the package's include/ differs from latent's (above)"
cmp "$src/LICENSE" "$package/licenses/LICENSE" || fail "the package's licenses/LICENSE is not latent's LICENSE"
echo "latent/$version: $(find "$package/include" -type f | wc -l) headers and the licence packaged, in $package"
