// run_experiment on a small family and small data: its figures are those of the members trained one by one with
// the same seeds, bit for bit; an interrupted experiment resumes without retraining what it finished; the records
// of another experiment, a damaged record and bad options are refused.

#include <latent/experiments/runner.hpp>
#include <latent/latent.hpp>

#include "support/files.hpp"
#include "support/tiny_family.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

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
    for (std::size_t i = 0; i < n; ++i) {  // two latent factors, so that a larger code helps
        const double a = rng.uniform(), b = rng.uniform();
        for (std::size_t k = 0; k < 6; ++k) v[i * 6 + k] = 0.1 + 0.4 * a * double(k % 3) / 2 + 0.4 * b * double(k / 3);
    }
    return Dataset<double>(std::move(v), 1, 6);
}

const Dataset<double> train_set = data(45, 7);
const Dataset<double> validation_set = data(17, 8);
const Adam<double> optimizer{{.learning_rate = 0.05}};

ExperimentOptions options(const fs::path& out, std::size_t max_runs = 0) {
    return {.epochs = 4, .batch_size = 8, .seeds = {3, 5}, .out = out, .max_runs = max_runs, .plot = false,
            .log = nullptr};
}

// The best validation loss of M trained alone with Trainer, as a user would.
template <class M>
double alone(std::uint64_t seed) {
    M model{seed};
    const History history = Trainer{model, optimizer, MSE{}}.fit(
        train_set, validation_set, {.epochs = 4, .batch_size = 8, .seed = seed, .verbosity = Verbosity::silent});
    double best = std::numeric_limits<double>::infinity();
    for (const EpochRecord& record : history.epochs) best = std::min(best, *record.validation_loss);
    return best;
}

std::string read_text(const fs::path& path) {
    const testing::Bytes bytes = testing::read_file(path);
    return {bytes.begin(), bytes.end()};
}
void write_text(const fs::path& path, const std::string& text) { testing::write_file(path, {text.begin(), text.end()}); }

const MemberResult& member(const Leaderboard& board, const std::string& name) {
    const auto found = std::ranges::find_if(board.members, [&](const MemberResult& m) { return m.info.name == name; });
    REQUIRE(found != board.members.end());
    return *found;
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

}  // namespace

TEST_CASE("run_experiment: the leaderboard's figures are those of the members trained one by one") {
    const testing::ScratchDirectory dir;
    const Leaderboard board = run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, options(dir.path));
    REQUIRE(board.complete());
    CHECK(board.runs_trained == 6);
    CHECK(board.runs_resumed == 0);
    REQUIRE(board.members.size() == 3);

    const MemberResult& code2 = member(board, "6-2 Tanh");
    const MemberResult& code3 = member(board, "6-3 Tanh");
    const MemberResult& deep2 = member(board, "6-4-2 ReLU");
    CHECK(code2.losses == std::vector<double>{alone<Code2>(3), alone<Code2>(5)});
    CHECK(code3.losses == std::vector<double>{alone<Code3>(3), alone<Code3>(5)});
    CHECK(deep2.losses == std::vector<double>{alone<Deep2>(3), alone<Deep2>(5)});
    CHECK(code3.info.parameters == Code3::parameter_count);
    CHECK(deep2.info.flops_per_sample == Deep2::flops_per_sample);
    CHECK(code2.info.signature == Code2::signature());
    // The seeds give different losses, so the mean and spread are not those of one run.
    CHECK(code2.losses[0] != code2.losses[1]);
    CHECK(code2.mean_loss == (code2.losses[0] + code2.losses[1]) / 2);
    CHECK(code2.loss_spread == doctest::Approx(std::abs(code2.losses[0] - code2.losses[1]) / std::sqrt(2.0)));
    for (std::size_t i = 1; i < board.members.size(); ++i)
        CHECK(board.members[i - 1].mean_loss <= board.members[i].mean_loss);
    // The fewest parameters (Code2) is always on the front, the lowest loss too.
    CHECK(code2.pareto);
    CHECK(board.members.front().pareto);
    CHECK(code2.seconds_per_epoch > 0);
    CHECK(code2.samples_per_second > 0);

    // The best seed's best weights: they give its best validation loss again.
    const double best = *std::ranges::min_element(code3.losses);
    Code3 loaded = load_model<Code3>(dir.path / code3.model_file);
    CHECK(Trainer{loaded, optimizer, MSE{}}.evaluate(validation_set, {.batch_size = 8}) == doctest::Approx(best).epsilon(1e-12));

    const std::string markdown = read_text(dir.path / "leaderboard.md");
    CHECK(markdown.find("| 1 | `" + board.members.front().info.name + "` |") != std::string::npos);
    const std::string csv = read_text(dir.path / "leaderboard.csv");
    CHECK(csv == leaderboard_csv(board));
    CHECK(csv.find(detail::number_text(code2.losses[0]) + ";" + detail::number_text(code2.losses[1])) != std::string::npos);
}

TEST_CASE("run_experiment: an interrupted experiment resumes where it stopped and ends as an uninterrupted one") {
    const testing::ScratchDirectory whole, interrupted;
    const Leaderboard reference =
        run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, options(whole.path));

    const Leaderboard first =
        run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, options(interrupted.path, 2));
    CHECK_FALSE(first.complete());
    CHECK(first.runs_trained == 2);
    CHECK(first.runs_left == 4);
    CHECK(first.members.size() == 1);  // the first member's two seeds
    CHECK(fs::exists(interrupted.path / "leaderboard.md"));

    // The models of the finished runs are not written again: their files keep their time.
    const fs::path model = interrupted.path / first.members.front().model_file;
    const auto written = fs::last_write_time(model);
    const Leaderboard second =
        run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, options(interrupted.path, 3));
    CHECK(second.runs_resumed == 2);
    CHECK(second.runs_trained == 3);
    CHECK(second.runs_left == 1);
    const Leaderboard last =
        run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, options(interrupted.path));
    CHECK(last.complete());
    CHECK(last.runs_resumed == 5);
    CHECK(last.runs_trained == 1);
    CHECK(fs::last_write_time(model) == written);
    CHECK(losses_of(last) == losses_of(reference));

    SUBCASE("the runs of another experiment in the same directory are refused") {
        ExperimentOptions other = options(interrupted.path);
        other.epochs = 3;
        CHECK_THROWS_WITH_AS(run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, other),
                             doctest::Contains("records a run of another experiment: expected fingerprint"),
                             argument_error);
        CHECK_THROWS_AS(run_experiment(Tiny{}, train_set, validation_set, Adam<double>{{.learning_rate = 0.01}},
                                       MSE{}, options(interrupted.path)),
                        argument_error);
    }
    SUBCASE("a damaged run record is refused, naming it") {
        const fs::path record = interrupted.path / "runs" / "m0-6-2_Tanh-seed3.run";
        REQUIRE(fs::exists(record));
        std::string text = read_text(record);
        text.replace(text.find("best_epoch"), 4, "last");
        write_text(record, text);
        CHECK_THROWS_WITH_AS(run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, options(interrupted.path)),
                             doctest::Contains("m0-6-2_Tanh-seed3.run is not a run record: expected line 6 to start "
                                               "with \"best_epoch\", found \"last_epoch"),
                             format_error);
    }
}

TEST_CASE("run_experiment: bad options are refused, naming what was expected and found") {
    const testing::ScratchDirectory dir;
    auto with = [&](auto change) {
        ExperimentOptions o = options(dir.path);
        change(o);
        return o;
    };
    auto run = [&](const ExperimentOptions& o) {
        return run_experiment(Tiny{}, train_set, validation_set, optimizer, MSE{}, o);
    };
    CHECK_THROWS_WITH_AS(run(with([](auto& o) { o.seeds = {}; })),
                         "latent::run_experiment: expected at least one seed, found none", argument_error);
    CHECK_THROWS_WITH_AS(run(with([](auto& o) { o.seeds = {1, 2, 1}; })),
                         "latent::run_experiment: expected distinct seeds, found 1 twice", argument_error);
    CHECK_THROWS_WITH_AS(run(with([](auto& o) { o.out.clear(); })),
                         "latent::run_experiment: expected a directory in ExperimentOptions::out, found an empty path",
                         argument_error);
    CHECK_THROWS_WITH_AS(run(with([](auto& o) { o.epochs = 0; })),
                         "latent::run_experiment: expected epochs >= 1, found 0", argument_error);
    CHECK_FALSE(fs::exists(dir.path / "runs"));
}

TEST_CASE("pareto_front: a point is on it unless another is as good in both and better in one") {
    const std::vector<double> x{1, 2, 2, 4, 8}, y{5, 3, 4, 3, 1};
    CHECK(detail::pareto_front(x, y) == std::vector<bool>{true, true, false, false, true});
}

TEST_CASE("save_leaderboard draws loss against parameters with the Pareto front") {
    const testing::ScratchDirectory dir;
    Leaderboard board;
    board.members.push_back({{"6-2 Tanh", "a", 32, 60}, {0.1, 0.12}, 0.11, 0.014, 3, 0.01, 1000, true, "m.latent"});
    board.members.push_back({{"6-4-2 ReLU", "b", 70, 130}, {0.2}, 0.2, 0, 3, 0.02, 800, false, "n.latent"});
    try {
        save_leaderboard(dir.path, board);
    } catch (const tool_error& e) {
        MESSAGE("gnuplot is missing: " << e.what());
        return;
    }
    CHECK(fs::file_size(dir.path / "pareto.png") > 1000);
    CHECK(read_text(dir.path / "pareto.csv") == "name,x,y,spread,on_front\n6-2 Tanh,32,0.11,0.014,1\n"
                                                         "6-4-2 ReLU,70,0.2,0,0\n");
}
