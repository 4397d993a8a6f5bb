"""Conan's check of the latent package: build and run a small consumer against it.

    conan create .  (runs it)  or  conan test test_package latent/<version>

With the xtensor option on, it builds and runs a second program against latent::xtensor.
"""

import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout


class LatentTestPackageConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "VirtualRunEnv"
    test_type = "explicit"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def generate(self):
        toolchain = CMakeToolchain(self)
        toolchain.cache_variables["LATENT_TEST_XTENSOR"] = bool(self.dependencies["latent"].options.xtensor)
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "test_package"), env="conanrun")
            if self.dependencies["latent"].options.xtensor:
                self.run(os.path.join(self.cpp.build.bindir, "test_package_xtensor"), env="conanrun")
