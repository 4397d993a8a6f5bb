// Compiling this file is the test: every CPU kernel follows the host kernel protocol (HostKernel in
// backends/passes.hpp), in float and in double, for every kind of layer: plain, tied, with buffers, stochastic.

#include <latent/latent.hpp>

#include <cstddef>
#include <utility>

namespace {

using namespace latent;

template <class B, class Spec>
constexpr bool every_layer_has_a_host_kernel() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (HostKernel<B, typename Spec::template layer<I>> && ...);
    }(std::make_index_sequence<Spec::depth>{});
}

using Images = Sequential<Input<1, 8, 8>, Conv2D<2, 3, ReLU>, BatchNorm<>, MaxPool2D<2>, Dropout<25>,
                          ConvTranspose2D<2, 2, ReLU, Padding::valid, 2>, AvgPool2D<2>, UpSample2D<2>, Flatten,
                          Dense<128, 6>, GaussianSample<3>, Dense<3, 16, Tanh>, Reshape<1, 4, 4>>;
using Tied = Sequential<Dense<8, 4, ReLU>, TiedDense<Dense<8, 4, ReLU>, 0, Sigmoid>>;

static_assert(every_layer_has_a_host_kernel<backend::cpu, Images>());
static_assert(every_layer_has_a_host_kernel<backend::basic_cpu<double>, Images>());
static_assert(every_layer_has_a_host_kernel<backend::automatic, Images>());
static_assert(every_layer_has_a_host_kernel<backend::cpu, Tied>());
static_assert(every_layer_has_a_host_kernel<backend::basic_cpu<double>, Tied>());

}  // namespace

// The protocol is checked, not assumed: a kernel without backward, or a BatchNorm-like layer whose kernel cannot
// update its buffers, does not satisfy it. (A named namespace: these layers' members are read by no code.)
namespace kernel_protocol {

using namespace latent;

struct Twice {
    using input_shape = Shape<4>;
    using output_shape = Shape<4>;
    static constexpr std::size_t parameter_count = 0;
};
struct Counted : Twice {
    static constexpr std::size_t buffer_count = 2;
};
struct ForwardOnly {
    struct State {
        explicit State(std::size_t) {}
    };
    static void forward(const float*, ConstMatrixView<float>, MatrixView<float>, MatrixView<float>*, State&,
                        PassContext&) {}
};
struct WithBackward : ForwardOnly {
    static void backward(const float*, ConstMatrixView<float>, ConstMatrixView<float>, MatrixView<float>, bool, float*,
                         MatrixView<float>*, State&) {}
};

}  // namespace kernel_protocol

template <>
struct latent::Kernel<latent::backend::cpu, kernel_protocol::Twice> : kernel_protocol::ForwardOnly {};
template <>  // float signatures: wrong for a double backend
struct latent::Kernel<latent::backend::basic_cpu<double>, kernel_protocol::Twice> : kernel_protocol::WithBackward {};
template <>
struct latent::Kernel<latent::backend::cpu, kernel_protocol::Counted> : kernel_protocol::WithBackward {};
template <>
struct latent::Kernel<latent::backend::automatic, kernel_protocol::Twice> : kernel_protocol::WithBackward {};

using kernel_protocol::Counted;
using kernel_protocol::Twice;

static_assert(!latent::HostKernel<latent::backend::cpu, Twice>);
static_assert(!latent::HostKernel<latent::backend::basic_cpu<double>, Twice>);
static_assert(!latent::HostKernel<latent::backend::cpu, Counted>);
static_assert(latent::HostKernel<latent::backend::automatic, Twice>);
