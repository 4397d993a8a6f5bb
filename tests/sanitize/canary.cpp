// A program with one deliberate error per sanitizer, run by the sanitizer build's tests to show that the
// sanitizers are on and that their reports fail a test: a heap read past the end (ASan), a signed overflow
// (UBSan, which only reports and goes on unless built with -fno-sanitize-recover), a leak (LeakSanitizer).

#include <cstdio>
#include <cstring>
#include <limits>

namespace {
// Sixteen blocks through one pointer: at least fifteen have no reference left anywhere, even where a stale
// copy of the last one lingers on the stack (LeakSanitizer scans conservatively).
[[gnu::noinline]] void lose_memory(int count) {
    int* volatile lost = nullptr;
    for (int i = 0; i < 16; ++i) lost = new int[static_cast<unsigned>(count) * 100];
    (void)lost;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    volatile int big = std::numeric_limits<int>::max();
    if (std::strcmp(argv[1], "address") == 0) {
        int* volatile values = new int[4]{};  // volatile: the optimiser may not drop the allocation
        volatile int past_end = values[argc + 2];  // values[4]
        delete[] values;
        std::printf("read %d\n", past_end);
    } else if (std::strcmp(argv[1], "undefined") == 0) {
        volatile int sum = big + argc;
        std::printf("sum %d\n", sum);
    } else if (std::strcmp(argv[1], "leak") == 0) {
        lose_memory(argc);
    } else {
        return 2;
    }
    std::printf("no sanitizer stopped the program\n");
    return 0;
}
