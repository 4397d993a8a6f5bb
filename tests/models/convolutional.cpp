// Convolutional autoencoders: shapes bound through the list, the summary's per-layer image shapes, the
// whole model's gradients against finite differences, and model files that name the input shape.

#include "support/files.hpp"

#include <latent/latent.hpp>

#include <doctest/doctest.h>

using namespace latent;

namespace {
template <class B>
using Small = Autoencoder<Sequential<Input<1, 6, 6>, Conv2D<2, 3, Tanh>, MaxPool2D<2>, Flatten, Dense<18, 4, Tanh>>,
                          Sequential<Dense<4, 36, Sigmoid>, Reshape<1, 6, 6>>, B>;

// The seed model of the Keras tutorial.
using Encoder = Sequential<Input<1, 28, 28>, Conv2D<32, 3, ReLU>, MaxPool2D<2>, Conv2D<64, 3, ReLU>, MaxPool2D<2>, Flatten,
                           Dense<3136, 128, ReLU>>;
using Decoder = Sequential<Dense<128, 784, Sigmoid>, Reshape<1, 28, 28>>;
using Seed = Autoencoder<Encoder, Decoder>;
}  // namespace

static_assert(Seed::parameter_count == 521'488);  // PyTorch's count for the same layers
static_assert(Seed::input_size == 784 && Seed::code_size == 128 && Seed::depth == 8);
static_assert(std::is_same_v<Encoder::layer<3>::output_shape, Shape<64, 7, 7>>);
static_assert(std::is_same_v<Encoder::input_shape, Shape<1, 28, 28>> && std::is_same_v<Decoder::output_shape, Shape<1, 28, 28>>);

TEST_CASE("summary() shows each layer's output shape, channels x height x width") {
    const std::string text = Seed{1}.summary();
    CHECK(text.find("encoder.0  Conv2D<32, 3, ReLU>") != std::string::npos);
    CHECK(text.find("(batch, 32 x 28 x 28)") != std::string::npos);
    CHECK(text.find("(batch, 64 x 7 x 7)") != std::string::npos);
    CHECK(text.find("(batch, 3136)") != std::string::npos);
    CHECK(text.find("(batch, 1 x 28 x 28)") != std::string::npos);
    CHECK(text.find("Total params: 521,488") != std::string::npos);
}

TEST_CASE("whole-model gradients of a convolutional autoencoder match finite differences (double precision)") {
    Small<backend::basic_cpu<double>> model{5};
    SUBCASE("MSE") { CHECK(check_model_gradients(model, MSE{}, {.batch = 3, .tolerance = 1e-7}).passed()); }
    SUBCASE("BCE fused with the Sigmoid output") {
        CHECK(check_model_gradients(model, BCE{}, {.batch = 3, .tolerance = 1e-7}).passed());
    }
}

TEST_CASE("a convolutional model file names its input shape and round-trips bit for bit") {
    CHECK(Small<backend::cpu>::signature() ==
          "Autoencoder<Sequential<Input<1, 6, 6>, Conv2D<2, 3, Tanh>, MaxPool2D<2>, Flatten, Dense<18, 4, Tanh>>, "
          "Sequential<Dense<4, 36, Sigmoid>, Reshape<1, 6, 6>>>");
    testing::ScratchDirectory dir;
    const Small<backend::cpu> model{9};
    save_model(model, dir.path / "small.latent");
    const auto loaded = load_model<Small<backend::cpu>>(dir.path / "small.latent");
    CHECK(std::ranges::equal(loaded.parameters(), model.parameters()));

    // The same layers on a larger image are another architecture.
    using Wider = Autoencoder<Sequential<Input<1, 8, 6>, Conv2D<2, 3, Tanh>, MaxPool2D<2>, Flatten, Dense<24, 4, Tanh>>,
                              Sequential<Dense<4, 48, Sigmoid>, Reshape<1, 8, 6>>>;
    CHECK_THROWS_AS(load_model<Wider>(dir.path / "small.latent"), architecture_error);
}
