#include "latent/io/plot.hpp"
#include "latent/training/history.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

using namespace latent::testing;


// Sets PATH for one test and puts the old value back even when a check throws.
struct PathOverride {
    std::optional<std::string> saved;
    explicit PathOverride(const fs::path& directory) {
        if (const char* old = std::getenv("PATH")) saved = old;
        ::setenv("PATH", directory.c_str(), 1);
    }
    ~PathOverride() {
        if (saved)
            ::setenv("PATH", saved->c_str(), 1);
        else
            ::unsetenv("PATH");
    }
};

std::string file_text(const fs::path& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

std::vector<std::string> names_in(const fs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator{directory}) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Checks the PNG signature and size, then decodes with libpng and returns width x height.
std::array<std::uint32_t, 2> png_size(const fs::path& path) {
    const std::string bytes = file_text(path);
    REQUIRE(bytes.size() > 5000);  // a drawn plot, not an empty canvas
    CHECK(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    REQUIRE_MESSAGE(png_image_begin_read_from_file(&image, path.c_str()) != 0, image.message);
    std::vector<std::uint8_t> pixels(PNG_IMAGE_SIZE(image));
    REQUIRE_MESSAGE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr) != 0, image.message);
    return {image.width, image.height};
}

// A stand-in for gnuplot: a shell script named gnuplot in `directory`.
void fake_gnuplot(const fs::path& directory, std::string_view body) {
    const fs::path program = directory / "gnuplot";
    std::ofstream{program} << "#!/bin/sh\n" << body << "\n";
    fs::permissions(program, fs::perms::owner_all);
}

// What fit() returns is what save_loss_curve plots (io/ names no training type: docs/architecture.md).
static_assert(latent::LossHistory<latent::History> && !latent::LossHistory<std::vector<double>>);

latent::History three_epochs() {
    latent::History history;
    history.epochs.push_back({1, 0.5, std::nullopt, 0.001, 1.25, 100});
    history.epochs.push_back({2, 0.25, 0.375, 0.001, 2.5, 100});
    history.epochs.push_back({3, 0.125, 0.1875, 0.0005, 1, 100});
    return history;
}

constexpr std::string_view loss_csv = "epoch,train_loss,validation_loss,learning_rate,seconds\n"
                                      "1,0.5,,0.001,1.25\n"
                                      "2,0.25,0.375,0.001,2.5\n"
                                      "3,0.125,0.1875,5e-04,1\n";  // to_chars: shortest form

}  // namespace

TEST_CASE("save_loss_curve writes the CSV and a PNG plot, and nothing else") {
    ScratchDirectory dir;
    latent::save_loss_curve(dir.path / "loss.png", three_epochs());
    CHECK(file_text(dir.path / "loss.csv") == loss_csv);
    CHECK(png_size(dir.path / "loss.png") == std::array<std::uint32_t, 2>{900, 560});
    CHECK(names_in(dir.path) == std::vector<std::string>{"loss.csv", "loss.png"});
}

TEST_CASE("save_loss_curve plots a history without validation losses") {
    ScratchDirectory dir;
    latent::History history;
    history.epochs.push_back({1, 0.75, std::nullopt, 0.01, 3, 10});
    latent::save_loss_curve(dir.path / "train_only.png", history);
    CHECK(file_text(dir.path / "train_only.csv") ==
          "epoch,train_loss,validation_loss,learning_rate,seconds\n1,0.75,,0.01,3\n");
    CHECK(png_size(dir.path / "train_only.png") == std::array<std::uint32_t, 2>{900, 560});
}

TEST_CASE("save_latent_scatter writes x,y,label and a 2-D scatter") {
    latent::Matrix<float> codes(2, 3);
    codes << 0.5f, -1.25f, 3.0f,
             2.0f, 0.1f, 0.0f;
    const std::vector<std::uint8_t> labels = {1, 0, 1};
    ScratchDirectory dir;
    latent::save_latent_scatter(dir.path / "codes.png", codes, labels);
    CHECK(file_text(dir.path / "codes.csv") == "x,y,label\n0.5,2,1\n-1.25,0.1,0\n3,0,1\n");  // 0.1f stays 0.1
    CHECK(png_size(dir.path / "codes.png") == std::array<std::uint32_t, 2>{900, 720});
    CHECK(names_in(dir.path) == std::vector<std::string>{"codes.csv", "codes.png"});
}

TEST_CASE("save_latent_scatter writes x,y,z,label and a 3-D view with projections, classes named") {
    latent::Matrix<double> codes(3, 4);
    codes << 1, 2, 3, 4,
             0.5, 0.25, 0.125, 1e-5,
             -1, -2, -3, -4;
    const std::vector<std::uint8_t> labels = {0, 2, 2, 1};
    const std::array<std::string_view, 3> names = {"T-shirt/top", "it's a \"trouser\"", "Ankle_boot"};
    ScratchDirectory dir;
    latent::save_latent_scatter(dir.path / "codes3.png", codes, labels, names);
    CHECK(file_text(dir.path / "codes3.csv") == "x,y,z,label\n1,0.5,-1,0\n2,0.25,-2,2\n3,0.125,-3,2\n4,1e-05,-4,1\n");
    CHECK(png_size(dir.path / "codes3.png") == std::array<std::uint32_t, 2>{1200, 1000});
    CHECK(names_in(dir.path) == std::vector<std::string>{"codes3.csv", "codes3.png"});
}

TEST_CASE("plots reach gnuplot safely through paths with quotes, backquotes and dollars") {
    ScratchDirectory dir;
    const std::string stem = "it's a `touch pwned` $HOME; #1 @x \\";
    latent::save_loss_curve(dir.path / (stem + ".png"), three_epochs());
    CHECK(file_text(dir.path / (stem + ".csv")) == loss_csv);
    CHECK(png_size(dir.path / (stem + ".png"))[0] == 900);
    CHECK(names_in(dir.path) == std::vector<std::string>{stem + ".csv", stem + ".png"});
}

TEST_CASE("gnuplot missing from PATH gives tool_error naming the CSV, which is still written") {
    ScratchDirectory dir;
    fs::create_directories(dir.path / "empty");
    const fs::path png = dir.path / "loss.png";
    const PathOverride path{dir.path / "empty"};
    try {
        latent::save_loss_curve(png, three_epochs());
        FAIL("expected a tool_error");
    } catch (const latent::tool_error& e) {
        CHECK(std::string(e.what()) ==
              "latent::save_loss_curve: gnuplot was not found on PATH (apt-get install gnuplot-nox); the data is in "
              "\"" + (dir.path / "loss.csv").string() + "\"");
    }
    CHECK(file_text(dir.path / "loss.csv") == loss_csv);
    CHECK(names_in(dir.path) == std::vector<std::string>{"empty", "loss.csv"});
}

TEST_CASE("gnuplot failing gives tool_error with its exit status and output, and keeps the old picture") {
    ScratchDirectory dir;
    fs::create_directories(dir.path / "bin");
    fake_gnuplot(dir.path / "bin", "echo 'line 3: something is wrong' >&2\nexit 3");
    const fs::path png = dir.path / "codes.png";
    std::ofstream{png} << "old picture";
    const latent::Matrix<float> codes = latent::Matrix<float>::Zero(2, 2);
    const std::vector<std::uint8_t> labels = {0, 1};
    const PathOverride path{dir.path / "bin"};
    try {
        latent::save_latent_scatter(png, codes, labels);
        FAIL("expected a tool_error");
    } catch (const latent::tool_error& e) {
        const std::string message = e.what();
        CHECK(message.find("latent::save_latent_scatter: gnuplot exited with status 3") == 0);
        CHECK(message.find("codes.csv") != std::string::npos);
        CHECK(message.find("line 3: something is wrong") != std::string::npos);
    }
    CHECK(file_text(png) == "old picture");
    CHECK(file_text(dir.path / "codes.csv") == "x,y,label\n0,0,0\n0,0,1\n");
    CHECK(names_in(dir.path) == std::vector<std::string>{"bin", "codes.csv", "codes.png"});
}

TEST_CASE("gnuplot exiting 0 without drawing gives tool_error") {
    ScratchDirectory dir;
    fs::create_directories(dir.path / "bin");
    fake_gnuplot(dir.path / "bin", "exit 0");
    const PathOverride path{dir.path / "bin"};
    CHECK_THROWS_AS(latent::save_loss_curve(dir.path / "loss.png", three_epochs()), latent::tool_error);
    CHECK(names_in(dir.path) == std::vector<std::string>{"bin", "loss.csv"});
}

TEST_CASE("save_latent_scatter rejects wrong sizes and labels without names") {
    ScratchDirectory dir;
    const fs::path png = dir.path / "codes.png";
    const latent::Matrix<float> four = latent::Matrix<float>::Zero(4, 3);
    const latent::Matrix<float> two = latent::Matrix<float>::Zero(2, 3);
    const std::vector<std::uint8_t> labels = {0, 1, 5};
    CHECK_THROWS_WITH_AS(latent::save_latent_scatter(png, four, labels),
                         "latent::save_latent_scatter: expected codes of 2 or 3 rows (one sample per column), found 4",
                         latent::shape_error);
    CHECK_THROWS_WITH_AS(latent::save_latent_scatter(png, two, std::span{labels}.first(2)),
                         "latent::save_latent_scatter: expected one label per code (3), found 2 labels",
                         latent::shape_error);
    const std::array<std::string_view, 2> names = {"zero", "one"};
    CHECK_THROWS_WITH_AS(latent::save_latent_scatter(png, two, labels, names),
                         "latent::save_latent_scatter: expected a class name for every label, found label 5 with 2 "
                         "names",
                         latent::argument_error);
    CHECK_THROWS_AS(latent::save_latent_scatter(png, latent::Matrix<float>(2, 0), std::span<const std::uint8_t>{}),
                    latent::argument_error);
    CHECK(fs::is_empty(dir.path));
}

TEST_CASE("plots reject an empty history and picture paths that would clash with the CSV or the script") {
    ScratchDirectory dir;
    CHECK_THROWS_AS(latent::save_loss_curve(dir.path / "loss.png", latent::History{}), latent::argument_error);
    CHECK_THROWS_AS(latent::save_loss_curve(dir.path / "loss.csv", three_epochs()), latent::argument_error);
    CHECK_THROWS_AS(latent::save_loss_curve(dir.path / "two\nlines.png", three_epochs()), latent::argument_error);
    CHECK(fs::is_empty(dir.path));
}

TEST_CASE("plots into a missing directory give file_error") {
    ScratchDirectory dir;
    CHECK_THROWS_AS(latent::save_loss_curve(dir.path / "missing" / "loss.png", three_epochs()), latent::file_error);
}

TEST_CASE("save_histogram plots overlaid series on shared bins, with counts per series in the CSV") {
    const std::vector<double> normal = {0, 0.5, 1, 1.5, 2, 2.5, 4};  // 1 sits on an inner edge: bin [1, 2)
    const std::vector<double> anomalous = {3, 3.5, 4, 4};            // 4 is the top: the last bin is closed
    ScratchDirectory dir;
    latent::save_histogram(dir.path / "errors.png", {{"normal", normal}, {"anomalous", anomalous}},
                           {.bins = 4, .title = "Reconstruction error", .x_label = "MSE"});
    CHECK(file_text(dir.path / "errors.csv") == "bin_start,bin_end,normal,anomalous\n"
                                                 "0,1,2,0\n"
                                                 "1,2,2,0\n"
                                                 "2,3,2,0\n"
                                                 "3,4,1,4\n");
    CHECK(png_size(dir.path / "errors.png") == std::array<std::uint32_t, 2>{900, 560});
    CHECK(names_in(dir.path) == std::vector<std::string>{"errors.csv", "errors.png"});
}

TEST_CASE("save_histogram plots shares of each series, one bin around a single value, and quotes odd names") {
    const std::vector<double> one = {0.25, 0.25};
    const std::vector<double> other = {0.25};
    const std::vector<latent::HistogramSeries> series = {{"it's, \"one\"", one}, {"`two` $HOME", other}};
    ScratchDirectory dir;
    latent::save_histogram(dir.path / "same.png", series, {.bins = 1, .normalize = true});
    CHECK(file_text(dir.path / "same.csv") == "bin_start,bin_end,\"it's, \"\"one\"\"\",`two` $HOME\n"
                                               "-0.25,0.75,2,1\n");
    CHECK(png_size(dir.path / "same.png")[0] == 900);
    CHECK(names_in(dir.path) == std::vector<std::string>{"same.csv", "same.png"});
}

TEST_CASE("save_histogram refuses to plot no series, empty or unnamed series, NaN or infinite values, 0 bins") {
    ScratchDirectory dir;
    const fs::path png = dir.path / "errors.png";
    const std::vector<double> good = {1, 2};
    const std::vector<double> none;
    const std::vector<double> nan = {1, std::numeric_limits<double>::quiet_NaN()};
    const std::vector<double> infinite = {-std::numeric_limits<double>::infinity()};
    CHECK_THROWS_WITH_AS(latent::save_histogram(png, std::span<const latent::HistogramSeries>{}),
                         "latent::save_histogram: expected at least one series, found none", latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::save_histogram(png, {{"good", good}, {"empty", none}}),
                         "latent::save_histogram: expected at least one value in series \"empty\", found none",
                         latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::save_histogram(png, {{"good", good}, {"", good}}),
                         "latent::save_histogram: expected a name for every series, found none for series 1",
                         latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::save_histogram(png, {{"good", good}, {"errors", nan}}),
                         "latent::save_histogram: expected finite values, found nan at index 1 of series \"errors\"",
                         latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::save_histogram(png, {{"errors", infinite}}),
                         "latent::save_histogram: expected finite values, found -inf at index 0 of series \"errors\"",
                         latent::argument_error);
    CHECK_THROWS_WITH_AS(latent::save_histogram(png, {{"good", good}}, {.bins = 0}),
                         "latent::save_histogram: expected at least 1 bin, found 0", latent::argument_error);
    CHECK_THROWS_AS(latent::save_histogram(dir.path / "errors.csv", {{"good", good}}), latent::argument_error);
    CHECK(fs::is_empty(dir.path));
}

TEST_CASE("save_histogram without gnuplot gives tool_error naming the CSV, which is still written") {
    ScratchDirectory dir;
    fs::create_directories(dir.path / "empty");
    const std::vector<double> values = {1, 2};
    const PathOverride path{dir.path / "empty"};
    CHECK_THROWS_WITH_AS(latent::save_histogram(dir.path / "h.png", {{"v", values}}, {.bins = 2}),
                         ("latent::save_histogram: gnuplot was not found on PATH (apt-get install gnuplot-nox); the "
                          "data is in \"" + (dir.path / "h.csv").string() + "\"").c_str(),
                         latent::tool_error);
    CHECK(file_text(dir.path / "h.csv") == "bin_start,bin_end,v\n1,1.5,1\n1.5,2,1\n");
}
