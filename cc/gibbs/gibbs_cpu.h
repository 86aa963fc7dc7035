// CPU kernel of the fused block-Gibbs sweeps (mathematics in gibbs/gibbs.h):
// the public entry points. The kernel itself is gibbs/gibbs_cpu_impl.h,
// compiled three times: for the x86-64 baseline (gibbs_cpu_generic.cc), with
// AVX2 + FMA (gibbs_cpu_avx2.cc) and with AVX-512 (gibbs_cpu_avx512.cc);
// gibbs_rows_cpu picks the widest this CPU runs.
//
// Use: build a GibbsCpuLayout (W and W^T with zero-padded rows; the fill
// functions below take row ranges so callers can split them over threads),
// then call gibbs_rows_cpu on ranges of chains from any number of threads.
#ifndef KGEN_CC_GIBBS_GIBBS_CPU_H_
#define KGEN_CC_GIBBS_GIBBS_CPU_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "gibbs/cd_statistics.h"
#include "gibbs/gibbs.h"

namespace kgen {

// Instruction sets the CPU kernel is compiled for. Each instantiation has its
// own symbols, so code built with AVX2 never stands in for the baseline build.
enum class CpuIsa { kGeneric, kAvx2, kAvx512 };

// Rows of W and W^T are padded with zeros to a multiple of this many elements,
// so every register-blocked chunk of every build is full (no scalar tails).
constexpr int64_t kGibbsCpuRowAlign = 128;

inline int64_t gibbs_cpu_padded(int64_t n) {
  return (n + kGibbsCpuRowAlign - 1) / kGibbsCpuRowAlign * kGibbsCpuRowAlign;
}

// Read-only inputs of the CPU kernel, built once per call by the caller.
template <typename T>
struct GibbsCpuLayout {
  const T* w_rows;          // [V, hidden_padded]: W, rows zero-padded
  const T* w_t_rows;        // [H, visible_padded]: W^T, rows zero-padded
  int64_t hidden_padded;    // gibbs_cpu_padded(H)
  int64_t visible_padded;   // gibbs_cpu_padded(V)
};

// Scratch memory of one worker, as raw pointers: the per-ISA code calls no
// std:: template, so no library code gets compiled with AVX2 flags and merged
// by the linker into the baseline path.
// A worker advances blocks of up to this many chains together.
constexpr int64_t kGibbsCpuChainBlock = 64;

template <typename T>
struct GibbsCpuWorkspace {
  int32_t* active;   // [block, max(V, H) + 1] per chain, indices of the units that are on
  int64_t* counts;   // [block] per chain, how many are on
  bool* scaled;      // [block] per chain, whether v_0 is non-binary
  T* scale;          // [block, V] per chain, the nonzero values of a non-binary v_0
  T* h_state;        // [H] hidden states of the current draw (one chain at a time)
  float* uniforms;   // [max(V, H)]
  uint32_t* words;   // [max(V, H) + 48] Philox output
  T* activation;     // [block, max(Vp, Hp)] pre-sigmoid sums
  T* b_vis_padded;   // [Vp] b_vis, zero-padded
  T* b_hid_padded;   // [Hp] b_hid, zero-padded
};

// Read-only inputs of the CPU CD-statistics kernel: h_pos stacked over h_neg,
// rows zero-padded, built once per call by the caller (gibbs_stack_hidden_cpu).
template <typename T>
struct CdCpuLayout {
  const T* hidden_rows;     // [B + M, hidden_padded]
  int64_t hidden_padded;    // gibbs_cpu_padded(H)
};

// Scratch of one CD-statistics worker.
template <typename T>
struct CdCpuWorkspace {
  int32_t* index;   // [B + M] rows of hidden_rows with a nonzero v_i
  T* scale;         // [B + M] their weights v_i / B or -v_i / M
  T* zeros;         // [hidden_padded] zeros (the sums' starting value)
  T* row;           // [hidden_padded] one padded row of grad_w
};

template <typename T, CpuIsa kIsa>
struct GibbsCpuKernel {
  // All k sweeps for chains [begin, end) of `problem`.
  static void run_rows(const GibbsProblem<T>& problem, const GibbsCpuLayout<T>& layout,
                       int64_t begin, int64_t end, const GibbsCpuWorkspace<T>& workspace);
  // Rows [begin, end) of the CD weight statistics (gibbs/cd_statistics.h).
  static void cd_rows(const CdProblem<T>& problem, const CdCpuLayout<T>& layout, int64_t begin,
                      int64_t end, const CdCpuWorkspace<T>& workspace);
};

extern template struct GibbsCpuKernel<float, CpuIsa::kGeneric>;
extern template struct GibbsCpuKernel<double, CpuIsa::kGeneric>;
extern template struct GibbsCpuKernel<float, CpuIsa::kAvx2>;
extern template struct GibbsCpuKernel<double, CpuIsa::kAvx2>;
extern template struct GibbsCpuKernel<float, CpuIsa::kAvx512>;
extern template struct GibbsCpuKernel<double, CpuIsa::kAvx512>;

// The instruction set gibbs_rows_cpu uses on this CPU: AVX-512 (F, DQ) when
// present, else AVX2 + FMA when present, else the baseline.
CpuIsa gibbs_cpu_isa();

// All k sweeps for chains [begin, end): the CPU kernel for the best ISA here.
template <typename T>
void gibbs_rows_cpu(const GibbsProblem<T>& problem, const GibbsCpuLayout<T>& layout,
                    int64_t begin, int64_t end) {
  const int64_t V = problem.visible, H = problem.hidden;
  const int64_t n_max = V > H ? V : H;
  const int64_t padded_max =
      layout.visible_padded > layout.hidden_padded ? layout.visible_padded : layout.hidden_padded;
  const int64_t block = end - begin < kGibbsCpuChainBlock ? end - begin : kGibbsCpuChainBlock;
  if (block <= 0) return;
  std::vector<int32_t> active(block * (n_max + 1));
  std::vector<int64_t> counts(block);
  std::unique_ptr<bool[]> scaled(new bool[block]());
  std::vector<T> scale(block * V + 1), h_state(H + 1), activation(block * padded_max + 1);
  std::vector<T> b_vis_padded(layout.visible_padded + 1, T(0));
  std::vector<T> b_hid_padded(layout.hidden_padded + 1, T(0));
  for (int64_t i = 0; i < V; ++i) b_vis_padded[i] = problem.b_vis[i];
  for (int64_t j = 0; j < H; ++j) b_hid_padded[j] = problem.b_hid[j];
  std::vector<float> uniforms(n_max + 1);
  std::vector<uint32_t> words(n_max + 48);
  const GibbsCpuWorkspace<T> workspace{active.data(),       counts.data(),     scaled.get(),
                                       scale.data(),        h_state.data(),    uniforms.data(),
                                       words.data(),        activation.data(), b_vis_padded.data(),
                                       b_hid_padded.data()};
  switch (gibbs_cpu_isa()) {
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

// Rows [begin, end) of grad_w = v_pos^T h_pos / B - v_neg^T h_neg / M: the
// CPU kernel for the best ISA here.
template <typename T>
void cd_rows_cpu(const CdProblem<T>& problem, const CdCpuLayout<T>& layout, int64_t begin,
                 int64_t end) {
  const int64_t rows = problem.batch_pos + problem.batch_neg;
  std::vector<int32_t> index(rows + 1);
  std::vector<T> scale(rows + 1), zeros(layout.hidden_padded + 1, T(0)),
      row(layout.hidden_padded + 1);
  const CdCpuWorkspace<T> workspace{index.data(), scale.data(), zeros.data(), row.data()};
  switch (gibbs_cpu_isa()) {
    case CpuIsa::kAvx512:
      GibbsCpuKernel<T, CpuIsa::kAvx512>::cd_rows(problem, layout, begin, end, workspace);
      break;
    case CpuIsa::kAvx2:
      GibbsCpuKernel<T, CpuIsa::kAvx2>::cd_rows(problem, layout, begin, end, workspace);
      break;
    default:
      GibbsCpuKernel<T, CpuIsa::kGeneric>::cd_rows(problem, layout, begin, end, workspace);
  }
}

// Rows [begin, end) of layout.hidden_rows: h_pos (rows 0 .. B-1) then h_neg
// (rows B .. B+M-1), each zero-padded to `hidden_padded`.
template <typename T>
void gibbs_stack_hidden_cpu(const T* h_pos, const T* h_neg, int64_t batch_pos, int64_t hidden,
                            int64_t hidden_padded, T* hidden_rows, int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const T* source = r < batch_pos ? h_pos + r * hidden : h_neg + (r - batch_pos) * hidden;
    T* target = hidden_rows + r * hidden_padded;
    for (int64_t j = 0; j < hidden; ++j) target[j] = source[j];
    for (int64_t j = hidden; j < hidden_padded; ++j) target[j] = T(0);
  }
}

// Rows [begin, end) of layout.w_rows: W with rows zero-padded to `hidden_padded`.
template <typename T>
void gibbs_pad_w_cpu(const T* w, int64_t visible, int64_t hidden, int64_t hidden_padded,
                     T* w_rows, int64_t begin, int64_t end) {
  (void)visible;
  for (int64_t i = begin; i < end; ++i) {
    for (int64_t j = 0; j < hidden; ++j) w_rows[i * hidden_padded + j] = w[i * hidden + j];
    for (int64_t j = hidden; j < hidden_padded; ++j) w_rows[i * hidden_padded + j] = T(0);
  }
}

// Rows [begin, end) of layout.w_t_rows: W^T with rows zero-padded to `visible_padded`.
template <typename T>
void gibbs_pad_w_t_cpu(const T* w, int64_t visible, int64_t hidden, int64_t visible_padded,
                       T* w_t_rows, int64_t begin, int64_t end) {
  constexpr int64_t kTile = 16;  // read W in 16-wide column strips for cache reuse
  for (int64_t j0 = begin; j0 < end; j0 += kTile) {
    const int64_t j1 = j0 + kTile < end ? j0 + kTile : end;
    for (int64_t i = 0; i < visible; ++i) {
      for (int64_t j = j0; j < j1; ++j) w_t_rows[j * visible_padded + i] = w[i * hidden + j];
    }
    for (int64_t j = j0; j < j1; ++j) {
      for (int64_t i = visible; i < visible_padded; ++i) w_t_rows[j * visible_padded + i] = T(0);
    }
  }
}

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_GIBBS_CPU_H_
