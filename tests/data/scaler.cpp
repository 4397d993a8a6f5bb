// Scaler: standardisation and min-max fitted on training data only, applied to other data and to matrices,
// inverted, and saved and read back as an .npz archive; refusals of wrong sizes and of corrupt saved scalers.

#include "latent/data/scaler.hpp"
#include "latent/io/numpy.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace latent::testing;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Two features: the first 1, 2, 3, 6 (mean 3, population sd sqrt(3.5)), the second constant 5.
latent::Dataset<double> train() { return latent::Dataset<double>({1, 5, 2, 5, 3, 5, 6, 5}, 1, 2, {0, 1, 0, 1}); }

}  // namespace

TEST_CASE("Scaler::fit standardises each feature with the training data's mean and standard deviation") {
    const latent::Scaler s = latent::Scaler::fit(train(), latent::Scaling::standard);
    CHECK(s.features() == 2);
    CHECK(s.offset() == std::vector<double>{3.0, 5.0});
    CHECK(s.scale()[0] == doctest::Approx(std::sqrt(3.5)));
    CHECK(s.scale()[1] == 1.0);  // constant feature: maps to 0, no division by zero
    const latent::Dataset<double> t = s.transform(train());
    CHECK(t.labels()[3] == 1);
    CHECK(t.scale() == 1.0);
    double sum = 0, squares = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        sum += t.sample(i)[0];
        squares += t.sample(i)[0] * t.sample(i)[0];
        CHECK(t.sample(i)[1] == 0.0);
    }
    CHECK(sum == doctest::Approx(0.0));
    CHECK(squares / 4 == doctest::Approx(1.0));
}

TEST_CASE("Scaler: min-max maps the training range to [0, 1]; other data uses the training figures") {
    const latent::Scaler s = latent::Scaler::fit(train(), latent::Scaling::min_max);
    CHECK(s.offset() == std::vector<double>{1.0, 5.0});
    CHECK(s.scale() == std::vector<double>{5.0, 1.0});
    const latent::Dataset<double> test({11, 7}, 1, 2);
    const latent::Dataset<double> t = s.transform(test);
    CHECK(t.sample(0)[0] == 2.0);  // (11 - 1) / 5: outside [0, 1], as the test data is outside the training range
    CHECK(t.sample(0)[1] == 2.0);

    // Bytes with their 1/255 scale are fitted and scaled as batch() gives them.
    const latent::Dataset<std::uint8_t> pixels({0, 255, 51}, 1, 1);
    const latent::Scaler p = latent::Scaler::fit(pixels, latent::Scaling::min_max);
    CHECK(p.scale()[0] == doctest::Approx(1.0));
}

TEST_CASE("Scaler on matrices, its inverse, and refusals of other feature counts") {
    const latent::Scaler s = latent::Scaler::fit(train(), latent::Scaling::standard);
    latent::Matrix<float> x(2, 2);
    x << 3, 6,
         5, 4;
    const latent::Matrix<float> original = x;
    s.transform_in_place(x);
    CHECK(x(0, 0) == 0.0f);
    CHECK(x(1, 1) == -1.0f);
    s.inverse_in_place(x);
    CHECK(x.isApprox(original));
    latent::Matrix<float> wrong(3, 1);
    CHECK(contains(message_of<latent::shape_error>([&] { s.transform_in_place(wrong); }),
                   "expected samples of 2 features, as fitted, found 3"));
    CHECK_THROWS_AS((void)s.transform(latent::Dataset<double>({1, 2, 3}, 1, 3)), latent::shape_error);
    CHECK_THROWS_AS((void)latent::Scaler::fit(latent::Dataset<double>({}, 1, 2), latent::Scaling::standard),
                    latent::argument_error);
}

TEST_CASE("Scaler saved as .npz and read back gives the same transform; corrupt ones are refused") {
    const ScratchDirectory dir;
    const latent::Scaler s = latent::Scaler::fit(train(), latent::Scaling::min_max);
    latent::write_npz(dir.path / "scaler.npz", s.to_npz());
    const latent::Scaler back = latent::Scaler::from_npz(latent::read_npz(dir.path / "scaler.npz"));
    CHECK(back.scaling() == latent::Scaling::min_max);
    CHECK(back.offset() == s.offset());
    CHECK(back.scale() == s.scale());

    latent::NpzArrays arrays = s.to_npz();
    arrays.erase("scale");
    CHECK(contains(message_of<latent::format_error>([&] { (void)latent::Scaler::from_npz(arrays); }),
                   "expected an array 'scale', found none"));
    arrays = s.to_npz();
    arrays.insert_or_assign("scale", latent::NpyArray({2}, std::vector<double>{1.0, 0.0}));
    CHECK(contains(message_of<latent::format_error>([&] { (void)latent::Scaler::from_npz(arrays); }),
                   "a finite scale > 0 for feature 1"));
    arrays = s.to_npz();
    arrays.insert_or_assign("scale", latent::NpyArray({3}, std::vector<double>{1.0, 1.0, 1.0}));
    CHECK_THROWS_AS((void)latent::Scaler::from_npz(arrays), latent::format_error);
    arrays = s.to_npz();
    arrays.insert_or_assign("scaling", latent::NpyArray({1}, std::vector<std::uint8_t>{2}));
    CHECK(contains(message_of<latent::format_error>([&] { (void)latent::Scaler::from_npz(arrays); }),
                   "expected 'scaling' to be one uint8, 0 or 1"));
}
