// Where a training step of the Keras tutorial's conv autoencoder (benchmarks/train_speed.cpp) spends its time:
// each convolution and pooling layer's forward and backward at batch 128, timed through the CPU kernels
// directly. Prints one JSON object per line: layer, phase, median milliseconds per batch.
//
//   bench_conv_layers [--reps 20] [--threads 1]

#include <latent/latent.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Keras = latent::init::GlorotUniform;
using Conv1 = latent::Bound<latent::Conv2D<32, 3, latent::ReLU, latent::Padding::same, 1, Keras>, latent::Shape<1, 28, 28>>;
using Pool1 = latent::Bound<latent::MaxPool2D<2>, latent::Shape<32, 28, 28>>;
using Conv2 = latent::Bound<latent::Conv2D<64, 3, latent::ReLU, latent::Padding::same, 1, Keras>, latent::Shape<32, 14, 14>>;
using Pool2 = latent::Bound<latent::MaxPool2D<2>, latent::Shape<64, 14, 14>>;
constexpr Eigen::Index batch = 128;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <class F>
double time_ms(int reps, F&& f) {
    f();  // warm-up
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        const auto start = Clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    return median(t);
}

void report(const char* layer, const char* phase, double ms) {
    std::cout << "{\"layer\": \"" << layer << "\", \"phase\": \"" << phase << "\", \"ms\": " << ms << "}\n";
}

/// Forward, backward with the input gradient, and backward without it (the first layer's case).
template <class L>
void profile(const char* name, int reps) {
    using K = latent::Kernel<latent::backend::cpu, L>;
    constexpr Eigen::Index in = L::input_shape::size, out = L::output_shape::size;
    latent::Rng rng{1};
    std::vector<float> p(L::parameter_count), g(L::parameter_count);
    L::initialize(std::span<float>(p), rng);
    latent::Matrix<float> x(in, batch), y(out, batch), z(out, batch), dy(out, batch), dx(in, batch);
    for (float& v : x.reshaped()) v = float(rng.uniform());
    for (float& v : dy.reshaped()) v = float(rng.normal());
    typename K::State state(batch);
    latent::PassContext context;
    latent::MatrixView<float> yv(y.data(), out, batch), dyv(dy.data(), out, batch), dxv(dx.data(), in, batch);
    latent::ConstMatrixView<float> xv(x.data(), in, batch), ycv(y.data(), out, batch);
    report(name, "forward", time_ms(reps, [&] { K::forward(p.data(), xv, yv, nullptr, state, context); }));
    report(name, "backward", time_ms(reps, [&] { K::backward(p.data(), xv, ycv, dyv, true, g.data(), &dxv, state); }));
    if constexpr (L::parameter_count > 0)
        report(name, "backward without dx",
               time_ms(reps, [&] { K::backward(p.data(), xv, ycv, dyv, true, g.data(), nullptr, state); }));
}

/// The im2col path's phases for one batch: the window gather, its scatter back, and the three products.
template <class L>
void profile_im2col_phases(const char* name, int reps) {
    using Windows = latent::detail::Im2col<L>;
    constexpr Eigen::Index in = L::input_shape::size, pixels = L::out_pixels, patch = L::patch_size, filters = L::filters;
    constexpr Eigen::Index rows = batch * pixels;
    std::vector<float> x(std::size_t(in * batch), 0.5f), windows(std::size_t(rows * patch)), outputs(std::size_t(rows * filters), 0.5f),
        w(std::size_t(patch * filters), 0.1f), dx(std::size_t(in * batch));
    latent::detail::Gemm<float, false, false> forward(rows, filters, patch);
    latent::detail::Gemm<float, true, false> weight_gradient(patch, filters, rows);
    latent::detail::Gemm<float, false, true> input_gradient(rows, patch, filters);
    report(name, "im2col gather", time_ms(reps, [&] {
               for (Eigen::Index j = 0; j < batch; ++j) Windows::gather(x.data() + j * in, windows.data() + j * pixels, rows);
           }));
    report(name, "im2col scatter_add", time_ms(reps, [&] {
               std::fill(dx.begin(), dx.end(), 0.0f);
               for (Eigen::Index j = 0; j < batch; ++j) Windows::scatter_add(windows.data() + j * pixels, rows, dx.data() + j * in);
           }));
    report(name, "GEMM forward", time_ms(reps, [&] {
               forward(rows, filters, patch, windows.data(), rows, w.data(), patch, outputs.data(), rows, false);
           }));
    report(name, "GEMM weight gradient", time_ms(reps, [&] {
               weight_gradient(patch, filters, rows, windows.data(), rows, outputs.data(), rows, w.data(), patch, false);
           }));
    report(name, "GEMM input gradient", time_ms(reps, [&] {
               input_gradient(rows, patch, filters, outputs.data(), rows, w.data(), patch, windows.data(), rows, false);
           }));
}

/// The Winograd path's phases for one batch: the four transforms and the three sets of 16 products.
template <class L>
void profile_winograd_phases(const char* name, int reps) {
    using Fast = latent::detail::Winograd<L, float>;
    constexpr Eigen::Index C = Fast::C, F = Fast::F, tiles = Fast::tiles;
    typename Fast::State state(batch);
    const Eigen::Index group = state.group, rows = group * tiles;
    std::vector<float> x(std::size_t(Fast::in_size * group), 0.5f), z(std::size_t(Fast::out_size * group), 0.5f),
        bias(std::size_t(F), 0.1f);
    const Eigen::Index groups = (batch + group - 1) / group;  // each phase timed on one group, times the groups
    auto per_batch = [&](auto&& body) { return double(groups) * time_ms(reps, body); };
    report(name, "winograd input transform", per_batch([&] {
               for (Eigen::Index j = 0; j < group; ++j) Fast::transform_input(x.data() + j * Fast::in_size, state.inputs.data(), j * tiles, rows);
           }));
    report(name, "winograd output transform", per_batch([&] {
               for (Eigen::Index j = 0; j < group; ++j)
                   Fast::transform_output(state.outputs.data(), bias.data(), z.data() + j * Fast::out_size, j * tiles, rows);
           }));
    report(name, "winograd output gradient transform", per_batch([&] {
               for (Eigen::Index j = 0; j < group; ++j)
                   Fast::transform_output_gradient(z.data() + j * Fast::out_size, state.outputs.data(), j * tiles, rows);
           }));
    report(name, "winograd input gradient transform", per_batch([&] {
               for (Eigen::Index j = 0; j < group; ++j)
                   Fast::transform_input_gradient(state.inputs.data(), x.data() + j * Fast::in_size, j * tiles, rows);
           }));
    report(name, "winograd products forward", per_batch([&] {
               for (Eigen::Index p = 0; p < 16; ++p)
                   state.forward_product(rows, F, C, state.inputs.data() + p * C * rows, rows, state.weights.data() + p * C * F, C,
                                         state.outputs.data() + p * F * rows, rows, false);
           }));
    report(name, "winograd products weight gradient", per_batch([&] {
               for (Eigen::Index p = 0; p < 16; ++p)
                   state.weight_product(C, F, rows, state.inputs.data() + p * C * rows, rows, state.outputs.data() + p * F * rows,
                                        rows, state.weight_gradient.data() + p * C * F, C, true);
           }));
    report(name, "winograd products input gradient", per_batch([&] {
               for (Eigen::Index p = 0; p < 16; ++p)
                   state.input_product(rows, C, F, state.outputs.data() + p * F * rows, rows, state.weights.data() + p * C * F, C,
                                       state.inputs.data() + p * C * rows, rows, false);
           }));
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 20;
    std::size_t threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view arg = argv[i];
        if (arg == "--reps")
            reps = std::stoi(argv[i + 1]);
        else if (arg == "--threads")
            threads = std::stoul(argv[i + 1]);
    }
    const latent::ThreadScope scope{threads};
    profile_im2col_phases<Conv1>("conv1", reps);
    profile_im2col_phases<Conv2>("conv2", reps);
    profile_winograd_phases<Conv2>("conv2", reps);
    profile<Conv1>("conv1", reps);
    profile<Pool1>("pool1", reps);
    profile<Conv2>("conv2", reps);
    profile<Pool2>("pool2", reps);
}
