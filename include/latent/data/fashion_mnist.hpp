#pragma once
// Fashion-MNIST and MNIST, which share their file names and format: 60000 training and 10000 test images of
// 28 x 28 bytes with labels 0..9. Debian's dataset-fashion-mnist package installs Fashion-MNIST gzipped.

#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/idx.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace latent {

/// The ten Fashion-MNIST classes, indexed by label.
inline constexpr std::array<std::string_view, 10> fashion_mnist_class_names{
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

/// A data set's training and test parts.
struct TrainTestSplit {
    Dataset<std::uint8_t> train;
    Dataset<std::uint8_t> test;
};

/// Where load_fashion_mnist looks by default: $LATENT_DATA_DIR when set and not empty, else the directory
/// Debian's dataset-fashion-mnist package installs to.
inline std::filesystem::path default_data_directory() {
    if (const char* dir = std::getenv("LATENT_DATA_DIR"); dir != nullptr && *dir != '\0') return dir;
    return "/usr/share/datasets/fashion-mnist";
}

namespace detail {

// `stem` or `stem.gz` in dir; the uncompressed file wins, as someone who unpacked it wants it read faster.
inline std::filesystem::path find_idx_file(const std::filesystem::path& dir, const std::string& stem,
                                           std::string_view caller, std::string_view remedy) {
    using idx::in_quotes;
    std::error_code ec;
    for (const std::string& name : {stem, stem + ".gz"})
        if (std::filesystem::exists(dir / name, ec)) return dir / name;
    if (!std::filesystem::is_directory(dir, ec))
        throw file_error(std::string(caller) + ": expected a directory " + in_quotes(dir.string()) +
                         " holding the data set, found none; " + std::string(remedy));
    throw file_error(std::string(caller) + ": expected " + in_quotes(stem + ".gz") + " (or " + in_quotes(stem) +
                     ") in " + in_quotes(dir.string()) + ", found neither; " + std::string(remedy));
}

// Loads the four files and checks that they describe one 10-class data set.
inline TrainTestSplit load_mnist_files(const std::filesystem::path& dir, std::string_view caller,
                                       std::string_view remedy) {
    using idx::in_quotes;
    const auto load = [&](const std::string& prefix) {
        const std::filesystem::path images = find_idx_file(dir, prefix + "-images-idx3-ubyte", caller, remedy);
        const std::filesystem::path labels = find_idx_file(dir, prefix + "-labels-idx1-ubyte", caller, remedy);
        Dataset<std::uint8_t> data = load_labeled_images(images, labels);
        // A label past 9 would index past the class names.
        for (std::size_t i = 0; i < data.labels().size(); ++i)
            if (data.labels()[i] > 9)
                throw format_error(std::string(caller) + ": " + in_quotes(labels.string()) +
                                   ": expected labels 0..9, found " + std::to_string(data.labels()[i]) +
                                   " at index " + std::to_string(i));
        return data;
    };
    TrainTestSplit split{load("train"), load("t10k")};
    if (split.train.height() != split.test.height() || split.train.width() != split.test.width())
        throw shape_error(std::string(caller) + ": expected test images of the training images' size " +
                          std::to_string(split.train.height()) + " x " + std::to_string(split.train.width()) + " in " +
                          in_quotes(dir.string()) + ", found " + std::to_string(split.test.height()) + " x " +
                          std::to_string(split.test.width()));
    return split;
}

}  // namespace detail

/// Loads Fashion-MNIST's train-{images,labels} and t10k-{images,labels} files, each with or without .gz.
/// ensures: labels are 0..9 (see fashion_mnist_class_names); train and test images have one size.
/// throws: file_error naming `dir` when it or a file is missing; the errors of load_labeled_images.
inline TrainTestSplit load_fashion_mnist(const std::filesystem::path& dir = default_data_directory()) {
    return detail::load_mnist_files(dir, "latent::load_fashion_mnist",
                                    "install it with `apt-get install dataset-fashion-mnist` or set LATENT_DATA_DIR "
                                    "to a directory that holds it");
}

/// Loads MNIST from `dir`, which holds the same four file names as Fashion-MNIST, each with or without .gz.
/// ensures and throws: as load_fashion_mnist.
inline TrainTestSplit load_mnist(const std::filesystem::path& dir) {
    return detail::load_mnist_files(dir, "latent::load_mnist",
                                    "put MNIST's train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                    "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (gzipped or not) there");
}

}  // namespace latent
