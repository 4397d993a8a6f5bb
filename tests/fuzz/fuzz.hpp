#pragma once
// What the fuzz targets share: a failed invariant aborts, which libFuzzer (and the replay driver, through
// the sanitizers or the abort itself) reports as a crash with the input that caused it.

#include <cstdio>
#include <cstdlib>

namespace latent_fuzz {

[[noreturn]] inline void fail(const char* invariant) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
    std::abort();
}

inline void require(bool holds, const char* invariant) {
    if (!holds) fail(invariant);
}

}  // namespace latent_fuzz
