// The CPU Gibbs kernel (gibbs_sweeps/gibbs_sweeps_cpu.h) on TensorFlow's intra-op thread
// pool: shared by the kernels of Kgen>GibbsSweeps and Kgen>CdUpdate.
#ifndef KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_TENSORFLOW_H_
#define KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_TENSORFLOW_H_

#include <algorithm>
#include <cstdint>

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/util/work_sharder.h"

#include "gibbs_sweeps/gibbs_sweeps.h"
#include "gibbs_sweeps/gibbs_sweeps_cpu.h"

namespace kgen {

// Runs fn(part) for part = 0 .. parts - 1 on the intra-op pool, one part per
// task: a cost per unit this large makes Shard give every part its own block.
template <typename Fn>
void run_parts_on_intra_op_pool(::tensorflow::OpKernelContext* ctx, int64_t parts, Fn fn) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
  ::tensorflow::Shard(workers->num_threads, workers->workers, parts, int64_t{1} << 40,
                      [&fn](int64_t begin, int64_t end) {
                        for (int64_t part = begin; part < end; ++part) fn(part);
                      });
}

// All `problem.sweeps` sweeps of every chain of `problem` (shapes already
// validated, outputs allocated), on the intra-op pool. W is read in place;
// W^T (the p(v | h) sums) is built in a temporary only for k > 0.
template <typename T>
void run_gibbs_cpu(::tensorflow::OpKernelContext* ctx, const GibbsProblem<T>& problem) {
  const int64_t V = problem.visible, H = problem.hidden, B = problem.batch;
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
  GibbsCpuLayout<T> layout{problem.w, nullptr, H, V};
  ::tensorflow::Tensor w_t;
  if (problem.sweeps > 0) {
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(::tensorflow::DataTypeToEnum<T>::value,
                                           ::tensorflow::TensorShape({H, V}), &w_t));
    T* w_t_data = w_t.flat<T>().data();
    // In units of 32 rows of W^T, a whole number of the transpose's blocks.
    ::tensorflow::Shard(workers->num_threads, workers->workers, (H + 31) / 32, 32 * V,
                        [&](int64_t begin, int64_t end) {
                          gibbs_transpose_w_cpu(problem.w, V, H, w_t_data, V, 32 * begin,
                                                std::min(H, 32 * end));
                        });
    layout.w_t_rows = w_t_data;
  }
  // A few large ranges of chains (gibbs_cpu_parts), not TensorFlow's cost-based
  // split: the more chains in a range, the more share each slice of W loaded
  // into L2 (see gibbs_sweeps_cpu_impl.h).
  const int64_t parts = gibbs_cpu_parts(B, workers->num_threads);
  run_parts_on_intra_op_pool(ctx, parts, [&](int64_t part) {
    gibbs_rows_cpu(problem, layout, B * part / parts, B * (part + 1) / parts);
  });
}

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_TENSORFLOW_H_
