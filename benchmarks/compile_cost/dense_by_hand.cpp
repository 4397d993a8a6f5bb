// Compile cost (issue 16): the same 12 Dense autoencoders as dense_family.cpp, each trained with its own Trainer
// and saved with save_model, as before the runner: measure.py.

#include <latent/latent.hpp>

#include <string>

using namespace latent;

template <std::size_t Code>
using Depth1 = Autoencoder<Sequential<Dense<784, Code>>, Sequential<Dense<Code, 784, Sigmoid>>>;
template <std::size_t Code>
using Depth2 = Autoencoder<Sequential<Dense<784, 128, ReLU>, Dense<128, Code>>,
                           Sequential<Dense<Code, 128, ReLU>, Dense<128, 784, Sigmoid>>>;
template <std::size_t Code>
using Depth3 = Autoencoder<Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, Code>>,
                           Sequential<Dense<Code, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>>;

template <class M>
void train_and_save(const TrainTestSplit& data, const std::string& name) {
    M model{1};
    Trainer trainer{model, Adam{{.learning_rate = 1e-3}}, MSE{}};
    trainer.fit(data.train, data.test, {.epochs = 1, .batch_size = 64, .seed = 1});
    save_model(model, name + ".latent");
}

template <template <std::size_t> class Depth, std::size_t... Codes>
void train_all(const TrainTestSplit& data, const std::string& depth) {
    (train_and_save<Depth<Codes>>(data, depth + "-" + std::to_string(Codes)), ...);
}

int main() {
    const auto data = load_fashion_mnist();
    train_all<Depth1, 2, 3, 8, 16>(data, "depth1");
    train_all<Depth2, 2, 3, 8, 16>(data, "depth2");
    train_all<Depth3, 2, 3, 8, 16>(data, "depth3");
}
