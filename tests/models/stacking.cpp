// Stacked autoencoders: layers pretrained in shallow models carry over, unchanged, into the deep model.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

using namespace latent;

namespace {
using Outer = Dense<12, 6, Sigmoid>;
using OuterBack = Dense<6, 12, Sigmoid>;
using Inner = Dense<6, 3, Sigmoid>;
using InnerBack = Dense<3, 6, Sigmoid>;
using First = Autoencoder<Sequential<Outer>, Sequential<OuterBack>>;
using Second = Autoencoder<Sequential<Inner>, Sequential<InnerBack>>;
using Deep = Autoencoder<Sequential<Outer, Inner>, Sequential<InnerBack, OuterBack>>;

Dataset<float> data(std::size_t n) {
    Rng rng{1};
    std::vector<float> values(n * 12);
    for (auto& v : values) v = float(rng.uniform());
    return Dataset<float>(std::move(values), 3, 4, std::vector<std::uint8_t>(n, 7));
}
}  // namespace

TEST_CASE("encode_dataset gives every sample's code, with its label") {
    const First first{2};
    const auto samples = data(50);
    const auto codes = encode_dataset(first, samples, 16);  // several batches
    REQUIRE(codes.size() == 50);
    CHECK(codes.sample_size() == 6);
    CHECK(codes.labels()[49] == 7);
    const Matrix<float> expected = first.encode(samples.batch(0, 50));
    CHECK(codes.batch(0, 50) == expected);
}

TEST_CASE("copy_layer moves pretrained layers into the deep model, which then encodes like the stack") {
    const First first{3};
    const Second second{4};
    Deep deep{5};
    copy_layer<0, 0>(deep, first);
    copy_layer<1, 0>(deep, second);
    copy_layer<2, 1>(deep, second);
    copy_layer<3, 1>(deep, first);
    CHECK(std::ranges::equal(deep.layer_parameters<0>(), first.layer_parameters<0>()));
    CHECK(std::ranges::equal(deep.layer_parameters<3>(), first.layer_parameters<1>()));
    const Matrix<float> x = data(8).batch(0, 8);
    CHECK((deep.encode(x) - second.encode(first.encode(x))).cwiseAbs().maxCoeff() < 1e-6f);
    CHECK((deep.reconstruct(x) - first.decode(second.reconstruct(first.encode(x)))).cwiseAbs().maxCoeff() < 1e-6f);
}

TEST_CASE("greedy pretraining then fine-tuning lowers the loss below the pretrained stack's") {
    const auto samples = data(256);
    auto quiet = [](std::size_t epochs) { return FitOptions{.epochs = epochs, .batch_size = 32, .verbosity = Verbosity::silent}; };
    First first{6};
    Trainer{first, Adam{{.learning_rate = 1e-2}}, MSE{}}.fit(samples, quiet(20));
    Second second{7};
    Trainer{second, Adam{{.learning_rate = 1e-2}}, MSE{}}.fit(encode_dataset(first, samples), quiet(20));
    Deep deep;
    copy_layer<0, 0>(deep, first);
    copy_layer<1, 0>(deep, second);
    copy_layer<2, 1>(deep, second);
    copy_layer<3, 1>(deep, first);
    Trainer fine_tuning{deep, Adam{{.learning_rate = 1e-3}}, MSE{}};
    const double pretrained = fine_tuning.evaluate(samples);
    fine_tuning.fit(samples, quiet(20));
    CHECK(fine_tuning.evaluate(samples) < pretrained);
}
