// Families as type lists: products of axes in a known order, filters and orderings by parameter count, FLOPs
// and activation memory, all computed at compile time; the members are the models one would write by hand.

#include <latent/latent.hpp>
#include <latent/experiments/family.hpp>
#include <latent/models/generators.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <type_traits>

using namespace latent;

namespace {

// Code sizes x hidden widths x activations: 3 x 2 x 2 = 12 autoencoders made from their encoders.
template <class Activation, class Hidden, std::size_t Code>
struct Funnel;
template <class Activation, auto... Hidden, std::size_t Code>
struct Funnel<Activation, Values<Hidden...>, Code> {
    using type = AutoencoderFor<DenseStack<Activation, 784, Hidden..., Code>>;
};
template <class Code, class Hidden, class Activation>
using Member = typename Funnel<Activation, Hidden, Code::value>::type;

using Grid = product_t<Member, Values<2, 3, 8>, Types<Values<256>, Values<128, 64>>, Types<ReLU, Tanh>>;
static_assert(Grid::size == 12);
// The last axis varies fastest.
static_assert(std::is_same_v<Grid::member<0>, AutoencoderFor<DenseStack<ReLU, 784, 256, 2>>>);
static_assert(std::is_same_v<Grid::member<1>, AutoencoderFor<DenseStack<Tanh, 784, 256, 2>>>);
static_assert(std::is_same_v<Grid::member<2>, AutoencoderFor<DenseStack<ReLU, 784, 128, 64, 2>>>);
static_assert(std::is_same_v<Grid::member<4>, AutoencoderFor<DenseStack<ReLU, 784, 256, 3>>>);
static_assert(std::is_same_v<Grid::member<11>, AutoencoderFor<DenseStack<Tanh, 784, 128, 64, 8>>>);

// One axis, a member template that is a class template.
static_assert(std::is_same_v<product_t<Family, Types<ReLU, Tanh>>, Family<Family<ReLU>, Family<Tanh>>>);

// Parameters: 784-256-c-256-784 has 2 x 784 x 256 + 784 + 2 x 256 + 513 c; 784-128-64-c-64-128-784 has
// 2 x (784 x 128 + 128 x 64) + 784 + 2 x (128 + 64) + 129 c.
constexpr std::size_t wide(std::size_t c) { return 2 * 784 * 256 + 784 + 2 * 256 + 513 * c; }
constexpr std::size_t deep(std::size_t c) { return 2 * (784 * 128 + 128 * 64) + 784 + 2 * (128 + 64) + 129 * c; }
static_assert(Grid::values<ParameterCount> == std::array<std::size_t, 12>{wide(2), wide(2), deep(2), deep(2), wide(3), wide(3),
                                                                          deep(3), deep(3), wide(8), wide(8), deep(8), deep(8)});

// Only the members under 250k parameters: the deep ones, in the grid's order.
using Small = filter_t<Grid, Below<ParameterCount, 250'000>>;
static_assert(Small::size == 6);
static_assert(std::is_same_v<Small, Family<Grid::member<2>, Grid::member<3>, Grid::member<6>, Grid::member<7>,
                                           Grid::member<10>, Grid::member<11>>>);
static_assert(std::is_same_v<filter_t<Grid, AtLeast<ParameterCount, 250'000>>,
                             Family<Grid::member<0>, Grid::member<1>, Grid::member<4>, Grid::member<5>,
                                    Grid::member<8>, Grid::member<9>>>);
static_assert(filter_t<Grid, Below<ParameterCount, deep(2)>>::size == 0);

// A predicate of one's own: the members whose code layer's rebuilding layer uses Tanh.
struct DecodesWithTanh {
    template <class Model>
    static constexpr bool value =
        std::is_same_v<output_activation_t<typename Model::decoder_type::template layer<0>>, Tanh>;
};
static_assert(std::is_same_v<filter_t<Small, DecodesWithTanh>, Family<Grid::member<3>, Grid::member<7>, Grid::member<11>>>);

// Sorted by FLOPs: ascending, and equal FLOPs (ReLU and Tanh twins) keep the grid's order.
using ByFlops = sort_by_t<Grid, FlopsPerSample>;
static_assert(ByFlops::size == Grid::size);
static_assert(std::ranges::is_sorted(ByFlops::values<FlopsPerSample>));
static_assert(std::is_same_v<ByFlops::member<0>, Grid::member<2>> && std::is_same_v<ByFlops::member<1>, Grid::member<3>>);
static_assert(std::is_same_v<ByFlops::member<11>, Grid::member<9>>);
static_assert(std::is_same_v<sort_by_t<Family<>, FlopsPerSample>, Family<>>);

// Activation memory: the values of every layer's output, per sample.
static_assert(Grid::member<0>::activation_size == 256 + 2 + 256 + 784);
static_assert(Grid::member<2>::activation_size == 128 + 64 + 2 + 64 + 128 + 784);
using ByMemory = sort_by_t<Small, ActivationSize>;
static_assert(ByMemory::values<ActivationSize> == std::array<std::size_t, 6>{1170, 1170, 1171, 1171, 1176, 1176});
static_assert(std::is_same_v<filter_t<ByMemory, Below<ActivationSize, 1171>>, Family<Grid::member<2>, Grid::member<3>>>);

}  // namespace

TEST_CASE("the members of a sorted, filtered product are the models their keys say") {
    using Cheapest = sort_by_t<filter_t<Grid, Below<ParameterCount, 250'000>>, FlopsPerSample>;
    CHECK(Cheapest::member<0>::signature() ==
          "Autoencoder<Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 2>>, "
          "Sequential<Dense<2, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>>");
    const Cheapest::member<Cheapest::size - 1> last{1};
    CHECK(last.parameters().size() == deep(8));
    CHECK(Cheapest::member<Cheapest::size - 1>::signature().find("Dense<64, 8>") != std::string::npos);
    CHECK(last.summary().find("Total params: 219,288") != std::string::npos);
}
