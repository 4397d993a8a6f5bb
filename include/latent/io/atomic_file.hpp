#pragma once
// Writing a file so that a crash never leaves half of it: the data goes to a temporary file beside the
// target, is flushed to disk, and is renamed over the target only when complete.

#include "latent/core/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace latent {

/// A temporary file beside `target`; commit() makes it the target, destruction without commit()
/// removes it and leaves any previous target untouched.
class AtomicFile {
public:
    /// throws: argument_error for an empty path or one naming a directory ("out/"), file_error when the
    /// temporary file cannot be created (the OS's reason).
    explicit AtomicFile(std::filesystem::path target)
        : target_{std::move(target)},
          temporary_{target_.string() + ".tmp." + std::to_string(::getpid())} {
        if (target_.empty()) throw argument_error("latent: expected the path of a file to write, found an empty path");
        if (!target_.has_filename()) {
            std::string quoted(1, '"');  // appended: g++ 12 gives a false -Wrestrict for "\"" + std::string
            quoted += target_.string();
            quoted += '"';
            throw argument_error("latent: expected the path of a file to write, found " + quoted);
        }
        file_ = std::fopen(temporary_.c_str(), "wb");
        if (!file_) fail("cannot create " + temporary_.string());
    }
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile() {
        if (file_) std::fclose(file_);
        if (!committed_) std::remove(temporary_.c_str());
    }

    /// The open temporary file, for writers that need a FILE* (libpng).
    std::FILE* handle() noexcept { return file_; }
    const std::filesystem::path& temporary_path() const noexcept { return temporary_; }

    void write(const void* data, std::size_t size) {
        if (size && std::fwrite(data, 1, size, file_) != size) fail("cannot write " + temporary_.string());
    }

    /// Flushes to disk and renames over the target; the target is either the old or the new file.
    void commit() {
        if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) fail("cannot flush " + temporary_.string());
        const int closed = std::fclose(file_);
        file_ = nullptr;
        if (closed != 0) fail("cannot close " + temporary_.string());
        if (std::rename(temporary_.c_str(), target_.c_str()) != 0)
            fail("cannot rename " + temporary_.string() + " to " + target_.string());
        committed_ = true;
        // The rename itself reaches the disk only when the directory is synced.
        const std::filesystem::path directory = target_.has_parent_path() ? target_.parent_path() : ".";
        if (const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY); fd >= 0) {
            ::fsync(fd);
            ::close(fd);
        }
    }

private:
    [[noreturn]] static void fail(const std::string& what) {
        throw file_error("latent: " + what + ": " + std::strerror(errno));
    }

    std::filesystem::path target_;
    std::filesystem::path temporary_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
};

}  // namespace latent
