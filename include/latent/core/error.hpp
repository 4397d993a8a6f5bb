#pragma once
// The exceptions latent throws for errors a user can cause at run time. Every message says what was
// expected and what was found, and names the file or argument involved. Named like the std exceptions.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace latent {

/// Base of every exception latent throws on bad input; catch this to handle them all.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A file could not be opened, read, written or renamed (the message names the path and the OS reason).
class file_error : public error {
public:
    using error::error;
};

/// A file's content is not what its format requires: not an IDX file, truncated, bad checksum.
class format_error : public error {
public:
    using error::error;
};

/// A model file was written for another architecture, scalar type or format version.
class architecture_error : public error {
public:
    using error::error;
};

/// Data whose shape does not fit: wrong image size for the model, labels and images of different counts.
class shape_error : public error {
public:
    using error::error;
};

/// An invalid argument or hyper-parameter: batch size 0, a NaN learning rate, an empty data set.
class argument_error : public error {
public:
    using error::error;
};

/// Training produced a NaN or infinite loss; the weights are left as they were before that batch.
class numerical_error : public error {
public:
    using error::error;
};

/// The GPU could not be used: no device for backend::cuda, or a CUDA runtime or cuBLAS call failed (the message
/// names the call and CUDA's own words).
class device_error : public error {
public:
    using error::error;
};

/// An external program latent drives (gnuplot, for plots) is missing or failed.
class tool_error : public error {
public:
    using error::error;
};

namespace detail {
/// Checks that a batch has the number of values per sample a model expects (shape_error otherwise).
inline void check_sample_size(const char* where, std::size_t expected, std::size_t found) {
    if (expected != found)
        throw shape_error(std::string(where) + ": expected " + std::to_string(expected) +
                          " values per sample (one sample per column), found " + std::to_string(found));
}
}  // namespace detail

}  // namespace latent
