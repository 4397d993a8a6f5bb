// A training step after warm-up allocates nothing: no operator new, and no Eigen heap allocation.
// Its own executable, because both checks change global behaviour: operator new is replaced to count,
// and Eigen is built with EIGEN_RUNTIME_NO_MALLOC and an eigen_assert that throws.

#include <stdexcept>

#define EIGEN_RUNTIME_NO_MALLOC
#define eigen_assert(condition) \
    ((condition) ? void(0) : throw std::logic_error("Eigen assertion failed: " #condition))

#include <latent/latent.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> operator_new_calls{0};

void* counted_allocation(std::size_t size, std::size_t alignment) {
    ++operator_new_calls;
    void* p = alignment > alignof(std::max_align_t) ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                                                    : std::malloc(size ? size : 1);
    if (!p) throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size, 0); }
void* operator new(std::size_t size, std::align_val_t alignment) { return counted_allocation(size, std::size_t(alignment)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace latent;

using Encoder = Sequential<Dense<784, 128, ReLU>, Dense<128, 64, ReLU>, Dense<64, 12, ReLU>, Dense<12, 3>>;
using Decoder = Sequential<Dense<3, 12, ReLU>, Dense<12, 64, ReLU>, Dense<64, 128, ReLU>, Dense<128, 784, Sigmoid>>;
using Deep = Autoencoder<Encoder, Decoder>;
using Conv = Autoencoder<Sequential<Input<1, 28, 28>, Conv2D<4, 3, ReLU>, MaxPool2D<2>, Conv2D<4, 3, ReLU, Padding::same, 2>,
                                    Flatten, Dense<196, 16, ReLU>>,
                         Sequential<Dense<16, 784, Sigmoid>, Reshape<1, 28, 28>>>;
using Normalized = Autoencoder<Sequential<Input<1, 28, 28>, Conv2D<4, 3, ReLU>, BatchNorm<>, MaxPool2D<2>, Flatten,
                                          Dense<784, 16, ReLU>, BatchNorm<>>,
                               Sequential<Dense<16, 784, Sigmoid>, Reshape<1, 28, 28>>>;

Dataset<std::uint8_t> random_images(std::size_t n) {
    Rng rng{1};
    std::vector<std::uint8_t> pixels(n * 784);
    for (auto& p : pixels) p = std::uint8_t(rng.below(256));
    return Dataset<std::uint8_t>(std::move(pixels), 28, 28);
}

/// Counts allocations in the batches after the first of each epoch (the warm-up).
template <class Model = Deep, class Optimizer, class LossFunction>
std::size_t allocations_after_warm_up(Optimizer optimizer, LossFunction loss, std::size_t threads = 1) {
    const auto data = random_images(640);
    Model model{1};
    Trainer trainer{model, std::move(optimizer), loss};
    std::size_t counted = 0;
    std::size_t at_batch_start = 0;
    trainer.on_batch_end([&](const BatchReport& report) {
        if (report.batch > 0) counted += operator_new_calls - at_batch_start;
        Eigen::internal::set_is_malloc_allowed(report.batch + 1 == report.batches);  // the epoch's end may allocate
        at_batch_start = operator_new_calls;
    });
    trainer.on_epoch_end([&](const EpochRecord&) { Eigen::internal::set_is_malloc_allowed(true); });
    trainer.fit(data, {.epochs = 2, .batch_size = 64, .verbosity = Verbosity::silent, .threads = threads});
    Eigen::internal::set_is_malloc_allowed(true);
    return counted;
}

}  // namespace

TEST_CASE("a training step allocates nothing after warm-up (Adam, MSE)") {
    CHECK(allocations_after_warm_up(Adam{{.weight_decay = 1e-5}}, MSE{}) == 0);
}

TEST_CASE("a training step allocates nothing after warm-up (SGD with momentum, BCE)") {
    CHECK(allocations_after_warm_up(SGD{{.momentum = 0.9}}, BCE{}) == 0);
}

TEST_CASE("a training step on two threads allocates nothing after warm-up (Adam, MSE)") {
    CHECK(allocations_after_warm_up(Adam{}, MSE{}, 2) == 0);
}

TEST_CASE("the counters work: an allocation in a step is seen") {
    const std::size_t before = operator_new_calls;
    void* p = ::operator new(16);  // a direct call: compilers may elide new-expressions, not this
    CHECK(operator_new_calls == before + 1);
    ::operator delete(p);
    Eigen::internal::set_is_malloc_allowed(false);
    CHECK_THROWS_AS(Eigen::MatrixXf(64, 64), std::logic_error);
    Eigen::internal::set_is_malloc_allowed(true);
}

TEST_CASE("a convolutional model's training step allocates nothing after warm-up (Adam, MSE)") {
    CHECK(allocations_after_warm_up<Conv>(Adam{}, MSE{}) == 0);
}

TEST_CASE("a training step of a model with BatchNorm allocates nothing after warm-up (Adam, MSE)") {
    CHECK(allocations_after_warm_up<Normalized>(Adam{}, MSE{}) == 0);
}
