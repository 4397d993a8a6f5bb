#pragma once
// The umbrella header: everything in latent.

#include "latent/version.hpp"

#include "latent/core/error.hpp"
#include "latent/core/finite.hpp"
#include "latent/core/matrix.hpp"
#include "latent/core/rng.hpp"
#include "latent/core/shape.hpp"
#include "latent/core/threads.hpp"

#include "latent/layers/activations.hpp"
#include "latent/layers/batch_norm.hpp"
#include "latent/layers/conv2d.hpp"
#include "latent/layers/conv_transpose2d.hpp"
#include "latent/layers/dense.hpp"
#include "latent/layers/dropout.hpp"
#include "latent/layers/gaussian_sample.hpp"
#include "latent/layers/initializers.hpp"
#include "latent/layers/input.hpp"
#include "latent/layers/layer.hpp"
#include "latent/layers/pooling.hpp"
#include "latent/layers/reshape.hpp"
#include "latent/layers/tied_dense.hpp"
#include "latent/layers/upsample.hpp"

#include "latent/backends/backend.hpp"
#include "latent/backends/backends.hpp"
#include "latent/backends/engine.hpp"
#include "latent/backends/passes.hpp"

// Sequential first: its shape errors then show one include line fewer.
#include "latent/models/sequential.hpp"

#include "latent/models/anomaly.hpp"
#include "latent/models/autoencoder.hpp"
#include "latent/models/generators.hpp"
#include "latent/models/mirror.hpp"
#include "latent/models/model.hpp"
#include "latent/models/stacking.hpp"

#include "latent/losses/bce.hpp"
#include "latent/losses/l1.hpp"
#include "latent/losses/loss.hpp"
#include "latent/losses/mse.hpp"

#include "latent/optimizers/adam.hpp"
#include "latent/optimizers/optimizer.hpp"
#include "latent/optimizers/rmsprop.hpp"
#include "latent/optimizers/sgd.hpp"

#include "latent/regularizers/contractive.hpp"
#include "latent/regularizers/gaussian_kl.hpp"
#include "latent/regularizers/kl_sparsity.hpp"
#include "latent/regularizers/l1_activity.hpp"
#include "latent/regularizers/regularizer.hpp"

#include "latent/training/communicator.hpp"
#include "latent/training/gradient_check.hpp"
#include "latent/training/history.hpp"
#include "latent/training/options.hpp"
#include "latent/training/progress.hpp"
#include "latent/training/schedule.hpp"
#include "latent/training/trainer.hpp"

#include "latent/experiments/family.hpp"
#include "latent/experiments/leaderboard.hpp"
#include "latent/experiments/runner.hpp"

#include "latent/data/corruption.hpp"
#include "latent/data/csv.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/fashion_mnist.hpp"
#include "latent/data/idx.hpp"
#include "latent/data/image_folder.hpp"
#include "latent/data/numpy.hpp"
#include "latent/data/scaler.hpp"

#include "latent/io/atomic_file.hpp"
#include "latent/io/image_grid.hpp"
#include "latent/io/model_file.hpp"
#include "latent/io/numpy.hpp"
#include "latent/io/onnx.hpp"
#include "latent/io/plot.hpp"
#include "latent/io/png.hpp"
#include "latent/io/protobuf.hpp"
#include "latent/io/safetensors.hpp"

