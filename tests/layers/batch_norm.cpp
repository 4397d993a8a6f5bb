// BatchNorm: forward, backward and running statistics against PyTorch's BatchNorm2d and BatchNorm1d (reference
// figures from torch 1.13 in float64, pasted below), gradients against finite differences, the train / inference
// switch, and the running statistics as buffers: updated by fit(), saved in model files and checkpoints, untouched
// by the optimizer and by gradient checks, shown as non-trainable in summaries.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include "support/files.hpp"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace latent;

namespace {

using Image = Bound<BatchNorm<>, Shape<2, 2, 3>>;
using Flat = Bound<BatchNorm<1, 4, 1, 1000>, Shape<3>>;  // momentum 0.25, epsilon 1e-3
static_assert(Image::parameter_count == 4 && Image::buffer_count == 4 && Image::positions == 6);
static_assert(Flat::parameter_count == 6 && Flat::buffer_count == 6 && Flat::positions == 1);
static_assert(std::is_same_v<Image::output_shape, Shape<2, 2, 3>>);
static_assert(buffer_count_of<Dense<3, 2>> == 0 && buffer_count_of<Image> == 4);

using Listed = Sequential<Input<2, 4, 4>, Conv2D<3, 3, ReLU>, BatchNorm<>, Flatten, Dense<48, 5>, BatchNorm<>>;
static_assert(Listed::buffer_count == 6 + 10 && Listed::parameter_count == 3 * 18 + 3 + 6 + 48 * 5 + 5 + 10);
static_assert(Listed::buffer_offsets[1] == 0 && Listed::buffer_offsets[2] == 6 && Listed::buffer_offsets[4] == 6);
static_assert(Sequential<Dense<3, 2>>::buffer_count == 0);

// The inputs of the PyTorch script: sin(0.7 k + 0.3 + shift) (1 + c) + 0.5 c for value k of the batch (sample after
// sample), c its channel.
template <class L>
Matrix<double> inputs(Eigen::Index n, double shift) {
    constexpr std::size_t size = L::input_shape::size;
    Matrix<double> x(Eigen::Index(size), n);
    for (Eigen::Index j = 0; j < n; ++j)
        for (std::size_t i = 0; i < size; ++i) {
            const double c = double(i / L::positions);
            x(Eigen::Index(i), j) = std::sin(0.7 * double(std::size_t(j) * size + i) + 0.3 + shift) * (1 + c) + 0.5 * c;
        }
    return x;
}

void check_close(const double* found, const std::vector<double>& expected) {
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("value " << i);
        CHECK(found[i] == doctest::Approx(expected[i]).epsilon(1e-12));
    }
}

struct Reference {
    std::vector<double> y_train, dx, dgamma, dbeta, running_mean, running_var, y_eval;
};

// One training pass on x with its backward pass (dy = cos of each value's index), a second training pass on other
// inputs, the running statistics after both, then an inference pass on x: as the PyTorch script.
template <class L>
void check_against(const Reference& torch, Eigen::Index n) {
    using K = Kernel<backend::basic_cpu<double>, L>;
    constexpr auto size = Eigen::Index(L::input_shape::size);
    const std::vector<double> gamma{1.5, -0.5, 0.75}, beta{0.25, 1.0, -2.0};
    std::vector<double> parameters(L::parameter_count), buffers(L::buffer_count), gradients(L::parameter_count);
    for (std::size_t c = 0; c < L::channels; ++c) {
        parameters[c] = gamma[c];
        parameters[L::channels + c] = beta[c];
    }
    L::initialize_buffers(std::span<double>(buffers));
    const Matrix<double> x = inputs<L>(n, 0), x2 = inputs<L>(n, 1);
    Matrix<double> y(size, n), dy(size, n), dx(size, n);
    for (Eigen::Index k = 0; k < dy.size(); ++k) dy.reshaped()(k) = std::cos(double(k));
    MatrixView<double> yv(y.data(), size, n), dyv(dy.data(), size, n), dxv(dx.data(), size, n);
    typename K::State state{std::size_t(n)};
    PassContext context{PassMode::training, Rng{0}};

    K::forward(parameters.data(), buffers.data(), ConstMatrixView<double>(x.data(), size, n), yv, nullptr, state, context);
    check_close(y.data(), torch.y_train);
    K::backward(parameters.data(), ConstMatrixView<double>(x.data(), size, n), as_const(yv), dyv, false,
                gradients.data(), &dxv, state);
    check_close(dx.data(), torch.dx);
    check_close(gradients.data(), torch.dgamma);
    check_close(gradients.data() + L::channels, torch.dbeta);

    K::update_buffers(buffers.data(), state);
    K::update_buffers(buffers.data(), state);  // no training pass since the last: nothing to fold in
    K::forward(parameters.data(), buffers.data(), ConstMatrixView<double>(x2.data(), size, n), yv, nullptr, state, context);
    K::update_buffers(buffers.data(), state);
    check_close(buffers.data(), torch.running_mean);
    check_close(buffers.data() + L::channels, torch.running_var);

    context.mode = PassMode::inference;
    K::forward(parameters.data(), buffers.data(), ConstMatrixView<double>(x.data(), size, n), yv, nullptr, state, context);
    check_close(y.data(), torch.y_eval);
}

}  // namespace

TEST_CASE("BatchNorm names itself with the arguments that differ from PyTorch's defaults") {
    CHECK(BatchNorm<>::name() == "BatchNorm<>");
    CHECK(BatchNorm<1, 100>::name() == "BatchNorm<1, 100>");
    CHECK(BatchNorm<1, 10, 1, 1000>::name() == "BatchNorm<1, 10, 1, 1000>");
    CHECK(BatchNorm<>::momentum == 0.1);
    CHECK(BatchNorm<>::epsilon == 1e-5);
}

TEST_CASE("BatchNorm over images matches PyTorch's BatchNorm2d: forward, backward, running statistics, eval") {
    check_against<Image>(
        {.y_train = {0.86795983394170217, 2.0276922066287915, 2.3467404592369632, 1.6750512132981308,
                     0.32853041661130744, -1.0595321601738636, 1.6889641124229062, 1.6223392259199045,
                     1.2614526025054209, 0.77603486018032863, 0.39438554802156878, 0.29600030097240798,
                     1.6485110206624467, 0.29283200177898189, -1.0875992749040666, -1.8435444101289695,
                     -1.6194705948308845, -0.52076324559444886, 0.76475094689234502, 0.38820630570763998,
                     0.29783192384609913, 0.53613228523587542, 0.99103100636949693, 1.4485821107092325,
                     -1.850190690008346, -1.6019455964349913, -0.48730924950452681, 0.96948746014829512,
                     2.0832902768972521, 2.3302603323762243, 0.54524353915980839, 1.0029391455341217,
                     1.4576865511956187, 1.6956109456374777, 1.6048127684824787, 1.2279958212072692},
         .dx = {2.2621796091328452, 1.4823470105128884, -0.49527692888605146, -1.8281755652021248,
                -1.3420430486481294, 0.41362329405339571, -0.3214562634297366, -0.25032898758115818,
                0.057790627891618755, 0.31496554810615113, 0.27849134861404407, -0.023018755805698822,
                2.0628598730175871, 1.9680389976333812, 0.096759033827307772, -1.9356657620165929,
                -2.3182052377910645, -0.68208918325854773, -0.24181319060557122, -0.36890786370905931,
                -0.16590226687372076, 0.17939590077944942, 0.35259374730910659, 0.20031944714233468,
                0.57802867428204385, 1.8246247880061004, 1.2823122938287377, -0.46541989768127517,
                -1.70076706176459, -1.2031308890459127, -0.068916269432239316, -0.32506729967830633,
                -0.28349849136264166, 0.023435509571791864, 0.31660880141196224, 0.32530845765167327},
         .dgamma = {-2.1555383945759274, -0.72975558599224344},
         .dbeta = {-0.28079229873040673, -0.062945363396728959},
         .running_mean = {0.0008998505334436289, 0.094091276324034578},
         .running_var = {0.91026140680238676, 1.2130036539160389},
         .y_eval = {0.71320000850359355, 1.5715399019298661, 1.807673556203071, 1.3105436240283932,
                    0.31395808037704764, -0.71337332149306665, 1.7032845143552009, 1.6178676715622824,
                    1.1551907711389953, 0.53285798888040503, 0.043562156500689619, -0.082573250573692372,
                    1.2909007248087712, 0.28753700746031136, -0.73414632467352148, -1.2936356362477555,
                    -1.12779436176738, -0.31462024396191313, 0.51839137890929166, 0.035640021139387003,
                    -0.080225007277984178, 0.2252894269628776, 0.80849511164377574, 1.395101300419086,
                    -1.2985546738616898, -1.114823778545172, -0.2898603078639197, 0.78834252751086653,
                    1.6126890867183923, 1.7954763021930593, 0.23697056572221906, 0.82376201421381035,
                    1.4067737039691937, 1.7118061274874685, 1.5953977697248973, 1.1122973002679788}},
        3);
}

TEST_CASE("BatchNorm over features matches PyTorch's BatchNorm1d with momentum 0.25 and epsilon 1e-3") {
    check_against<Flat>(
        {.y_train = {0.77383500717431086, 0.55897799333091269, -1.2536959433379846, 1.681510589844188,
                     1.1198527501340989, -2.8646904660836405, -2.267454802901737, 1.7684778735928282,
                     -2.6256003356789206, 0.81210920588323798, 0.55269138294216003, -1.256013254899454},
         .dx = {2.8852493951979641, -0.30548243203482484, -0.06519249146630067, -0.94777904393409129,
                0.23857576100356281, 0.058498329693463927, -0.29590763567778566, -0.10980586807927983,
                -0.068798243363680706, -1.6415627155860868, 0.17671253911054186, 0.075492405136517476},
         .dgamma = {-2.5484598288474647, -1.2761098677767224, -0.61537937201040982},
         .dbeta = {0.059047528165243612, -0.19851058972862001, -0.27355898690447894},
         .running_mean = {0.074946400290439669, 0.41220349447653326, 0.65654498068845923},
         .running_var = {0.84355806519190835, 1.7741061996904994, 3.0423810957471984},
         .y_eval = {0.61002316041373761, 0.33547357133808109, -0.57334717541052371, 1.2301705500216933,
                    0.93584258879789983, -2.6414849233978859, -1.4678645483337327, 1.6301409563875084,
                    -2.3345494764551598, 0.63617308101517123, 0.32874428631238223, -0.57632205797310032}},
        4);
}

TEST_CASE("BatchNorm gradients match finite differences, through the batch statistics") {
    for (std::uint64_t seed : {1u, 2u}) {
        CHECK(check_layer_gradients<Image>({.seed = seed, .batch = 3, .tolerance = 1e-8}).passed());
        CHECK(check_layer_gradients<Flat>({.seed = seed, .batch = 5, .tolerance = 1e-8}).passed());
        CHECK(check_layer_gradients<Bound<BatchNorm<>, Shape<3, 1, 1>>>({.seed = seed, .batch = 4, .tolerance = 1e-8})
                  .passed());
    }
}

namespace {
using ConvBN = Autoencoder<Sequential<Input<1, 4, 4>, Conv2D<2, 3, Tanh>, BatchNorm<>, Flatten, Dense<32, 3>>,
                           Sequential<Dense<3, 16, Tanh>, BatchNorm<1, 100>, Dense<16, 16, Sigmoid>, Reshape<1, 4, 4>>,
                           backend::basic_cpu<double>>;
using ConvBNFloat = Autoencoder<ConvBN::encoder_type, ConvBN::decoder_type>;

Dataset<float> data(std::size_t n, std::uint64_t seed = 1) {
    Rng rng{seed};
    std::vector<float> v(n * 16);
    for (float& x : v) x = float(0.1 + 0.8 * rng.uniform());
    return Dataset<float>(std::move(v), 4, 4);
}

template <class T>
bool bitwise_equal(std::span<const T> a, std::span<const T> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}
}  // namespace

TEST_CASE("a model with BatchNorm passes the model gradient check, which leaves its running statistics alone") {
    static_assert(ConvBN::buffer_count == 4 + 32);
    ConvBN model{4};
    std::ranges::fill(model.buffers(), 0.5);  // not the initial values, so that a change would show
    CHECK(check_model_gradients(model, MSE{}, {.seed = 3, .batch = 4, .tolerance = 1e-7}).passed());
    CHECK(std::ranges::all_of(model.buffers(), [](double b) { return b == 0.5; }));
}

TEST_CASE("BatchNorm layers use the batch's statistics in training passes and the running ones otherwise") {
    const ConvBNFloat model{2};
    const auto set = data(6);
    const Matrix<float> x = set.batch<float>(0, 6);
    // Inference: each sample is normalised with the running statistics, alone or in a batch (up to the rounding of
    // the Dense kernel's product, which differs for one column).
    const Matrix<float> together = model.reconstruct(x);
    for (Eigen::Index j = 0; j < 6; ++j)
        CHECK(model.reconstruct(Matrix<float>(x.col(j))).isApprox(together.col(j), 1e-6f));
    // At their initial values (mean 0, variance 1) the running statistics leave a channel nearly as it is.
    ConvBNFloat::workspace ws(6);
    std::vector<float> gradients(ConvBNFloat::parameter_count);
    const ConstMatrixView<float> xv(x.data(), 16, 6);
    const float training = model.loss_and_gradients(MSE{}, xv, xv, ws, std::span<float>(gradients));
    const float evaluation = model.loss_value(MSE{}, xv, xv, ws);
    CHECK(training != evaluation);
    // A training pass alone does not move the running statistics: update_buffers does (fit() calls it per step).
    ConvBNFloat updated = model;
    CHECK(bitwise_equal(std::span<const float>(updated.buffers()), std::span<const float>(model.buffers())));
    updated.update_buffers(ws);
    CHECK(!bitwise_equal(std::span<const float>(updated.buffers()), std::span<const float>(model.buffers())));
    CHECK(updated.reconstruct(x) != together);
}

TEST_CASE("a training batch with one value per BatchNorm channel is refused, as PyTorch does") {
    using FlatModel = Autoencoder<Sequential<Dense<4, 3>, BatchNorm<>>, Sequential<Dense<3, 4>>>;
    const FlatModel model;
    FlatModel::workspace ws(1);
    const Matrix<float> x = Matrix<float>::Constant(4, 1, 0.5f);
    std::vector<float> gradients(FlatModel::parameter_count);
    CHECK_THROWS_WITH_AS(model.loss_and_gradients(MSE{}, ConstMatrixView<float>(x.data(), 4, 1),
                                                  ConstMatrixView<float>(x.data(), 4, 1), ws, std::span<float>(gradients)),
                         "latent::BatchNorm: expected more than 1 value per channel in a training batch (as PyTorch), "
                         "found 1: a batch of 1 sample of a flat input",
                         argument_error);
    CHECK(model.reconstruct(x).allFinite());  // inference takes any batch
}

TEST_CASE("fit() refuses, before its first step, a batch size that leaves a batch of 1 sample for a flat BatchNorm") {
    using FlatModel = Autoencoder<Sequential<Dense<16, 3>, BatchNorm<>>, Sequential<Dense<3, 16>>>;
    using ImageModel =
        Autoencoder<Sequential<Input<4, 2, 2>, BatchNorm<>, Flatten>, Sequential<Dense<16, 16>, Reshape<4, 2, 2>>>;
    static_assert(FlatModel::min_training_batch == 2 && ImageModel::min_training_batch == 1);
    FlatModel model{1};
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    Trainer trainer{model, Adam{}, MSE{}};
    // 9 samples in batches of 4: the last batch holds 1.
    CHECK_THROWS_WITH_AS(trainer.fit(data(9), {.batch_size = 4, .verbosity = Verbosity::silent}),
                         "latent::Trainer::fit: the model (a BatchNorm of a flat input) expects at least 2 samples in "
                         "every training batch, found 1 with 9 training samples, batch_size 4: choose a batch_size "
                         "that leaves no such batch",
                         argument_error);
    CHECK_THROWS_AS(trainer.fit(data(9), {.batch_size = 1, .verbosity = Verbosity::silent}), argument_error);
    CHECK(std::ranges::equal(model.parameters(), before));
    CHECK_NOTHROW(trainer.fit(data(10), {.batch_size = 4, .verbosity = Verbosity::silent}));
    // An image BatchNorm has a variance over the pixels of one sample.
    ImageModel image{1};
    Trainer image_trainer{image, Adam{}, MSE{}};
    CHECK_NOTHROW(image_trainer.fit(data(9), {.batch_size = 4, .verbosity = Verbosity::silent}));
}

TEST_CASE("fit() updates the running statistics as PyTorch does, and the optimizer never touches them") {
    // With a learning rate of 0 only the running statistics move: after one epoch of full batches they are the
    // momentum-weighted blend of each batch's statistics, which this test recomputes from the data.
    using Probe = Autoencoder<Sequential<Dense<16, 16, Identity>, BatchNorm<1, 2>>, Sequential<Dense<16, 16>>>;
    Probe model{1};
    std::ranges::fill(model.layer_parameters<0>(), 0.0f);
    for (std::size_t i = 0; i < 16; ++i) model.layer_parameters<0>()[i * 16 + i] = 1;  // the identity
    const std::vector<float> parameters(model.parameters().begin(), model.parameters().end());
    const auto set = data(12);
    Trainer trainer{model, Adam{{.learning_rate = 0}}, MSE{}};
    trainer.fit(set, {.epochs = 1, .batch_size = 4, .shuffle = false, .verbosity = Verbosity::silent});
    CHECK(std::ranges::equal(model.parameters(), parameters));
    std::vector<double> mean(16, 0), variance(16, 1);
    for (std::size_t first = 0; first < 12; first += 4) {
        const Matrix<double> batch = set.batch<float>(first, 4).cast<double>();
        for (Eigen::Index i = 0; i < 16; ++i) {
            const double m = batch.row(i).mean();
            const double unbiased = (batch.row(i).array() - m).square().sum() / 3;
            mean[std::size_t(i)] = 0.5 * mean[std::size_t(i)] + 0.5 * m;
            variance[std::size_t(i)] = 0.5 * variance[std::size_t(i)] + 0.5 * unbiased;
        }
    }
    for (std::size_t i = 0; i < 16; ++i) {
        CHECK(model.buffers()[i] == doctest::Approx(mean[i]).epsilon(1e-5));
        CHECK(model.buffers()[16 + i] == doctest::Approx(variance[i]).epsilon(1e-5));
    }
}

TEST_CASE("summary() counts the running statistics as non-trainable params, as Keras") {
    const std::string text = ConvBNFloat{}.summary();
    CHECK(text.find("BatchNorm<>") != std::string::npos);
    CHECK(text.find("Total params: " + with_thousands_separators(ConvBNFloat::parameter_count + 36)) != std::string::npos);
    CHECK(text.find("Trainable params: " + with_thousands_separators(ConvBNFloat::parameter_count)) != std::string::npos);
    CHECK(text.find("Non-trainable params: 36") != std::string::npos);
    CHECK(ConvBNFloat{}.encoder().summary().find("Non-trainable params: 4") != std::string::npos);
    CHECK(Autoencoder<Sequential<Dense<4, 2>>, Sequential<Dense<2, 4>>>{}.summary().find("rainable") == std::string::npos);
}

TEST_CASE("a model with BatchNorm saved and loaded reconstructs exactly as the one saved, and so does its encoder") {
    const testing::ScratchDirectory dir;
    ConvBNFloat model{5};
    Trainer trainer{model, Adam{}, MSE{}};
    const auto set = data(32);
    trainer.fit(set, {.epochs = 2, .batch_size = 8, .verbosity = Verbosity::silent});
    save_model(model, dir.path / "bn.latent");
    const auto loaded = load_model<ConvBNFloat>(dir.path / "bn.latent");
    CHECK(bitwise_equal(std::span<const float>(loaded.buffers()), std::span<const float>(model.buffers())));
    const Matrix<float> x = set.batch<float>(0, 32);
    CHECK(loaded.reconstruct(x) == model.reconstruct(x));
    CHECK(model.encoder().predict(x) == model.encode(x));

    // The file holds the buffers after the parameters: a wrong count is named, and a short file is truncated.
    auto bytes = serialize_model(model);
    const std::size_t count_at = bytes.size() - 4 - ConvBNFloat::buffer_count * sizeof(float) - 8;
    std::uint64_t count = 0;
    std::memcpy(&count, bytes.data() + count_at, 8);
    CHECK(count == ConvBNFloat::buffer_count);
    count = 35;
    std::memcpy(bytes.data() + count_at, &count, 8);
    const std::uint32_t crc = detail::crc32_of(std::span(bytes).first(bytes.size() - 4));
    std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
    ConvBNFloat other;
    CHECK_THROWS_WITH_AS(deserialize_model(other, bytes), doctest::Contains("expected 36 buffers (running statistics), found 35"),
                         format_error);
    CHECK(std::ranges::all_of(other.buffers().first(2), [](float b) { return b == 0; }));  // unchanged
}

TEST_CASE("a run with BatchNorm resumed from its checkpoint ends bitwise as the uninterrupted run") {
    const testing::ScratchDirectory dir;
    const auto set = data(40);
    const FitOptions options{.epochs = 3, .batch_size = 8, .seed = 4, .validation_split = 0.2,
                             .early_stopping = EarlyStopping{.patience = 5}, .verbosity = Verbosity::silent};
    ConvBNFloat straight{6};
    Trainer{straight, Adam{}, MSE{}}.fit(set, options);

    ConvBNFloat first{6};
    FitOptions part = options;
    part.epochs = 2;
    part.checkpoint = dir.path / "run.ckpt";
    Trainer{first, Adam{}, MSE{}}.fit(set, part);
    const auto saved = load_checkpoint<float>(part.checkpoint);
    CHECK(saved.buffers.size() == ConvBNFloat::buffer_count);
    CHECK(saved.best_buffers.size() == ConvBNFloat::buffer_count);
    CHECK(testing::read_file(part.checkpoint)[10] == 1);  // format 1.1: with buffers

    ConvBNFloat resumed{99};
    FitOptions rest = options;
    rest.resume_from = part.checkpoint;
    Trainer{resumed, Adam{}, MSE{}}.fit(set, rest);
    CHECK(bitwise_equal(std::span<const float>(resumed.parameters()), std::span<const float>(straight.parameters())));
    CHECK(bitwise_equal(std::span<const float>(resumed.buffers()), std::span<const float>(straight.buffers())));

    // Short files and wrong buffer counts are refused with the usual typed errors.
    const auto bytes = serialize_checkpoint(saved);
    CHECK(bytes == testing::read_file(part.checkpoint));
    for (std::size_t length = 0; length < bytes.size(); ++length)
        CHECK_THROWS_AS((void)deserialize_checkpoint<float>(std::span(bytes).first(length)), format_error);
    auto without = saved;
    without.best_buffers.pop_back();
    CHECK_THROWS_WITH_AS((void)deserialize_checkpoint<float>(serialize_checkpoint(without)),
                         doctest::Contains("expected early stopping's best buffers to be none or 36 values"), format_error);
    without.buffers.clear();
    CHECK_THROWS_WITH_AS((void)deserialize_checkpoint<float>(serialize_checkpoint(without)),
                         doctest::Contains("expected buffers in a checkpoint of format 1.1, found none"), format_error);
    without.best_buffers.clear();
    CHECK(serialize_checkpoint(without)[10] == 0);  // no buffers: format 1.0
    auto shorter = saved;
    shorter.buffers.pop_back();
    shorter.best_buffers.pop_back();
    save_checkpoint(shorter, dir.path / "shorter.ckpt");
    ConvBNFloat model{6};
    rest.resume_from = dir.path / "shorter.ckpt";
    CHECK_THROWS_WITH_AS(Trainer(model, Adam{}, MSE{}).fit(set, rest),
                         doctest::Contains("expected 36 buffers and 36 best buffers for early stopping, found 35 and 35"),
                         format_error);
}

TEST_CASE("BatchNorm gives the same bits on 1, 2 and 3 threads") {
    // 4 channels of 16 x 16 over 64 samples: enough values per channel for the channels to be split.
    using Big = Bound<BatchNorm<>, Shape<4, 16, 16>>;
    using K = Kernel<backend::cpu, Big>;
    constexpr Eigen::Index size = 4 * 16 * 16, n = 64;
    Rng rng{9};
    Matrix<float> x(size, n), dy(size, n);
    for (float& v : x.reshaped()) v = float(rng.normal());
    for (float& v : dy.reshaped()) v = float(rng.normal());
    std::vector<float> parameters{1.5f, 0.5f, -1.0f, 2.0f, 0.1f, 0.2f, 0.3f, 0.4f}, buffers(8);
    Big::initialize_buffers(std::span<float>(buffers));
    auto run = [&](std::size_t threads) {
        const ThreadScope scope{threads};
        Matrix<float> y(size, n), dx(size, n);
        std::vector<float> gradients(8);
        MatrixView<float> yv(y.data(), size, n), dyv(dy.data(), size, n), dxv(dx.data(), size, n);
        K::State state{std::size_t(n)};
        PassContext context{PassMode::training, Rng{0}};
        K::forward(parameters.data(), buffers.data(), ConstMatrixView<float>(x.data(), size, n), yv, nullptr, state,
                   context);
        K::backward(parameters.data(), ConstMatrixView<float>(x.data(), size, n), as_const(yv), dyv, false,
                    gradients.data(), &dxv, state);
        std::vector<float> all(y.data(), y.data() + y.size());
        all.insert(all.end(), dx.data(), dx.data() + dx.size());
        all.insert(all.end(), gradients.begin(), gradients.end());
        all.insert(all.end(), state.rows.begin(), state.rows.end());
        return all;
    };
    const auto one = run(1);
    CHECK(bitwise_equal(std::span<const float>(run(2)), std::span<const float>(one)));
    CHECK(bitwise_equal(std::span<const float>(run(3)), std::span<const float>(one)));
}

TEST_CASE("copy_layer copies a BatchNorm's running statistics with its parameters") {
    ConvBNFloat from{1}, to{2};
    std::ranges::fill(from.buffers(), 0.25f);
    copy_layer<1, 1>(to, from);
    CHECK(std::ranges::equal(to.layer_parameters<1>(), from.layer_parameters<1>()));
    CHECK(std::ranges::equal(to.layer_buffers<1>(), from.layer_buffers<1>()));
    CHECK(to.layer_buffers<5>()[0] == 0);  // the decoder's BatchNorm keeps its own
}

TEST_CASE("a Model of layers with BatchNorm expects its running statistics with its parameters") {
    using Encoder = ConvBNFloat::encoder_type;
    const ConvBNFloat model{3};
    const auto parameters = model.parameters().first(Encoder::parameter_count);
    CHECK_THROWS_WITH_AS((Model<Encoder>(parameters)),
                         ("latent::Model: expected " + std::to_string(Encoder::parameter_count) +
                          " parameters and 4 buffers, found " + std::to_string(Encoder::parameter_count) + " and 0")
                             .c_str(),
                         argument_error);
    const Model<Encoder> encoder(parameters, model.buffers().first(4));
    CHECK(std::ranges::equal(encoder.buffers(), model.buffers().first(4)));
}
