// TensorFlow kernels of Kgen>PhiloxRandom: validation, then the scalar CPU
// fill (philox/philox_cpu.h) on TensorFlow's intra-op thread pool, or the CUDA
// launcher (philox/philox.cu) on the op's GPU stream.
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/tensor_util.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/util/work_sharder.h"

#include "philox/philox.h"
#include "philox/philox_cpu.h"
#if KGEN_WITH_CUDA
#include "philox/philox_launch.h"
#include "xla/stream_executor/stream.h"
#endif

namespace kgen {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::TensorShapeUtils;

struct CpuDevice {};
struct GpuDevice {};

// Validates the `shape` and `seed` inputs before any memory is touched.
inline absl::Status ReadShapeAndSeed(OpKernelContext* ctx, TensorShape* shape, PhiloxSeed* seed) {
  const Tensor& shape_tensor = ctx->input(0);
  const Tensor& seed_tensor = ctx->input(1);
  if (!TensorShapeUtils::IsVector(shape_tensor.shape())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PhiloxRandom: `shape` must be a 1-D tensor, got shape ", shape_tensor.shape().DebugString()));
  }
  if (seed_tensor.dims() != 1 || seed_tensor.dim_size(0) != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PhiloxRandom: `seed` must have shape [2], got shape ", seed_tensor.shape().DebugString()));
  }
  const absl::Status status = ::tensorflow::tensor::MakeShape(shape_tensor, shape);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PhiloxRandom: `shape` must hold non-negative sizes: ", status.message()));
  }
  const auto seed_values = seed_tensor.flat<int64_t>();
  seed->key = static_cast<uint64_t>(seed_values(0));
  seed->stream = static_cast<uint64_t>(seed_values(1));
  return absl::OkStatus();
}

template <typename Device, typename T>
struct PhiloxFill;

template <typename T>
struct PhiloxFill<CpuDevice, T> {
  void operator()(OpKernelContext* ctx, T* out, int64_t n, PhiloxSeed seed) {
    // ~100 cycles per four-word block; Shard splits [0, num_blocks) over
    // TensorFlow's intra-op pool. Positional addressing makes the result
    // independent of the split.
    constexpr int64_t kCostPerBlock = 100;
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
    ::tensorflow::Shard(workers->num_threads, workers->workers, philox_num_blocks(n),
                        kCostPerBlock, [out, n, seed](int64_t begin, int64_t end) {
                          philox_fill_blocks_cpu<T>(out, n, seed, begin, end);
                        });
  }
};

#if KGEN_WITH_CUDA
template <typename T>
int LaunchPhilox(T* out, int64_t n, PhiloxSeed seed, cudaStream_t stream);
template <>
int LaunchPhilox<float>(float* out, int64_t n, PhiloxSeed seed, cudaStream_t stream) {
  return launch_philox_uniform(out, n, seed, stream);
}
template <>
int LaunchPhilox<uint32_t>(uint32_t* out, int64_t n, PhiloxSeed seed, cudaStream_t stream) {
  return launch_philox_bits(out, n, seed, stream);
}

template <typename T>
struct PhiloxFill<GpuDevice, T> {
  void operator()(OpKernelContext* ctx, T* out, int64_t n, PhiloxSeed seed) {
    auto* stream = ctx->op_device_context()->stream();
    OP_REQUIRES(ctx, stream != nullptr,
                absl::InternalError("PhiloxRandom: no GPU stream in the op's device context"));
    auto handle = static_cast<cudaStream_t>(stream->platform_specific_handle().stream);
    const int code = LaunchPhilox<T>(out, n, seed, handle);
    OP_REQUIRES(ctx, code == 0,
                absl::InternalError(absl::StrCat("PhiloxRandom: CUDA launch failed: ", cuda_error_string(code))));
  }
};
#endif

template <typename Device, typename T>
class PhiloxRandomOp : public OpKernel {
 public:
  explicit PhiloxRandomOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    TensorShape shape;
    PhiloxSeed seed;
    OP_REQUIRES_OK(ctx, ReadShapeAndSeed(ctx, &shape, &seed));
    Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, shape, &output));
    const int64_t n = shape.num_elements();
    if (n == 0) return;
    PhiloxFill<Device, T>()(ctx, output->flat<T>().data(), n, seed);
  }
};

#define KGEN_REGISTER_PHILOX_CPU(T)                                                   \
  REGISTER_KERNEL_BUILDER(                                                           \
      Name("Kgen>PhiloxRandom").Device(DEVICE_CPU).TypeConstraint<T>("dtype"),       \
      PhiloxRandomOp<CpuDevice, T>)
KGEN_REGISTER_PHILOX_CPU(float);
KGEN_REGISTER_PHILOX_CPU(uint32_t);
#undef KGEN_REGISTER_PHILOX_CPU

#if KGEN_WITH_CUDA
#define KGEN_REGISTER_PHILOX_GPU(T)                                                   \
  REGISTER_KERNEL_BUILDER(Name("Kgen>PhiloxRandom")                                  \
                              .Device(::tensorflow::DEVICE_GPU)                      \
                              .HostMemory("shape")                                   \
                              .HostMemory("seed")                                    \
                              .TypeConstraint<T>("dtype"),                           \
                          PhiloxRandomOp<GpuDevice, T>)
KGEN_REGISTER_PHILOX_GPU(float);
KGEN_REGISTER_PHILOX_GPU(uint32_t);
#undef KGEN_REGISTER_PHILOX_GPU
#endif

}  // namespace kgen
