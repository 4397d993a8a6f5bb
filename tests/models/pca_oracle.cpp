// The PCA oracle: a linear autoencoder (784 -> k -> 784, identity activations, biases, MSE) has a known optimum.
// Its reconstructions are W2 (W1 x + b1) + b2, an affine map of rank k at most, and the best such map in the
// least-squares sense is the projection onto the top k principal components around the mean (Eckart-Young).
// So once trained to convergence, the decoder's columns span PCA's top-k subspace, and its mean squared error is
// PCA's rank-k error. PCA comes from Eigen's SVD of the centred data, in double; principal angles compare the two.

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <Eigen/QR>
#include <Eigen/SVD>

#include <cstddef>
#include <cstdint>

using namespace latent;

namespace {

constexpr std::size_t image_count = 2000;

// The first 2000 Fashion-MNIST training images, as bytes (for the trainer) and as doubles (for PCA).
struct Oracle {
    Dataset<std::uint8_t> images;
    Eigen::MatrixXd x;                  // 784 x 2000, one image per column
    Eigen::MatrixXd components;         // 784 x 784 at most: principal directions, by decreasing variance
    Eigen::VectorXd singular_values;    // of the centred data

    /// PCA's rank-k reconstruction error, as MSE (mean over images and pixels): the discarded variance.
    double mse(std::size_t k) const {
        const auto rest = singular_values.tail(singular_values.size() - Eigen::Index(k));
        return rest.squaredNorm() / double(x.size());
    }
};

const Oracle& oracle() {
    static const Oracle cached = [] {
        Oracle o;
        o.images = load_fashion_mnist().train.slice(0, image_count);
        o.x = o.images.batch<double>(0, image_count);
        const Eigen::MatrixXd centred = o.x.colwise() - o.x.rowwise().mean();
        const Eigen::BDCSVD<Eigen::MatrixXd> svd(centred, Eigen::ComputeThinU);
        o.components = svd.matrixU();
        o.singular_values = svd.singularValues();
        return o;
    }();
    return cached;
}

/// Cosines of the principal angles between the column spaces of a (orthonormal) and b: the singular values of
/// a^T q, where q is an orthonormal basis of b's columns. The smallest is the cosine of the largest angle.
Eigen::VectorXd principal_cosines(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(b);
    const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(b.rows(), b.cols());
    return Eigen::JacobiSVD<Eigen::MatrixXd>(a.transpose() * q).singularValues();
}

template <std::size_t K>
void check_against_pca() {
    using Linear = Autoencoder<Sequential<Dense<784, K>>, Sequential<Dense<K, 784>>>;
    const Oracle& pca = oracle();
    Linear model{/*seed=*/1};

    // The decoder's weights (784 x K, column-major) follow the encoder's parameters.
    const auto decoder_columns = [&] {
        const auto weights = model.parameters().subspan(Linear::encoder_type::parameter_count, 784 * K);
        return Eigen::Map<const Matrix<float>>(weights.data(), 784, Eigen::Index(K)).template cast<double>().eval();
    };
    const Eigen::MatrixXd top = pca.components.leftCols(Eigen::Index(K));
    // The check can fail: a random decoder is far from the principal subspace.
    CHECK(principal_cosines(top, decoder_columns()).minCoeff() < 0.5);

    // Converged, not merely close: the subspace is pinned down only by the gap between the k-th and (k+1)-th
    // variances (7% of the 16th at k = 16), so a direction off by an angle t costs just (l_k - l_k+1) sin^2 t of
    // loss. Small batches at a high rate find the basin quickly; annealing the rate 100-fold over 200 epochs
    // removes the gradient noise that would otherwise keep it wandering along that shallow direction.
    Trainer trainer{model, Adam{{.learning_rate = 1e-2}}, MSE{}};
    trainer.fit(pca.images, {.epochs = 200,
                             .batch_size = 32,
                             .seed = 1,
                             .schedule = schedule::CosineAnnealing{.period = 200, .min_rate = 1e-4},
                             .verbosity = Verbosity::silent});

    // cos >= 0.99: every direction of the decoder's span within 8.1 degrees of PCA's subspace. Training as above
    // gives cosines >= 0.9999 at k = 16 for seeds 1..5 and >= 0.99999 for smaller k; with 100 epochs instead of
    // 200, k = 16 ends between 0.93 and 0.995.
    const Eigen::VectorXd cosines = principal_cosines(top, decoder_columns());
    INFO("k = ", K, ", cosines of the principal angles: ", cosines.transpose());
    CHECK(cosines.minCoeff() >= 0.99);

    const Matrix<float> images = pca.images.batch<float>(0, image_count);
    const double ae_mse = (model.reconstruct(images).template cast<double>() - pca.x).squaredNorm() /
                          double(pca.x.size());
    INFO("autoencoder MSE ", ae_mse, ", PCA's rank-", K, " MSE ", pca.mse(K));
    CHECK(ae_mse <= 1.01 * pca.mse(K));
    CHECK(ae_mse >= (1 - 1e-4) * pca.mse(K));  // no rank-k map does better than PCA: checks the oracle itself
}

}  // namespace

TEST_CASE("pca oracle: a linear autoencoder with a 2-D code learns PCA's top 2 components") { check_against_pca<2>(); }
TEST_CASE("pca oracle: a linear autoencoder with a 4-D code learns PCA's top 4 components") { check_against_pca<4>(); }
TEST_CASE("pca oracle: a linear autoencoder with an 8-D code learns PCA's top 8 components") { check_against_pca<8>(); }
TEST_CASE("pca oracle: a linear autoencoder with a 16-D code learns PCA's top 16 components") {
    check_against_pca<16>();
}
