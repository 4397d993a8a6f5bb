// Autoencoder: inference paths agree with each other, the encoder works on its own, the summary
// shows the architecture, the whole model's gradients match finite differences, and bad shapes throw.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace latent;

namespace {
using Encoder = Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 12, ReLU>, Dense<12, 3>>;
using Decoder = Sequential<Dense<3, 12, ReLU>, Dense<12, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>;
using Deep = Autoencoder<Encoder, Decoder>;

Matrix<float> random_images(Eigen::Index n, std::uint64_t seed) {
    Rng rng{seed};
    Matrix<float> x(784, n);
    for (float& v : x.reshaped()) v = float(rng.uniform());
    return x;
}
}  // namespace

TEST_CASE("the same seed gives the same weights, another seed other weights") {
    const Deep a{7}, b{7}, c{8};
    CHECK(std::ranges::equal(a.parameters(), b.parameters()));
    CHECK_FALSE(std::ranges::equal(a.parameters(), c.parameters()));
}

TEST_CASE("reconstruct equals decode(encode(x)), for one sample and for a batch") {
    const Deep model{1};
    const Matrix<float> x = random_images(300, 2);  // more than one inference chunk
    const Matrix<float> codes = model.encode(x);
    REQUIRE(codes.rows() == 3);
    REQUIRE(codes.cols() == 300);
    const Matrix<float> decoded = model.decode(codes);
    const Matrix<float> reconstructed = model.reconstruct(x);
    CHECK((decoded - reconstructed).cwiseAbs().maxCoeff() == 0.0f);
    CHECK(reconstructed.minCoeff() >= 0.0f);
    CHECK(reconstructed.maxCoeff() <= 1.0f);

    const Vector<float> one = model.encode(Vector<float>(x.col(299)));
    CHECK((one - codes.col(299)).cwiseAbs().maxCoeff() < 1e-6f);
    const Vector<float> one_reconstructed = model.reconstruct(Vector<float>(x.col(0)));
    CHECK((one_reconstructed - reconstructed.col(0)).cwiseAbs().maxCoeff() < 1e-6f);
}

TEST_CASE("the encoder and decoder work on their own with the trained weights") {
    const Deep model{3};
    const Matrix<float> x = random_images(10, 4);
    const auto encoder = model.encoder();
    const auto decoder = model.decoder();
    CHECK((encoder.predict(x) - model.encode(x)).cwiseAbs().maxCoeff() == 0.0f);
    CHECK((decoder.predict(model.encode(x)) - model.reconstruct(x)).cwiseAbs().maxCoeff() == 0.0f);
    CHECK(decltype(encoder)::parameter_count == Encoder::parameter_count);
    CHECK(encoder.summary().find("Dense<12, 3>") != std::string::npos);
}

TEST_CASE("inputs of the wrong size are refused with both sizes") {
    const Deep model;
    const Matrix<float> wrong = Matrix<float>::Zero(1024, 2);
    CHECK_THROWS_WITH_AS(model.encode(wrong), doctest::Contains("expected 784 values per sample"), shape_error);
    CHECK_THROWS_WITH_AS(model.reconstruct(wrong), doctest::Contains("found 1024"), shape_error);
    CHECK_THROWS_WITH_AS(model.decode(Matrix<float>::Zero(4, 1)), doctest::Contains("expected 3 values per sample (one sample per column), found 4"),
                         shape_error);
    CHECK_THROWS_AS(model.encoder().predict(wrong), shape_error);
}

TEST_CASE("summary() lists every layer, its output shape and parameters, and the totals") {
    const std::string text = Deep{}.summary();
    INFO(text);
    CHECK(text.find("encoder.0  Dense<784, 128, ReLU>") != std::string::npos);
    CHECK(text.find("decoder.3  Dense<128, 784, Sigmoid>") != std::string::npos);
    CHECK(text.find("(batch, 784)") != std::string::npos);
    CHECK(text.find("100,480") != std::string::npos);
    CHECK(text.find("Total params: 219,891") != std::string::npos);
    CHECK(text.find("Code size: 3") != std::string::npos);
    CHECK(with_thousands_separators(1234567) == "1,234,567");
    CHECK(with_thousands_separators(999) == "999");
}

TEST_CASE("signature() names the architecture, not the backend") {
    CHECK(Deep::signature().starts_with("Autoencoder<Sequential<Dense<784, 128, ReLU>, "));
    using DoubleDeep = Autoencoder<Encoder, Decoder, backend::basic_cpu<double>>;
    CHECK(DoubleDeep::signature() == Deep::signature());
}

TEST_CASE("whole-model gradients match finite differences (double precision)") {
    using Small = Autoencoder<Sequential<Dense<6, 4, Tanh>, Dense<4, 2, ELU>>,
                              Sequential<Dense<2, 4, LeakyReLU>, Dense<4, 6, Sigmoid>>, backend::basic_cpu<double>>;
    Small model{11};
    SUBCASE("BCE fused with the Sigmoid output") {
        CHECK(check_model_gradients(model, BCE{}, {.batch = 5, .tolerance = 1e-7}).passed());
    }
    SUBCASE("MSE") { CHECK(check_model_gradients(model, MSE{}, {.batch = 5, .tolerance = 1e-7}).passed()); }
    SUBCASE("L1") { CHECK(check_model_gradients(model, L1{}, {.batch = 5, .tolerance = 1e-6}).passed()); }
}

TEST_CASE("a training step's loss equals the evaluation loss on the same batch") {
    const Deep model{5};
    Matrix<float> x = random_images(16, 6);
    const ConstMatrixView<float> xv(x.data(), 784, 16);
    Deep::workspace ws(32);
    std::vector<float> gradients(Deep::parameter_count);
    const float with_gradients = model.loss_and_gradients(MSE{}, xv, xv, ws, std::span<float>(gradients));
    CHECK(model.loss_value(MSE{}, xv, xv, ws) == with_gradients);
    const Matrix<float> r = model.reconstruct(x);
    CHECK(with_gradients == doctest::Approx((r - x).squaredNorm() / float(x.size())).epsilon(1e-5));
}
