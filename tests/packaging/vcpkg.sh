#!/bin/sh
# latent's vcpkg port, checked by the real vcpkg client, offline, in fresh vcpkg folders (the consume.vcpkg_* tests
# in tests/CMakeLists.txt; docs/install.md copies its commands):
#
#   vcpkg.sh classic|classic-xtensor|manifest|manifest-xtensor <latent source> <vcpkg tools folder> <work folder>
#            <latent version>
#
# classic: `vcpkg install latent` from the overlay port in ports/ (classic-xtensor: latent[xtensor]), then
# tests/consumer/ configured through vcpkg's toolchain file. manifest: tests/consumer/ configured through vcpkg's
# toolchain file, which runs `vcpkg install` for its vcpkg.json, whose vcpkg-configuration.json names that overlay
# port (manifest-xtensor: with the consumer's xtensor feature, which asks for latent[xtensor]). Every mode fails on
# any warning of vcpkg's post-build checks, then builds and runs tests/consumer/ (with its xtensor program in the
# xtensor modes). It also checks what vcpkg does not: the port's version is latent's, and the package holds every
# header, the licence and latent.pc.
#
# The tools folder holds the client (vcpkg), vcpkg's scripts (root/) and overlay ports standing for vcpkg's eigen3,
# zlib and libpng (system-ports/); tests/packaging/stand-ins/vcpkg/ stands for xtensor. The work folder is emptied
# first and holds everything vcpkg writes. CXX names the compiler and CXXFLAGS adds flags, as for CMake. Exits 77
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
classic | classic-xtensor | manifest | manifest-xtensor) ;;
*) fail "unknown mode '$mode' (classic, classic-xtensor, manifest or manifest-xtensor)" ;;
esac
vcpkg=$tools/vcpkg
[ -x "$vcpkg" ] || skip "no vcpkg client at $vcpkg (set LATENT_VCPKG_TOOLS to the folder that holds it)"
[ -d "$tools/system-ports" ] || skip "no system-ports/ beside the vcpkg client in $tools"
for program in cmake ninja patchelf pkg-config; do # vcpkg uses the system's, never downloads them
    command -v "$program" >/dev/null || skip "vcpkg needs $program, which is not installed"
done
case $mode in
*-xtensor) [ -f /usr/include/xtensor/xtensor.hpp ] ||
    skip "Debian's libxtensor-dev, which the xtensor stand-in port stands for, is not installed" ;;
esac

rm -rf "$work"
mkdir -p "$work"

# The commands below are the ones docs/install.md gives, with the stand-ins and these folders added: vcpkg writes
# only below the work folder.
case $mode in
classic | classic-xtensor)
    package=latent
    [ "$mode" = classic-xtensor ] && package="latent[xtensor]"
    run "$vcpkg" install "$package" --overlay-ports="$src/ports" --overlay-ports="$tools/system-ports" \
        --overlay-ports="$src/tests/packaging/stand-ins/vcpkg" --x-install-root="$work/installed" \
        --x-buildtrees-root="$work/buildtrees" --x-packages-root="$work/packages" --downloads-root="$work/downloads" \
        --binarysource=clear >"$work/install.log" 2>&1 || true
    cat "$work/install.log"
    set -- -DCMAKE_TOOLCHAIN_FILE="$tools/root/scripts/buildsystems/vcpkg.cmake" -DVCPKG_MANIFEST_MODE=OFF
    ;;
manifest | manifest-xtensor)
    # The toolchain file runs the vcpkg executable of its own root: here a root of links to the tools' and the client.
    root=$work/vcpkg-root
    mkdir "$root"
    ln -s "$tools/root/.vcpkg-root" "$tools/root"/* "$root"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$vcpkg" >"$root/vcpkg"
    chmod +x "$root/vcpkg"
    set -- -DCMAKE_TOOLCHAIN_FILE="$root/scripts/buildsystems/vcpkg.cmake" \
        "-DVCPKG_OVERLAY_PORTS=$tools/system-ports;$src/tests/packaging/stand-ins/vcpkg" \
        "-DVCPKG_INSTALL_OPTIONS=--x-buildtrees-root=$work/buildtrees;--x-packages-root=$work/packages;\
--downloads-root=$work/downloads;--binarysource=clear"
    [ "$mode" = manifest-xtensor ] && set -- "$@" -DVCPKG_MANIFEST_FEATURES=xtensor
    ;;
esac
[ "${mode%-xtensor}" = "$mode" ] || set -- "$@" -DCONSUMER_XTENSOR=ON
prefix=$work/installed/x64-linux
if [ -f "$work/install.log" ] && ! grep -q "^All requested installations completed successfully" "$work/install.log"; then
    fail "vcpkg install failed"
fi
run cmake -S "$src/tests/consumer" -B "$work/build" "$@" -DVCPKG_INSTALLED_DIR="$work/installed" \
    -DVCPKG_TARGET_TRIPLET=x64-linux -DEXPECTED_LATENT_PREFIX="$prefix"
[ -f "$work/install.log" ] || cp "$work/build/vcpkg-manifest-install.log" "$work/install.log"

if grep -i "warning" "$work/install.log"; then
    fail "vcpkg reported the warnings above"
fi
installed=$(awk '/^Package: latent$/ { found = 1 } found && /^Version:/ { print $2; exit }' "$work/installed/vcpkg/status")
[ "$installed" = "$version" ] || fail "vcpkg installed latent '$installed', not $version (ports/latent/vcpkg.json)"
diff -r "$src/include" "$prefix/include" || fail "the package's include/ differs from latent's (above)"
cmp "$src/LICENSE" "$prefix/share/latent/copyright" || fail "share/latent/copyright is not latent's LICENSE"
grep -q '"licenseConcluded": *"MIT"' "$prefix/share/latent/vcpkg.spdx.json" || fail "the port declares no MIT licence"
[ -f "$prefix/lib/pkgconfig/latent.pc" ] || fail "lib/pkgconfig/latent.pc is missing"

run cmake --build "$work/build"
run ctest --test-dir "$work/build" --output-on-failure
