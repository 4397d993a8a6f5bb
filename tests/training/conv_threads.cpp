// Thread-count determinism of a conv model: the convolutions' per-sample work (Winograd transforms, im2col
// gathers and scatters, activations), pooling and the bias gradients are split over threads by samples, and the
// weights after training must be bitwise those of one thread.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

using namespace latent;

namespace {

// The second convolution takes the Winograd path, the first im2col.
using ConvModel = Autoencoder<Sequential<Input<1, 16, 16>, Conv2D<8, 3, ReLU>, MaxPool2D<2>, Conv2D<16, 3, ReLU>, Flatten,
                                         Dense<1024, 16, ReLU>>,
                              Sequential<Dense<16, 256, Sigmoid>, Reshape<1, 16, 16>>>;
static_assert(detail::winograd_fits<ConvModel::encoder_type::layer<2>> &&
              !detail::winograd_fits<ConvModel::encoder_type::layer<0>>);

std::vector<float> train_conv(std::size_t threads) {
    Rng rng{6};
    std::vector<float> v(96 * 256);
    for (float& x : v) x = float(rng.uniform());
    ConvModel model{4};
    Trainer trainer{model, Adam{{.learning_rate = 1e-3}}, MSE{}};
    trainer.fit(Dataset<float>(std::move(v), 16, 16),
                {.epochs = 2, .batch_size = 32, .seed = 2, .verbosity = Verbosity::silent, .threads = threads});
    return {model.parameters().begin(), model.parameters().end()};
}

}  // namespace

TEST_CASE("a conv model trains to bitwise the weights of one thread on any thread count") {
    const auto one = train_conv(1);
    for (std::size_t threads : {2, 3}) {
        const auto many = train_conv(threads);
        REQUIRE(many.size() == one.size());
        CHECK(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)) == 0);
    }
}
