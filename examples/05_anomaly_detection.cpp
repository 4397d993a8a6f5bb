// Anomaly detection: an autoencoder trained only on "normal" images reconstructs them well and anything else
// worse, so its reconstruction error flags what it has not seen. Normal here is nine Fashion-MNIST classes;
// the anomaly is class 8, Bag, the one class that is neither clothing nor footwear, and also one of the most varied
// in shape (handbags, satchels, clutches). The model is feature_extraction's (784-256-64-32 with ReLU, decoder
// mirrored, Sigmoid output, mean squared error, Adam 1e-3, batch 64).
//
// The threshold comes from training images only (the 95th percentile of their errors: about 5% false alarms on
// normal images by design); the test set, with its 1,000 bags, then gives precision, recall and ROC AUC.
//
//   anomaly_detection [--epochs 5] [--seed 1] [--out out/anomaly_detection] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

using Encoder = latent::Sequential<latent::Dense<784, 256, latent::ReLU>, latent::Dense<256, 64, latent::ReLU>,
                                   latent::Dense<64, 32>>;
using Decoder = latent::Sequential<latent::Dense<32, 64, latent::ReLU>, latent::Dense<64, 256, latent::ReLU>,
                                   latent::Dense<256, 784, latent::Sigmoid>>;
using DetectorAutoencoder = latent::Autoencoder<Encoder, Decoder>;

constexpr std::uint8_t anomalous_class = 8;  // Bag
constexpr double threshold_percentile = 95;

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/anomaly_detection"});
    const auto data = latent::load_fashion_mnist(options.data);
    const auto is_normal = [](std::uint8_t label) { return label != anomalous_class; };
    const auto normal_train = data.train.filter_by_label(is_normal);
    const auto normal_test = data.test.filter_by_label(is_normal);
    const auto anomalous_test = data.test.filter_by_label([](std::uint8_t label) { return label == anomalous_class; });
    const std::string anomaly_name(latent::fashion_mnist_class_names[anomalous_class]);
    std::cout << "training on the " << normal_train.size() << " training images that are not " << anomaly_name
              << " (class " << int(anomalous_class) << "); the " << data.train.size() - normal_train.size()
              << " others are never seen\n\n";

    DetectorAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}};
    const auto history =
        trainer.fit(normal_train, normal_test, {.epochs = options.epochs, .batch_size = 64, .seed = options.seed});

    const double threshold =
        latent::percentile(latent::reconstruction_errors(model, normal_train), threshold_percentile);
    const std::vector<double> test_errors = latent::reconstruction_errors(model, data.test);
    std::vector<double> normal_errors;
    std::vector<double> anomalous_errors;
    for (std::size_t i = 0; i < test_errors.size(); ++i)
        (is_normal(data.test.labels()[i]) ? normal_errors : anomalous_errors).push_back(test_errors[i]);

    const auto above = [&](const std::vector<double>& errors) {
        return std::size_t(std::count_if(errors.begin(), errors.end(), [&](double e) { return e > threshold; }));
    };
    const std::size_t true_positives = above(anomalous_errors);
    const std::size_t false_positives = above(normal_errors);
    const std::size_t flagged = true_positives + false_positives;
    const double precision = flagged == 0 ? 0 : double(true_positives) / double(flagged);
    const double recall = double(true_positives) / double(anomalous_errors.size());
    const double auc = latent::roc_auc(normal_errors, anomalous_errors);

    std::printf("\nreconstruction error (MSE per image) by test class:\n");
    std::array<double, 10> sums{};
    std::array<std::size_t, 10> counts{};
    for (std::size_t i = 0; i < test_errors.size(); ++i) {
        sums[data.test.labels()[i]] += test_errors[i];
        ++counts[data.test.labels()[i]];
    }
    for (std::size_t c = 0; c < sums.size(); ++c)
        std::printf("  %-12s %.4f%s\n", std::string(latent::fashion_mnist_class_names[c]).c_str(),
                    sums[c] / double(counts[c]), c == anomalous_class ? "   <- never trained on" : "");

    std::printf("\nthreshold: %.4f, the %gth percentile of the training images' errors\n", threshold,
                threshold_percentile);
    std::printf("flagged as anomalies: %zu of %zu %s images, %zu of %zu normal test images\n", true_positives,
                anomalous_errors.size(), anomaly_name.c_str(), false_positives, normal_errors.size());
    std::printf("precision %.3f   recall %.3f   false alarm rate %.3f   ROC AUC %.4f\n", precision, recall,
                double(false_positives) / double(normal_errors.size()), auc);

    // Normal test images, then anomalies, above their reconstructions.
    latent::Matrix<float> originals(784, 16);
    originals << normal_test.batch(0, 8), anomalous_test.batch(0, 8);
    const latent::Matrix<float> reconstructions = model.reconstruct(originals);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, reconstructions, 28, 28);
    char title[128];
    std::snprintf(title, sizeof title, "Reconstruction error of test images (threshold %.4f, ROC AUC %.3f)", threshold,
                  auc);
    const std::string anomalous_label = "anomalous: " + anomaly_name;
    plot_or_explain([&] {
        latent::save_histogram(options.out / "errors.png",
                               {{"normal: the other 9 classes", normal_errors}, {anomalous_label, anomalous_errors}},
                               {.bins = 60, .normalize = true, .title = title, .x_label = "MSE per image"});
        latent::save_loss_curve(options.out / "loss.png", history);
    });
    std::cout << "\npictures: " << options.out.string() << "/errors.png (histograms of the test errors), "
              << "reconstructions.png (8 normal images, then 8 " << anomaly_name << "s, above their reconstructions), "
              << "loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
