// xtensor interop: batches go in and results come out without copies (same memory, checked by address), in
// every layout the views allow; training data built from xtensor expressions is a faithful copy that trains.
// Built only where xtensor is found; compiled by g++ 12 in C++20 too, where xtensor 0.24.3's reducers and
// pad/tile are broken, so this file uses containers, adaptors and views only.

#include <latent/interop/xtensor.hpp>
#include <latent/latent.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <vector>

using namespace latent;

namespace {
using Small = Autoencoder<Sequential<Dense<6, 4, Tanh>, Dense<4, 2>>, Sequential<Dense<2, 4, Tanh>, Dense<4, 6>>>;

// n samples x 6 features on a 2-D subspace, so a code of size 2 can reconstruct them.
xt::xtensor<float, 2> subspace_samples(std::size_t n, std::uint64_t seed) {
    Rng rng{seed};
    const float basis[6][2] = {{0.5f, 0.2f}, {-0.2f, 0.1f}, {0.1f, 0.4f}, {0.4f, -0.4f}, {-0.3f, 0.1f}, {0.2f, 0.3f}};
    xt::xtensor<float, 2> x = xt::xtensor<float, 2>::from_shape({n, 6});
    for (std::size_t s = 0; s < n; ++s) {
        const float a = float(rng.uniform() * 2 - 1), b = float(rng.uniform() * 2 - 1);
        for (std::size_t f = 0; f < 6; ++f) x(s, f) = basis[f][0] * a + basis[f][1] * b;
    }
    return x;
}

// The same samples as latent's features x samples matrix, copied element by element.
Matrix<float> as_columns(const xt::xtensor<float, 2>& x) {
    Matrix<float> m(Eigen::Index(x.shape()[1]), Eigen::Index(x.shape()[0]));
    for (std::size_t s = 0; s < x.shape()[0]; ++s)
        for (std::size_t f = 0; f < x.shape()[1]; ++f) m(Eigen::Index(f), Eigen::Index(s)) = x(s, f);
    return m;
}

// Every element of the samples x features container `t` equals the features x samples matrix `m`, transposed.
template <class T>
bool same_samples(const T& t, const Matrix<float>& m) {
    if (t.dimension() != 2 || t.shape()[0] != std::size_t(m.cols()) || t.shape()[1] != std::size_t(m.rows()))
        return false;
    for (std::size_t s = 0; s < t.shape()[0]; ++s)
        for (std::size_t f = 0; f < t.shape()[1]; ++f)
            if (t(s, f) != m(Eigen::Index(f), Eigen::Index(s))) return false;
    return true;
}

template <class A, class B>
bool identical(const A& a, const B& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && (a.array() == b.array()).all();
}
}  // namespace

TEST_CASE("from_xtensor views a samples x features xtensor as latent's batch, on the same memory") {
    const xt::xtensor<float, 2> batch = subspace_samples(300, 1);
    const auto view = from_xtensor(batch);
    CHECK(view.data() == batch.data());
    REQUIRE(view.rows() == 6);
    REQUIRE(view.cols() == 300);
    CHECK(identical(view, as_columns(batch)));

    const Small model{1};
    CHECK(identical(model.encode(view), model.encode(as_columns(batch))));
    CHECK(identical(model.reconstruct(view), model.reconstruct(as_columns(batch))));
}

TEST_CASE("xarrays in either layout and strided views give the codes of the plain batch") {
    const Small model{2};
    const xt::xtensor<float, 2> batch = subspace_samples(40, 2);
    const Matrix<float> codes = model.encode(as_columns(batch));

    SUBCASE("row-major xarray") {
        const xt::xarray<float> rows = batch;
        CHECK(from_xtensor(rows).data() == rows.data());
        CHECK(identical(model.encode(from_xtensor(rows)), codes));
    }
    SUBCASE("column-major xarray") {
        xt::xarray<float, xt::layout_type::column_major> columns = xt::xarray<float, xt::layout_type::column_major>::from_shape({40, 6});
        columns = batch;
        REQUIRE(columns.strides()[0] == 1);
        CHECK(from_xtensor(columns).data() == columns.data());
        CHECK(identical(model.encode(from_xtensor(columns)), codes));
    }
    // Below, the reference is the same samples copied into a plain matrix: the same batch size gives the same sums.
    SUBCASE("every other sample, and a block of samples") {
        const auto even = xt::view(batch, xt::range(0, 40, 2), xt::all());
        const Matrix<float> even_codes = model.encode(from_xtensor(even));
        REQUIRE(even_codes.cols() == 20);
        CHECK(identical(even_codes, model.encode(as_columns(xt::xtensor<float, 2>(even)))));
        const auto block = xt::view(batch, xt::range(10, 15), xt::all());
        CHECK(from_xtensor(block).data() == batch.data() + 10 * 6);
        CHECK(identical(model.encode(from_xtensor(block)), model.encode(Matrix<float>(as_columns(batch).middleCols(10, 5)))));
    }
    SUBCASE("a features x samples array, transposed") {
        xt::xtensor<float, 2> features_by_samples = xt::xtensor<float, 2>::from_shape({6, 40});
        for (std::size_t s = 0; s < 40; ++s)
            for (std::size_t f = 0; f < 6; ++f) features_by_samples(f, s) = batch(s, f);
        CHECK(identical(model.encode(from_xtensor(xt::transpose(features_by_samples))), codes));
    }
    SUBCASE("a single sample: a static 1-D tensor gives a vector, a 1-D xarray a batch of one") {
        const Vector<float> expected = model.encode(Vector<float>(as_columns(batch).col(7)));
        const xt::xtensor<float, 1> one = xt::view(batch, 7, xt::all());
        const Vector<float> code = model.encode(from_xtensor(one));
        CHECK(identical(code, expected));
        const xt::xarray<float> one_array = one;
        const Matrix<float> code_array = model.encode(from_xtensor(one_array));
        CHECK(identical(code_array, expected));
        const auto row = xt::view(batch, 7, xt::all());  // a strided 1-D view of one row
        CHECK(identical(model.encode(from_xtensor(row)), expected));
    }
}

TEST_CASE("from_xtensor refuses other ranks and reversed views") {
    const xt::xarray<float> cube = xt::xarray<float>::from_shape({2, 3, 6});
    CHECK_THROWS_WITH_AS(from_xtensor(cube), doctest::Contains("found 3 dimensions"), shape_error);
    const xt::xtensor<float, 2> batch = subspace_samples(4, 3);
    const auto reversed = xt::view(batch, xt::range(3, xt::placeholders::_, -1), xt::all());
    REQUIRE(reversed.strides()[0] < 0);
    CHECK_THROWS_WITH_AS(from_xtensor(reversed), doctest::Contains("non-negative strides"), argument_error);
}

TEST_CASE("to_xtensor hands a result over as a samples x features container without copying it") {
    const Small model{3};
    const xt::xtensor<float, 2> batch = subspace_samples(50, 4);
    Matrix<float> codes = model.encode(from_xtensor(batch));
    const Matrix<float> expected = codes;
    const float* memory = codes.data();

    const XtensorBatch<float> xcodes = to_xtensor(std::move(codes));
    CHECK(xcodes.data() == memory);
    REQUIRE(xcodes.shape()[0] == 50);
    REQUIRE(xcodes.shape()[1] == 2);
    CHECK(same_samples(xcodes, expected));

    // It behaves as an xtensor container: views, copies into xt::xtensor, element-wise expressions.
    const auto sample = xt::view(xcodes, 49, xt::all());
    CHECK(sample(1) == expected(1, 49));
    const xt::xtensor<float, 2> copy = xcodes;
    CHECK(same_samples(copy, expected));
    const xt::xtensor<float, 2> doubled = xcodes * 2.0f;
    CHECK(doubled(10, 0) == 2.0f * expected(0, 10));

    // Reconstructions round-trip to the input's layout.
    const XtensorBatch<float> xreconstructions = to_xtensor(model.reconstruct(from_xtensor(batch)));
    CHECK(same_samples(xreconstructions, model.reconstruct(as_columns(batch))));

    Vector<float> one = model.encode(from_xtensor(xt::xtensor<float, 1>(xt::view(batch, 0, xt::all()))));
    const float* one_memory = one.data();
    const XtensorSample<float> xone = to_xtensor(std::move(one));
    CHECK(xone.data() == one_memory);
    REQUIRE(xone.shape()[0] == 2);
    CHECK(xone(1) == expected(1, 0));
}

TEST_CASE("to_dataset copies 2-D and 3-D xtensor data, lazy expressions included") {
    const xt::xtensor<float, 2> batch = subspace_samples(8, 5);
    const Dataset<float> rows = to_dataset(batch, std::vector<std::uint8_t>(8, 3));
    REQUIRE(rows.size() == 8);
    CHECK(rows.height() == 1);
    CHECK(rows.width() == 6);
    CHECK(rows.labels()[7] == 3);
    CHECK(identical(rows.batch(0, 8), as_columns(batch)));

    const xt::xarray<float, xt::layout_type::column_major> columns = batch;
    CHECK(identical(to_dataset(columns).batch(0, 8), as_columns(batch)));
    CHECK(identical(to_dataset(batch * 2.0f).batch(0, 8), Matrix<float>(2.0f * as_columns(batch))));

    xt::xtensor<std::uint8_t, 3> images = xt::xtensor<std::uint8_t, 3>::from_shape({2, 2, 3});
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = std::uint8_t(i * 10);
    const Dataset<std::uint8_t> pictures = to_dataset(images);
    CHECK(pictures.size() == 2);
    CHECK(pictures.height() == 2);
    CHECK(pictures.width() == 3);
    CHECK(pictures.sample(1)[4] == 100);  // sample 1, row 1, column 1

    CHECK_THROWS_WITH_AS(to_dataset(xt::xarray<float>::from_shape({6})), doctest::Contains("found 1 dimensions"),
                         shape_error);
    CHECK_THROWS_AS(to_dataset(batch, {1, 2}), shape_error);
}

TEST_CASE("a model trains on xtensor data and encodes it back into xtensor") {
    Small model{1};
    const xt::xtensor<float, 2> batch = subspace_samples(256, 6);
    const Dataset<float> data = to_dataset(batch);
    Trainer trainer{model, Adam{{.learning_rate = 1e-2}}, MSE{}};
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 30, .batch_size = 32, .seed = 1, .verbosity = Verbosity::silent});
    CHECK(trainer.evaluate(data) < before / 4);

    const XtensorBatch<float> reconstructions = to_xtensor(model.reconstruct(from_xtensor(batch)));
    double squared_error = 0;
    for (std::size_t s = 0; s < 256; ++s)
        for (std::size_t f = 0; f < 6; ++f) {
            const double d = double(reconstructions(s, f)) - double(batch(s, f));
            squared_error += d * d;
        }
    CHECK(squared_error / (256 * 6) == doctest::Approx(trainer.evaluate(data)).epsilon(1e-4));
}
