// Anomaly detection on a real table: the Wisconsin breast cancer data (569 tumours, 30 measurements each, 357
// benign and 212 malignant), as scikit-learn ships it. An autoencoder trained on benign tumours only reconstructs
// them well and malignant ones worse, so its reconstruction error flags malignant tumours without ever seeing one.
//
// - Split, seeded and stratified: 30% of each class held out for testing. Of the benign rest, 80% fit the scaler
//   and the model and 20% (validation) choose the threshold; the malignant rest is not used (no labels needed).
// - Standardisation fitted on the benign fitting rows only, saved inside the model file.
// - Model 30-16-8-16-30 (ReLU, linear code and output), mean squared error, Adam 1e-3, batch 32, 3000 epochs
//   (chosen on the benign validation loss alone: 0.200, 0.145, 0.123, 0.121 after 100, 300, 1000, 3000).
// - Threshold: the 95th percentile of the benign validation rows' errors, so about 5% false alarms by design.
// - Writes split.npz (the row indices of each part, and latent's errors) for benchmarks/sklearn_anomaly.py, which
//   scores PCA and IsolationForest on the same split, same scaling and same threshold rule.
//
//   tabular_anomaly [--epochs 3000] [--seed 1] [--out out/tabular_anomaly]
//                   [--data /usr/lib/python3/dist-packages/sklearn/datasets/data]   (the folder of breast_cancer.csv)
// Exits with 77 (skipped) when breast_cancer.csv is not there (Debian: apt-get install python3-sklearn).

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using Encoder = latent::Sequential<latent::Dense<30, 16, latent::ReLU>, latent::Dense<16, 8>>;
using Decoder = latent::Sequential<latent::Dense<8, 16, latent::ReLU>, latent::Dense<16, 30>>;
using TableAutoencoder = latent::Autoencoder<Encoder, Decoder>;

constexpr std::uint8_t malignant = 0;  // the CSV's target column: 0 malignant, 1 benign
constexpr double test_fraction = 0.3;
constexpr double validation_fraction = 0.2;
constexpr double threshold_percentile = 95;

/// Rows of the table as a data set of 1 x 30 samples, without labels.
latent::Dataset<float> rows_of(const latent::CsvTable& table, const std::vector<std::int64_t>& rows) {
    const std::size_t n = table.names.size();
    std::vector<float> values;
    for (const std::int64_t r : rows)
        for (std::size_t f = 0; f < n; ++f) values.push_back(float(table.values[std::size_t(r) * n + f]));
    return latent::Dataset<float>(std::move(values), 1, n);
}

/// Fisher-Yates with latent's generator: the same order with every compiler and standard library.
void shuffle(std::vector<std::int64_t>& v, latent::Rng& rng) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[std::size_t(rng() % i)]);
}

latent::NpyArray indices_array(const std::vector<std::int64_t>& rows) { return latent::NpyArray({rows.size()}, rows); }

int main(int argc, char** argv) try {
    const auto options = parse_example_options(
        argc, argv, {.epochs = 3000, .out = "out/tabular_anomaly", .data = "/usr/lib/python3/dist-packages/sklearn/datasets/data"});
    const std::filesystem::path csv = options.data / "breast_cancer.csv";
    if (!std::filesystem::exists(csv)) {
        std::cout << "skipped: " << csv.string() << " not found (Debian: apt-get install python3-sklearn)\n";
        return 77;
    }
    // Line 1 holds counts and class names ("569,30,malignant,benign"), not column names: the table starts at line 2.
    std::ifstream in(csv);
    std::stringstream text;
    text << in.rdbuf();
    std::string body = text.str();
    body.erase(0, body.find('\n') + 1);
    const latent::CsvTable table = latent::parse_csv(body, csv.string(), {.header = false, .label = 30});
    std::cout << "read " << table.rows() << " tumours x " << table.names.size() << " measurements from "
              << csv.string() << "\n";

    // Stratified split: each class shuffled with the seed, its first 30% held out.
    latent::Rng rng(options.seed);
    std::vector<std::int64_t> fit_rows, validation_rows, test_rows, unused_malignant;
    for (const std::uint8_t label : {std::uint8_t(0), std::uint8_t(1)}) {
        std::vector<std::int64_t> rows;
        for (std::size_t r = 0; r < table.rows(); ++r)
            if (table.labels[r] == label) rows.push_back(std::int64_t(r));
        shuffle(rows, rng);
        const auto n_test = std::size_t(std::round(test_fraction * double(rows.size())));
        test_rows.insert(test_rows.end(), rows.begin(), rows.begin() + std::ptrdiff_t(n_test));
        if (label == malignant) {
            unused_malignant.assign(rows.begin() + std::ptrdiff_t(n_test), rows.end());
            continue;
        }
        const auto n_validation = std::size_t(std::round(validation_fraction * double(rows.size() - n_test)));
        validation_rows.assign(rows.begin() + std::ptrdiff_t(n_test), rows.begin() + std::ptrdiff_t(n_test + n_validation));
        fit_rows.assign(rows.begin() + std::ptrdiff_t(n_test + n_validation), rows.end());
    }
    std::sort(test_rows.begin(), test_rows.end());
    std::cout << "benign: " << fit_rows.size() << " to fit, " << validation_rows.size()
              << " to choose the threshold; test: " << test_rows.size() << " (both classes); "
              << unused_malignant.size() << " malignant rows unused\n\n";

    // The scaler sees the benign fitting rows only; everything else is scaled with what it learnt there.
    const latent::Scaler scaler = latent::Scaler::fit(rows_of(table, fit_rows), latent::Scaling::standard);
    const latent::Dataset<float> fit = scaler.transform(rows_of(table, fit_rows));
    const latent::Dataset<float> validation = scaler.transform(rows_of(table, validation_rows));

    TableAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}};
    const auto history = trainer.fit(fit, validation,
                                     {.epochs = options.epochs, .batch_size = 32, .seed = options.seed,
                                      .verbosity = latent::Verbosity::silent});
    std::printf("after %zu epochs: training loss %.4f, validation loss %.4f\n", options.epochs,
                history.epochs.back().train_loss, history.epochs.back().validation_loss.value_or(NAN));

    // The model file carries the scaler: inference reads both and applies the same transform.
    const std::filesystem::path model_file = options.out / "model.latent";
    latent::save_model(model, model_file, scaler);
    TableAutoencoder deployed;
    latent::Scaler deployed_scaler;
    latent::load_model(deployed, deployed_scaler, model_file);

    const std::vector<double> validation_errors = latent::reconstruction_errors(deployed, validation);
    const double threshold = latent::percentile(validation_errors, threshold_percentile);
    const std::vector<double> test_errors =
        latent::reconstruction_errors(deployed, deployed_scaler.transform(rows_of(table, test_rows)));
    std::vector<double> benign_errors, malignant_errors;
    for (std::size_t i = 0; i < test_rows.size(); ++i)
        (table.labels[std::size_t(test_rows[i])] == malignant ? malignant_errors : benign_errors).push_back(test_errors[i]);

    const auto above = [&](const std::vector<double>& errors) {
        return std::size_t(std::count_if(errors.begin(), errors.end(), [&](double e) { return e > threshold; }));
    };
    const std::size_t true_positives = above(malignant_errors);
    const std::size_t false_positives = above(benign_errors);
    const std::size_t flagged = true_positives + false_positives;
    const double precision = flagged == 0 ? 0 : double(true_positives) / double(flagged);
    const double recall = double(true_positives) / double(malignant_errors.size());
    const double auc = latent::roc_auc(benign_errors, malignant_errors);
    std::printf("\nthreshold: %.4f, the %gth percentile of the %zu benign validation rows' errors\n", threshold,
                threshold_percentile, validation_errors.size());
    std::printf("flagged as malignant: %zu of %zu malignant and %zu of %zu benign test tumours\n", true_positives,
                malignant_errors.size(), false_positives, benign_errors.size());
    std::printf("precision %.3f   recall %.3f   ROC AUC %.4f\n", precision, recall, auc);

    // The split and latent's scores, for benchmarks/sklearn_anomaly.py.
    latent::NpzArrays split;
    split.emplace("fit", indices_array(fit_rows));
    split.emplace("validation", indices_array(validation_rows));
    split.emplace("test", indices_array(test_rows));
    split.emplace("latent_validation_errors", latent::NpyArray({validation_errors.size()}, validation_errors));
    split.emplace("latent_test_errors", latent::NpyArray({test_errors.size()}, test_errors));
    latent::write_npz(options.out / "split.npz", split);

    char title[128];
    std::snprintf(title, sizeof title, "Reconstruction error of held-out tumours (threshold %.3f, ROC AUC %.3f)",
                  threshold, auc);
    // log10: malignant errors spread over two orders of magnitude, benign ones sit near the bottom.
    std::vector<double> benign_log, malignant_log;
    for (const double e : benign_errors) benign_log.push_back(std::log10(std::max(e, 1e-12)));  // finite for 0
    for (const double e : malignant_errors) malignant_log.push_back(std::log10(std::max(e, 1e-12)));
    plot_or_explain([&] {
        latent::save_histogram(options.out / "errors.png", {{"benign", benign_log}, {"malignant", malignant_log}},
                               {.bins = 30, .normalize = true, .title = title,
                                .x_label = "log10 of the mean squared error per tumour (standardised features)"});
        latent::save_loss_curve(options.out / "loss.png", history);
    });
    std::cout << "\nwrote " << model_file.string() << " (model and scaler), split.npz, errors.png, loss.png in "
              << options.out.string() << "\ncompare: /usr/bin/python3 benchmarks/sklearn_anomaly.py "
              << (options.out / "split.npz").string() << "\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
