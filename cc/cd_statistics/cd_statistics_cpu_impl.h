// The CPU kernel of the CD weight statistics, included only by the
// per-instruction-set files cd_statistics_cpu_generic.cc,
// cd_statistics_cpu_avx2.cc and cd_statistics_cpu_avx512.cc.
//
// Algorithm (mathematics in cd_statistics/cd_statistics.h): row i of grad_w is
// a scaled sum of the rows of h_pos and h_neg whose v_i is nonzero, so the
// kernel lists those rows, kCdCpuColumnBlock columns i at a time (a scan of a
// row of v_pos or v_neg then reads one 64-byte line), and adds them with the
// Gibbs kernel's register-blocked row sum (GibbsCpuImpl::sum_chunk in
// gibbs_sweeps/gibbs_sweeps_cpu_impl.h, the same instruction set): positive
// rows by b, then negative rows by m, the order of the CUDA kernel
// (cd_statistics.cu) and of the NumPy reference
// (kgen_ops/reference/cd_statistics.py).
//
// Like the Gibbs kernel, everything here is a template on kIsa and scratch
// comes from the caller, so each instruction-set build has symbols of its own.
#ifndef KGEN_CC_CD_STATISTICS_CD_STATISTICS_CPU_IMPL_H_
#define KGEN_CC_CD_STATISTICS_CD_STATISTICS_CPU_IMPL_H_

#include <cstdint>
#include <cstring>

#include "cd_statistics/cd_statistics.h"
#include "cd_statistics/cd_statistics_cpu.h"
#include "gibbs_sweeps/gibbs_sweeps_cpu_impl.h"

namespace kgen {

// The CD weight statistics (cd_statistics/cd_statistics.h), row i of grad_w at a
// time: one scaled sum over the rows of h_pos and then of h_neg whose v_i is
// nonzero, register-blocked like the sweeps' sums, written straight into
// grad_w. The hidden rows (B + M rows of H values; 400 KB for 200 x 500 in
// float32) stay in L2 across rows i. The row lists are built for
// kCdCpuColumnBlock columns i at a time, so that v_pos and v_neg are read a
// line at a time along their rows rather than down their columns.
template <typename T, CpuIsa kIsa>
void CdCpuKernel<T, kIsa>::run(const CdProblem<T>& p, const CdCpuRows<T>& rows, int64_t begin,
                              int64_t end, const CdCpuWorkspace<T>& workspace) {
  using Impl = GibbsCpuImpl<T, kIsa>;
  const int64_t B = p.batch_pos, M = p.batch_neg, V = p.visible, H = p.hidden;
  const int64_t capacity = B + M;  // list entries per column: positive rows, then negative
  const T positive_weight = p.scale / static_cast<T>(B);
  const T negative_weight = -p.scale / static_cast<T>(M);
  int64_t* positive_counts = workspace.counts;
  int64_t* negative_counts = workspace.counts + kCdCpuColumnBlock;
  for (int64_t i0 = begin; i0 < end; i0 += kCdCpuColumnBlock) {
    const int64_t width = end - i0 < kCdCpuColumnBlock ? end - i0 : kCdCpuColumnBlock;
    for (int64_t t = 0; t < width; ++t) positive_counts[t] = negative_counts[t] = 0;
    for (int64_t b = 0; b < B + M; ++b) {
      const bool positive = b < B;
      const T* x = positive ? p.v_pos + b * V + i0 : p.v_neg + (b - B) * V + i0;
      const T weight = positive ? positive_weight : negative_weight;
      int64_t* counts = positive ? positive_counts : negative_counts;
      const int64_t offset = positive ? 0 : B;
      const int32_t row = static_cast<int32_t>(positive ? b : b - B);
      uint32_t mask = 0;
      for (int64_t t = 0; t < width; ++t) mask |= static_cast<uint32_t>(x[t] != T(0)) << t;
      while (mask != 0) {
        const int64_t t = __builtin_ctz(mask);
        const int64_t slot = t * capacity + offset + counts[t]++;
        workspace.index[slot] = row;
        workspace.scale[slot] = x[t] * weight;
        mask &= mask - 1;
      }
    }
    for (int64_t t = 0; t < width; ++t) {
      const int32_t* index = workspace.index + t * capacity;
      const T* scale = workspace.scale + t * capacity;
      const typename Impl::RowList lists[2] = {
          {index, scale, positive_counts[t], rows.h_pos, rows.stride},
          {index + B, scale + B, negative_counts[t], rows.h_neg, rows.stride}};
      T* grad_row = p.grad_w + (i0 + t) * H;
      if (p.accumulate) {
        // The old row is the sums' starting value. They go to a scratch row
        // first: a short last chunk overlaps the one before it (sum_chunk),
        // so summing in place would add that overlap twice.
        for (int64_t c = 0; c < H; c += Impl::kChunk) {
          Impl::sum_chunk(lists, 2, grad_row, H, c, workspace.row);
        }
        std::memcpy(grad_row, workspace.row, sizeof(T) * H);
      } else {
        for (int64_t c = 0; c < H; c += Impl::kChunk) Impl::sum_chunk(lists, 2, nullptr, H, c, grad_row);
      }
    }
  }
}

}  // namespace kgen

#endif  // KGEN_CC_CD_STATISTICS_CD_STATISTICS_CPU_IMPL_H_
