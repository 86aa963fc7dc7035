// TensorFlow kernels of Kgen>GibbsSweeps: every shape is validated before any
// memory is touched, then the CPU kernel (gibbs_sweeps/gibbs_sweeps_cpu.h) runs on
// TensorFlow's intra-op pool (gibbs_sweeps/gibbs_sweeps_cpu_tensorflow.h), or the CUDA
// launcher (gibbs_sweeps/gibbs_sweeps.cu, which picks the fused or the tiled path) on the
// op's GPU stream.
#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"

#include "gibbs_sweeps/gibbs_sweeps.h"
#include "gibbs_sweeps/gibbs_sweeps_cpu_tensorflow.h"
#if KGEN_WITH_CUDA
#include "gibbs_sweeps/gibbs_sweeps_launch.h"
#include "xla/stream_executor/stream.h"
#endif

namespace kgen {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;

namespace {

struct CpuDevice {};
struct GpuDevice {};

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("GibbsSweeps: ", message));
}

// Checks ranks, matching sizes, k and seed; fills the sizes and scalars.
absl::Status ValidateInputs(OpKernelContext* ctx, int64_t* batch, int64_t* visible,
                            int64_t* hidden, int64_t* sweeps, PhiloxSeed* seed) {
  const Tensor& v = ctx->input(0);
  const Tensor& w = ctx->input(1);
  const Tensor& b_vis = ctx->input(2);
  const Tensor& b_hid = ctx->input(3);
  const Tensor& k = ctx->input(4);
  const Tensor& seed_tensor = ctx->input(5);
  if (v.dims() != 2) return Invalid(absl::StrCat("`v` must be rank 2 [B, V], got shape ", v.shape().DebugString()));
  if (w.dims() != 2) return Invalid(absl::StrCat("`w` must be rank 2 [V, H], got shape ", w.shape().DebugString()));
  if (b_vis.dims() != 1) return Invalid(absl::StrCat("`b_vis` must be rank 1 [V], got shape ", b_vis.shape().DebugString()));
  if (b_hid.dims() != 1) return Invalid(absl::StrCat("`b_hid` must be rank 1 [H], got shape ", b_hid.shape().DebugString()));
  if (k.dims() != 0) return Invalid(absl::StrCat("`k` must be a scalar, got shape ", k.shape().DebugString()));
  if (seed_tensor.dims() != 1 || seed_tensor.dim_size(0) != 2) {
    return Invalid(absl::StrCat("`seed` must have shape [2], got shape ", seed_tensor.shape().DebugString()));
  }
  *batch = v.dim_size(0);
  *visible = w.dim_size(0);
  *hidden = w.dim_size(1);
  if (v.dim_size(1) != *visible) {
    return Invalid(absl::StrCat("`v` has ", v.dim_size(1), " visible units but `w` has shape ",
                                w.shape().DebugString(), " (expected v of shape [B, ", *visible, "])"));
  }
  if (b_vis.dim_size(0) != *visible) {
    return Invalid(absl::StrCat("`b_vis` must have shape [", *visible, "] to match `w` ",
                                w.shape().DebugString(), ", got shape ", b_vis.shape().DebugString()));
  }
  if (b_hid.dim_size(0) != *hidden) {
    return Invalid(absl::StrCat("`b_hid` must have shape [", *hidden, "] to match `w` ",
                                w.shape().DebugString(), ", got shape ", b_hid.shape().DebugString()));
  }
  *sweeps = k.scalar<int32_t>()();
  if (*sweeps < 0) return Invalid(absl::StrCat("`k` must be >= 0, got ", *sweeps));
  if (*batch * std::max(*visible, *hidden) > kGibbsMaxLayerElements) {
    return Invalid(absl::StrCat("B * max(V, H) must be <= 2^34 (the Philox element index), got B=",
                                *batch, ", V=", *visible, ", H=", *hidden));
  }
  const auto seed_values = seed_tensor.flat<int64_t>();
  seed->key = static_cast<uint64_t>(seed_values(0));
  seed->stream = static_cast<uint64_t>(seed_values(1));
  return absl::OkStatus();
}

template <typename Device, typename T>
struct GibbsRun;

template <typename T>
struct GibbsRun<CpuDevice, T> {
  void operator()(OpKernelContext* ctx, GibbsProblem<T> problem) { run_gibbs_cpu(ctx, problem); }
};

#if KGEN_WITH_CUDA
template <typename T>
struct GibbsRun<GpuDevice, T> {
  // The launcher picks the path (GibbsCudaAlgorithm::kAuto): the single-launch
  // kernel for small batches whose V + H states fit in shared memory, the tiled
  // matrix products otherwise, so every size runs.
  void operator()(OpKernelContext* ctx, GibbsProblem<T> problem) {
    auto* stream = ctx->op_device_context()->stream();
    OP_REQUIRES(ctx, stream != nullptr, absl::InternalError("GibbsSweeps: no GPU stream"));
    Tensor w_t;  // filled with W^T by the launcher
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(::tensorflow::DataTypeToEnum<T>::value,
                                           TensorShape({problem.hidden, problem.visible}), &w_t));
    problem.w_t = w_t.flat<T>().data();
    const int code = launch_gibbs_sweeps(
        problem, static_cast<cudaStream_t>(stream->platform_specific_handle().stream));
    OP_REQUIRES(ctx, code == 0,
                absl::InternalError(absl::StrCat("GibbsSweeps: CUDA launch failed: ",
                                                 cuda_error_string(code))));
  }
};
#endif

template <typename Device, typename T>
class GibbsSweepsOp : public OpKernel {
 public:
  explicit GibbsSweepsOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    int64_t batch = 0, visible = 0, hidden = 0, sweeps = 0;
    PhiloxSeed seed{};
    OP_REQUIRES_OK(ctx, ValidateInputs(ctx, &batch, &visible, &hidden, &sweeps, &seed));

    Tensor *v = nullptr, *h = nullptr, *v_prob = nullptr, *h_prob = nullptr, *h0_prob = nullptr;
    const TensorShape visible_layer({batch, visible}), hidden_layer({batch, hidden});
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, visible_layer, &v));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, hidden_layer, &h));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, visible_layer, &v_prob));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, hidden_layer, &h_prob));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, hidden_layer, &h0_prob));
    if (batch == 0) return;

    GibbsProblem<T> problem{};
    problem.v_start = ctx->input(0).flat<T>().data();
    problem.w = ctx->input(1).flat<T>().data();
    problem.b_vis = ctx->input(2).flat<T>().data();
    problem.b_hid = ctx->input(3).flat<T>().data();
    problem.batch = batch;
    problem.visible = visible;
    problem.hidden = hidden;
    problem.sweeps = sweeps;
    problem.seed = seed;
    problem.v = v->flat<T>().data();
    problem.h = h->flat<T>().data();
    problem.v_prob = v_prob->flat<T>().data();
    problem.h_prob = h_prob->flat<T>().data();
    problem.h0_prob = h0_prob->flat<T>().data();
    GibbsRun<Device, T>()(ctx, problem);
  }
};

}  // namespace

#define KGEN_REGISTER_GIBBS_CPU(T)                                                          \
  REGISTER_KERNEL_BUILDER(                                                                 \
      Name("Kgen>GibbsSweeps").Device(DEVICE_CPU).TypeConstraint<T>("T"),                  \
      GibbsSweepsOp<CpuDevice, T>)
KGEN_REGISTER_GIBBS_CPU(float);
KGEN_REGISTER_GIBBS_CPU(double);
#undef KGEN_REGISTER_GIBBS_CPU

#if KGEN_WITH_CUDA
#define KGEN_REGISTER_GIBBS_GPU(T)                                                          \
  REGISTER_KERNEL_BUILDER(Name("Kgen>GibbsSweeps")                                         \
                              .Device(::tensorflow::DEVICE_GPU)                            \
                              .HostMemory("k")                                             \
                              .HostMemory("seed")                                          \
                              .TypeConstraint<T>("T"),                                     \
                          GibbsSweepsOp<GpuDevice, T>)
KGEN_REGISTER_GIBBS_GPU(float);
KGEN_REGISTER_GIBBS_GPU(double);
#undef KGEN_REGISTER_GIBBS_GPU
#endif

}  // namespace kgen
