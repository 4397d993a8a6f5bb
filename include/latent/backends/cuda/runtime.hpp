#pragma once
// The CUDA backend's device runtime: what the kernels, cuBLAS and the CUDA runtime do for the host code,
// through raw pointers and sizes only. Defined in device.cu beside this header, which the latent::cuda CMake
// component compiles with nvcc into the program that uses it: this header includes no CUDA header and no
// Eigen, so templates that call it compile with g++ or clang, and CPU-only builds never need the toolkit.

#include <cstddef>
#include <cstdint>

namespace latent::detail {
/// Whether this translation unit was built with the latent::cuda component (its kernels are linked in).
inline constexpr bool built_with_cuda =
#ifdef LATENT_WITH_CUDA
    true;
#else
    false;
#endif
}  // namespace latent::detail

namespace latent::detail::cuda {

/// The element-wise functions the device kernels know (one per latent activation).
enum class ActivationCode : int { identity, relu, leaky_relu, elu, sigmoid, tanh, softplus };

/// An activation on the device: its code and, for LeakyReLU, its slope.
struct DeviceActivation {
    ActivationCode code = ActivationCode::identity;
    float slope = 0;
};

/// The reconstruction losses the device kernels know.
enum class LossCode : int { mse, bce, l1 };

/// A loss on the device after the output layer's activation: which one, whether its gradient is taken
/// with respect to the logits (BCE after a Sigmoid), and the factor that turns its sum into its reduction.
struct DeviceLoss {
    LossCode code = LossCode::mse;
    bool from_logits = false;
    float scale = 1;
};

/// The optimizer's scalars of one step, kept on the device so that a captured step graph replays as it is:
/// the host writes the learning rate once per epoch, begin_batch() and begin_update() advance the rest.
struct StepState {
    double learning_rate = 0;
    std::uint64_t steps = 0;        ///< optimizer steps taken, this one included once begin_update() ran
    std::uint32_t batch = 0;        ///< the batch of the epoch this step trains on
    std::uint32_t next_batch = 0;   ///< set to 0 at the start of each epoch
    float step_size = 0;            ///< Adam: learning_rate / (1 - beta1^steps)
    float bias_correction2_sqrt = 1;  ///< Adam: sqrt(1 - beta2^steps)
    float decay = 1;                ///< AdamW: 1 - learning_rate * weight_decay
    double batch_loss = 0;          ///< the step's loss sum, before the reduction's factor
};

/// Adam's and AdamW's hyper-parameters as the update kernel takes them.
struct AdamSettings {
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0;
    bool decoupled = false;
};

/// SGD's hyper-parameters as the update kernel takes them.
struct SgdSettings {
    double momentum = 0, dampening = 0, weight_decay = 0;
    bool nesterov = false;
};

/// A CUDA stream with its cuBLAS handle and cuBLAS workspace; every call below is queued on one.
struct Context;
/// A captured, instantiated CUDA graph.
struct Graph;

/// The number of CUDA devices; 0 when there is none or no driver (never throws).
int device_count() noexcept;

/// Whether latent's kernels can run on this process' current CUDA device: there is one, a context can be made
/// on it (not so in the prohibited or an occupied exclusive-process compute mode, nor on a MIG device without an
/// instance), and the program holds a kernel image for its architecture (cudaFuncGetAttributes on one of the
/// kernels). Any failure counts as "no GPU". Probed once per process; never throws.
bool device_usable() noexcept;
/// Why device_usable() is false ("none (no GPU or no driver)", or the device and the call that failed); empty
/// where it is true.
const char* device_unusable_reason() noexcept;

// Each function below throws latent::device_error naming the CUDA or cuBLAS call that failed.
Context* create_context();
void destroy_context(Context* context) noexcept;
void* allocate(std::size_t bytes);
/// Gives the context room for the loss' per-block partial sums of output_loss() over up to `values` outputs
/// (allocated here, never inside a step or a capture). A larger reservation replaces the buffer: make it before
/// capturing a graph, which keeps the address it recorded (DevicePasses reserves once, when it is made).
void reserve_loss_partials(Context& context, std::size_t values);
void release(void* pointer) noexcept;
void upload(Context& context, void* device, const void* host, std::size_t bytes);
void download(Context& context, void* host, const void* device, std::size_t bytes);  ///< waits for it
void fill_zero(Context& context, void* device, std::size_t bytes);
void copy_on_device(Context& context, void* to, const void* from, std::size_t bytes);
void synchronize(Context& context);

/// C = op(A) op(B) (+ C when accumulate), column-major, as cublasSgemm.
void gemm(Context& context, bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, float* c, int ldc, bool accumulate);
/// z += bias (per row); y = act(z). y may be z.
void bias_activation(Context& context, DeviceActivation act, const float* bias, float* z, float* y, int rows, int cols);
/// dy *= act'(y), the derivative written through the output.
void activation_backward(Context& context, DeviceActivation act, const float* y, float* dy, std::size_t count);
/// sums[r] = sum over columns of m[r, c].
void row_sums(Context& context, const float* m, float* sums, int rows, int cols);
/// The output layer fused with the loss: z += bias, y = act(z), the loss summed into *sum and into
/// state->batch_loss (when state is given), and, when dz is given, dL/dz written there. The sum is taken in a
/// fixed order (per-block partials, then one pass over them), so that it is the same on every run.
/// requires: reserve_loss_partials(context, v) with v >= rows * cols.
void output_loss(Context& context, DeviceActivation act, DeviceLoss loss, const float* bias, float* z, float* y,
                 const float* target, float* dz, int rows, int cols, double* sum, StepState* state);
/// out[:, j] = data[:, order[state->batch * batch_size + j]] for j < cols.
void gather_columns(Context& context, const float* data, int rows, const std::uint32_t* order,
                    const StepState* state, int batch_size, float* out, int cols);
/// Starts a batch: batch = next_batch++, batch_loss = 0.
void begin_batch(Context& context, StepState* state);
/// Starts an update: steps++, Adam's scalars from the new step count. Apart from begin_batch, so that a batch
/// the NaN policy leaves out takes no optimizer step, as on the CPU.
void begin_update(Context& context, StepState* state, AdamSettings adam);
/// Sets *flag to 1 when any of values[0, count) is NaN or infinite; leaves it as it was otherwise.
void flag_nonfinite(Context& context, const float* values, std::size_t count, std::uint32_t* flag);
void adam_update(Context& context, float* parameters, const float* gradients, float* first_moment,
                 float* second_moment, std::size_t count, AdamSettings settings, const StepState* state);
void sgd_update(Context& context, float* parameters, const float* gradients, float* velocity, std::size_t count,
                SgdSettings settings, const StepState* state);

/// Records what is queued on the context's stream from here to end_capture() instead of running it.
void begin_capture(Context& context);
Graph* end_capture(Context& context);
/// Ends a capture that begin_capture() started and discards what it recorded, whether it is valid or not (what
/// an exception thrown during the capture needs: the stream can then run and free again). Never throws.
void abort_capture(Context& context) noexcept;
void launch(Context& context, Graph& graph);
void destroy_graph(Graph* graph) noexcept;

}  // namespace latent::detail::cuda
