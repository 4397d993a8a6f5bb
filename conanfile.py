"""Conan 2 recipe for latent, a header-only C++20 autoencoder library.

    conan create . --build=missing -s compiler.cppstd=20
    conan create . --build=missing -s compiler.cppstd=20 -o "latent/*:xtensor=True"

tests/packaging/conan.sh runs these with the real Conan client (the consume.conan_* tests).

The version is read from include/latent/version.hpp, the one place it is written. CMakeDeps does not use
latent's own latentConfig.cmake, so package_info() describes the same targets again: latent::latent (everything
enabled), latent::core (the library), latent::xtensor and latent::cuda (the options). The options' CMake
settings come from cmake/latent-components.cmake, the file the CMake build and the installed config use.
"""

import os
import re

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class LatentConan(ConanFile):
    name = "latent"
    description = "Header-only C++20 library for training and using autoencoders; the architecture is a type"
    topics = ("autoencoder", "neural-network", "machine-learning", "header-only", "eigen")
    license = "MIT"
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"  # for validate(); a header-only package id ignores them
    options = {
        "xtensor": [True, False],  # latent::xtensor: latent/interop/xtensor.hpp
        "cuda": [True, False],  # latent::cuda: latent's headers in .cu files (a system CUDA toolkit is required)
    }
    default_options = {"xtensor": False, "cuda": False}
    exports_sources = "cmake/*", "include/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        header = load(self, os.path.join(self.recipe_folder, "include", "latent", "version.hpp"))
        parts = [re.search(rf"^#define LATENT_VERSION_{part} (\d+)$", header, re.M) for part in ("MAJOR", "MINOR", "PATCH")]
        if not all(parts):
            raise ConanInvalidConfiguration("include/latent/version.hpp: no LATENT_VERSION_MAJOR/MINOR/PATCH defines")
        self.version = self.version or ".".join(match.group(1) for match in parts)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # Eigen 3.4 is what latent is tested with (vcpkg ships Eigen 5; the CMake config accepts both).
        self.requires("eigen/3.4.0")
        self.requires("zlib/[>=1.2.11 <2]")  # model files' CRC-32, gzip'd IDX data
        self.requires("libpng/[>=1.6 <2]")  # pictures
        if self.options.xtensor:
            # 0.25 moved every header; latent is tested with Debian's 0.24.3.
            self.requires("xtensor/[>=0.24.3 <0.25]")

    def package_id(self):
        self.info.clear()  # header-only: one package for every setting and option

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, 20)

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        for pattern in ("*.hpp", "*.cu"):  # *.cu: the CUDA backend's kernels, compiled by targets linking latent::cuda
            copy(self, pattern, os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))
        cmake_dir = os.path.join(self.package_folder, "lib", "cmake", "latent")
        for module in ("latent-components.cmake", "latent-conan.cmake"):
            copy(self, module, os.path.join(self.source_folder, "cmake"), cmake_dir)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "latent")
        self.cpp_info.set_property("cmake_target_name", "latent::latent")
        self.cpp_info.set_property("pkg_config_name", "latent")
        # Conan reads build modules from the root cpp_info only; this one completes latent::cuda.
        self.cpp_info.set_property("cmake_build_modules", [os.path.join("lib", "cmake", "latent", "latent-conan.cmake")])
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "latent::core")
        core.requires = ["eigen::eigen", "zlib::zlib", "libpng::libpng"]
        if self.settings.os in ("Linux", "FreeBSD"):
            core.system_libs = ["pthread"]  # ThreadScope
        core.bindirs = []
        core.libdirs = []
        if self.options.xtensor:
            interop = self.cpp_info.components["xtensor"]
            interop.set_property("cmake_target_name", "latent::xtensor")
            interop.requires = ["core", "xtensor::xtensor"]
            interop.bindirs = []
            interop.libdirs = []
        if self.options.cuda:
            cuda = self.cpp_info.components["cuda"]
            cuda.set_property("cmake_target_name", "latent::cuda")
            cuda.requires = ["core"]
            cuda.defines = ["EIGEN_NO_CUDA"]  # also set by the build module; here for other generators
            cuda.bindirs = []
            cuda.libdirs = []
