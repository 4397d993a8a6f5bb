// The CUDA backend's kernels and its calls into the CUDA runtime and cuBLAS (declared in runtime.hpp). The
// latent::cuda CMake component compiles this file with nvcc into the program that links it; it includes no
// Eigen, so nvcc sees only the raw-pointer code below.

#include "latent/backends/cuda/runtime.hpp"
#include "latent/core/error.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <string>

namespace latent::detail::cuda {

struct Context {
    cudaStream_t stream = nullptr;
    cublasHandle_t blas = nullptr;
    void* blas_workspace = nullptr;
    double* loss_partials = nullptr;  // output_loss_kernel's per-block sums
    std::size_t loss_partial_count = 0;
};

struct Graph {
    cudaGraphExec_t exec = nullptr;
};

namespace {

constexpr int threads = 256;
// cuBLAS' workspace, given once so that it never allocates inside a step (nor inside a captured graph).
constexpr std::size_t blas_workspace_bytes = std::size_t(8) << 20;

// Both checks clear the runtime's last error before they throw: left there, it would be reported again by the
// next launch's check (check_launch reads it), naming an error that launch did not make. A sticky error (a
// kernel's illegal address) stays: the context is lost, and every later call reports it.
void check(cudaError_t status, const char* call) {
    if (status != cudaSuccess) {
        (void)cudaGetLastError();
        throw device_error(std::string("latent::backend::cuda: ") + call + " failed: " + cudaGetErrorName(status) +
                           " (" + cudaGetErrorString(status) + ")");
    }
}

void check(cublasStatus_t status, const char* call) {
    if (status != CUBLAS_STATUS_SUCCESS) {
        (void)cudaGetLastError();  // a failed launch inside cuBLAS leaves one
        throw device_error(std::string("latent::backend::cuda: ") + call + " failed with cuBLAS status " +
                           std::to_string(int(status)));
    }
}

void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

unsigned blocks_for(std::size_t count) { return unsigned((count + threads - 1) / threads); }

__device__ float activate(DeviceActivation act, float z) {
    switch (act.code) {
        case ActivationCode::identity: return z;
        case ActivationCode::relu: return z > 0.0f ? z : 0.0f;
        case ActivationCode::leaky_relu: return z > 0.0f ? z : act.slope * z;
        case ActivationCode::elu: return z > 0.0f ? z : expm1f(z);
        case ActivationCode::sigmoid: return z >= 0.0f ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
        case ActivationCode::tanh: return tanhf(z);
        case ActivationCode::softplus: return fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z)));
    }
    return z;
}

// The derivative through the output y = act(z), as latent's activations define it.
__device__ float derivative(DeviceActivation act, float y) {
    switch (act.code) {
        case ActivationCode::identity: return 1.0f;
        case ActivationCode::relu: return y > 0.0f ? 1.0f : 0.0f;
        case ActivationCode::leaky_relu: return y > 0.0f ? 1.0f : act.slope;
        case ActivationCode::elu: return y > 0.0f ? 1.0f : y + 1.0f;
        case ActivationCode::sigmoid: return y * (1.0f - y);
        case ActivationCode::tanh: return 1.0f - y * y;
        case ActivationCode::softplus: return -expm1f(-y);
    }
    return 1.0f;
}

// max(x, low) as std::max and Eigen's max on the CPU take it: a NaN x stays NaN (fmaxf would give low), so that
// BCE after an output that leaves [0, 1] gives NaN on both backends.
__device__ float floor_at(float x, float low) { return x < low ? low : x; }

__global__ void bias_activation_kernel(DeviceActivation act, const float* bias, float* z, float* y, int rows,
                                       std::size_t count) {
    const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const float value = z[i] + bias[i % std::size_t(rows)];
    if (z != y) z[i] = value;
    y[i] = activate(act, value);
}

__global__ void activation_backward_kernel(DeviceActivation act, const float* y, float* dy, std::size_t count) {
    const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count) dy[i] *= derivative(act, y[i]);
}

// One thread per row: neighbouring threads read neighbouring values of each column, and each sum is taken in
// the same order on every run.
__global__ void row_sums_kernel(const float* m, float* sums, int rows, int cols) {
    const int r = int(blockIdx.x * blockDim.x + threadIdx.x);
    if (r >= rows) return;
    float sum = 0.0f;
    for (int c = 0; c < cols; ++c) sum += m[std::size_t(c) * std::size_t(rows) + std::size_t(r)];
    sums[r] = sum;
}

__global__ void output_loss_kernel(DeviceActivation act, DeviceLoss loss, const float* bias, float* z, float* y,
                                   const float* target, float* dz, int rows, std::size_t count, double* partials) {
    __shared__ double partial[threads];
    const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    double term = 0;
    if (i < count) {
        const float logit = z[i] + bias[i % std::size_t(rows)];
        const float out = activate(act, logit);
        const float t = target[i];
        z[i] = logit;
        y[i] = out;
        float gradient = 0.0f;  // dL/dy, or dL/dz when from_logits
        switch (loss.code) {
            case LossCode::mse: {
                const float d = out - t;
                term = double(d) * double(d);
                gradient = 2.0f * d * loss.scale;
                break;
            }
            case LossCode::l1: {
                const float d = out - t;
                term = fabs(double(d));
                gradient = (d > 0.0f ? 1.0f : d < 0.0f ? -1.0f : 0.0f) * loss.scale;
                break;
            }
            case LossCode::bce:
                if (loss.from_logits) {
                    term = double(fmaxf(logit, 0.0f) - logit * t + log1pf(expf(-fabsf(logit))));
                    gradient = (out - t) * loss.scale;
                } else {
                    // Clamped at -100 as PyTorch's BCELoss; the log of a y outside [0, 1] stays NaN.
                    const float log_y = floor_at(logf(out), -100.0f), log_not_y = floor_at(logf(1.0f - out), -100.0f);
                    term = -double(t * log_y + (1.0f - t) * log_not_y);
                    gradient = (out - t) / floor_at((1.0f - out) * out, 1e-12f) * loss.scale;
                }
                break;
        }
        if (dz) dz[i] = loss.from_logits ? gradient : gradient * derivative(act, out);
    }
    partial[threadIdx.x] = term;
    __syncthreads();
    for (int stride = threads / 2; stride > 0; stride /= 2) {
        if (int(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) partials[blockIdx.x] = partial[0];
}

// One block adds output_loss_kernel's partials in a fixed order (each thread a fixed stride of them, then the
// same tree): no atomic addition of doubles in hardware order, so the sum is the same on every run.
__global__ void sum_partials_kernel(const double* partials, std::size_t count, double* sum, StepState* state) {
    __shared__ double partial[threads];
    double total = 0;
    for (std::size_t i = threadIdx.x; i < count; i += threads) total += partials[i];
    partial[threadIdx.x] = total;
    __syncthreads();
    for (int stride = threads / 2; stride > 0; stride /= 2) {
        if (int(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        *sum += partial[0];
        if (state) state->batch_loss += partial[0];
    }
}

__global__ void gather_columns_kernel(const float* data, std::size_t rows, const std::uint32_t* order,
                                      const StepState* state, std::size_t batch_size, float* out, std::size_t count) {
    const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const std::size_t column = i / rows, row = i % rows;
    const std::size_t sample = order[std::size_t(state->batch) * batch_size + column];
    out[i] = data[sample * rows + row];
}

__global__ void begin_batch_kernel(StepState* state) {
    state->batch = state->next_batch++;
    state->batch_loss = 0;
}

__global__ void begin_update_kernel(StepState* state, AdamSettings adam) {
    const double steps = double(++state->steps);
    // As latent::Adam on the CPU: the corrections in double, then rounded once to float.
    state->step_size = float(state->learning_rate / (1.0 - pow(adam.beta1, steps)));
    state->bias_correction2_sqrt = float(sqrt(1.0 - pow(adam.beta2, steps)));
    state->decay = float(1.0 - state->learning_rate * adam.weight_decay);
}

// Every thread that finds a NaN or an infinity writes the same 1: the race is benign.
__global__ void flag_nonfinite_kernel(const float* values, std::size_t count, std::uint32_t* flag) {
    for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
         i += std::size_t(gridDim.x) * blockDim.x)
        if (!isfinite(values[i])) *flag = 1;
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, std::size_t count, AdamSettings settings,
                            const StepState* state) {
    const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const float beta1 = float(settings.beta1), beta2 = float(settings.beta2);
    const float one_minus_beta1 = float(1 - settings.beta1), one_minus_beta2 = float(1 - settings.beta2);
    float parameter = p[i], gradient = g[i];
    if (settings.weight_decay != 0) {
        if (settings.decoupled)
            parameter *= state->decay;
        else
            gradient += float(settings.weight_decay) * parameter;
    }
    const float first = m[i] * beta1 + one_minus_beta1 * gradient;
    const float second = v[i] * beta2 + (one_minus_beta2 * gradient) * gradient;
    m[i] = first;
    v[i] = second;
    p[i] = parameter + (-state->step_size * first) / (sqrtf(second) / state->bias_correction2_sqrt +
                                                      float(settings.epsilon));
}

__global__ void sgd_kernel(float* p, const float* g, float* velocity, std::size_t count, SgdSettings settings,
                           const StepState* state) {
    const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const float lr = float(state->learning_rate), momentum = float(settings.momentum);
    const float d = g[i] + float(settings.weight_decay) * p[i];
    if (settings.momentum == 0) {
        p[i] -= lr * d;
        return;
    }
    // As torch.optim.SGD: the velocity starts at the first gradient, without dampening.
    const float v = state->steps == 1 ? d : velocity[i] * momentum + float(1 - settings.dampening) * d;
    velocity[i] = v;
    p[i] -= settings.nesterov ? lr * (d + momentum * v) : lr * v;
}

#define LATENT_CUDA_STRINGIFY(...) #__VA_ARGS__
#define LATENT_CUDA_STRING(...) LATENT_CUDA_STRINGIFY(__VA_ARGS__)

// The architectures this program's kernels were compiled for, as nvcc lists them (e.g. "900").
const char* built_architectures() {
#ifdef __CUDA_ARCH_LIST__
    return LATENT_CUDA_STRING(__CUDA_ARCH_LIST__);
#else
    return "unknown";
#endif
}

std::string failure(const char* call, cudaError_t status) {
    (void)cudaGetLastError();
    return std::string(call) + ": " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")";
}

struct Probe {
    bool usable = false;
    std::string reason;
};

Probe probe_device() {
    int count = 0;
    cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess || count == 0) {
        (void)cudaGetLastError();
        return {false, "none (no GPU or no driver)"};
    }
    int device = 0;
    status = cudaGetDevice(&device);
    if (status != cudaSuccess) return {false, "no current device (" + failure("cudaGetDevice", status) + ")"};
    std::string name = "device " + std::to_string(device);
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, device) == cudaSuccess)
        name += std::string(" (") + properties.name + ", compute capability " + std::to_string(properties.major) +
                "." + std::to_string(properties.minor) + ")";
    else
        (void)cudaGetLastError();
    // Makes the device's primary context: refused in the prohibited compute mode, in the exclusive-process mode
    // while another process holds the device, and on a MIG device without a compute instance.
    status = cudaFree(nullptr);
    if (status != cudaSuccess)
        return {false, name + " on which no context can be made (" + failure("cudaFree(0)", status) +
                           "; prohibited or occupied exclusive-process compute mode, or MIG without an instance?)"};
    // cuBLAS runs on any architecture; latent's own kernels only where the program holds an image for it.
    cudaFuncAttributes attributes{};
    status = cudaFuncGetAttributes(&attributes, begin_batch_kernel);
    if (status != cudaSuccess)
        return {false, name + " without a kernel image of latent's kernels for it (" +
                           failure("cudaFuncGetAttributes", status) + "; this program's kernels are built for " +
                           built_architectures() + ": set CMAKE_CUDA_ARCHITECTURES to include this GPU's)"};
    return {true, ""};
}

const Probe& probe() {
    static const Probe result = probe_device();
    return result;
}

}  // namespace

bool device_usable() noexcept { return probe().usable; }

const char* device_unusable_reason() noexcept { return probe().reason.c_str(); }

int device_count() noexcept {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError();  // clears the error, so that later calls do not report it
        return 0;
    }
    return count;
}

Context* create_context() {
    if (!device_usable())
        throw device_error(std::string("latent::backend::cuda: expected a CUDA device") +
                           (device_count() == 0 ? "" : " that can run latent's kernels") + ", found " +
                           device_unusable_reason() + "; backend::automatic falls back to the CPU instead");
    auto* context = new Context;
    try {
        check(cudaStreamCreateWithFlags(&context->stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
        check(cublasCreate(&context->blas), "cublasCreate");
        check(cublasSetStream(context->blas, context->stream), "cublasSetStream");
        check(cudaMalloc(&context->blas_workspace, blas_workspace_bytes), "cudaMalloc (cuBLAS workspace)");
        check(cublasSetWorkspace(context->blas, context->blas_workspace, blas_workspace_bytes), "cublasSetWorkspace");
    } catch (...) {
        destroy_context(context);
        throw;
    }
    return context;
}

void destroy_context(Context* context) noexcept {
    if (!context) return;
    if (context->loss_partials) cudaFree(context->loss_partials);
    if (context->blas) cublasDestroy(context->blas);
    if (context->blas_workspace) cudaFree(context->blas_workspace);
    if (context->stream) cudaStreamDestroy(context->stream);
    delete context;
}

void* allocate(std::size_t bytes) {
    void* pointer = nullptr;
    if (bytes) check(cudaMalloc(&pointer, bytes), "cudaMalloc");
    return pointer;
}

void reserve_loss_partials(Context& context, std::size_t values) {
    const std::size_t blocks = blocks_for(values);
    if (blocks <= context.loss_partial_count) return;
    double* partials = nullptr;
    check(cudaMalloc(&partials, blocks * sizeof(double)), "cudaMalloc (the loss' partial sums)");
    if (context.loss_partials) cudaFree(context.loss_partials);
    context.loss_partials = partials;
    context.loss_partial_count = blocks;
}

void release(void* pointer) noexcept {
    if (pointer) cudaFree(pointer);
}

void upload(Context& context, void* device, const void* host, std::size_t bytes) {
    if (bytes) check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, context.stream), "cudaMemcpyAsync");
    // The host buffer may change as soon as this returns: wait until the copy has read it.
    synchronize(context);
}

void download(Context& context, void* host, const void* device, std::size_t bytes) {
    if (bytes) check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, context.stream), "cudaMemcpyAsync");
    synchronize(context);
}

void fill_zero(Context& context, void* device, std::size_t bytes) {
    if (bytes) check(cudaMemsetAsync(device, 0, bytes, context.stream), "cudaMemsetAsync");
}

void copy_on_device(Context& context, void* to, const void* from, std::size_t bytes) {
    if (bytes) check(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToDevice, context.stream), "cudaMemcpyAsync");
}

void synchronize(Context& context) { check(cudaStreamSynchronize(context.stream), "cudaStreamSynchronize"); }

void flag_nonfinite(Context& context, const float* values, std::size_t count, std::uint32_t* flag) {
    if (count == 0) return;
    flag_nonfinite_kernel<<<std::min(blocks_for(count), 1024u), threads, 0, context.stream>>>(values, count, flag);
    check_launch("flag_nonfinite_kernel");
}

void gemm(Context& context, bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, float* c, int ldc, bool accumulate) {
    const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    check(cublasSgemm(context.blas, transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                      m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc),
          "cublasSgemm");
}

void bias_activation(Context& context, DeviceActivation act, const float* bias, float* z, float* y, int rows,
                     int cols) {
    const std::size_t count = std::size_t(rows) * std::size_t(cols);
    if (!count) return;
    bias_activation_kernel<<<blocks_for(count), threads, 0, context.stream>>>(act, bias, z, y, rows, count);
    check_launch("bias_activation_kernel");
}

void activation_backward(Context& context, DeviceActivation act, const float* y, float* dy, std::size_t count) {
    if (!count) return;
    activation_backward_kernel<<<blocks_for(count), threads, 0, context.stream>>>(act, y, dy, count);
    check_launch("activation_backward_kernel");
}

void row_sums(Context& context, const float* m, float* sums, int rows, int cols) {
    row_sums_kernel<<<blocks_for(std::size_t(rows)), threads, 0, context.stream>>>(m, sums, rows, cols);
    check_launch("row_sums_kernel");
}

void output_loss(Context& context, DeviceActivation act, DeviceLoss loss, const float* bias, float* z, float* y,
                 const float* target, float* dz, int rows, int cols, double* sum, StepState* state) {
    const std::size_t count = std::size_t(rows) * std::size_t(cols);
    if (!count) return;
    const std::size_t blocks = blocks_for(count);
    if (blocks > context.loss_partial_count)
        throw argument_error("latent::backend::cuda: output_loss expected room for the partial sums of " +
                             std::to_string(count) + " outputs (reserve_loss_partials), found room for " +
                             std::to_string(context.loss_partial_count * threads));
    output_loss_kernel<<<unsigned(blocks), threads, 0, context.stream>>>(act, loss, bias, z, y, target, dz, rows,
                                                                         count, context.loss_partials);
    check_launch("output_loss_kernel");
    sum_partials_kernel<<<1, threads, 0, context.stream>>>(context.loss_partials, blocks, sum, state);
    check_launch("sum_partials_kernel");
}

void gather_columns(Context& context, const float* data, int rows, const std::uint32_t* order,
                    const StepState* state, int batch_size, float* out, int cols) {
    const std::size_t count = std::size_t(rows) * std::size_t(cols);
    if (!count) return;
    gather_columns_kernel<<<blocks_for(count), threads, 0, context.stream>>>(data, std::size_t(rows), order, state,
                                                                             std::size_t(batch_size), out, count);
    check_launch("gather_columns_kernel");
}

void begin_batch(Context& context, StepState* state) {
    begin_batch_kernel<<<1, 1, 0, context.stream>>>(state);
    check_launch("begin_batch_kernel");
}

void begin_update(Context& context, StepState* state, AdamSettings adam) {
    begin_update_kernel<<<1, 1, 0, context.stream>>>(state, adam);
    check_launch("begin_update_kernel");
}

void adam_update(Context& context, float* parameters, const float* gradients, float* first_moment,
                 float* second_moment, std::size_t count, AdamSettings settings, const StepState* state) {
    adam_kernel<<<blocks_for(count), threads, 0, context.stream>>>(parameters, gradients, first_moment, second_moment,
                                                                   count, settings, state);
    check_launch("adam_kernel");
}

void sgd_update(Context& context, float* parameters, const float* gradients, float* velocity, std::size_t count,
                SgdSettings settings, const StepState* state) {
    sgd_kernel<<<blocks_for(count), threads, 0, context.stream>>>(parameters, gradients, velocity, count, settings,
                                                                  state);
    check_launch("sgd_kernel");
}

void begin_capture(Context& context) {
    check(cudaStreamBeginCapture(context.stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
}

Graph* end_capture(Context& context) {
    cudaGraph_t graph = nullptr;
    check(cudaStreamEndCapture(context.stream, &graph), "cudaStreamEndCapture");
    auto* result = new Graph;
    const cudaError_t status = cudaGraphInstantiate(&result->exec, graph, 0);
    cudaGraphDestroy(graph);
    if (status != cudaSuccess) {
        delete result;
        check(status, "cudaGraphInstantiate");
    }
    return result;
}

void abort_capture(Context& context) noexcept {
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(context.stream, &status) != cudaSuccess || status == cudaStreamCaptureStatusNone) {
        (void)cudaGetLastError();
        return;
    }
    // Also ends an invalidated capture (which then returns cudaErrorStreamCaptureInvalidated and no graph).
    cudaGraph_t graph = nullptr;
    (void)cudaStreamEndCapture(context.stream, &graph);
    if (graph) cudaGraphDestroy(graph);
    (void)cudaGetLastError();
}

void launch(Context& context, Graph& graph) { check(cudaGraphLaunch(graph.exec, context.stream), "cudaGraphLaunch"); }

void destroy_graph(Graph* graph) noexcept {
    if (!graph) return;
    if (graph->exec) cudaGraphExecDestroy(graph->exec);
    delete graph;
}

}  // namespace latent::detail::cuda
