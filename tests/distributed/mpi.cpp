// Data-parallel training over MPI, run by CTest under mpirun with 2 processes (label mpi). Every process runs
// every test case: the collectives must meet. Two ranks train the weights one process trains, up to the order of
// the sums (and bit for bit again with a fixed reduction order); only rank 0 prints and writes checkpoints; a
// resumed run ends where the uninterrupted one does. Run with the argument `kill` or `throw`, rank 1 dies or
// throws in the second epoch of a long run: the CTest tests around those runs check that the job ends with an
// error within a bounded time instead of hanging.

#define DOCTEST_CONFIG_IMPLEMENT
#include <latent/mpi.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace latent;
namespace fs = std::filesystem;

namespace {

using Tiny = Autoencoder<Sequential<Dense<6, 3, Tanh>>, Sequential<Dense<3, 6, Sigmoid>>, backend::basic_cpu<double>>;
using Vae = VariationalAutoencoder<Sequential<Dense<6, 4, ReLU>, Dense<4, 4>, GaussianSample<2>>,
                                   Sequential<Dense<2, 6, Sigmoid>>, backend::basic_cpu<double>>;

// 37 samples: batches of 8 end with one of 5, so the ranks' shares differ (4 and 4, then 2 and 3).
Dataset<double> data(std::size_t n = 37) {
    Rng rng{11};
    std::vector<double> v(n * 6);
    for (double& x : v) x = 0.1 + 0.8 * rng.uniform();
    return Dataset<double>(std::move(v), 1, 6);
}

FitOptions options(std::size_t epochs, FitOptions extra = {}) {
    extra.epochs = epochs;
    extra.batch_size = 8;
    extra.seed = 5;
    extra.verbosity = Verbosity::silent;
    return extra;
}

std::vector<double> weights(Tiny& model) { return {model.parameters().begin(), model.parameters().end()}; }

// Weights after training `epochs` with `communicator` (one process when it is SingleProcess).
template <class C>
std::vector<double> train(C communicator, FitOptions o, const Dataset<double>& set = data()) {
    Tiny model{3};
    Trainer trainer{model, Adam<double>{{.learning_rate = 0.05}}, MSE{}, std::move(communicator)};
    trainer.fit(set, o);
    return weights(model);
}

double max_difference(const std::vector<double>& a, const std::vector<double>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// Whether every process holds the same bits in `values` as rank 0.
bool same_on_every_rank(std::vector<double> values) {
    mpi::Communicator world;
    std::vector<double> root = values;
    world.broadcast(std::span<double>(root));
    return !world.any(!bitwise_equal(values, root));
}

}  // namespace

TEST_CASE("mpi: the communicator sums, broadcasts and agrees across the processes") {
    for (const auto reduction : {mpi::Reduction::allreduce, mpi::Reduction::fixed_order}) {
        mpi::Communicator world(MPI_COMM_WORLD, reduction);
        REQUIRE(world.size() == 2);
        std::vector<float> values{float(world.rank() + 1), 0.5f};
        world.sum(std::span<float>(values));
        CHECK(values == std::vector<float>{3, 1});
        std::vector<std::uint64_t> words{world.rank() == 0 ? 7u : 9u};
        world.broadcast(std::span<std::uint64_t>(words));
        CHECK(words[0] == 7);
        CHECK(world.any(world.rank() == 1));
        CHECK_FALSE(world.any(false));
        CHECK(world.communication_seconds() > 0);
    }
}

TEST_CASE("mpi: where MPI returns errors, a failed call throws communication_error naming it") {
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);  // errors on MPI_COMM_NULL go to MPI_COMM_WORLD's
    CHECK_THROWS_WITH_AS(mpi::Communicator(MPI_COMM_NULL),
                         doctest::Contains("latent::mpi: expected MPI_Comm_rank to succeed, found the error: "),
                         mpi::communication_error);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

TEST_CASE("mpi: two processes train the weights one process does, up to the order of the sums") {
    const std::vector<double> alone = train(single_process, options(4));
    const std::vector<double> initial = [] { Tiny model{3}; return weights(model); }();
    const std::vector<double> together = train(mpi::Communicator{}, options(4));
    // Not vacuous: training moved the weights by far more than the bound.
    CHECK(max_difference(alone, initial) > 0.05);
    CHECK(max_difference(alone, together) < 1e-12);
    CHECK(same_on_every_rank(together));

    SUBCASE("with a fixed reduction order, bit for bit from run to run and on every rank") {
        const mpi::Communicator fixed(MPI_COMM_WORLD, mpi::Reduction::fixed_order);
        const std::vector<double> first = train(fixed, options(4));
        const std::vector<double> second = train(fixed, options(4));
        CHECK(bitwise_equal(first, second));
        CHECK(same_on_every_rank(first));
        CHECK(max_difference(alone, first) < 1e-12);
    }
    SUBCASE("with denoising noise: each process corrupts the batch as one process would") {
        const FitOptions noisy = options(4, {.corruption = GaussianNoise{0.2}});
        const std::vector<double> noisy_alone = train(single_process, noisy);
        CHECK(max_difference(noisy_alone, alone) > 1e-3);
        CHECK(max_difference(noisy_alone, train(mpi::Communicator{}, noisy)) < 1e-12);
    }
    SUBCASE("with a validation split, both report the same losses") {
        Tiny model{3}, other{3};
        const FitOptions o = options(3, {.validation_split = 0.25});
        const History one = Trainer{model, Adam<double>{{.learning_rate = 0.05}}, MSE{}}.fit(data(), o);
        const History two =
            Trainer{other, Adam<double>{{.learning_rate = 0.05}}, MSE{}, mpi::Communicator{}}.fit(data(), o);
        REQUIRE(two.epochs.size() == 3);
        for (std::size_t e = 0; e < 3; ++e) {
            CHECK(two.epochs[e].train_loss == doctest::Approx(one.epochs[e].train_loss).epsilon(1e-12));
            CHECK(*two.epochs[e].validation_loss == doctest::Approx(*one.epochs[e].validation_loss).epsilon(1e-12));
        }
    }
}

TEST_CASE("mpi: a batch smaller than the process count leaves a process without samples, not wrong") {
    // 9 samples in batches of 8: the last batch has 1 sample, which rank 1 takes; rank 0's share is empty.
    const Dataset<double> nine = data(9);
    const std::vector<double> alone = train(single_process, options(3), nine);
    CHECK(max_difference(alone, train(mpi::Communicator{}, options(3), nine)) < 1e-12);
}

TEST_CASE("mpi: rank 0 alone prints and writes checkpoints; a resumed run ends where an uninterrupted one does") {
    mpi::Communicator world;
    const fs::path mine = "mpi_checkpoint_rank" + std::to_string(world.rank()) + ".ckpt";
    const fs::path rank0 = "mpi_checkpoint_rank0.ckpt";
    fs::remove(mine);
    world.any(false);  // no rank looks for the files before every rank has removed its own

    std::ostringstream out;
    FitOptions printing = options(4);
    printing.verbosity = Verbosity::per_epoch;
    printing.out = &out;
    const std::vector<double> uninterrupted =
        train(mpi::Communicator(MPI_COMM_WORLD, mpi::Reduction::fixed_order), printing);
    const std::vector<double> first_half =
        train(mpi::Communicator(MPI_COMM_WORLD, mpi::Reduction::fixed_order), options(2, {.checkpoint = mine}));
    CHECK(fs::exists(mine) == (world.rank() == 0));
    if (world.rank() == 0)
        CHECK(out.str().find("Epoch 4/4") != std::string::npos);
    else
        CHECK(out.str().empty());

    world.any(false);  // rank 0's checkpoint is complete before rank 1 reads it
    const std::vector<double> resumed =
        train(mpi::Communicator(MPI_COMM_WORLD, mpi::Reduction::fixed_order), options(4, {.resume_from = rank0}));
    CHECK_FALSE(bitwise_equal(first_half, uninterrupted));
    CHECK(bitwise_equal(resumed, uninterrupted));
    world.any(false);
    fs::remove(mine);
}

TEST_CASE("mpi: a VAE samples per process, from streams that a resumed run draws exactly as an uninterrupted one") {
    mpi::Communicator world;
    const fs::path mine = "mpi_vae_rank" + std::to_string(world.rank()) + ".ckpt";
    const fs::path rank0 = "mpi_vae_rank0.ckpt";
    auto run = [](auto communicator, std::size_t epochs, FitOptions extra) {
        Vae vae{1};
        Trainer trainer{vae, Adam<double>{{.learning_rate = 2e-2}}, BCE{.reduction = Reduction::sum_per_sample},
                        communicator};
        trainer.fit(data(), options(epochs, extra));
        return std::vector<double>(vae.parameters().begin(), vae.parameters().end());
    };
    const std::vector<double> uninterrupted = run(mpi::Communicator{}, 4, {});
    run(mpi::Communicator{}, 2, {.checkpoint = mine});
    world.any(false);  // rank 0's checkpoint is complete before rank 1 reads it
    CHECK(bitwise_equal(run(mpi::Communicator{}, 4, {.resume_from = rank0}), uninterrupted));
    CHECK(same_on_every_rank(uninterrupted));
    // Each process draws for its own share: one process alone draws otherwise, so its weights differ.
    CHECK(max_difference(run(single_process, 4, {}), uninterrupted) > 1e-6);
    world.any(false);
    fs::remove(mine);
}

TEST_CASE("mpi: BatchNorm normalises each process's share, and the processes agree bit for bit on the running statistics") {
    // 37 samples in batches of 8: every share holds at least 2 samples, as a training BatchNorm needs.
    using Normed = Autoencoder<Sequential<Dense<6, 4, Tanh>, BatchNorm<>>, Sequential<Dense<4, 6, Sigmoid>>,
                               backend::basic_cpu<double>>;
    auto run = [](auto communicator) {
        Normed model{3};
        Trainer trainer{model, Adam<double>{{.learning_rate = 0.05}}, MSE{}, communicator};
        trainer.fit(data(), options(3, {.validation_split = 0.2}));
        return model;
    };
    const Normed together = run(mpi::Communicator{});
    const std::vector<double> buffers(together.buffers().begin(), together.buffers().end());
    CHECK(same_on_every_rank(buffers));
    CHECK(same_on_every_rank({together.parameters().begin(), together.parameters().end()}));
    // Not vacuous: the running statistics moved away from their initial values (mean 0, variance 1).
    CHECK(std::abs(buffers[0]) > 1e-3);
    CHECK(std::abs(buffers[4] - 1) > 1e-3);
    // Each process normalised its own share with its own statistics: one process alone trains another model.
    const Normed alone = run(single_process);
    CHECK(max_difference({alone.parameters().begin(), alone.parameters().end()},
                         {together.parameters().begin(), together.parameters().end()}) > 1e-6);
}

TEST_CASE("mpi: processes given different settings all refuse to train, naming the difference") {
    mpi::Communicator world;
    Tiny model{3};
    Trainer trainer{model, Adam<double>{}, MSE{}, mpi::Communicator{}};
    FitOptions o = options(2);
    o.seed = world.rank() == 0 ? 5 : 6;
    if (world.rank() == 1)
        CHECK_THROWS_WITH_AS(trainer.fit(data(), o),
                             "latent::Trainer::fit: expected every process to train the same run, found rank 1 with "
                             "seed 6 (rank 0: 5)",
                             argument_error);
    else
        CHECK_THROWS_WITH_AS(trainer.fit(data(), o),
                             "latent::Trainer::fit: expected every process to train the same run, found another "
                             "process with other settings",
                             argument_error);
}

TEST_CASE("mpi: a callback that stops one process stops them all after the same epoch") {
    mpi::Communicator world;
    Tiny model{3};
    Trainer trainer{model, Adam<double>{}, MSE{}, mpi::Communicator{}};
    trainer.on_epoch_end([&](const EpochRecord& r) {
        return world.rank() == 1 && r.epoch == 2 ? Control::stop : Control::proceed;
    });
    CHECK(trainer.fit(data(), options(5)).epochs.size() == 2);
}

namespace {

// A long run in which rank 1 dies (SIGKILL) or throws in epoch 2; rank 0 prints "finished" if it ever ends.
int failing_run(bool kill) {
    mpi::Communicator world;
    Tiny model{3};
    Trainer trainer{model, Adam<double>{}, MSE{}, mpi::Communicator{}};
    trainer.on_epoch_end([&](const EpochRecord& r) {
        if (world.rank() == 1 && r.epoch == 2) {
            if (kill) std::raise(SIGKILL);
            throw file_error("rank 1 failed on purpose");
        }
    });
    trainer.fit(data(), options(1'000'000));
    std::cout << "finished\n";
    return 0;
}

}  // namespace

// An exception that leaves the Environment's scope (rank 1's, in the `throw` run) ends the whole job.
int main(int argc, char** argv) try {
    mpi::Environment environment(argc, argv);
    try {
        const std::string_view mode = argc == 2 ? argv[1] : "";
        if (mode == "kill" || mode == "throw") return failing_run(mode == "kill");
        doctest::Context context(argc, argv);
        return context.run();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        throw;
    }
} catch (const std::exception&) {
    return 1;  // MPI_Init failed; after it, the environment has ended the job
}
