"""Stands for ConanCenter's xtensor recipe in latent's Conan tests (tests/packaging/conan.sh), which run offline:
the package holds nothing and points at Debian's libxtensor-dev 0.24.3 (with xtl and xsimd), installed by apt-get,
under ConanCenter's CMake names."""

from conan import ConanFile


class XtensorFromDebian(ConanFile):
    name = "xtensor"
    version = "0.24.3"
    package_type = "header-library"

    def package_id(self):
        self.info.clear()

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "xtensor")
        self.cpp_info.set_property("cmake_target_name", "xtensor")
        self.cpp_info.includedirs = ["/usr/include"]  # xtensor/, xtl/ and xsimd/ lie there
        self.cpp_info.libdirs = []
        self.cpp_info.bindirs = []
