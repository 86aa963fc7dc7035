// CPU kernel of the fused block-Gibbs sweeps (mathematics in gibbs/gibbs.h).
//
// Chains (rows of v) are independent, so a worker takes a range of rows and
// runs all k sweeps on each row without returning to the caller: the products,
// the sigmoid, the Philox draw and the comparison are fused per row, and W
// stays in cache across sweeps. The products exploit that sampled states are
// 0/1: (v W)_j = sum over the active i of W[i, j], accumulated row by row of W
// (contiguous, vectorised), and W h likewise over the active j of W^T. A
// non-binary v_0 (probabilities, grey levels) takes the same path with each
// row of W scaled by v_0[i]. Summation runs over i (or j) in increasing order,
// the same order as the CUDA kernel.
#ifndef KGEN_CC_GIBBS_GIBBS_CPU_H_
#define KGEN_CC_GIBBS_GIBBS_CPU_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gibbs/gibbs.h"

namespace kgen {

// acc[0:n] += scale * row[0:n]
template <typename T>
inline void gibbs_add_scaled_row(T* __restrict__ acc, const T* __restrict__ row, T scale,
                                 int64_t n) {
  for (int64_t j = 0; j < n; ++j) acc[j] += scale * row[j];
}

// out[j] = sigmoid(bias[j] + sum over nonzero x[i] of x[i] * rows[i, j]), j < n;
// rows is [count, n].
template <typename T>
inline void gibbs_conditional_probs(const T* x, int64_t count, const T* rows, const T* bias,
                                    int64_t n, T* out) {
  std::copy(bias, bias + n, out);
  for (int64_t i = 0; i < count; ++i) {
    if (x[i] != T(0)) gibbs_add_scaled_row(out, rows + i * n, x[i], n);
  }
  for (int64_t j = 0; j < n; ++j) out[j] = gibbs_sigmoid(out[j]);
}

// states[j] = Bernoulli(probs[j]) for row `row` of an [B, n] layer, draw `draw`.
template <typename T>
inline void gibbs_sample_row(const T* probs, int64_t row, int64_t n, PhiloxSeed seed,
                             uint32_t draw, T* states) {
  const uint64_t first = static_cast<uint64_t>(row) * static_cast<uint64_t>(n);
  PhiloxBlock words{};
  uint64_t block = ~uint64_t{0};
  for (int64_t j = 0; j < n; ++j) {
    const uint64_t element = first + static_cast<uint64_t>(j);
    if ((element >> 2) != block) {  // one Philox block serves four elements
      block = element >> 2;
      const PhiloxBlock counter{{static_cast<uint32_t>(block), draw,
                                 static_cast<uint32_t>(seed.stream),
                                 static_cast<uint32_t>(seed.stream >> 32)}};
      words = philox4x32_10(counter, static_cast<uint32_t>(seed.key),
                            static_cast<uint32_t>(seed.key >> 32));
    }
    states[j] = gibbs_bernoulli(probs[j], uint32_to_unit_float(words.word[element & 3]));
  }
}

// W^T, rows [begin, end) of the [H, V] result.
template <typename T>
void gibbs_transpose_cpu(const T* w, int64_t visible, int64_t hidden, T* w_t, int64_t begin,
                         int64_t end) {
  for (int64_t j = begin; j < end; ++j) {
    for (int64_t i = 0; i < visible; ++i) w_t[j * visible + i] = w[i * hidden + j];
  }
}

// All k sweeps for chains [begin, end).
template <typename T>
void gibbs_rows_cpu(const GibbsProblem<T>& p, int64_t begin, int64_t end) {
  const int64_t V = p.visible, H = p.hidden;
  std::vector<T> h_state(H);
  for (int64_t b = begin; b < end; ++b) {
    const T* v0 = p.v_start + b * V;
    T* v = p.v + b * V;
    T* v_prob = p.v_prob + b * V;
    T* h_prob = p.h_prob + b * H;
    T* h0_prob = p.h0_prob + b * H;

    gibbs_conditional_probs(v0, V, p.w, p.b_hid, H, h0_prob);
    std::copy(v0, v0 + V, v);
    std::copy(h0_prob, h0_prob + H, h_prob);
    if (p.sweeps == 0) std::fill(v_prob, v_prob + V, T(0));
    for (int64_t s = 0; s < p.sweeps; ++s) {
      const uint32_t draw = static_cast<uint32_t>(2 * s);
      gibbs_sample_row(h_prob, b, H, p.seed, draw, h_state.data());
      gibbs_conditional_probs(h_state.data(), H, p.w_t, p.b_vis, V, v_prob);
      gibbs_sample_row(v_prob, b, V, p.seed, draw + 1, v);
      gibbs_conditional_probs(v, V, p.w, p.b_hid, H, h_prob);
    }
    gibbs_sample_row(h_prob, b, H, p.seed, static_cast<uint32_t>(2 * p.sweeps), p.h + b * H);
  }
}

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_GIBBS_CPU_H_
