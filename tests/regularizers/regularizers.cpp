// Regularizers: their values against independent computations, their gradients (through whole models)
// against finite differences, and their settings validated.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace latent;

namespace {
using CpuDouble = backend::basic_cpu<double>;
template <class Act>
using OneLayerEncoder = Sequential<Dense<6, 4, Act>>;
using SigmoidDecoder = Sequential<Dense<4, 6, Sigmoid>>;
}  // namespace

TEST_CASE("L1Activity and KLSparsity values equal their definitions") {
    Matrix<double> h(2, 3);
    h << 0.1, 0.2, 0.3, 0.5, 0.9, 0.7;
    const ConstMatrixView<double> view(h.data(), 2, 3);
    CHECK(L1Activity<0>{.weight = 0.5}.apply(view, nullptr) == doctest::Approx(0.5 * (0.1 + 0.2 + 0.3 + 0.5 + 0.9 + 0.7) / 3));
    // Unit means 0.2 and 0.7 against rho = 0.1.
    auto kl = [](double rho, double mean) { return rho * std::log(rho / mean) + (1 - rho) * std::log((1 - rho) / (1 - mean)); };
    CHECK(KLSparsity<0>{.target = 0.1, .weight = 2.0}.apply(view, nullptr) ==
          doctest::Approx(2.0 * (kl(0.1, 0.2) + kl(0.1, 0.7))));
}

TEST_CASE("GaussianKL is the closed-form KL divergence from N(0, I)") {
    Matrix<double> h(4, 1);  // means (0.5, -1), log-variances (0, log 2)
    h << 0.5, -1.0, 0.0, std::log(2.0);
    const double expected = -0.5 * ((1 + 0 - 0.25 - 1) + (1 + std::log(2.0) - 1 - 2));
    CHECK(GaussianKL<0>{}.apply(ConstMatrixView<double>(h.data(), 4, 1), nullptr) == doctest::Approx(expected));
}

TEST_CASE_TEMPLATE("Contractive equals the squared Frobenius norm of the encoder's Jacobian", Act, Sigmoid, Tanh, Softplus,
                   ELU, ReLU) {
    using Model = Autoencoder<OneLayerEncoder<Act>, SigmoidDecoder, CpuDouble, Contractive>;
    const Model model{3, Contractive{.weight = 1.0}};
    Rng rng{4};
    Matrix<double> x(6, 2);
    for (double& v : x.reshaped()) v = rng.uniform();
    // Jacobian by central differences of encode(), column by column.
    double frobenius = 0;
    for (Eigen::Index n = 0; n < 2; ++n)
        for (Eigen::Index i = 0; i < 6; ++i) {
            Vector<double> up = x.col(n), down = x.col(n);
            up[i] += 1e-6;
            down[i] -= 1e-6;
            frobenius += ((model.encode(up) - model.encode(down)) / 2e-6).squaredNorm();
        }
    typename Model::workspace ws(2);
    const ConstMatrixView<double> xv(x.data(), 6, 2);
    const double with_penalty = model.loss_value(MSE{}, xv, xv, ws);
    const Model plain_weights{3, Contractive{.weight = 0.0}};
    const double without = plain_weights.loss_value(MSE{}, xv, xv, ws);
    CHECK(with_penalty - without == doctest::Approx(frobenius / 2).epsilon(1e-6));
}

TEST_CASE_TEMPLATE("Contractive gradients match finite differences", Act, Sigmoid, Tanh, Softplus, ELU) {
    Autoencoder<OneLayerEncoder<Act>, SigmoidDecoder, CpuDouble, Contractive> model{5, Contractive{.weight = 0.7}};
    const auto result = check_model_gradients(model, BCE{}, {.batch = 4, .tolerance = 1e-7});
    INFO(Act::name() << ": " << result.parameter_error);
    CHECK(result.passed());
}

TEST_CASE("sparsity gradients match finite differences, on the code and on a hidden decoder layer") {
    using Encoder = Sequential<Dense<6, 5, Tanh>, Dense<5, 3, Sigmoid>>;
    using Decoder = Sequential<Dense<3, 5, Sigmoid>, Dense<5, 6, Sigmoid>>;
    Autoencoder<Encoder, Decoder, CpuDouble, KLSparsity<1>, L1Activity<2>> model{
        6, KLSparsity<1>{.target = 0.2, .weight = 1.5}, L1Activity<2>{.weight = 0.05}};
    const auto result = check_model_gradients(model, MSE{}, {.batch = 5, .tolerance = 1e-7});
    INFO(result.parameter_error);
    CHECK(result.passed());
}

TEST_CASE("a variational autoencoder's gradients (sampling and KL) match finite differences") {
    using Encoder = Sequential<Dense<6, 5, ReLU>, Dense<5, 4>, GaussianSample<2>>;
    using Decoder = Sequential<Dense<2, 5, ReLU>, Dense<5, 6, Sigmoid>>;
    VariationalAutoencoder<Encoder, Decoder, CpuDouble> vae{7};
    const auto result =
        check_model_gradients(vae, BCE{.reduction = Reduction::sum_per_sample}, {.batch = 5, .tolerance = 1e-7});
    INFO(result.parameter_error);
    CHECK(result.passed());
    CHECK(check_layer_gradients<GaussianSample<3>>({.tolerance = 1e-7}).passed());
}

TEST_CASE("a VAE encodes to the mean, samples from the prior, and names its KL term") {
    using Encoder = Sequential<Dense<6, 5, ReLU>, Dense<5, 4>, GaussianSample<2>>;
    using Decoder = Sequential<Dense<2, 5, ReLU>, Dense<5, 6, Sigmoid>>;
    using Vae = VariationalAutoencoder<Encoder, Decoder>;
    const Vae vae{8};
    Matrix<float> x = Matrix<float>::Constant(6, 3, 0.5f);
    const Matrix<float> head = vae.encoder().predict(x);  // inference: the means, deterministically
    CHECK(head == vae.encode(x));
    CHECK(Vae::code_size == 2);
    Rng rng{1};
    const Matrix<float> samples = vae.sample(10, rng);
    CHECK(samples.rows() == 6);
    CHECK(samples.cols() == 10);
    CHECK(samples.minCoeff() >= 0.0f);
    CHECK(samples.maxCoeff() <= 1.0f);
    CHECK(Vae::signature().ends_with(", GaussianKL<1>>"));
    Vae loaded;
    deserialize_model(loaded, serialize_model(vae));
    CHECK(loaded.encode(x) == vae.encode(x));
}

TEST_CASE("regularizer settings are validated with the value found") {
    using Sparse = Autoencoder<OneLayerEncoder<Sigmoid>, SigmoidDecoder, backend::cpu, KLSparsity<0>>;
    CHECK_THROWS_WITH_AS(Sparse(1, KLSparsity<0>{.target = 1.5}), doctest::Contains("expected target in (0, 1), found 1.5"),
                         argument_error);
    Sparse model{1, KLSparsity<0>{.target = 0.05, .weight = 3}};
    CHECK(model.regularizer<KLSparsity<0>>().target == 0.05);
    CHECK_THROWS_WITH_AS(model.set_regularizer(KLSparsity<0>{.weight = std::numeric_limits<double>::quiet_NaN()}),
                         doctest::Contains("expected weight to be finite and >= 0, found nan"), argument_error);
    model.set_regularizer(KLSparsity<0>{.target = 0.1, .weight = 1});
    CHECK(model.regularizer<KLSparsity<0>>().target == 0.1);
    CHECK_THROWS_AS((Autoencoder<OneLayerEncoder<Sigmoid>, SigmoidDecoder, backend::cpu, Contractive>(1, Contractive{.weight = -1})),
                    argument_error);
    CHECK_THROWS_AS((Autoencoder<OneLayerEncoder<Sigmoid>, SigmoidDecoder, backend::cpu, L1Activity<0>>(1, L1Activity<0>{.weight = -1})),
                    argument_error);
}

TEST_CASE("regularizers are part of the signature: a plain model's file does not load into a sparse one") {
    using Plain = Autoencoder<OneLayerEncoder<Sigmoid>, SigmoidDecoder>;
    using Sparse = Autoencoder<OneLayerEncoder<Sigmoid>, SigmoidDecoder, backend::cpu, KLSparsity<0>>;
    CHECK(Sparse::signature() == "Autoencoder<Sequential<Dense<6, 4, Sigmoid>>, Sequential<Dense<4, 6, Sigmoid>>, KLSparsity<0>>");
    Sparse sparse;
    CHECK_THROWS_AS(deserialize_model(sparse, serialize_model(Plain{})), architecture_error);
    const Sparse original{4};
    deserialize_model(sparse, serialize_model(original));
    CHECK(std::ranges::equal(sparse.parameters(), original.parameters()));
    CHECK(Sparse{}.summary().find("Regularizers: KLSparsity<0>") != std::string::npos);
}
