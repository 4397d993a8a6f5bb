// Feature extraction: an autoencoder learns, without labels, a 32-number code for each Fashion-MNIST image
// (784-256-64-32 with ReLU, decoder mirrored, Sigmoid output, mean squared error, Adam 1e-3, batch 64). Its
// encoder alone then turns images into features. The same classifier, multinomial logistic regression (softmax)
// trained by mini-batch gradient descent with the same steps and learning rate, is trained once on the codes and
// once on the raw 784 pixels; the program prints both test accuracies side by side, with each training time.
//
//   feature_extraction [--epochs 5] [--seed 1] [--out out/feature_extraction] [--data DIR]

#include "example_options.hpp"

#include <latent/latent.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <span>
#include <vector>

using Encoder = latent::Sequential<latent::Dense<784, 256, latent::ReLU>, latent::Dense<256, 64, latent::ReLU>,
                                   latent::Dense<64, 32>>;
using Decoder = latent::Sequential<latent::Dense<32, 64, latent::ReLU>, latent::Dense<64, 256, latent::ReLU>,
                                   latent::Dense<256, 784, latent::Sigmoid>>;
using FeatureAutoencoder = latent::Autoencoder<Encoder, Decoder>;

using Features = latent::Matrix<float>;  // one sample per column

/// Rescales every feature to mean 0 and standard deviation 1 over the training set, and the test set with the
/// training set's figures. Pixels (0..1) and codes (any scale) then suit one learning rate.
void standardize(Features& train, Features& test) {
    for (Eigen::Index i = 0; i < train.rows(); ++i) {
        const double mean = train.row(i).cast<double>().mean();
        const double variance = (train.row(i).cast<double>().array() - mean).square().mean();
        const float inverse = variance > 1e-12 ? float(1 / std::sqrt(variance)) : 1.0f;  // border pixels: always 0
        train.row(i) = (train.row(i).array() - float(mean)) * inverse;
        test.row(i) = (test.row(i).array() - float(mean)) * inverse;
    }
}

/// Multinomial logistic regression: class probabilities softmax(W x + b).
struct SoftmaxRegression {
    latent::Matrix<float> weights;  // classes x features
    latent::Vector<float> bias;

    /// Column-wise softmax of the logits, shifted by each column's largest logit so that exp cannot overflow.
    latent::Matrix<float> probabilities(const Features& x) const {
        latent::Matrix<float> logits = (weights * x).colwise() + bias;
        logits.rowwise() -= logits.colwise().maxCoeff();
        logits = logits.array().exp();
        return logits.array().rowwise() / logits.colwise().sum().array();
    }

    double accuracy(const Features& x, std::span<const std::uint8_t> labels) const {
        const latent::Matrix<float> p = probabilities(x);
        std::size_t correct = 0;
        for (Eigen::Index j = 0; j < p.cols(); ++j) {
            Eigen::Index predicted = 0;
            p.col(j).maxCoeff(&predicted);
            correct += std::size_t(predicted) == labels[std::size_t(j)];
        }
        return double(correct) / double(labels.size());
    }
};

// One setting for both feature sets, chosen to be fair to each: over learning rates 0.01 to 1 and 10 to 30 epochs,
// neither ends more than about a point below the best it reached (codes 80.5%, pixels 84.6% after 5 autoencoder
// epochs). The codes, fewer but correlated, want larger or more steps; the pixels a smaller rate.
struct ClassifierSettings {
    std::size_t epochs = 10;
    std::size_t batch_size = 100;
    float learning_rate = 0.1f;
    std::uint64_t seed = 1;
};

/// Mini-batch gradient descent on the mean cross-entropy, from zero weights (the problem is convex), over the
/// training set shuffled every epoch by latent's seeded generator: the same steps for any features.
SoftmaxRegression train_softmax(const Features& x, std::span<const std::uint8_t> labels, std::size_t classes,
                                const ClassifierSettings& settings) {
    const Eigen::Index features = x.rows();
    SoftmaxRegression model{latent::Matrix<float>::Zero(Eigen::Index(classes), features),
                            latent::Vector<float>::Zero(Eigen::Index(classes))};
    std::vector<std::size_t> order(labels.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    latent::Rng rng{settings.seed};
    Features batch(features, Eigen::Index(settings.batch_size));
    for (std::size_t epoch = 0; epoch < settings.epochs; ++epoch) {
        rng.shuffle(std::span(order));
        for (std::size_t first = 0; first + settings.batch_size <= order.size(); first += settings.batch_size) {
            for (std::size_t j = 0; j < settings.batch_size; ++j)
                batch.col(Eigen::Index(j)) = x.col(Eigen::Index(order[first + j]));
            // d(mean cross-entropy)/d(logits) = probabilities - one-hot labels, over the batch size.
            latent::Matrix<float> gradient = model.probabilities(batch);
            for (std::size_t j = 0; j < settings.batch_size; ++j)
                gradient(labels[order[first + j]], Eigen::Index(j)) -= 1;
            gradient /= float(settings.batch_size);
            model.weights.noalias() -= settings.learning_rate * gradient * batch.transpose();
            model.bias -= settings.learning_rate * gradient.rowwise().sum();
        }
    }
    return model;
}

struct Result {
    double accuracy;
    double seconds;
};

Result classify(Features train, Features test, std::span<const std::uint8_t> train_labels,
                std::span<const std::uint8_t> test_labels, const ClassifierSettings& settings) {
    standardize(train, test);
    const auto started = std::chrono::steady_clock::now();
    const SoftmaxRegression classifier = train_softmax(train, train_labels, 10, settings);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return {classifier.accuracy(test, test_labels), seconds};
}

int main(int argc, char** argv) try {
    const auto options = parse_example_options(argc, argv, {.epochs = 5, .out = "out/feature_extraction"});
    const auto data = latent::load_fashion_mnist(options.data);

    FeatureAutoencoder model{options.seed};
    std::cout << model.summary() << "\n";
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-3}}, latent::MSE{}};
    const auto history = trainer.fit(data.train, data.test, {.epochs = options.epochs, .batch_size = 64, .seed = options.seed});

    const latent::Matrix<float> originals = data.test.batch(0, 16);
    const latent::Matrix<float> reconstructions = model.reconstruct(originals);
    latent::save_reconstruction_grid(options.out / "reconstructions.png", originals, reconstructions, 28, 28);
    plot_or_explain([&] { latent::save_loss_curve(options.out / "loss.png", history); });

    // The encoder on its own: 32 numbers per image instead of 784.
    const auto encoder = model.encoder();
    const Features train_pixels = data.train.batch(0, data.train.size());
    const Features test_pixels = data.test.batch(0, data.test.size());
    const auto encoding_started = std::chrono::steady_clock::now();
    const Features train_codes = encoder.predict(train_pixels);
    const Features test_codes = encoder.predict(test_pixels);
    const double encoding_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - encoding_started).count();

    const ClassifierSettings settings{.seed = options.seed};
    const Result codes = classify(train_codes, test_codes, data.train.labels(), data.test.labels(), settings);
    const Result pixels = classify(train_pixels, test_pixels, data.train.labels(), data.test.labels(), settings);

    std::printf("\nautoencoder test MSE after %zu epochs: %.4f; encoding the %zu images took %.2f s\n", options.epochs,
                *history.last().validation_loss, data.train.size() + data.test.size(), encoding_seconds);
    std::printf("softmax regression, %zu epochs of batches of %zu (%zu steps), learning rate %g, features "
                "standardised:\n\n",
                settings.epochs, settings.batch_size, settings.epochs * (data.train.size() / settings.batch_size),
                double(settings.learning_rate));
    std::printf("  %-20s %9s %14s %15s\n", "features", "dimension", "test accuracy", "training time");
    std::printf("  %-20s %9d %13.2f%% %13.2f s\n", "autoencoder codes", int(FeatureAutoencoder::code_size),
                100 * codes.accuracy, codes.seconds);
    std::printf("  %-20s %9d %13.2f%% %13.2f s\n", "raw pixels", int(FeatureAutoencoder::input_size),
                100 * pixels.accuracy, pixels.seconds);
    std::cout << "\npictures: " << options.out.string() << "/reconstructions.png (originals above reconstructions), "
              << options.out.string() << "/loss.png\n";
} catch (const latent::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
