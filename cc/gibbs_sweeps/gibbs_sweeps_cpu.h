// CPU kernel of the fused block-Gibbs sweeps (mathematics in
// gibbs_sweeps/gibbs_sweeps.h): the public entry points. The kernel itself is
// gibbs_sweeps/gibbs_sweeps_cpu_impl.h, compiled three times: for the x86-64
// baseline (gibbs_sweeps_cpu_generic.cc), with AVX2 + FMA
// (gibbs_sweeps_cpu_avx2.cc) and with AVX-512 (gibbs_sweeps_cpu_avx512.cc); the
// entry points pick the widest this CPU runs (common/cpu_isa.h).
//
// Use: build a GibbsCpuLayout (W read in place; W^T, needed only when k > 0,
// filled by gibbs_transpose_w_cpu over row ranges that callers can split over
// threads), then call gibbs_rows_cpu on ranges of chains from any number of
// threads. Split the chains into few ranges (gibbs_cpu_parts): the kernel
// tiles W by columns for the chains of a range, so the fewer ranges, the
// fewer times W streams through the caches.
#ifndef KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_H_
#define KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_H_

#include <cstdint>

#include "common/cpu_isa.h"
#include "common/cpu_scratch.h"
#include "gibbs_sweeps/gibbs_sweeps.h"

namespace kgen {

// Read-only inputs of the CPU Gibbs kernel, built once per call by the caller.
template <typename T>
struct GibbsCpuLayout {
  const T* w_rows;          // [V, w_stride]: W, row i at w_rows + i * w_stride (W itself: stride H)
  const T* w_t_rows;        // [H, w_t_stride]: W^T; unused (may be null) when k = 0
  int64_t w_stride;         // >= H
  int64_t w_t_stride;       // >= V
};

// A worker advances blocks of up to this many chains together.
constexpr int64_t kGibbsCpuChainBlock = 64;

// Scratch memory of one Gibbs worker, as raw pointers: the per-ISA code calls
// no std:: template, so no library code gets compiled with AVX2 flags and
// merged by the linker into the baseline path.
template <typename T>
struct GibbsCpuWorkspace {
  int32_t* active;   // [block, max(V, H)] per chain, indices of the units that are on
  int64_t* counts;   // [block] per chain, how many are on
  bool* scaled;      // [block] per chain, whether v_0 is non-binary
  T* scale;          // [block, V] per chain, the nonzero values of v_0
  T* h_state;        // [H] hidden states of the current draw (one chain at a time)
  float* uniforms;   // [max(V, H)]
  uint32_t* words;   // [max(V, H) + 48] Philox output
  T* activation;     // [block, activation_stride] pre-sigmoid sums
  int64_t activation_stride;  // >= max(V, H)
};

template <typename T, CpuIsa kIsa>
struct GibbsCpuKernel {
  // All k sweeps for chains [begin, end) of `problem`.
  static void run_rows(const GibbsProblem<T>& problem, const GibbsCpuLayout<T>& layout,
                       int64_t begin, int64_t end, const GibbsCpuWorkspace<T>& workspace);
  // Rows [begin, end) of W^T (row stride `stride` >= V) from W [V, H].
  static void transpose(const T* w, int64_t visible, int64_t hidden, T* w_t, int64_t stride,
                        int64_t begin, int64_t end);
};

extern template struct GibbsCpuKernel<float, CpuIsa::kGeneric>;
extern template struct GibbsCpuKernel<double, CpuIsa::kGeneric>;
extern template struct GibbsCpuKernel<float, CpuIsa::kAvx2>;
extern template struct GibbsCpuKernel<double, CpuIsa::kAvx2>;
extern template struct GibbsCpuKernel<float, CpuIsa::kAvx512>;
extern template struct GibbsCpuKernel<double, CpuIsa::kAvx512>;

// How many ranges of chains to split `batch` chains into for `threads`
// threads: two per thread, so that a thread that the OS holds back leaves
// only a small share of the work behind, but none shorter than 16 chains (a
// block of chains shares each slice of W that it loads).
inline int64_t gibbs_cpu_parts(int64_t batch, int64_t threads) {
  const int64_t by_size = (batch + 15) / 16;
  const int64_t parts = 2 * threads < by_size ? 2 * threads : by_size;
  return parts > 1 ? parts : 1;
}

// All k sweeps for chains [begin, end): the CPU kernel for the best ISA here.
template <typename T>
void gibbs_rows_cpu(const GibbsProblem<T>& problem, const GibbsCpuLayout<T>& layout,
                    int64_t begin, int64_t end) {
  const int64_t V = problem.visible, H = problem.hidden;
  const int64_t n_max = V > H ? V : H;
  const int64_t block = end - begin < kGibbsCpuChainBlock ? end - begin : kGibbsCpuChainBlock;
  if (block <= 0) return;
  // Activation rows start on 64-byte boundaries.
  const int64_t activation_stride = (n_max + 15) / 16 * 16;
  const int64_t bytes = block * n_max * 4 + block * 8 + block + block * V * sizeof(T) +
                        H * sizeof(T) + n_max * 4 + (n_max + 48) * 4 +
                        block * activation_stride * sizeof(T) + 9 * 64;
  CpuScratch scratch(bytes);
  GibbsCpuWorkspace<T> workspace{};
  workspace.active = scratch.take<int32_t>(block * n_max);
  workspace.counts = scratch.take<int64_t>(block);
  workspace.scaled = scratch.take<bool>(block);
  workspace.scale = scratch.take<T>(block * V);
  workspace.h_state = scratch.take<T>(H);
  workspace.uniforms = scratch.take<float>(n_max);
  workspace.words = scratch.take<uint32_t>(n_max + 48);
  workspace.activation = scratch.take<T>(block * activation_stride);
  workspace.activation_stride = activation_stride;
  switch (cpu_isa()) {
    case CpuIsa::kAvx512:
      GibbsCpuKernel<T, CpuIsa::kAvx512>::run_rows(problem, layout, begin, end, workspace);
      break;
    case CpuIsa::kAvx2:
      GibbsCpuKernel<T, CpuIsa::kAvx2>::run_rows(problem, layout, begin, end, workspace);
      break;
    default:
      GibbsCpuKernel<T, CpuIsa::kGeneric>::run_rows(problem, layout, begin, end, workspace);
  }
}

// Rows [begin, end) of W^T (row stride `stride` >= V) from W [V, H], by
// register-blocked tiles: the CPU kernel for the best ISA here.
template <typename T>
void gibbs_transpose_w_cpu(const T* w, int64_t visible, int64_t hidden, T* w_t, int64_t stride,
                           int64_t begin, int64_t end) {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512:
      GibbsCpuKernel<T, CpuIsa::kAvx512>::transpose(w, visible, hidden, w_t, stride, begin, end);
      break;
    case CpuIsa::kAvx2:
      GibbsCpuKernel<T, CpuIsa::kAvx2>::transpose(w, visible, hidden, w_t, stride, begin, end);
      break;
    default:
      GibbsCpuKernel<T, CpuIsa::kGeneric>::transpose(w, visible, hidden, w_t, stride, begin, end);
  }
}

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_H_
