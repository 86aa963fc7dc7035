// TensorFlow kernels of Kgen>CdStatistics: shapes validated first, then the
// CPU kernel (cd_statistics/cd_statistics_cpu.h) over TensorFlow's intra-op
// pool, or the CUDA launcher (cd_statistics/cd_statistics.cu) on the op's GPU
// stream.
#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/util/work_sharder.h"

#include "cd_statistics/cd_statistics.h"
#include "cd_statistics/cd_statistics_cpu.h"
#if KGEN_WITH_CUDA
#include "cd_statistics/cd_statistics_launch.h"
#include "xla/stream_executor/stream.h"
#endif

namespace kgen {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;

namespace {

struct CpuDevice {};
struct GpuDevice {};

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("CdStatistics: ", message));
}

absl::Status Validate(OpKernelContext* ctx) {
  const char* names[4] = {"v_pos", "h_pos", "v_neg", "h_neg"};
  for (int a = 0; a < 4; ++a) {
    if (ctx->input(a).dims() != 2) {
      return Invalid(absl::StrCat("`", names[a], "` must be rank 2, got shape ",
                                  ctx->input(a).shape().DebugString()));
    }
  }
  const Tensor &v_pos = ctx->input(0), &h_pos = ctx->input(1);
  const Tensor &v_neg = ctx->input(2), &h_neg = ctx->input(3);
  if (v_pos.dim_size(0) != h_pos.dim_size(0)) {
    return Invalid(absl::StrCat("`v_pos` and `h_pos` must have the same number of rows, got ",
                                v_pos.shape().DebugString(), " and ", h_pos.shape().DebugString()));
  }
  if (v_neg.dim_size(0) != h_neg.dim_size(0)) {
    return Invalid(absl::StrCat("`v_neg` and `h_neg` must have the same number of rows, got ",
                                v_neg.shape().DebugString(), " and ", h_neg.shape().DebugString()));
  }
  if (v_pos.dim_size(1) != v_neg.dim_size(1)) {
    return Invalid(absl::StrCat("`v_pos` and `v_neg` must have the same number of visible units, got ",
                                v_pos.shape().DebugString(), " and ", v_neg.shape().DebugString()));
  }
  if (h_pos.dim_size(1) != h_neg.dim_size(1)) {
    return Invalid(absl::StrCat("`h_pos` and `h_neg` must have the same number of hidden units, got ",
                                h_pos.shape().DebugString(), " and ", h_neg.shape().DebugString()));
  }
  if (v_pos.dim_size(0) == 0 || v_neg.dim_size(0) == 0) {
    return Invalid(absl::StrCat("each phase needs at least one row (its average divides by it), got ",
                                v_pos.dim_size(0), " positive and ", v_neg.dim_size(0),
                                " negative rows"));
  }
  if (v_pos.dim_size(0) + v_neg.dim_size(0) > INT32_MAX) {
    return Invalid("more than 2^31 - 1 rows in the two phases together");
  }
  return absl::OkStatus();
}

template <typename Device, typename T>
struct CdRun;

template <typename T>
struct CdRun<CpuDevice, T> {
  void operator()(OpKernelContext* ctx, const CdProblem<T>& problem) {
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
    // One row i of grad_w: a scan of B + M values, then about a third of them
    // times H adds. Work is handed out in blocks of kCdCpuColumnBlock rows,
    // the kernel's unit (it lists the nonzero v_i of that many columns at once).
    const int64_t V = problem.visible;
    const int64_t rows = problem.batch_pos + problem.batch_neg;
    const int64_t cost_per_block = kCdCpuColumnBlock * rows * (1 + problem.hidden / 3);
    const int64_t blocks = (V + kCdCpuColumnBlock - 1) / kCdCpuColumnBlock;
    // The kernel reads h_pos and h_neg in place.
    ::tensorflow::Shard(workers->num_threads, workers->workers, blocks, cost_per_block,
                        [&problem, V](int64_t begin, int64_t end) {
                          cd_rows_cpu(problem, begin * kCdCpuColumnBlock,
                                      std::min(V, end * kCdCpuColumnBlock));
                        });
  }
};

#if KGEN_WITH_CUDA
template <typename T>
struct CdRun<GpuDevice, T> {
  void operator()(OpKernelContext* ctx, const CdProblem<T>& problem) {
    OP_REQUIRES(ctx, problem.visible <= 65535,
                Invalid(absl::StrCat("the GPU kernel handles at most 65535 visible units, got ",
                                     problem.visible)));
    auto* stream = ctx->op_device_context()->stream();
    OP_REQUIRES(ctx, stream != nullptr, absl::InternalError("CdStatistics: no GPU stream"));
    const int code = launch_cd_statistics(
        problem, static_cast<cudaStream_t>(stream->platform_specific_handle().stream));
    OP_REQUIRES(ctx, code == 0,
                absl::InternalError(absl::StrCat("CdStatistics: CUDA launch failed: ",
                                                 cuda_error_string(code))));
  }
};
#endif

template <typename Device, typename T>
class CdStatisticsOp : public OpKernel {
 public:
  explicit CdStatisticsOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    OP_REQUIRES_OK(ctx, Validate(ctx));
    const int64_t V = ctx->input(0).dim_size(1), H = ctx->input(1).dim_size(1);
    Tensor* grad_w = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({V, H}), &grad_w));
    if (V == 0 || H == 0) return;
    CdProblem<T> problem{};
    problem.v_pos = ctx->input(0).flat<T>().data();
    problem.h_pos = ctx->input(1).flat<T>().data();
    problem.v_neg = ctx->input(2).flat<T>().data();
    problem.h_neg = ctx->input(3).flat<T>().data();
    problem.batch_pos = ctx->input(0).dim_size(0);
    problem.batch_neg = ctx->input(2).dim_size(0);
    problem.visible = V;
    problem.hidden = H;
    problem.grad_w = grad_w->flat<T>().data();
    CdRun<Device, T>()(ctx, problem);
  }
};

}  // namespace

#define KGEN_REGISTER_CD_CPU(T)                                                              \
  REGISTER_KERNEL_BUILDER(Name("Kgen>CdStatistics")                                          \
                              .Device(::tensorflow::DEVICE_CPU)                              \
                              .TypeConstraint<T>("T"),                                       \
                          CdStatisticsOp<CpuDevice, T>)
KGEN_REGISTER_CD_CPU(float);
KGEN_REGISTER_CD_CPU(double);
#undef KGEN_REGISTER_CD_CPU

#if KGEN_WITH_CUDA
#define KGEN_REGISTER_CD_GPU(T)                                                              \
  REGISTER_KERNEL_BUILDER(Name("Kgen>CdStatistics")                                          \
                              .Device(::tensorflow::DEVICE_GPU)                              \
                              .TypeConstraint<T>("T"),                                       \
                          CdStatisticsOp<GpuDevice, T>)
KGEN_REGISTER_CD_GPU(float);
KGEN_REGISTER_CD_GPU(double);
#undef KGEN_REGISTER_CD_GPU
#endif

}  // namespace kgen
