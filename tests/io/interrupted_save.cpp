// A save that dies half-way: a child process is killed while its temporary file is partly written, and the
// previous file must be intact and loadable, the stray temporary must not hide or break anything, and the
// next save must work. Two ways to die: SIGKILL raised after writing part of the bytes through AtomicFile,
// and save_model itself stopped by the kernel (SIGXFSZ) when the file-size limit cuts its write in half.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace latent;
namespace fs = std::filesystem;

namespace {

using Small = Autoencoder<Sequential<Dense<6, 3, ReLU>>, Sequential<Dense<3, 6, Sigmoid>>>;
// 784-256-784: about 1.6 MB of parameters, so the write is many blocks long.
using Large = Autoencoder<Sequential<Dense<784, 256, ReLU>>, Sequential<Dense<256, 784, Sigmoid>>>;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("latent_interrupted_save_" + std::to_string(::getpid()));
    TempDir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `body` in a child process and returns its wait status. The child never returns into doctest: it dies
// by a signal, or leaves with _exit(3) if it did not.
template <class Body>
int in_child(Body body) {
    const ::pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);  // a signal that dumps core must not litter the disk
        try {
            body();
        } catch (...) {
        }
        ::_exit(3);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return status;
}

fs::path temporary_of(const fs::path& target, int pid) { return target.string() + ".tmp." + std::to_string(pid); }

}  // namespace

TEST_CASE("a save killed after writing part of its temporary file leaves the previous file intact") {
    const TempDir dir;
    const fs::path target = dir.path / "model.latent";
    const Large previous{1};
    save_model(previous, target);
    const auto good = read_bytes(target);

    const auto replacement = serialize_model(Large{2});
    const std::size_t written = replacement.size() / 2;
    ::pid_t child = 0;
    const int status = in_child([&] {
        AtomicFile file(target);
        file.write(replacement.data(), written);
        std::fflush(file.handle());  // the bytes are in the temporary file, not only in a buffer
        std::raise(SIGKILL);
    });
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);

    // The child died mid-save: its temporary file holds exactly the part it wrote.
    for (const auto& entry : fs::directory_iterator(dir.path))
        if (entry.path() != target) child = std::stoi(entry.path().string().substr(target.string().size() + 5));
    REQUIRE(child > 0);
    REQUIRE(fs::exists(temporary_of(target, child)));
    CHECK(fs::file_size(temporary_of(target, child)) == written);

    CHECK(read_bytes(target) == good);
    CHECK(std::ranges::equal(load_model<Large>(target).parameters(), previous.parameters()));

    // The next save works beside the stray temporary, and is the file that loads.
    const Large next{3};
    save_model(next, target);
    CHECK(std::ranges::equal(load_model<Large>(target).parameters(), next.parameters()));
    // A stray temporary with this process's own name (a reused pid) is overwritten, not appended to.
    fs::copy_file(temporary_of(target, child), temporary_of(target, ::getpid()));
    save_model(previous, target);
    CHECK(read_bytes(target) == good);
    CHECK_FALSE(fs::exists(temporary_of(target, ::getpid())));
}

TEST_CASE("save_model stopped by the kernel in the middle of its write leaves the previous file intact") {
    const TempDir dir;
    const fs::path target = dir.path / "model.latent";
    const Large previous{4};
    save_model(previous, target);
    const auto good = read_bytes(target);

    const std::size_t limit = serialize_model(previous).size() / 3;
    const int status = in_child([&] {
        // Writes past `limit` bytes of any file raise SIGXFSZ, whose default action ends the process.
        ::rlimit file_size{limit, limit};
        ::setrlimit(RLIMIT_FSIZE, &file_size);
        save_model(Large{5}, target);
    });
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGXFSZ);

    std::size_t temporaries = 0;
    for (const auto& entry : fs::directory_iterator(dir.path))
        if (entry.path() != target) {
            ++temporaries;
            CHECK(entry.path().string().starts_with(target.string() + ".tmp."));
            CHECK(fs::file_size(entry.path()) == limit);  // cut exactly at the limit: a half-written file
            // Nothing half-written loads: the temporary is refused with a typed error.
            CHECK_THROWS_AS(load_model<Large>(entry.path()), format_error);
        }
    CHECK(temporaries == 1);
    CHECK(read_bytes(target) == good);
    CHECK(std::ranges::equal(load_model<Large>(target).parameters(), previous.parameters()));

    const Small small{6};
    save_model(small, dir.path / "small.latent");
    CHECK(std::ranges::equal(load_model<Small>(dir.path / "small.latent").parameters(), small.parameters()));
}
