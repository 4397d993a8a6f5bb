// Eigen interop: every Eigen way of holding a batch gives the codes of the plain matrix, result views share
// the result's memory, and training data built from Eigen matrices is a faithful copy that trains.

#include <latent/interop/eigen.hpp>
#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace latent;

namespace {
using Small = Autoencoder<Sequential<Dense<6, 4, Tanh>, Dense<4, 2>>, Sequential<Dense<2, 4, Tanh>, Dense<4, 6>>>;

// Samples on a 2-D subspace of R^6, so a code of size 2 can reconstruct them.
Matrix<float> subspace_samples(Eigen::Index n, std::uint64_t seed) {
    Rng rng{seed};
    Matrix<float> basis(6, 2);
    basis << 0.5f, -0.2f, 0.1f, 0.4f, -0.3f, 0.2f, 0.2f, 0.1f, 0.4f, -0.4f, 0.1f, 0.3f;
    Matrix<float> codes(2, n);
    for (float& v : codes.reshaped()) v = float(rng.uniform() * 2 - 1);
    return basis * codes;
}

template <class A, class B>
bool identical(const A& a, const B& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && (a.array() == b.array()).all();
}

template <class M>
concept ViewableInRows = requires(M&& m) { samples_in_rows(std::forward<M>(m)); };
}  // namespace

TEST_CASE("encode and reconstruct take Maps, strided Maps, blocks and transposed row-major data unchanged") {
    const Small model{1};
    const Matrix<float> x = subspace_samples(300, 2);
    const Matrix<float> codes = model.encode(x);
    const Matrix<float> reconstructions = model.reconstruct(x);

    SUBCASE("a Map over the same memory") {
        const ConstMatrixView<float> view(x.data(), x.rows(), x.cols());
        CHECK(identical(model.encode(view), codes));
        CHECK(identical(model.reconstruct(view), reconstructions));
    }
    SUBCASE("samples stored one per row, read through transpose()") {
        const RowMajorMatrix<float> rows = x.transpose();
        CHECK(identical(model.encode(rows.transpose()), codes));
        const Eigen::Map<const RowMajorMatrix<float>> rows_view(rows.data(), rows.rows(), rows.cols());
        CHECK(identical(model.reconstruct(rows_view.transpose()), reconstructions));
    }
    SUBCASE("a Map with an outer stride over a larger buffer, and a block") {
        Matrix<float> padded = Matrix<float>::Constant(10, x.cols(), 99.0f);
        padded.topRows(6) = x;
        const Eigen::Map<const Matrix<float>, 0, Eigen::OuterStride<>> strided(padded.data(), 6, x.cols(),
                                                                               Eigen::OuterStride<>(10));
        CHECK(identical(model.encode(strided), codes));
        CHECK(identical(model.encode(padded.topRows(6)), codes));
        // A block of columns gives what a copy of those columns gives (the same batch size, the same sums).
        CHECK(identical(model.encode(x.middleCols(100, 50)), model.encode(Matrix<float>(x.middleCols(100, 50)))));
    }
    SUBCASE("double data into a float model") {
        const Matrix<double> wide = x.cast<double>();
        CHECK(identical(model.encode(wide), codes));
    }
}

TEST_CASE("samples_in_rows shows a result one sample per row without copying") {
    const Small model{1};
    Matrix<float> codes = model.encode(subspace_samples(5, 3));
    Eigen::Map<RowMajorMatrix<float>> rows = samples_in_rows(codes);
    CHECK(rows.data() == codes.data());
    REQUIRE(rows.rows() == 5);
    REQUIRE(rows.cols() == 2);
    for (Eigen::Index s = 0; s < 5; ++s)
        for (Eigen::Index c = 0; c < 2; ++c) CHECK(rows(s, c) == codes(c, s));
    rows(4, 1) = 42.0f;  // a view: writes reach the matrix
    CHECK(codes(1, 4) == 42.0f);

    const Matrix<float>& const_codes = codes;
    CHECK(samples_in_rows(const_codes).data() == codes.data());
    static_assert(ViewableInRows<Matrix<float>&> && ViewableInRows<const Matrix<float>&>);
    static_assert(!ViewableInRows<Matrix<float>>, "a view of a temporary must not compile");
}

TEST_CASE("to_dataset copies the columns as samples, with their shape and labels") {
    Matrix<float> x(6, 3);
    x << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18;  // row by row
    const Dataset<float> images = to_dataset(x, 2, 3, {7, 8, 9});
    REQUIRE(images.size() == 3);
    CHECK(images.height() == 2);
    CHECK(images.width() == 3);
    CHECK(images.labels()[2] == 9);
    CHECK(identical(images.batch(0, 3), x));
    x(0, 0) = -1;  // a copy: the data set keeps its values
    CHECK(images.sample(0)[0] == 1.0f);

    const Dataset<float> rows = to_dataset(RowMajorMatrix<float>(x.transpose()).transpose());
    CHECK(rows.height() == 1);
    CHECK(rows.width() == 6);
    CHECK(identical(rows.batch(0, 3), x));

    const Dataset<double> wide = to_dataset(x.cast<double>().eval());
    CHECK(wide.sample(1)[5] == 17.0);  // column 1, row 5
}

TEST_CASE("to_dataset refuses a sample shape or labels that do not fit, naming the sizes") {
    const Matrix<float> x = Matrix<float>::Zero(6, 3);
    CHECK_THROWS_WITH_AS(to_dataset(x, 2, 2), doctest::Contains("2 x 2 = 4 values (rows), found 6 rows"), shape_error);
    CHECK_THROWS_AS(to_dataset(x, {1, 2}), shape_error);
    CHECK_THROWS_AS(to_dataset(Matrix<float>(0, 3)), argument_error);
}

TEST_CASE("a model trains on a data set built from an Eigen matrix") {
    Small model{1};
    const Dataset<float> data = to_dataset(subspace_samples(256, 4));
    Trainer trainer{model, Adam{{.learning_rate = 1e-2}}, MSE{}};
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 30, .batch_size = 32, .seed = 1, .verbosity = Verbosity::silent});
    CHECK(trainer.evaluate(data) < before / 4);
}
