// CSV tables of numbers: header on and off, delimiters, columns by name and index, a label column, exact parsing,
// and every refusal with its line and column.

#include "latent/data/csv.hpp"

#include "support/files.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace latent::testing;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string csv_error(const std::string& text, const latent::CsvOptions& options = {}) {
    return message_of<latent::format_error>([&] { (void)latent::parse_csv(text, "t.csv", options); });
}

std::string csv_argument_error(const std::string& text, const latent::CsvOptions& options) {
    return message_of<latent::argument_error>([&] { (void)latent::parse_csv(text, "t.csv", options); });
}

const std::string iris_like = "sepal,petal,\"width\",class\n"
                              "5.1,1.4,0.2,0\n"
                              "7.0,4.7,1.4,1\r\n"
                              "6.3, 6.0 ,2.5,2\n"
                              "\n";

}  // namespace

TEST_CASE("parse_csv reads a table with a header, every column but the label, values exactly") {
    const latent::CsvTable t = latent::parse_csv(iris_like, "iris.csv", {.label = "class"});
    CHECK(t.names == std::vector<std::string>{"sepal", "petal", "width"});
    CHECK(t.rows() == 3);
    CHECK(t.values == std::vector<double>{5.1, 1.4, 0.2, 7.0, 4.7, 1.4, 6.3, 6.0, 2.5});
    CHECK(t.labels == std::vector<std::uint8_t>{0, 1, 2});

    // Without a label column, the class is a feature like the others.
    CHECK(latent::parse_csv(iris_like, "iris.csv").names.size() == 4);
}

TEST_CASE("parse_csv: columns by name and by index, in the order asked, other delimiters, no header") {
    const latent::CsvTable t = latent::parse_csv(iris_like, "iris.csv", {.columns = {"width", 0}, .label = 3});
    CHECK(t.names == std::vector<std::string>{"width", "sepal"});
    CHECK(t.values == std::vector<double>{0.2, 5.1, 1.4, 7.0, 2.5, 6.3});
    CHECK(t.labels.size() == 3);

    const latent::CsvTable s =
        latent::parse_csv("1;2.5e3;-3\n+4;0x1;6\n", "s.csv", {.delimiter = ';', .header = false, .columns = {0, 2}});
    CHECK(s.names == std::vector<std::string>{"column 1", "column 3"});
    CHECK(s.values == std::vector<double>{1, -3, 4, 6});

    const latent::CsvTable tabs = latent::parse_csv("a\tb\n1e-3\t2\n", "tabs.tsv", {.delimiter = '\t'});
    CHECK(tabs.values == std::vector<double>{1e-3, 2});
    // A UTF-8 byte order mark before the header is not part of the first name.
    CHECK(latent::parse_csv("\xef\xbb\xbf" "x,y\n1,2\n", "bom.csv").names[0] == "x");
}

TEST_CASE("parse_csv: a missing or non-numeric value is refused with its line and column") {
    CHECK(contains(csv_error("a,b\n1,2\n3,\n"), "'t.csv' line 3, column 2 ('b'): expected a number, found a missing value"));
    CHECK(contains(csv_error("a,b\n1,2\n3,x4\n"), "line 3, column 2 ('b'): expected a number, found 'x4'"));
    CHECK(contains(csv_error("a,b\n1,2.5.1\n"), "line 2, column 2 ('b'): expected a number, found '2.5.1'"));
    CHECK(contains(csv_error("a,b\n1,2 3\n"), "found '2 3'"));
    CHECK(contains(csv_error("a,b\nNaN,2\n"), "line 2, column 1 ('a'): expected a finite number, found 'NaN' (a missing value?)"));
    CHECK(contains(csv_error("a,b\n1,-inf\n"), "expected a finite number, found '-inf'"));
    CHECK(contains(csv_error("a,b\n1,1e999\n"), "expected a number within double's range, found '1e999'"));
    CHECK(contains(csv_error("a,b\n1,+-2\n"), "found '+-2'"));
    CHECK(contains(csv_error("1,2\n3,x\n", {.header = false}), "line 2, column 2 ('column 2')"));
    // Only the selected columns are parsed: text in another column is no error.
    CHECK(latent::parse_csv("a,name\n1,alice\n", "t.csv", {.columns = {"a"}}).values == std::vector<double>{1});
}

TEST_CASE("parse_csv: ragged rows, empty lines, no rows, bad labels") {
    CHECK(contains(csv_error("a,b\n1,2\n3\n"), "'t.csv' line 3: expected 2 fields, as in line 1, found 1"));
    CHECK(contains(csv_error("a,b\n1,2,3\n"), "line 2: expected 2 fields, as in line 1, found 3"));
    CHECK(contains(csv_error("a,b\n1,2\n\n3,4\n"), "line 3 is empty: expected a row of 2 values"));
    CHECK(contains(csv_error("a,b\n"), "expected a table with at least one row of numbers, found none"));
    CHECK(contains(csv_error(""), "found none"));
    CHECK(contains(csv_error("a,c\n1,2.5\n", {.label = "c"}), "line 2, column 2 ('c'): expected a label, an integer 0..255, found '2.5'"));
    CHECK(contains(csv_error("a,c\n1,256\n", {.label = "c"}), "found '256'"));
    CHECK(contains(csv_error("a,c\n1,-1\n", {.label = "c"}), "found '-1'"));
}

TEST_CASE("parse_csv: columns that do not exist, by name without a header, chosen twice") {
    const std::string t = "a,b\n1,2\n";
    CHECK(contains(csv_argument_error(t, {.columns = {"z"}}), "'t.csv' has no column named 'z'"));
    CHECK(contains(csv_argument_error(t, {.columns = {5}}), "has 2 columns (indices 0 to 1): expected a column index among "
                                                            "them, found 5"));
    CHECK(contains(csv_argument_error(t, {.columns = {-1}}), "found a negative one"));
    CHECK(contains(csv_argument_error(t, {.header = false, .columns = {"a"}}), "a column by name ('a') needs a header line"));
    CHECK(contains(csv_argument_error(t, {.columns = {"a", 0}}), "expected each column once, found 'a' twice"));
    CHECK(contains(csv_argument_error(t, {.columns = {"a"}, .label = "a"}), "found 'a' both as a feature and as the label"));
    CHECK(contains(csv_argument_error("a\n1\n", {.label = "a"}), "expected at least one feature column, found none"));
}

TEST_CASE("load_csv builds a data set of rows with labels from a file") {
    const ScratchDirectory dir;
    const std::string text = "x,y,label\n0.5,1,0\n2,3,1\n";
    write_file(dir.path / "t.csv", Bytes(text.begin(), text.end()));
    const latent::Dataset<float> d = latent::load_csv(dir.path / "t.csv", {.label = "label"});
    CHECK(d.size() == 2);
    CHECK(d.height() == 1);
    CHECK(d.width() == 2);
    CHECK(d.batch(1, 1)(1, 0) == 3.0f);
    CHECK(d.labels()[1] == 1);
    CHECK_THROWS_AS((void)latent::load_csv(dir.path / "missing.csv"), latent::file_error);
}

TEST_CASE("parse_csv on every truncation and on random corruptions throws only format_error") {
    const std::string valid = "a,b,c\n1.5,-2,0\n3e2,4,1\n";
    const auto check = [](const std::string& text) {
        try {
            const latent::CsvTable t = latent::parse_csv(text, "fuzz.csv", {.label = "c"});
            CHECK(t.values.size() == t.rows() * t.names.size());
            CHECK(t.labels.size() == t.rows());
        } catch (const latent::format_error&) {
        } catch (const latent::argument_error&) {
            // a corrupted header may lose the label column's name
        }
    };
    for (std::size_t n = 0; n <= valid.size(); ++n) check(valid.substr(0, n));
    std::mt19937 rng{5};
    std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 3000; ++round) {
        std::string text = valid;
        for (int k = 0; k < 1 + round % 3; ++k) text[position(rng)] = static_cast<char>(byte(rng));
        check(text);
    }
}
