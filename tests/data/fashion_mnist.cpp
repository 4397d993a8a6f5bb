// Fashion-MNIST and MNIST loading: the default directory and its LATENT_DATA_DIR override, files with or
// without .gz, the advice given when files are missing, and the real data where Debian's package put it.

#include "latent/data/fashion_mnist.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace latent::testing;

namespace fs = std::filesystem;

const fs::path debian_dir = "/usr/share/datasets/fashion-mnist";

// A fresh directory under the system's temporary directory, removed with everything in it.

// Sets (or, given nullopt, unsets) LATENT_DATA_DIR for one scope and restores what was there.
class DataDirOverride {
public:
    explicit DataDirOverride(const std::optional<std::string>& value) {
        if (const char* old = std::getenv("LATENT_DATA_DIR")) old_ = old;
        if (value)
            ::setenv("LATENT_DATA_DIR", value->c_str(), 1);
        else
            ::unsetenv("LATENT_DATA_DIR");
    }
    ~DataDirOverride() {
        if (old_)
            ::setenv("LATENT_DATA_DIR", old_->c_str(), 1);
        else
            ::unsetenv("LATENT_DATA_DIR");
    }
    DataDirOverride(const DataDirOverride&) = delete;
    DataDirOverride& operator=(const DataDirOverride&) = delete;

private:
    std::optional<std::string> old_;
};

Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& data) {
    Bytes out{0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
    out.insert(out.end(), data.begin(), data.end());
    return out;
}



// A small data set in MNIST's layout: pixel k of image i is i + k, label i is i % 10.
struct Part {
    std::uint32_t count;
    std::uint32_t size;
    bool gzipped;
};

void write_part(const fs::path& dir, const std::string& prefix, Part part) {
    Bytes pixels(std::size_t{part.count} * part.size * part.size);
    for (std::size_t i = 0; i < part.count; ++i)
        for (std::size_t k = 0; k < std::size_t{part.size} * part.size; ++k)
            pixels[i * part.size * part.size + k] = static_cast<std::uint8_t>(i + k);
    Bytes labels(part.count);
    for (std::size_t i = 0; i < part.count; ++i) labels[i] = static_cast<std::uint8_t>(i % 10);

    const Bytes images_file = idx_bytes({part.count, part.size, part.size}, pixels);
    const Bytes labels_file = idx_bytes({part.count}, labels);
    const std::string suffix = part.gzipped ? ".gz" : "";
    write_file(dir / (prefix + "-images-idx3-ubyte" + suffix), part.gzipped ? gzip(images_file) : images_file);
    write_file(dir / (prefix + "-labels-idx1-ubyte" + suffix), part.gzipped ? gzip(labels_file) : labels_file);
}


bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("default_data_directory is LATENT_DATA_DIR when set, else Debian's directory") {
    {
        const DataDirOverride unset{std::nullopt};
        CHECK(latent::default_data_directory() == debian_dir);
    }
    {
        const DataDirOverride empty{std::string{}};
        CHECK(latent::default_data_directory() == debian_dir);
    }
    {
        const DataDirOverride set{std::string{"/data/fashion"}};
        CHECK(latent::default_data_directory() == fs::path{"/data/fashion"});
    }
}

TEST_CASE("fashion_mnist_class_names") {
    CHECK(latent::fashion_mnist_class_names.size() == 10);
    CHECK(latent::fashion_mnist_class_names[0] == "T-shirt/top");
    CHECK(latent::fashion_mnist_class_names[5] == "Sandal");
    CHECK(latent::fashion_mnist_class_names[9] == "Ankle boot");
}

TEST_CASE("load_fashion_mnist reads files with and without .gz, from LATENT_DATA_DIR by default") {
    const ScratchDirectory dir;
    write_part(dir.path, "train", {12, 4, true});
    write_part(dir.path, "t10k", {5, 4, false});

    const DataDirOverride set{dir.path.string()};
    const latent::TrainTestSplit split = latent::load_fashion_mnist();
    CHECK(split.train.size() == 12);
    CHECK(split.test.size() == 5);
    CHECK(split.train.height() == 4);
    CHECK(split.test.width() == 4);
    CHECK(split.train.sample(11)[3] == 14);
    CHECK(split.train.labels()[11] == 1);
    CHECK(split.test.sample(4)[15] == 19);

    // When both exist the uncompressed file is read: here it holds 3 images instead of 12.
    write_part(dir.path, "train", {3, 4, false});
    CHECK(latent::load_fashion_mnist(dir.path).train.size() == 3);
}

TEST_CASE("load_mnist takes its directory as an argument") {
    const ScratchDirectory dir;
    write_part(dir.path, "train", {20, 2, false});
    write_part(dir.path, "t10k", {10, 2, true});
    const latent::TrainTestSplit split = latent::load_mnist(dir.path);
    CHECK(split.train.size() == 20);
    CHECK(split.test.size() == 10);
    CHECK(std::equal(split.test.labels().begin(), split.test.labels().end(),
                     Bytes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}.begin()));
}

TEST_CASE("a missing directory or file is a file_error that says how to get the data") {
    const ScratchDirectory dir;
    const fs::path nowhere = dir.path / "nowhere";
    std::string m = message_of<latent::file_error>([&] { (void)latent::load_fashion_mnist(nowhere); });
    CHECK(contains(m, "latent::load_fashion_mnist: expected a directory '" + nowhere.string() +
                          "' holding the data set, found none"));
    CHECK(contains(m, "apt-get install dataset-fashion-mnist"));
    CHECK(contains(m, "LATENT_DATA_DIR"));

    {
        const DataDirOverride set{nowhere.string()};
        CHECK_THROWS_AS((void)latent::load_fashion_mnist(), latent::file_error);
    }

    write_part(dir.path, "train", {2, 2, true});
    m = message_of<latent::file_error>([&] { (void)latent::load_fashion_mnist(dir.path); });
    CHECK(contains(m, "expected 't10k-images-idx3-ubyte.gz' (or 't10k-images-idx3-ubyte') in '" + dir.path.string() +
                          "', found neither"));
    CHECK(contains(m, "apt-get install dataset-fashion-mnist"));

    m = message_of<latent::file_error>([&] { (void)latent::load_mnist(nowhere); });
    CHECK(contains(m, "latent::load_mnist: expected a directory '" + nowhere.string() + "'"));
    CHECK(contains(m, "t10k-labels-idx1-ubyte"));
}

TEST_CASE("labels past 9 and test images of another size are refused") {
    const ScratchDirectory dir;
    write_part(dir.path, "train", {11, 3, false});
    write_part(dir.path, "t10k", {4, 2, false});
    std::string m = message_of<latent::shape_error>([&] { (void)latent::load_mnist(dir.path); });
    CHECK(contains(m, "expected test images of the training images' size 3 x 3 in '" + dir.path.string() +
                          "', found 2 x 2"));

    write_part(dir.path, "t10k", {4, 3, false});
    const fs::path labels = dir.path / "train-labels-idx1-ubyte";
    Bytes bad(11, 1);
    bad[7] = 10;
    write_file(labels, idx_bytes({11}, bad));
    m = message_of<latent::format_error>([&] { (void)latent::load_fashion_mnist(dir.path); });
    CHECK(contains(m, labels.string() + "': expected labels 0..9, found 10 at index 7"));
}

// Expected figures from Python's gzip and struct modules, read independently of this code.
// The data set is a test dependency (README, .ci/run): its absence is a failure, not a skip.
TEST_CASE("Fashion-MNIST from Debian's dataset-fashion-mnist package") {
    const DataDirOverride unset{std::nullopt};
    const latent::TrainTestSplit split = latent::load_fashion_mnist();
    REQUIRE(split.train.size() == 60000);
    REQUIRE(split.test.size() == 10000);
    CHECK(split.train.height() == 28);
    CHECK(split.train.width() == 28);
    CHECK(split.train.scale() == doctest::Approx(1.0 / 255.0));

    CHECK(split.train.labels()[0] == 9);
    CHECK(std::equal(split.train.labels().begin(), split.train.labels().begin() + 12,
                     Bytes{9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9}.begin()));
    CHECK(split.train.labels()[59999] == 5);
    CHECK(split.test.labels()[0] == 9);

    // Both parts are balanced: 6000 and 1000 images of each class.
    std::array<std::size_t, 10> train_counts{};
    std::array<std::size_t, 10> test_counts{};
    for (std::uint8_t label : split.train.labels()) ++train_counts.at(label);
    for (std::uint8_t label : split.test.labels()) ++test_counts.at(label);
    CHECK(std::all_of(train_counts.begin(), train_counts.end(), [](std::size_t n) { return n == 6000; }));
    CHECK(std::all_of(test_counts.begin(), test_counts.end(), [](std::size_t n) { return n == 1000; }));

    const auto first = split.train.sample(0);
    CHECK(first[14 * 28 + 14] == 217);
    CHECK(first[96] == 1);
    CHECK(first[100] == 73);
    CHECK(std::accumulate(first.begin(), first.end(), 0) == 76247);
    const auto last = split.train.sample(59999);
    CHECK(std::accumulate(last.begin(), last.end(), 0) == 16684);
    CHECK(std::accumulate(split.train.values().begin(), split.train.values().end(), std::uint64_t{0}) ==
          3431114169u);
}
