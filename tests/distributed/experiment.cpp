// run_experiment over MPI, run by CTest under mpirun with 2 processes (label mpi): each rank trains its share of
// the runs (run i on rank i mod 2), rank 0 writes the leaderboard, every rank returns the leaderboard one process
// gives, and a second call resumes every run on both ranks.

#define DOCTEST_CONFIG_IMPLEMENT
#include <latent/experiments/runner.hpp>
#include <latent/mpi.hpp>

#include "support/tiny_family.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace latent;
namespace fs = std::filesystem;

namespace {

using testing::Code2;
using testing::Code3;
using testing::Deep2;
using testing::Tiny;

Dataset<double> data(std::size_t n, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<double> v(n * 6);
    for (double& x : v) x = 0.1 + 0.8 * rng.uniform();
    return Dataset<double>(std::move(v), 1, 6);
}

// The figures that do not depend on timing, member by member in leaderboard order.
std::vector<std::string> losses_of(const Leaderboard& board) {
    std::vector<std::string> rows;
    for (const MemberResult& m : board.members) {
        std::ostringstream row;
        row.precision(17);
        row << m.info.name << ' ' << m.mean_loss << ' ' << m.loss_spread << ' ' << m.best_seed << ' ' << m.pareto;
        for (const double loss : m.losses) row << ' ' << loss;
        rows.push_back(row.str());
    }
    return rows;
}

std::size_t lines(const std::string& text) { return std::size_t(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("mpi: two processes share an experiment's runs and give the leaderboard of one process") {
    mpi::Communicator world;
    REQUIRE(world.size() == 2);
    // One directory for both ranks: rank 0's process id names it.
    std::vector<std::uint64_t> id{std::uint64_t(::getpid())};
    world.broadcast(std::span<std::uint64_t>(id));
    const fs::path root = fs::temp_directory_path() / ("latent-mpi-experiment-" + std::to_string(id[0]));
    const Dataset<double> train = data(37, 1), validation = data(13, 2);
    const Adam<double> optimizer{{.learning_rate = 0.05}};
    std::ostringstream log;
    const ExperimentOptions options{.epochs = 3, .batch_size = 8, .seeds = {1, 2}, .out = root / "together",
                                    .plot = false, .log = &log};

    std::vector<std::string> alone;
    if (world.rank() == 0) {
        ExperimentOptions single = options;
        single.out = root / "alone";
        single.log = nullptr;
        alone = losses_of(run_experiment(Tiny{}, train, validation, optimizer, MSE{}, single));
    }
    const Leaderboard together = run_experiment(Tiny{}, train, validation, optimizer, MSE{}, options, world);
    CHECK(together.complete());
    CHECK(together.runs_trained == 6);
    CHECK(lines(log.str()) == 3);  // this rank's share of the 6 runs, one line each
    if (world.rank() == 0) {
        CHECK(losses_of(together) == alone);
        CHECK(fs::exists(options.out / "leaderboard.md"));
        CHECK(fs::exists(options.out / "leaderboard.csv"));
    }
    // Every rank returns all of it, the same.
    std::vector<double> means;
    for (const MemberResult& m : together.members) means.push_back(m.mean_loss);
    std::vector<double> root_means = means;
    world.broadcast(std::span<double>(root_means));
    CHECK(!world.any(means != root_means));

    SUBCASE("a second call reads every run back on both ranks") {
        const Leaderboard again = run_experiment(Tiny{}, train, validation, optimizer, MSE{}, options, world);
        CHECK(again.runs_resumed == 6);
        CHECK(again.runs_trained == 0);
        CHECK(losses_of(again) == losses_of(together));
    }
    world.any(false);  // both ranks have finished with the directory
    if (world.rank() == 0) fs::remove_all(root);
}

int main(int argc, char** argv) try {
    mpi::Environment environment(argc, argv);
    try {
        doctest::Context context(argc, argv);
        return context.run();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        throw;
    }
} catch (const std::exception&) {
    return 1;  // MPI_Init failed; after it, the environment has ended the job
}
