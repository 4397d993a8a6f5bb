#pragma once
// run_experiment: trains every member of a Family with the same data, optimizer, loss, epochs and seeds, and
// writes a leaderboard (experiments/leaderboard.hpp). Each finished (member, seed) run leaves a record and its best
// model in the experiment's directory, so that an interrupted experiment resumes where it stopped. Over several
// processes (a Communicator such as latent::mpi::Communicator) the runs are dealt out round-robin, each process
// trains its share alone, and rank 0 writes the results.
//
// Compile cost: a member instantiates one function template, train_member<M>, which holds its trainer and its
// model file; the loop over runs, the records, the tables and the picture are compiled once for every family.

#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"
#include "latent/experiments/family.hpp"
#include "latent/experiments/leaderboard.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/io/model_file.hpp"
#include "latent/losses/loss.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/training/communicator.hpp"
#include "latent/training/history.hpp"
#include "latent/training/options.hpp"
#include "latent/training/trainer.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace latent {

/// How run_experiment trains each member: the same epochs, batch size and seeds for all.
struct ExperimentOptions {
    std::size_t epochs = 5;
    std::size_t batch_size = 64;
    std::vector<std::uint64_t> seeds{1, 2, 3};  ///< each member is trained once per seed (model and shuffling)
    std::filesystem::path out{};                ///< the experiment's directory: run records, models, leaderboard
    std::size_t threads = 1;                    ///< CPU threads per run, this one included
    std::size_t max_runs = 0;  ///< train at most this many runs in this call, 0: all; the rest resume in the next
    bool plot = true;          ///< draw pareto.png (needs gnuplot)
    std::ostream* log = &std::cout;  ///< one line per run; nullptr: silent
};

namespace detail {

/// What train_member receives: everything but the member's type, so that one loop serves every member.
struct MemberJob {
    const void* train;       ///< const Dataset<E>*
    const void* validation;  ///< const Dataset<E>*
    const void* optimizer;   ///< const O*, copied for each run
    const void* loss;        ///< const L*
    FitOptions fit;
    std::filesystem::path model_file;
};

/// The figures of a finished run, after writing its best model.
inline RunResult finish_run(const History& history, std::span<const std::uint8_t> best_model,
                            const std::filesystem::path& model_file, std::size_t member, std::uint64_t seed) {
    RunResult run{member, seed, std::numeric_limits<double>::infinity(), 0, 0, 0, false};
    double seconds = 0, samples = 0;
    for (const EpochRecord& record : history.epochs) {
        if (*record.validation_loss < run.best_validation_loss) {
            run.best_validation_loss = *record.validation_loss;
            run.best_epoch = record.epoch;
        }
        seconds += record.seconds;
        samples += record.samples_per_second * record.seconds;
    }
    if (best_model.empty())
        throw numerical_error("latent::run_experiment: member " + std::to_string(member) + " with seed " +
                              std::to_string(seed) + ": expected a finite validation loss in some epoch, found none");
    run.seconds_per_epoch = seconds / double(history.epochs.size());
    run.samples_per_second = seconds > 0 ? samples / seconds : 0;
    AtomicFile file(model_file);
    file.write(best_model.data(), best_model.size());
    file.commit();
    return run;
}

/// Trains member M with one seed; its best epoch's weights go to job.model_file (atomically).
template <class M, class O, class L, class E>
RunResult train_member(const MemberJob& job, std::size_t member) {
    const auto& train = *static_cast<const Dataset<E>*>(job.train);
    const auto& validation = *static_cast<const Dataset<E>*>(job.validation);
    M model{job.fit.seed};
    Trainer trainer{model, *static_cast<const O*>(job.optimizer), *static_cast<const L*>(job.loss)};
    double best = std::numeric_limits<double>::infinity();
    std::vector<std::uint8_t> best_model;
    trainer.on_epoch_end([&](const EpochRecord& record) {
        if (*record.validation_loss < best) {
            best = *record.validation_loss;
            best_model = serialize_model(model);
        }
    });
    const History history = trainer.fit(train, validation, job.fit);
    return finish_run(history, best_model, job.model_file, member, job.fit.seed);
}

using MemberTrainer = RunResult (*)(const MemberJob&, std::size_t);

/// What the loop needs of a Communicator, without its type.
struct Collective {
    std::size_t rank = 0;
    std::size_t size = 1;
    std::function<void(std::span<double>)> sum;
    std::function<bool(bool)> any;
};

/// The runs of every member and seed: those recorded by earlier calls are read back, this process trains its share
/// of the others, and every process gets all the figures.
inline Leaderboard run_members(std::span<const MemberInfo> members, std::span<const MemberTrainer> trainers,
                               MemberJob job, std::string_view description, const ExperimentOptions& options,
                               const Collective& group) {
    const std::size_t seed_count = options.seeds.size();
    const std::size_t jobs = members.size() * seed_count;
    const std::uint64_t experiment = fingerprint(description);
    const std::filesystem::path runs_directory = options.out / "runs", models_directory = options.out / "models";
    std::filesystem::create_directories(runs_directory);
    std::filesystem::create_directories(models_directory);

    // Each process fills the slots of its own runs; the sum gives everyone all of them (0 + x is exact).
    constexpr std::size_t fields = 6;  // finished, resumed, loss, best epoch, seconds per epoch, samples per second
    std::vector<double> slots(jobs * fields, 0.0);
    std::size_t trained = 0;
    std::exception_ptr failure;
    for (std::size_t index = group.rank; index < jobs; index += group.size) {
        const std::size_t m = index / seed_count;
        const std::uint64_t seed = options.seeds[index % seed_count];
        const std::string stem = joined({file_stem(m, members[m].name), "-seed", std::to_string(seed)});
        const std::filesystem::path record = runs_directory / (stem + ".run");
        RunResult run;
        // Every process must meet the others in any() below, also when this one fails (a run, or another
        // experiment's record): the failure is rethrown there.
        try {
            if (std::filesystem::exists(record)) {
                run = read_run_record(record, experiment, m, seed);
            } else {
                if (options.max_runs != 0 && trained == options.max_runs) continue;
                job.fit.seed = seed;
                job.model_file = models_directory / (stem + ".latent");
                run = trainers[m](job, m);
                write_run_record(record, experiment, run);
                ++trained;
                if (options.log)
                    *options.log << "[" << (index + 1) << "/" << jobs << "] " << members[m].name << ", seed " << seed
                                 << ": best validation loss " << rounded(run.best_validation_loss, 6) << " (epoch "
                                 << run.best_epoch << "), " << rounded(run.seconds_per_epoch, 3) << " s/epoch"
                                 << std::endl;
            }
        } catch (...) {
            failure = std::current_exception();
            break;
        }
        double* slot = slots.data() + index * fields;
        slot[0] = 1;
        slot[1] = run.resumed ? 1 : 0;
        slot[2] = run.best_validation_loss;
        slot[3] = double(run.best_epoch);
        slot[4] = run.seconds_per_epoch;
        slot[5] = run.samples_per_second;
    }
    if (group.any(failure != nullptr)) {
        if (failure) std::rethrow_exception(failure);
        throw error("latent::run_experiment: a run on another process failed (its message is in that process's "
                    "output); the finished runs are recorded and resume");
    }
    group.sum(slots);

    std::vector<RunResult> runs(jobs);
    std::vector<char> finished(jobs);
    for (std::size_t index = 0; index < jobs; ++index) {
        const double* slot = slots.data() + index * fields;
        finished[index] = slot[0] == 1;
        runs[index] = {index / seed_count, options.seeds[index % seed_count], slot[2], std::size_t(slot[3]), slot[4],
                       slot[5], slot[1] == 1};
    }
    Leaderboard board = summarise(members, options.seeds, runs, finished);
    if (group.rank == 0) save_leaderboard(options.out, board, options.plot);
    return board;
}

/// Checks the options; throws argument_error naming the one that is wrong.
inline void check_experiment_options(const ExperimentOptions& options, std::size_t members) {
    auto fail = [](const std::string& what) { throw argument_error("latent::run_experiment: " + what); };
    if (members == 0) fail("expected a family of at least one member, found none");
    if (options.seeds.empty()) fail("expected at least one seed, found none");
    for (std::size_t i = 0; i < options.seeds.size(); ++i)
        for (std::size_t j = i + 1; j < options.seeds.size(); ++j)
            if (options.seeds[i] == options.seeds[j])
                fail("expected distinct seeds, found " + std::to_string(options.seeds[i]) + " twice");
    if (options.out.empty()) fail("expected a directory in ExperimentOptions::out, found an empty path");
    if (options.epochs == 0) fail("expected epochs >= 1, found 0");
}

/// Names members by the shapes their encoder maps: "784-128-3", "1x28x28-16x14x14-3"; the first layer's
/// activation is appended where known. Repeated names get " #2", " #3".
inline void make_names_unique(std::vector<MemberInfo>& members) {
    for (std::size_t i = 0; i < members.size(); ++i) {
        std::size_t repeats = 1;
        for (std::size_t j = 0; j < i; ++j)
            if (members[j].name == members[i].name || members[j].name.starts_with(members[i].name + " #")) ++repeats;
        if (repeats > 1) {
            members[i].name += " #";
            members[i].name += std::to_string(repeats);
        }
    }
}

template <class Shape>
std::string shape_text() {
    std::string text = Shape::to_string();
    std::string compact;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] != ' ') compact += text[i];
    return compact;  // "32 x 14 x 14" -> "32x14x14"
}

/// A member's short name: its encoder's shapes, and the activation of its first layer when it names one.
template <class M>
std::string member_name() {
    using Encoder = typename M::encoder_type;
    std::string name = shape_text<typename Encoder::input_shape>();
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((name += '-', name += shape_text<typename Encoder::template layer<I>::output_shape>()), ...);
    }(std::make_index_sequence<Encoder::depth>{});
    using First = typename Encoder::template layer<0>;
    if constexpr (requires { First::activation::name(); }) {
        name += ' ';
        name += First::activation::name();
    }
    return name;
}

template <class M>
MemberInfo member_info() {
    return {member_name<M>(), M::signature(), M::parameter_count, M::flops_per_sample};
}

}  // namespace detail

/// Trains every member of the family on `train`, with the validation loss on `validation` after every epoch, once
/// per seed of options.seeds (the seed initialises the model and drives the shuffling, so a member trained alone
/// with Trainer and the same seed reaches the same losses bit for bit). Writes into options.out:
/// runs/m{i}-{member}-seed{k}.run, one record per finished run; models/m{i}-{member}-seed{k}.latent, that run's
/// best epoch's weights; and, from rank 0, leaderboard.md, leaderboard.csv and pareto.png (with pareto.csv).
/// Runs recorded in options.out by an earlier call with the same family, options, data sizes and optimizer are read
/// back rather than trained again: an interrupted experiment resumes where it stopped.
/// With a communicator of several processes, every process must call it with the same arguments; runs are dealt
/// out round-robin (run i to rank i mod size), and every process returns the whole leaderboard.
/// throws: argument_error (bad options, or options.out holding another experiment's runs), format_error (a damaged
/// run record), the trainer's errors, file_error, tool_error (gnuplot, after the tables are written).
template <class... Ms, Optimizer O, Loss L, class E, class C = SingleProcess>
    requires Communicator<C, double>
Leaderboard run_experiment(Family<Ms...>, const Dataset<E>& train, const Dataset<E>& validation, const O& optimizer,
                           const L& loss, const ExperimentOptions& options, C communicator = {}) {
    detail::check_experiment_options(options, sizeof...(Ms));
    std::vector<MemberInfo> members{detail::member_info<Ms>()...};
    detail::make_names_unique(members);
    static constexpr std::array<detail::MemberTrainer, sizeof...(Ms)> trainers{
        &detail::train_member<Ms, O, L, E>...};

    // What a run's record must match to be reused: the members, the options that change the figures, the data
    // sizes, the optimizer and the loss.
    std::string description;
    for (const MemberInfo& member : members) description += member.signature + "\n";
    description += detail::joined({"epochs ", std::to_string(options.epochs), " batch ", std::to_string(options.batch_size),
                                   " train ", std::to_string(train.size()), " validation ",
                                   std::to_string(validation.size()), " optimizer ", O::name(), " ",
                                   detail::number_text(optimizer.learning_rate()), " loss ", L::name()});
    if constexpr (StatefulOptimizer<O>) {
        OptimizerState<typename O::scalar> state;
        optimizer.save_state(state);
        description += ' ';
        description += state.settings;
    }

    detail::MemberJob job{&train, &validation, &optimizer, &loss,
                          {.epochs = options.epochs, .batch_size = options.batch_size, .verbosity = Verbosity::silent,
                           .threads = options.threads},
                          {}};
    const detail::Collective group{communicator.rank(), communicator.size(),
                                   [&](std::span<double> values) { communicator.sum(values); },
                                   [&](bool flag) { return communicator.any(flag); }};
    return detail::run_members(members, trainers, std::move(job), description, options, group);
}

}  // namespace latent
