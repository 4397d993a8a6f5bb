#pragma once
// Command-line options shared by the examples: --epochs N, --seed N, --out DIR, --data DIR, and
// --samples N (train on the first N training images: the quick runs of the slower examples' tests).

#include <latent/latent.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

struct ExampleOptions {
    std::size_t epochs;
    std::uint64_t seed = 1;
    std::filesystem::path out;
    std::filesystem::path data = latent::default_data_directory();
    std::size_t samples = 0;  ///< 0: every training image
};

/// Parses the options over the defaults given; prints usage and exits on --help or a bad option.
inline ExampleOptions parse_example_options(int argc, char** argv, ExampleOptions options) {
    auto usage = [&](int code) {
        std::cerr << "usage: " << argv[0] << " [--epochs N] [--seed N] [--out DIR] [--data DIR] [--samples N]\n"
                  << "  defaults: --epochs " << options.epochs << " --seed " << options.seed << " --out "
                  << options.out.string() << " --data " << options.data.string() << "\n";
        std::exit(code);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") usage(0);
        if (i + 1 >= argc) usage(2);
        const std::string value = argv[++i];
        char* end = nullptr;
        if (flag == "--epochs") {
            options.epochs = std::strtoull(value.c_str(), &end, 10);
            if (*end != '\0' || options.epochs == 0) usage(2);
        } else if (flag == "--seed") {
            options.seed = std::strtoull(value.c_str(), &end, 10);
            if (*end != '\0') usage(2);
        } else if (flag == "--out") {
            options.out = value;
        } else if (flag == "--samples") {
            options.samples = std::strtoull(value.c_str(), &end, 10);
            if (*end != '\0' || options.samples == 0) usage(2);
        } else if (flag == "--data") {
            options.data = value;
        } else {
            usage(2);
        }
    }
    std::filesystem::create_directories(options.out);
    return options;
}

/// Plots need gnuplot; without it the example still trains and writes the CSV files.
template <class Plot>
void plot_or_explain(Plot&& plot) {
    try {
        plot();
    } catch (const latent::tool_error& e) {
        std::cerr << "note: " << e.what() << "\n";
    }
}
