// Dataset: sizes and labels are checked on construction; gather, batch and slice scale and copy the
// samples asked for, and refuse ranges outside the data.

#include <latent/data/dataset.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <vector>

using latent::Dataset;

namespace {
// Three 2 x 2 images with pixel values 0..11 and labels 7, 8, 9.
Dataset<std::uint8_t> three_images() {
    std::vector<std::uint8_t> pixels(12);
    for (std::uint8_t i = 0; i < 12; ++i) pixels[i] = std::uint8_t(i * 20);
    return Dataset<std::uint8_t>(std::move(pixels), 2, 2, {7, 8, 9});
}
}  // namespace

TEST_CASE("a data set knows its size, sample shape and labels") {
    const auto data = three_images();
    CHECK(data.size() == 3);
    CHECK(data.sample_size() == 4);
    CHECK(data.height() == 2);
    CHECK(data.width() == 2);
    CHECK(data.has_labels());
    CHECK(data.labels()[2] == 9);
    CHECK(data.scale() == doctest::Approx(1.0 / 255));
    CHECK(data.sample(1)[0] == 80);
    CHECK(Dataset<float>(std::vector<float>(6), 1, 3).scale() == 1.0);
    CHECK(Dataset<float>().empty());
}

TEST_CASE("gather and batch put scaled samples in columns") {
    const auto data = three_images();
    const std::vector<std::size_t> order{2, 0};
    latent::Matrix<float> out(4, 2);
    data.gather(std::span<const std::size_t>(order), latent::MatrixView<float>(out.data(), 4, 2));
    CHECK(out(0, 0) == doctest::Approx(160 / 255.0));
    CHECK(out(3, 0) == doctest::Approx(220 / 255.0));
    CHECK(out(1, 1) == doctest::Approx(20 / 255.0));

    const latent::Matrix<double> batch = data.batch<double>(1, 2);
    REQUIRE(batch.cols() == 2);
    CHECK(batch(0, 0) == doctest::Approx(80 / 255.0));
    CHECK(batch(3, 1) == doctest::Approx(220 / 255.0));
}

TEST_CASE("slice copies samples and their labels") {
    const auto part = three_images().slice(1, 2);
    CHECK(part.size() == 2);
    CHECK(part.labels()[0] == 8);
    CHECK(part.sample(1)[3] == 220);
}

TEST_CASE("filter_by_label keeps the samples of the labels asked for, in order, with their labels") {
    const auto data = three_images();
    const auto kept = data.filter_by_label([](std::uint8_t label) { return label != 8; });
    REQUIRE(kept.size() == 2);
    CHECK(kept.labels()[0] == 7);
    CHECK(kept.labels()[1] == 9);
    CHECK(kept.sample(1)[0] == 160);
    CHECK(kept.sample(1)[3] == 220);
    CHECK(kept.height() == 2);
    CHECK(kept.scale() == data.scale());
    CHECK(data.filter_by_label([](std::uint8_t) { return false; }).empty());
    CHECK(Dataset<std::uint8_t>().filter_by_label([](std::uint8_t) { return true; }).empty());
    CHECK_THROWS_WITH_AS(Dataset<std::uint8_t>(std::vector<std::uint8_t>(8), 2, 2).filter_by_label(
                             [](std::uint8_t) { return true; }),
                         "latent::Dataset::filter_by_label: expected a data set with labels, found 2 samples without",
                         latent::argument_error);
}

TEST_CASE("sizes that do not fit are refused with both figures") {
    CHECK_THROWS_WITH_AS(Dataset<std::uint8_t>(std::vector<std::uint8_t>(10), 2, 2),
                         doctest::Contains("expected a multiple of 4 values (samples of 2 x 2), found 10"),
                         latent::shape_error);
    CHECK_THROWS_WITH_AS(Dataset<std::uint8_t>(std::vector<std::uint8_t>(8), 2, 2, {1}),
                         doctest::Contains("expected one label per sample (2), found 1 labels"), latent::shape_error);
    CHECK_THROWS_AS(Dataset<std::uint8_t>(std::vector<std::uint8_t>(8), 0, 2), latent::argument_error);
    const auto data = three_images();
    CHECK_THROWS_WITH_AS(data.slice(2, 2), doctest::Contains("expected a range within the 3 samples, found [2, 4)"),
                         latent::argument_error);
    CHECK_THROWS_AS(data.batch(4, 0), latent::argument_error);
}

TEST_CASE("a scale that is not finite and positive, or a sample size past 2^64, is refused") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(Dataset<std::uint8_t>(std::vector<std::uint8_t>(4), 2, 2, {}, nan),
                         doctest::Contains("expected a scale that is finite and > 0, found nan"), latent::argument_error);
    CHECK_THROWS_AS(Dataset<float>(std::vector<float>(4), 2, 2, {}, 0.0), latent::argument_error);
    CHECK_THROWS_AS(Dataset<float>(std::vector<float>(4), 2, 2, {}, -1.0), latent::argument_error);
    CHECK_THROWS_AS(Dataset<float>(std::vector<float>(4), 2, 2, {}, std::numeric_limits<double>::infinity()),
                    latent::argument_error);
    // (2^32 + 1) x 2^32 wraps to 2^32 in 64 bits; unchecked, an empty vector would pass as 0 samples.
    const std::size_t big = (std::size_t{1} << 32) + 1, other = std::size_t{1} << 32;
    CHECK_THROWS_WITH_AS(Dataset<std::uint8_t>({}, big, other),
                         doctest::Contains("at most 2^64 - 1 values, found 4294967297 x 4294967296"),
                         latent::argument_error);
    CHECK(Dataset<std::uint8_t>({}, big, other - 1).empty());  // 2^64 - 1 values a sample: fits, no samples
    CHECK_THROWS_AS(Dataset<std::uint8_t>({}, std::size_t{1} << 32, std::size_t{1} << 32), latent::argument_error);
}

TEST_CASE("sample and gather refuse indices and shapes outside the data set, writing nothing") {
    const auto data = three_images();
    CHECK(data.sample(2)[0] == 160);
    CHECK_THROWS_WITH_AS(data.sample(3), doctest::Contains("expected an index below 3, found 3"), latent::argument_error);
    CHECK_THROWS_AS(Dataset<float>().sample(0), latent::argument_error);

    latent::Matrix<float> out = latent::Matrix<float>::Constant(4, 2, -1.0f);
    const std::vector<std::size_t> past_end{0, 3};
    CHECK_THROWS_WITH_AS(data.gather(std::span<const std::size_t>(past_end), latent::MatrixView<float>(out.data(), 4, 2)),
                         doctest::Contains("expected indices below 3, found 3"), latent::argument_error);
    CHECK((out.array() == -1.0f).all());
    const std::vector<std::size_t> two{0, 1};
    CHECK_THROWS_WITH_AS(data.gather(std::span<const std::size_t>(two), latent::MatrixView<float>(out.data(), 4, 1)),
                         doctest::Contains("expected an output of 4 x 2, found 4 x 1"), latent::shape_error);
    CHECK_THROWS_AS(data.gather(std::span<const std::size_t>(two), latent::MatrixView<float>(out.data(), 2, 2)),
                    latent::shape_error);
}
