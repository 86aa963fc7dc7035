// CPU kernel of the CD weight statistics (mathematics in
// cd_statistics/cd_statistics.h): the public entry points. The kernel itself is
// cd_statistics/cd_statistics_cpu_impl.h, compiled three times: for the x86-64
// baseline (cd_statistics_cpu_generic.cc), with AVX2 + FMA
// (cd_statistics_cpu_avx2.cc) and with AVX-512 (cd_statistics_cpu_avx512.cc);
// the entry points pick the widest this CPU runs (common/cpu_isa.h).
//
// Use: call cd_rows_cpu on ranges of rows of grad_w (visible units) from any
// number of threads; each row is written by one call only, so the result does
// not depend on how the rows are split.
#ifndef KGEN_CC_CD_STATISTICS_CD_STATISTICS_CPU_H_
#define KGEN_CC_CD_STATISTICS_CD_STATISTICS_CPU_H_

#include <cstdint>

#include "cd_statistics/cd_statistics.h"
#include "common/cpu_isa.h"
#include "common/cpu_scratch.h"

namespace kgen {

// Columns of grad_w whose row lists one CD-statistics pass builds together: a
// scan of a row of v_pos or v_neg then reads one 64-byte line of float32.
constexpr int64_t kCdCpuColumnBlock = 16;

// Scratch of one CD-statistics worker.
template <typename T>
struct CdCpuWorkspace {
  int32_t* index;   // [kCdCpuColumnBlock, B + M] per column, the rows of h with a nonzero v_i
  T* scale;         // [kCdCpuColumnBlock, B + M] their weights v_i / B or -v_i / M
  int64_t* counts;  // [2 * kCdCpuColumnBlock] per column, how many positive and negative rows
  T* row;           // [H] one row of the sums, when they accumulate into grad_w
};

// Where the CD kernel reads the rows of h_pos and h_neg.
template <typename T>
struct CdCpuRows {
  const T* h_pos;   // row b at h_pos + b * stride
  const T* h_neg;   // row m at h_neg + m * stride
  int64_t stride;   // >= H
};

template <typename T, CpuIsa kIsa>
struct CdCpuKernel {
  // Rows [begin, end) of the CD weight statistics (cd_statistics/cd_statistics.h).
  static void run(const CdProblem<T>& problem, const CdCpuRows<T>& rows, int64_t begin,
                  int64_t end, const CdCpuWorkspace<T>& workspace);
};

extern template struct CdCpuKernel<float, CpuIsa::kGeneric>;
extern template struct CdCpuKernel<double, CpuIsa::kGeneric>;
extern template struct CdCpuKernel<float, CpuIsa::kAvx2>;
extern template struct CdCpuKernel<double, CpuIsa::kAvx2>;
extern template struct CdCpuKernel<float, CpuIsa::kAvx512>;
extern template struct CdCpuKernel<double, CpuIsa::kAvx512>;

// Rows [begin, end) of grad_w = v_pos^T h_pos / B - v_neg^T h_neg / M (times
// `scale`, added to grad_w when `accumulate`: cd_statistics/cd_statistics.h), reading
// h_pos and h_neg where `rows` says: the CPU kernel for the best ISA here.
template <typename T>
void cd_rows_cpu(const CdProblem<T>& problem, const CdCpuRows<T>& rows, int64_t begin,
                 int64_t end) {
  const int64_t lists = kCdCpuColumnBlock * (problem.batch_pos + problem.batch_neg);
  const int64_t row = problem.accumulate ? problem.hidden : 0;
  CpuScratch scratch(lists * (4 + sizeof(T)) + 2 * kCdCpuColumnBlock * 8 +
                     row * sizeof(T) + 4 * 64);
  CdCpuWorkspace<T> workspace{};
  workspace.index = scratch.take<int32_t>(lists);
  workspace.scale = scratch.take<T>(lists);
  workspace.counts = scratch.take<int64_t>(2 * kCdCpuColumnBlock);
  workspace.row = scratch.take<T>(row);
  switch (cpu_isa()) {
    case CpuIsa::kAvx512:
      CdCpuKernel<T, CpuIsa::kAvx512>::run(problem, rows, begin, end, workspace);
      break;
    case CpuIsa::kAvx2:
      CdCpuKernel<T, CpuIsa::kAvx2>::run(problem, rows, begin, end, workspace);
      break;
    default:
      CdCpuKernel<T, CpuIsa::kGeneric>::run(problem, rows, begin, end, workspace);
  }
}

// The same, reading h_pos and h_neg in place (row stride H).
template <typename T>
void cd_rows_cpu(const CdProblem<T>& problem, int64_t begin, int64_t end) {
  cd_rows_cpu(problem, CdCpuRows<T>{problem.h_pos, problem.h_neg, problem.hidden}, begin, end);
}

}  // namespace kgen

#endif  // KGEN_CC_CD_STATISTICS_CD_STATISTICS_CPU_H_
