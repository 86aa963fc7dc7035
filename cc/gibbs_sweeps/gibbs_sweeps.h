// Block-Gibbs sampling of a binary restricted Boltzmann machine: the
// mathematics shared by the CPU kernel, the CUDA kernel and their references.
//
// Energy E(v, h) = -v^T W h - b_vis^T v - b_hid^T h, W of shape [V, H]. The
// conditionals factorise, so a whole layer is sampled at once:
//     p(h_j = 1 | v) = sigmoid(b_hid_j + (v W)_j)
//     p(v_i = 1 | h) = sigmoid(b_vis_i + (W h)_i)
//
// One op call runs k sweeps on each of B independent chains (rows of v):
//     h0_prob = p(h | v_0)
//     for s in 0 .. k-1:
//         h_s     ~ Bernoulli(p(h | v_s))            draw index d = 2s
//         v_prob  = p(v | h_s)
//         v_{s+1} ~ Bernoulli(v_prob)                draw index d = 2s + 1
//     h_prob = p(h | v_k);  h ~ Bernoulli(h_prob)    draw index d = 2k
// and returns (v_k, h, v_prob, h_prob, h0_prob); for k = 0, v = v_0 and
// v_prob is all zeros.
//
// Random numbers: a Bernoulli(p) draw is 1 when u < p, with u the uniform of
// draw d at element e (row-major index into the [B, n] layer) taken from the
// Philox stream of seed (s0, s1) at counter {e / 4, d, lo(s1), hi(s1)}, key s0,
// word e % 4: element d * 2^34 + e of the kgen stream (philox/philox.h). Any
// thread on any device draws the same u for the same (seed, sweep, layer,
// element); this needs B * max(V, H) <= 2^34 and 2k < 2^32.
#ifndef KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_H_
#define KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_H_

#include <cmath>
#include <cstdint>

#include "philox/philox.h"

namespace kgen {

// Largest number of elements in one layer of one call, B * max(V, H).
constexpr int64_t kGibbsMaxLayerElements = int64_t{1} << 34;
// Largest k: draw indices 0 .. 2k must fit in 32 bits.
constexpr int64_t kGibbsMaxSweeps = (int64_t{1} << 31) - 1;

// The four words of draw `draw` for elements 4 * block .. 4 * block + 3 (see
// above): kernels that draw runs of consecutive elements compute each block once.
KGEN_HOST_DEVICE PhiloxBlock gibbs_block(PhiloxSeed seed, uint32_t draw, uint64_t block) {
  const PhiloxBlock counter{{static_cast<uint32_t>(block), draw,
                             static_cast<uint32_t>(seed.stream),
                             static_cast<uint32_t>(seed.stream >> 32)}};
  return philox4x32_10(counter, static_cast<uint32_t>(seed.key),
                       static_cast<uint32_t>(seed.key >> 32));
}

// The uniform in [0, 1) of draw `draw` at element `element` (see above).
KGEN_HOST_DEVICE float gibbs_uniform(PhiloxSeed seed, uint32_t draw, uint64_t element) {
  return uint32_to_unit_float(gibbs_block(seed, draw, element >> 2).word[element & 3]);
}

// Numerically stable logistic sigmoid: never evaluates exp of a large positive
// number, so no overflow for any finite x; sigmoid(NaN) is NaN.
template <typename T>
KGEN_HOST_DEVICE T gibbs_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + exp(-x));
  const T e = exp(x);
  return e / (T(1) + e);
}

// Bernoulli draw as 0/1 in T. NaN probabilities give 0 (u < NaN is false).
template <typename T>
KGEN_HOST_DEVICE T gibbs_bernoulli(T probability, float uniform) {
  return static_cast<T>(uniform) < probability ? T(1) : T(0);
}

// Pointers and sizes of one call; all arrays are dense row-major.
template <typename T>
struct GibbsProblem {
  const T* v_start;   // [B, V]
  const T* w;         // [V, H]
  const T* w_t;       // [H, V], W transposed (CUDA: filled by the launcher)
  const T* b_vis;     // [V]
  const T* b_hid;     // [H]
  int64_t batch;      // B
  int64_t visible;    // V
  int64_t hidden;     // H
  int64_t sweeps;     // k >= 0
  PhiloxSeed seed;
  T* v;               // [B, V] out: v_k
  T* h;               // [B, H] out: h ~ p(h | v_k); CPU kernel only: null skips that draw
  T* v_prob;          // [B, V] out: p(v | h_{k-1}), zeros for k = 0
  T* h_prob;          // [B, H] out: p(h | v_k)
  T* h0_prob;         // [B, H] out: p(h | v_0)
  // Optional per-row by-products of the CPU kernel (null: not computed; the
  // CUDA kernel ignores them), for the metrics of the fused CD step
  // (CdUpdate), with a_0 = b_hid + v_0 W and a_k = b_hid + v_k W:
  const int32_t* flip;      // [B] in: a visible unit per row, in [0, V)
  T* h0_softplus;           // [B] out: sum_j softplus(a_0j)
  T* flipped_softplus;      // [B] out: sum_j softplus(a_0j + (1 - 2 v_0,flip) W[flip, j])
  T* h_softplus;            // [B] out: sum_j softplus(a_kj)
  T* reconstruction_error;  // [B] out: sum_i (v_0i - p(v_i | h_0))^2, first sweep (k >= 1)
};

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_H_
