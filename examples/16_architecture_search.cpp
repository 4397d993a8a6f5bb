// Architecture search: 15 Dense autoencoders, code sizes {2, 3, 8, 16, 32} x encoder depths {1, 2, 3}
// (784-c, 784-128-c, 784-128-64-c, ReLU inside, decoders mirrored with a Sigmoid output), each trained on
// Fashion-MNIST with Adam 1e-3 and MSE for 5 epochs with 3 seeds. Writes the leaderboard (Markdown, CSV) and a
// picture of validation loss against parameters with the Pareto front; rerun, it resumes what it did not finish.
//
//   architecture_search [--epochs 5] [--seed 1] [--out out/architecture_search] [--data DIR] [--samples N]
//
// The seeds are --seed, --seed + 1 and --seed + 2. With --samples N it trains on the first N training images and
// validates on the first N test images (CTest's quick run).

#include "example_options.hpp"

#include <latent/experiments/family.hpp>
#include <latent/experiments/runner.hpp>
#include <latent/latent.hpp>
#include <latent/models/generators.hpp>

#include <algorithm>
#include <iostream>
#include <thread>
#include <type_traits>

using namespace latent;

// A member from its hidden widths and code size: the encoder DenseStack<ReLU, 784, hidden..., code> (linear code
// layer), the decoder its mirror with a Sigmoid output (AutoencoderFor).
template <class Hidden, std::size_t Code>
struct Funnel;
template <auto... Hidden, std::size_t Code>
struct Funnel<Values<Hidden...>, Code> {
    using type = AutoencoderFor<DenseStack<ReLU, 784, Hidden..., Code>>;
};
template <class Hidden, class Code>
using Member = typename Funnel<Hidden, Code::value>::type;

// Depths 1, 2 and 3 times the code sizes, the code varying fastest.
using Search = product_t<Member, Types<Values<>, Values<128>, Values<128, 64>>, Values<2, 3, 8, 16, 32>>;
static_assert(std::is_same_v<Search::member<0>, Autoencoder<Sequential<Dense<784, 2>>, Sequential<Dense<2, 784, Sigmoid>>>>);
static_assert(std::is_same_v<Search::member<14>,
                             Autoencoder<Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 32>>,
                                         Sequential<Dense<32, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>>>);
static_assert(Search::size == 15);

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/architecture_search"});
    const auto data = load_fashion_mnist(options.data);
    const std::size_t samples = options.samples ? std::min(options.samples, data.train.size()) : data.train.size();
    const auto train = data.train.slice(0, samples);
    const auto validation = data.test.slice(0, options.samples ? std::min(samples, data.test.size()) : data.test.size());

    ExperimentOptions experiment{.epochs = options.epochs, .batch_size = 64,
                                 .seeds = {options.seed, options.seed + 1, options.seed + 2}, .out = options.out,
                                 // The same figures on any number of threads; the timings are of this count.
                                 .threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4),
                                 .plot = false};  // drawn below, where a missing gnuplot is only a note
    std::cout << Search::size << " members x " << experiment.seeds.size() << " seeds, " << options.epochs
              << " epochs on " << train.size() << " images, validated on " << validation.size() << ", "
              << experiment.threads << " threads\n";
    const Leaderboard board =
        run_experiment(Search{}, train, validation, Adam{{.learning_rate = 1e-3}}, MSE{}, experiment);
    plot_or_explain([&] { save_leaderboard(options.out, board); });
    std::cout << "\n" << leaderboard_markdown(board) << "\nin " << options.out.string()
              << ": leaderboard.md, leaderboard.csv, pareto.png, models/ (each run's best weights), runs/\n";
    return board.complete() ? 0 : 1;
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
