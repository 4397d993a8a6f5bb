#!/usr/bin/env python3
"""Checks latent's Conan recipe and vcpkg port without Conan or vcpkg (neither can be installed where CI runs).

    check_recipes.py --source <latent> --version <CMake's project version> --scratch <empty folder>

- Both conanfile.py files compile (py_compile).
- The Conan recipe, driven through its hooks by a small stand-in for the Conan API, reads the version from
  latent/version.hpp, asks for the right requirements per option, packages every header and the CMake modules
  it names, and describes targets whose requirements exist (for every combination of its options).
- The vcpkg manifests keep the rules vcpkg enforces that can be checked from the files alone, and the port's
  version is latent's version.
Prints one line per problem and exits 1 if there is any.
"""

import argparse
import fnmatch
import glob
import importlib.util
import json
import os
import py_compile
import re
import shutil
import sys
import types

problems = []


def problem(text):
    problems.append(text)
    print("FAIL: " + text)


def expect(condition, text):
    if not condition:
        problem(text)
    return condition


# ---------------------------------------------------------------- a stand-in for the parts of Conan 2 used


class Options:
    def __init__(self, values):
        self.__dict__.update(values)


class Compiler:
    def __init__(self, cppstd):
        self.cppstd = cppstd

    def get_safe(self, name):
        return getattr(self, name, None)


class Settings:
    def __init__(self, cppstd):
        self.compiler = Compiler(cppstd)
        self.os = "Linux"


class Component:
    def __init__(self):
        self.properties = {}
        self.requires = []
        self.defines = []
        self.system_libs = []
        self.bindirs = ["bin"]
        self.libdirs = ["lib"]
        self.includedirs = ["include"]

    def set_property(self, name, value):
        self.properties[name] = value

    def get_property(self, name):
        return self.properties.get(name)


class CppInfo(Component):
    def __init__(self):
        super().__init__()
        self.components = Components()


class Components(dict):
    def __missing__(self, name):
        self[name] = Component()
        return self[name]


class Info:
    cleared = False

    def clear(self):
        self.cleared = True


class FakeConanFile:
    """What a recipe sees of conan.ConanFile: attributes the hooks read and write, and self.requires()."""

    def __init__(self):
        self.requirements_asked = []
        self.cpp_info = CppInfo()
        self.info = Info()
        self.version = None

    def requires(self, reference, **_):
        self.requirements_asked.append(reference)


class ConanInvalidConfiguration(Exception):
    pass


def install_conan_stand_in(log):
    def copy(conanfile, pattern, src, dst, keep_path=True, **_):
        # Conan 2 matches the pattern against paths relative to src; '*' matches '/' as well.
        copied = []
        for root, _, files in os.walk(src):
            for name in files:
                relative = os.path.relpath(os.path.join(root, name), src)
                if fnmatch.fnmatch(relative, pattern):
                    target = os.path.join(dst, relative if keep_path else name)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copy2(os.path.join(root, name), target)
                    copied.append(os.path.join(root, name))
        log["copied"].extend(copied)
        return copied

    def load(conanfile, path, **_):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def check_min_cppstd(conanfile, cppstd):
        log["min_cppstd"] = cppstd

    modules = {
        "conan": {"ConanFile": FakeConanFile},
        "conan.errors": {"ConanInvalidConfiguration": ConanInvalidConfiguration},
        "conan.tools": {},
        "conan.tools.build": {"check_min_cppstd": check_min_cppstd, "can_run": lambda conanfile: True},
        "conan.tools.files": {"copy": copy, "load": load},
        "conan.tools.layout": {"basic_layout": lambda conanfile, **_: None},
        "conan.tools.cmake": {"CMake": object, "cmake_layout": lambda conanfile, **_: None},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        sys.modules[name] = module


def load_recipe(path, module_name):
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    recipes = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, FakeConanFile) and v is not FakeConanFile]
    if len(recipes) != 1:
        problem(f"{path}: expected one ConanFile class, found {len(recipes)}")
        return None
    return recipes[0]


# ---------------------------------------------------------------- the Conan recipe

REFERENCE = re.compile(r"^[a-z0-9_][a-z0-9_+.-]*/(\[[^\]]+\]|[A-Za-z0-9_+.-]+)$")


def check_conan_recipe(source, version, scratch):
    log = {"copied": [], "min_cppstd": None}
    install_conan_stand_in(log)
    recipe_class = load_recipe(os.path.join(source, "conanfile.py"), "latent_conanfile")
    if recipe_class is None:
        return
    expect(recipe_class.name == "latent", f"conanfile.py: name is {recipe_class.name!r}, expected 'latent'")
    expect(recipe_class.package_type == "header-library", "conanfile.py: package_type must be 'header-library'")
    expect(set(recipe_class.options) == {"xtensor", "cuda"}, f"conanfile.py: options {set(recipe_class.options)}")
    expect(recipe_class.default_options == {"xtensor": False, "cuda": False}, "conanfile.py: both options off by default")

    recipe = recipe_class()
    recipe.recipe_folder = source
    recipe.set_version()
    expect(recipe.version == version, f"conanfile.py: set_version() gives {recipe.version}, CMake has {version}")

    exported = recipe_class.exports_sources
    exported = (exported,) if isinstance(exported, str) else tuple(exported)
    for pattern in exported:
        if not pattern.startswith("LICENSE"):  # latent has no license file yet; the recipe copies one if it appears
            expect(glob.glob(os.path.join(source, pattern)), f"conanfile.py: exports_sources '{pattern}' matches nothing")

    headers = sorted(os.path.relpath(p, os.path.join(source, "include"))
                     for p in glob.glob(os.path.join(source, "include", "**", "*.hpp"), recursive=True))
    for xtensor in (False, True):
        for cuda in (False, True):
            combination = f"xtensor={xtensor}, cuda={cuda}"
            recipe = recipe_class()
            recipe.recipe_folder = source
            recipe.set_version()
            recipe.options = Options({"xtensor": xtensor, "cuda": cuda})
            recipe.settings = Settings("17")
            recipe.source_folder = source
            recipe.package_folder = os.path.join(scratch, f"conan-package-{int(xtensor)}{int(cuda)}")
            shutil.rmtree(recipe.package_folder, ignore_errors=True)

            recipe.requirements()
            names = {reference.split("/")[0] for reference in recipe.requirements_asked}
            for reference in recipe.requirements_asked:
                expect(REFERENCE.match(reference), f"conanfile.py ({combination}): malformed reference {reference!r}")
            expected = {"eigen", "zlib", "libpng"} | ({"xtensor"} if xtensor else set())
            expect(names == expected, f"conanfile.py ({combination}): requires {sorted(names)}, expected {sorted(expected)}")

            recipe.package_id()
            expect(recipe.info.cleared, "conanfile.py: package_id() must clear the info (header-only)")
            log["min_cppstd"] = None
            recipe.validate()
            expect(log["min_cppstd"] in (20, "20"), "conanfile.py: validate() must require C++20")

            log["copied"].clear()
            recipe.package()
            for copied in log["copied"]:
                relative = os.path.relpath(copied, source)
                expect(any(fnmatch.fnmatch(relative, p) for p in exported),
                       f"conanfile.py: package() copies {relative}, which exports_sources does not export")
            packaged = sorted(os.path.relpath(p, os.path.join(recipe.package_folder, "include"))
                              for p in glob.glob(os.path.join(recipe.package_folder, "include", "**", "*.hpp"), recursive=True))
            expect(packaged == headers, f"conanfile.py ({combination}): packages {len(packaged)} of {len(headers)} headers")

            recipe.package_info()
            check_conan_package_info(recipe, names, combination)


def check_conan_package_info(recipe, requirement_names, combination):
    info = recipe.cpp_info
    where = f"conanfile.py package_info ({combination})"
    expect(info.get_property("cmake_file_name") == "latent", f"{where}: cmake_file_name must be 'latent'")
    expect(info.get_property("cmake_target_name") == "latent::latent", f"{where}: the global target must be latent::latent")
    components = dict(info.components)
    expected = {"core"} | ({"xtensor"} if recipe.options.xtensor else set()) | ({"cuda"} if recipe.options.cuda else set())
    expect(set(components) == expected, f"{where}: components {sorted(components)}, expected {sorted(expected)}")
    expect(components["core"].system_libs == ["pthread"],
           f"{where}: core must link pthread on Linux (latent::ThreadScope), found {components['core'].system_libs}")
    targets = {name: c.get_property("cmake_target_name") for name, c in components.items()}
    for name, target in targets.items():
        expect(target == f"latent::{name}", f"{where}: component {name} has target {target}")
    for name, component in list(components.items()) + [("<root>", info)]:
        expect(component.bindirs == [] and component.libdirs == [], f"{where}: {name} must have no bindirs or libdirs")
        for requirement in component.requires:
            package, _, sub = requirement.partition("::")
            if sub:
                expect(package in requirement_names, f"{where}: {name} requires {requirement}, not a requirement")
            else:
                expect(requirement in components, f"{where}: {name} requires component {requirement}, which is not defined")
    for module in info.get_property("cmake_build_modules") or []:
        path = os.path.join(recipe.package_folder, module)
        if expect(os.path.isfile(path), f"{where}: build module {module} is not in the package"):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            # The build module completes targets by name: each must be one that package_info defines.
            for call in re.finditer(r"latent_define_\w+_component\((\S+) (\S+)\)", text):
                for target in call.groups():
                    expect(target in targets.values() or not recipe.options.cuda,
                           f"{where}: {module} uses {target}, which package_info does not define")
            includes = re.findall(r'include\("\$\{CMAKE_CURRENT_LIST_DIR\}/([^"]+)"\)', text)
            for included in includes:
                expect(os.path.isfile(os.path.join(os.path.dirname(path), included)),
                       f"{where}: {module} includes {included}, which is not packaged beside it")
    expect(info.get_property("cmake_build_modules"), f"{where}: no build module (latent::cuda needs it)")


def check_test_package(source):
    path = os.path.join(source, "test_package", "conanfile.py")
    recipe_class = load_recipe(path, "latent_test_package")
    if recipe_class is None:
        return
    recipe = recipe_class()
    recipe.tested_reference_str = "latent/1.2.3"
    recipe.requirements()
    expect(recipe.requirements_asked == ["latent/1.2.3"], "test_package/conanfile.py must require tested_reference_str only")
    expect(getattr(recipe_class, "test_type", None) == "explicit", "test_package/conanfile.py: test_type must be 'explicit'")
    expect({"CMakeDeps", "CMakeToolchain"} <= set(recipe_class.generators), "test_package/conanfile.py: CMakeDeps and CMakeToolchain")
    with open(path, encoding="utf-8") as f:
        runs = re.search(r'os\.path\.join\(self\.cpp\.build\.bindir, "([^"]+)"\)', f.read())
    with open(os.path.join(source, "test_package", "CMakeLists.txt"), encoding="utf-8") as f:
        cmake = f.read()
    built = re.search(r"add_executable\((\S+)", cmake)
    expect(runs and built and runs.group(1) == built.group(1), "test_package: test() must run the program CMakeLists.txt builds")
    expect("find_package(latent CONFIG REQUIRED)" in cmake and "latent::latent" in cmake,
           "test_package/CMakeLists.txt must find latent's package and link latent::latent")


# ---------------------------------------------------------------- vcpkg manifests

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RESERVED = {"prn", "aux", "nul", "con", "core", "default"} | {f"{p}{i}" for p in ("lpt", "com") for i in range(1, 10)}
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
VERSION_FIELDS = ("version", "version-semver", "version-date", "version-string")
TOP_LEVEL = {"name", "port-version", "maintainers", "contacts", "summary", "description", "homepage", "documentation",
             "license", "supports", "dependencies", "default-features", "features", "overrides", "builtin-baseline",
             "vcpkg-configuration", *VERSION_FIELDS}
DEPENDENCY_FIELDS = {"name", "host", "features", "default-features", "platform", "version>="}


def valid_name(name):
    return isinstance(name, str) and NAME.match(name) and name not in RESERVED


def check_dependencies(where, dependencies):
    names = []
    for dependency in dependencies:
        if isinstance(dependency, str):
            name = dependency
        elif isinstance(dependency, dict):
            name = dependency.get("name")
            unknown = set(dependency) - DEPENDENCY_FIELDS - {k for k in dependency if k.startswith("$")}
            expect(not unknown, f"{where}: dependency {name}: unknown fields {sorted(unknown)}")
            for feature in dependency.get("features", []):
                feature_name = feature if isinstance(feature, str) else feature.get("name")
                expect(valid_name(feature_name), f"{where}: dependency {name}: invalid feature name {feature_name!r}")
        else:
            problem(f"{where}: a dependency must be a string or an object, found {dependency!r}")
            continue
        expect(valid_name(name), f"{where}: invalid dependency name {name!r}")
        names.append(name)
    expect(len(names) == len(set(names)), f"{where}: a dependency is listed twice: {names}")
    expect(names == sorted(names), f"{where}: dependencies are not in vcpkg's order (sorted by name): {names}")
    return names


def check_manifest(path, is_port):
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        problem(f"{path}: {error}")
        return None
    where = os.path.relpath(path)
    unknown = set(manifest) - TOP_LEVEL - {k for k in manifest if k.startswith("$")}
    expect(not unknown, f"{where}: fields vcpkg does not know: {sorted(unknown)}")
    versions = [f for f in VERSION_FIELDS if f in manifest]
    expect(len(versions) <= 1, f"{where}: more than one version field: {versions}")
    if is_port:
        expect(valid_name(manifest.get("name")), f"{where}: invalid or missing name {manifest.get('name')!r}")
        expect(len(versions) == 1, f"{where}: a port needs exactly one version field")
        description = manifest.get("description")
        expect(isinstance(description, str) and description or
               isinstance(description, list) and description and all(isinstance(d, str) for d in description),
               f"{where}: a port needs a description")
    elif "name" in manifest:
        expect(valid_name(manifest["name"]), f"{where}: invalid name {manifest['name']!r}")
    if "version-semver" in manifest:
        expect(SEMVER.match(str(manifest["version-semver"])), f"{where}: version-semver {manifest['version-semver']!r} is not SemVer")
    if "version" in manifest:
        expect(re.match(r"^\d+(\.\d+)*$", str(manifest["version"])), f"{where}: version {manifest['version']!r} is not dotted numbers")
    if "port-version" in manifest:
        expect(isinstance(manifest["port-version"], int) and manifest["port-version"] >= 0, f"{where}: port-version")
    manifest["_dependency_names"] = check_dependencies(where, manifest.get("dependencies", []))
    features = manifest.get("features", {})
    expect(isinstance(features, dict), f"{where}: features must be an object")
    expect(list(features) == sorted(features), f"{where}: features are not sorted by name")
    for name, feature in features.items():
        expect(valid_name(name), f"{where}: invalid feature name {name!r}")
        expect(isinstance(feature, dict) and feature.get("description"), f"{where}: feature {name} needs a description")
        unknown = set(feature) - {"description", "dependencies", "supports", "license"}
        expect(not unknown, f"{where}: feature {name}: unknown fields {sorted(unknown)}")
        feature["_dependency_names"] = check_dependencies(f"{where} feature {name}", feature.get("dependencies", []))
    return manifest


def check_vcpkg(source, version):
    port_dir = os.path.join(source, "ports", "latent")
    port = check_manifest(os.path.join(port_dir, "vcpkg.json"), is_port=True)
    if port:
        expect(port.get("name") == "latent", "ports/latent/vcpkg.json: the port must be named latent")
        expect(port.get("version-semver") == version,
               f"ports/latent/vcpkg.json: version-semver {port.get('version-semver')}, latent is {version}")
        expect({"eigen3", "zlib", "libpng"} <= set(port["_dependency_names"]), "ports/latent/vcpkg.json: eigen3, zlib and libpng")
        for dependency in port.get("dependencies", []):
            if isinstance(dependency, dict) and dependency.get("name") == "eigen3":
                expect("version>=" not in dependency, "ports/latent/vcpkg.json: eigen3 without a version (vcpkg ships Eigen 5)")
        features = port.get("features", {})
        expect("cuda" in features and "cuda" in features["cuda"].get("_dependency_names", []),
               "ports/latent/vcpkg.json: a cuda feature that depends on vcpkg's cuda port")
        expect("xtensor" in features and "xtensor" in features["xtensor"].get("_dependency_names", []),
               "ports/latent/vcpkg.json: an xtensor feature that depends on xtensor")
    for required in ("portfile.cmake", "usage"):
        expect(os.path.isfile(os.path.join(port_dir, required)), f"ports/latent/{required} is missing")
    usage_path = os.path.join(port_dir, "usage")
    if os.path.isfile(usage_path):
        with open(usage_path, encoding="utf-8") as f:
            usage = f.read()
        for target in ("latent::latent", "latent::xtensor", "latent::cuda"):
            expect(target in usage, f"ports/latent/usage does not mention {target}")

    example = os.path.join(source, "tests", "consumer", "vcpkg")
    consumer = check_manifest(os.path.join(example, "vcpkg.json"), is_port=False)
    if consumer:
        expect("latent" in consumer["_dependency_names"], "tests/consumer/vcpkg/vcpkg.json must depend on latent")
    try:
        with open(os.path.join(example, "vcpkg-configuration.json"), encoding="utf-8") as f:
            configuration = json.load(f)
        overlays = configuration.get("overlay-ports", [])
        expect(any(os.path.isfile(os.path.join(example, o, "latent", "vcpkg.json")) for o in overlays),
               "tests/consumer/vcpkg/vcpkg-configuration.json: no overlay-ports entry leads to ports/latent")
    except (OSError, json.JSONDecodeError) as error:
        problem(f"tests/consumer/vcpkg/vcpkg-configuration.json: {error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--scratch", required=True)
    args = parser.parse_args()
    os.makedirs(args.scratch, exist_ok=True)
    os.chdir(args.source)

    for recipe in ("conanfile.py", os.path.join("test_package", "conanfile.py")):
        try:
            py_compile.compile(recipe, cfile=os.path.join(args.scratch, os.path.basename(recipe) + "c"), doraise=True)
        except py_compile.PyCompileError as error:
            problem(f"{recipe} does not compile: {error.msg}")
    if not problems:
        check_conan_recipe(args.source, args.version, args.scratch)
        check_test_package(args.source)
    check_vcpkg(args.source, args.version)

    if problems:
        print(f"{len(problems)} problem(s) in the recipes")
        sys.exit(1)
    print(f"recipes: Conan recipe (4 option combinations), test_package and vcpkg manifests agree with latent {args.version}")


if __name__ == "__main__":
    main()
