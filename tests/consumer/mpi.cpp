// A user's program that trains over MPI (consumer/CMakeLists.txt, CONSUMER_MPI), run by mpirun with 2 processes:
// latent/mpi.hpp and the latent::mpi target from the installed package. Fails (non-zero exit) unless the loss
// drops and both processes end with the same weights.
#include <latent/mpi.hpp>

#include <cstdio>
#include <vector>

using Model = latent::Autoencoder<latent::Sequential<latent::Dense<8, 2, latent::Tanh>>,
                                  latent::Sequential<latent::Dense<2, 8>>>;

int main(int argc, char** argv) {
    latent::mpi::Environment environment(argc, argv);
    latent::Rng rng{1};
    std::vector<float> values(128 * 8);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = float(i % 2 ? rng.uniform() : 0.5);
    const latent::Dataset<float> data(std::move(values), 1, 8);

    Model model{1};
    latent::Trainer trainer{model, latent::Adam{{.learning_rate = 1e-2}}, latent::MSE{}, latent::mpi::Communicator{}};
    const double before = trainer.evaluate(data);
    trainer.fit(data, {.epochs = 10, .batch_size = 16, .verbosity = latent::Verbosity::silent});
    const double after = trainer.evaluate(data);

    std::vector<float> rank0(model.parameters().begin(), model.parameters().end());
    trainer.communicator().broadcast(std::span<float>(rank0));
    const bool same = std::ranges::equal(rank0, model.parameters());
    const bool all_same = !trainer.communicator().any(!same);
    if (trainer.communicator().rank() == 0)
        std::printf("%zu processes: loss %.4f -> %.4f, weights %s\n", trainer.communicator().size(), before, after,
                    all_same ? "the same on every process" : "DIFFERENT");
    return after < before && all_same ? 0 : 1;
}
