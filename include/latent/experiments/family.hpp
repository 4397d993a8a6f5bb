#pragma once
// Family<Models...>: a family of architectures as one type, so that the compiler checks every member and an
// experiment trains them all the same way (experiments/runner.hpp).

#include <cstddef>

namespace latent {

/// A type list of models (Autoencoder types); the members of an architecture experiment.
template <class... Models>
struct Family {
    static constexpr std::size_t size = sizeof...(Models);
};

}  // namespace latent
