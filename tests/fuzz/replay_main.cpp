// Runs a fuzz target's LLVMFuzzerTestOneInput once on every file given, or on every file in every directory
// given, without libFuzzer: how the seed corpora and the regression inputs are replayed by every compiler in
// the ordinary test run. Exits 1 when there is nothing to replay, so that a lost corpus cannot pass.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        if (fs::is_directory(argv[i])) {
            for (const auto& entry : fs::directory_iterator(argv[i]))
                if (entry.is_regular_file()) inputs.push_back(entry.path());
        } else {
            inputs.emplace_back(argv[i]);
        }
    }
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) {
        std::fprintf(stderr, "fuzz replay: expected at least one input file, found none\n");
        return 1;
    }
    for (const fs::path& input : inputs) {
        std::ifstream in(input, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "fuzz replay: cannot read %s\n", input.c_str());
            return 1;
        }
        // Exactly the file's size, on the heap: a read past the end is a sanitizer error, as under libFuzzer.
        const std::vector<char> text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        const auto bytes = std::make_unique<std::uint8_t[]>(text.size());
        std::copy(text.begin(), text.end(), bytes.get());
        std::printf("%s (%zu bytes)\n", input.filename().c_str(), text.size());
        LLVMFuzzerTestOneInput(bytes.get(), text.size());
    }
    std::printf("replayed %zu inputs\n", inputs.size());
    return 0;
}
