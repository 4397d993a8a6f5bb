// The version is written once (latent/version.hpp) and everything that repeats it agrees: CMake's project
// version (passed in by tests/CMakeLists.txt), and CHANGELOG.md, whose newest entry is this version and names the
// model-file format this version writes. Across CHANGELOG entries, a new model-file format major (files that
// the other version cannot read) only comes with a breaking release. The Conan recipe's and the vcpkg port's
// versions are checked by conan.sh and vcpkg.sh (the consume.conan_* and consume.vcpkg_* tests).

#include <latent/io/model_file.hpp>
#include <latent/version.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

struct Release {
    int major = 0, minor = 0, patch = 0;
    int format_major = -1, format_minor = -1;
    std::string heading;
};

std::vector<Release> changelog_releases() {
    std::ifstream in(std::string(LATENT_TEST_SOURCE_DIR) + "/../CHANGELOG.md");
    REQUIRE_MESSAGE(in, "CHANGELOG.md is missing from the repository root");
    const std::regex heading(R"(^## \[(\d+)\.(\d+)\.(\d+)\].*)");
    const std::regex format(R"(^Model files: format (\d+)\.(\d+)\b.*)");
    std::vector<Release> releases;
    std::smatch m;
    for (std::string line; std::getline(in, line);) {
        if (std::regex_match(line, m, heading)) {
            releases.push_back({std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), -1, -1, line});
        } else if (std::regex_match(line, m, format)) {
            REQUIRE_MESSAGE(!releases.empty(), "CHANGELOG.md: a 'Model files:' line before the first release");
            releases.back().format_major = std::stoi(m[1]);
            releases.back().format_minor = std::stoi(m[2]);
        }
    }
    return releases;
}

// A release that may break code and files written for `older`: a new major, or a new minor while the major is 0.
bool breaking(const Release& newer, const Release& older) {
    if (older.major == 0) return newer.major > 0 || newer.minor > older.minor;
    return newer.major > older.major;
}

}  // namespace

TEST_CASE("the version macros, constants and string agree with CMake's project version") {
    CHECK(latent::version_major == LATENT_VERSION_MAJOR);
    CHECK(latent::version_minor == LATENT_VERSION_MINOR);
    CHECK(latent::version_patch == LATENT_VERSION_PATCH);
    CHECK(LATENT_VERSION == LATENT_VERSION_MAJOR * 10000 + LATENT_VERSION_MINOR * 100 + LATENT_VERSION_PATCH);
    const std::string assembled = std::to_string(latent::version_major) + "." + std::to_string(latent::version_minor) +
                                  "." + std::to_string(latent::version_patch);
    CHECK(std::string(latent::version_string) == assembled);
    CHECK(std::string(latent::version_string) == LATENT_TEST_PROJECT_VERSION);
}

TEST_CASE("CHANGELOG.md: the newest entry is this version and names the model-file format it writes") {
    const std::vector<Release> releases = changelog_releases();
    REQUIRE_MESSAGE(!releases.empty(), "CHANGELOG.md has no '## [x.y.z]' entry");
    const Release& newest = releases.front();
    INFO(newest.heading);
    CHECK(newest.major == latent::version_major);
    CHECK(newest.minor == latent::version_minor);
    CHECK(newest.patch == latent::version_patch);
    CHECK(newest.format_major == latent::model_file_major);
    CHECK(newest.format_minor == latent::model_file_minor);
}

namespace {

// What is wrong with a list of releases, newest first; empty when it keeps the rules.
std::vector<std::string> policy_violations(const std::vector<Release>& releases) {
    std::vector<std::string> problems;
    for (std::size_t i = 0; i + 1 < releases.size(); ++i) {
        const Release& newer = releases[i];
        const Release& older = releases[i + 1];
        const std::string pair = newer.heading + " after " + older.heading;
        if (newer.format_major < 0 || older.format_major < 0) problems.push_back(pair + ": a release names no format");
        if (std::tie(newer.major, newer.minor, newer.patch) <= std::tie(older.major, older.minor, older.patch))
            problems.push_back(pair + ": versions do not increase");
        if (std::tie(newer.format_major, newer.format_minor) < std::tie(older.format_major, older.format_minor))
            problems.push_back(pair + ": the model-file format goes back");
        if (newer.format_major != older.format_major && !breaking(newer, older))
            problems.push_back(pair + ": a new model-file format major in a release that may not break");
    }
    return problems;
}

}  // namespace

TEST_CASE("the release rules catch what they are meant to catch") {
    const Release v010{0, 1, 0, 1, 0, "0.1.0"}, v011{0, 1, 1, 1, 1, "0.1.1"}, v020{0, 2, 0, 2, 0, "0.2.0"};
    const Release v100{1, 0, 0, 2, 0, "1.0.0"}, v110{1, 1, 0, 3, 0, "1.1.0"}, v200{2, 0, 0, 3, 0, "2.0.0"};
    CHECK(policy_violations({v200, v100, v020, v011, v010}).empty());
    const Release v012{0, 1, 2, 2, 0, "0.1.2"};  // a new format major in a patch release
    CHECK(policy_violations({v012, v011}).size() == 1);
    CHECK(policy_violations({v110, v100}).size() == 1);  // a new format major in a 1.x minor release
    CHECK(policy_violations({v010, v011}).size() == 2);  // out of order, and the format goes back
    CHECK(policy_violations({Release{0, 2, 0, -1, -1, "0.2.0"}, v010}).size() == 2);  // no format named
}

TEST_CASE("CHANGELOG.md: entries go back in time, and a new model-file format major comes with a breaking release") {
    for (const std::string& problem : policy_violations(changelog_releases())) FAIL_CHECK(problem);
}
