#pragma once
// latent with data-parallel training over MPI: everything latent/latent.hpp gives, and latent::mpi (the CMake
// target latent::mpi). Kept out of latent/latent.hpp so that the core library never needs MPI.

#include "latent/latent.hpp"
#include "latent/distributed/mpi.hpp"
