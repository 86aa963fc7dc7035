// CPU kernel of the fused block-Gibbs sweeps (mathematics in gibbs/gibbs.h):
// the public entry points. The kernel itself is gibbs/gibbs_cpu_impl.h,
// compiled twice: for the x86-64 baseline (gibbs_cpu_generic.cc) and with
// AVX2 + FMA (gibbs_cpu_avx2.cc); gibbs_rows_cpu picks one at run time.
#ifndef KGEN_CC_GIBBS_GIBBS_CPU_H_
#define KGEN_CC_GIBBS_GIBBS_CPU_H_

#include <cstdint>
#include <vector>

#include "gibbs/gibbs.h"

namespace kgen {

// Instruction sets the CPU kernel is compiled for. Each instantiation has its
// own symbols, so code built with AVX2 never stands in for the baseline build.
enum class CpuIsa { kGeneric, kAvx2 };

// Scratch memory of one worker, as raw pointers: the per-ISA code calls no
// std:: template, so no library code gets compiled with AVX2 flags and merged
// by the linker into the baseline path.
template <typename T>
struct GibbsCpuWorkspace {
  int32_t* active;   // [max(V, H) + 1] indices of the units that are on
  T* scale;          // [V] nonzero values of a non-binary starting v
  T* h_state;        // [H] hidden states of the current sweep
  float* uniforms;   // [max(V, H)]
  uint32_t* words;   // [max(V, H) + 48] Philox output
};

template <typename T, CpuIsa kIsa>
struct GibbsCpuKernel {
  // All k sweeps for chains [begin, end) of `problem` (problem.w_t must be set).
  static void run_rows(const GibbsProblem<T>& problem, int64_t begin, int64_t end,
                       const GibbsCpuWorkspace<T>& workspace);
};

extern template struct GibbsCpuKernel<float, CpuIsa::kGeneric>;
extern template struct GibbsCpuKernel<double, CpuIsa::kGeneric>;
extern template struct GibbsCpuKernel<float, CpuIsa::kAvx2>;
extern template struct GibbsCpuKernel<double, CpuIsa::kAvx2>;

// The instruction set gibbs_rows_cpu uses on this CPU (AVX2 + FMA when present).
CpuIsa gibbs_cpu_isa();

// All k sweeps for chains [begin, end): the CPU kernel for the best ISA here.
template <typename T>
void gibbs_rows_cpu(const GibbsProblem<T>& problem, int64_t begin, int64_t end) {
  const int64_t n_max = problem.visible > problem.hidden ? problem.visible : problem.hidden;
  std::vector<int32_t> active(n_max + 1);
  std::vector<T> scale(problem.visible + 1), h_state(problem.hidden + 1);
  std::vector<float> uniforms(n_max + 1);
  std::vector<uint32_t> words(n_max + 48);
  const GibbsCpuWorkspace<T> workspace{active.data(), scale.data(), h_state.data(),
                                       uniforms.data(), words.data()};
  if (gibbs_cpu_isa() == CpuIsa::kAvx2) {
    GibbsCpuKernel<T, CpuIsa::kAvx2>::run_rows(problem, begin, end, workspace);
  } else {
    GibbsCpuKernel<T, CpuIsa::kGeneric>::run_rows(problem, begin, end, workspace);
  }
}

// W^T, rows [begin, end) of the [H, V] result.
template <typename T>
void gibbs_transpose_cpu(const T* w, int64_t visible, int64_t hidden, T* w_t, int64_t begin,
                         int64_t end) {
  constexpr int64_t kTile = 16;  // read W in 16-wide column strips for cache reuse
  for (int64_t j0 = begin; j0 < end; j0 += kTile) {
    const int64_t j1 = j0 + kTile < end ? j0 + kTile : end;
    for (int64_t i = 0; i < visible; ++i) {
      for (int64_t j = j0; j < j1; ++j) w_t[j * visible + i] = w[i * hidden + j];
    }
  }
}

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_GIBBS_CPU_H_
