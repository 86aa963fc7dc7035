// The CPU kernel of the fused block-Gibbs sweeps, included only by the
// per-instruction-set files gibbs_cpu_generic.cc, gibbs_cpu_avx2.cc and
// gibbs_cpu_avx512.cc.
//
// Algorithm. Chains (rows of v) are independent: a worker takes a range of
// rows and runs all k sweeps without returning to the caller, so the
// products, the sigmoid, the Philox draw and the comparison are fused. The
// worker advances a block of up to kChainBlock chains together, half-sweep by
// half-sweep, and tiles each product by output chunk: one 128-column slice of
// W (or W^T), 256 KB for H or V = 500 in float32, stays in L2 while every
// chain of the block adds its active rows of it. (Chain by chain, W and W^T,
// 1.6 MB each for 784 x 500, stream from L3 on every row of every chain: the
// sums then run at L3 bandwidth.) Sampled states are 0/1, so
//     (v W)_j = b_hid_j + sum over active i of W[i, j]
// is a sum of the active rows of W (and W h of the active rows of W^T). The
// sum is register-blocked: the output is cut into chunks of kChunk values held
// in vector registers while every active row streams through once, adding in
// increasing index order (the CUDA kernel's order). Rows are zero-padded to a
// multiple of kGibbsCpuRowAlign (GibbsCpuLayout), so every chunk is full. A non-binary starting v
// (probabilities, grey levels) takes a scaled variant once per call.
//
// Every helper is a member of GibbsCpuImpl<T, kIsa> and scratch comes from the
// caller, so each instruction-set build has only symbols of its own: no inline
// or template code shared with the baseline build (std::vector, the helpers of
// gibbs.h and philox.h) is compiled here, which the linker could otherwise
// merge into the baseline path.
#ifndef KGEN_CC_GIBBS_GIBBS_CPU_IMPL_H_
#define KGEN_CC_GIBBS_GIBBS_CPU_IMPL_H_

#include <cmath>
#include <cstdint>
#include <cstring>

#include "gibbs/gibbs.h"
#include "gibbs/gibbs_cpu.h"
#include "philox/philox.h"

namespace kgen {

template <typename T, CpuIsa kIsa>
struct GibbsCpuImpl {
  // A vector register of T (GCC/Clang vector extension): 32 bytes for AVX2,
  // 16 bytes (SSE2) for the baseline build.
  static constexpr int kVectorBytes =
      kIsa == CpuIsa::kAvx512 ? 64 : (kIsa == CpuIsa::kAvx2 ? 32 : 16);
  typedef T Vec __attribute__((vector_size(kVectorBytes)));
  static constexpr int64_t kVectorLanes = kVectorBytes / static_cast<int64_t>(sizeof(T));
  // Accumulators held in registers during a row sum, and the chunk they cover.
  static constexpr int kAccumulators = 8;
  static constexpr int64_t kChunk = kAccumulators * kVectorLanes;
  static_assert(kGibbsCpuRowAlign % kChunk == 0, "padded rows must hold whole chunks");
  // Philox blocks computed side by side (vector lanes).
  static constexpr int kLanes = 8;

  static Vec load(const T* address) {
    Vec value;
    std::memcpy(&value, address, sizeof(Vec));
    return value;
  }
  static void store(T* address, Vec value) { std::memcpy(address, &value, sizeof(Vec)); }

  // Chains advanced together; their activations and active lists stay in L2.
  static constexpr int64_t kChainBlock = kGibbsCpuChainBlock;

  // One chunk of a row sum: out[c : c + kChunk] = bias[c : ...] + sum over
  // m < count of scale[m] * rows[index[m] * n + c : ...], with scale == nullptr
  // meaning all ones (binary states: plain adds).
  static void sum_chunk(const int32_t* index, const T* scale, int64_t count, const T* rows,
                        const T* bias, int64_t n, int64_t c, T* out) {
    Vec acc[kAccumulators];
#pragma GCC unroll 8
    for (int q = 0; q < kAccumulators; ++q) acc[q] = load(bias + c + q * kVectorLanes);
    if (scale == nullptr) {
      for (int64_t m = 0; m < count; ++m) {
        const T* row = rows + static_cast<int64_t>(index[m]) * n + c;
#pragma GCC unroll 8
        for (int q = 0; q < kAccumulators; ++q) acc[q] += load(row + q * kVectorLanes);
      }
    } else {
      for (int64_t m = 0; m < count; ++m) {
        const T* row = rows + static_cast<int64_t>(index[m]) * n + c;
        const T s = scale[m];
#pragma GCC unroll 8
        for (int q = 0; q < kAccumulators; ++q) acc[q] += s * load(row + q * kVectorLanes);
      }
    }
#pragma GCC unroll 8
    for (int q = 0; q < kAccumulators; ++q) store(out + c + q * kVectorLanes, acc[q]);
  }

  // For each chain r < chains: out[r, 0:n] = bias + sum of the rows listed in
  // index[r * list_stride : ...] (counts[r] of them; scaled by scale[r * V ...]
  // when scaled[r]). n is a padded row length; the loop runs chunk by chunk so
  // one slice of `rows` serves every chain while it is in L2.
  static void sum_active_rows_tiled(const int32_t* index, int64_t list_stride,
                                    const int64_t* counts, const T* scale,
                                    int64_t scale_stride, const bool* scaled, int64_t chains,
                                    const T* rows, const T* bias, int64_t n, T* out) {
    for (int64_t c = 0; c < n; c += kChunk) {
      for (int64_t r = 0; r < chains; ++r) {
        const T* chain_scale = scaled != nullptr && scaled[r] ? scale + r * scale_stride : nullptr;
        sum_chunk(index + r * list_stride, chain_scale, counts[r], rows, bias, n, c, out + r * n);
      }
    }
  }

  // sigmoid(x) = 1 / (1 + e^-x) for one vector, float32. x is clamped to
  // [-88, 88] first, where e^-x stays finite, so the one formula is stable for
  // every x; NaN stays NaN. e^y: y = n ln2 + r with n = round(y / ln2) (by the
  // 1.5 * 2^23 rounding trick) and |r| <= ln2 / 2; e^r by a degree-6 polynomial
  // (Cephes expf coefficients, about 2 ulp), times 2^n through the exponent bits.
  typedef int32_t IntVec __attribute__((vector_size(kVectorBytes)));
  static Vec sigmoid_vector(Vec x) {
    const Vec lo = Vec{} - 88.0f, hi = Vec{} + 88.0f;
    Vec y = x < lo ? lo : x;
    y = y > hi ? hi : y;
    y = -y;
    const Vec round_magic = Vec{} + 12582912.0f;  // 1.5 * 2^23
    const Vec n = (y * 1.44269504088896341f + round_magic) - round_magic;
    const Vec r = y - n * 0.693359375f + n * 2.12194440e-4f;
    Vec p = Vec{} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const IntVec bits = (__builtin_convertvector(n, IntVec) + 127) << 23;
    Vec scale;
    std::memcpy(&scale, &bits, sizeof(scale));
    const Vec probability = 1.0f / (1.0f + p * scale);
    return x != x ? x : probability;
  }

  // The stable two-branch sigmoid of gibbs.h, for tails and double precision.
  static T sigmoid_scalar(T x) {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  }

  // out[0:n] = sigmoid(x[0:n]); NaN stays NaN.
  static void sigmoid(const T* x, int64_t n, T* out) {
    int64_t j = 0;
    if constexpr (sizeof(T) == sizeof(float)) {
      for (; j + kVectorLanes <= n; j += kVectorLanes) store(out + j, sigmoid_vector(load(x + j)));
    }
    for (; j < n; ++j) out[j] = sigmoid_scalar(x[j]);
  }

  // u[0:n] = the uniforms of draw `draw` at elements first .. first + n - 1
  // (gibbs/gibbs.h), Philox evaluated kLanes blocks at a time. `words` is
  // scratch of at least n + 4 * kLanes + 8 entries (GibbsCpuWorkspace::words).
  static void uniforms(PhiloxSeed seed, uint32_t draw, uint64_t first, int64_t n, float* u,
                       uint32_t* words) {
    const uint64_t first_block = first >> 2;
    const int64_t num_blocks = static_cast<int64_t>(((first + n + 3) >> 2) - first_block);
    const uint32_t s_lo = static_cast<uint32_t>(seed.stream);
    const uint32_t s_hi = static_cast<uint32_t>(seed.stream >> 32);
    for (int64_t b0 = 0; b0 < num_blocks; b0 += kLanes) {
      uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
      for (int l = 0; l < kLanes; ++l) {
        c0[l] = static_cast<uint32_t>(first_block + b0 + l);
        c1[l] = draw;
        c2[l] = s_lo;
        c3[l] = s_hi;
      }
      uint32_t key0 = static_cast<uint32_t>(seed.key), key1 = static_cast<uint32_t>(seed.key >> 32);
      for (int round = 0; round < 10; ++round) {
        if (round > 0) {
          key0 += kPhiloxW0;
          key1 += kPhiloxW1;
        }
        for (int l = 0; l < kLanes; ++l) {
          const uint64_t product0 = static_cast<uint64_t>(kPhiloxM0) * c0[l];
          const uint64_t product1 = static_cast<uint64_t>(kPhiloxM1) * c2[l];
          const uint32_t next0 = static_cast<uint32_t>(product1 >> 32) ^ c1[l] ^ key0;
          const uint32_t next2 = static_cast<uint32_t>(product0 >> 32) ^ c3[l] ^ key1;
          c1[l] = static_cast<uint32_t>(product1);
          c3[l] = static_cast<uint32_t>(product0);
          c0[l] = next0;
          c2[l] = next2;
        }
      }
      for (int l = 0; l < kLanes; ++l) {
        uint32_t* out = words + 4 * (b0 + l);
        out[0] = c0[l];
        out[1] = c1[l];
        out[2] = c2[l];
        out[3] = c3[l];
      }
    }
    const uint32_t* start = words + (first & 3);
    // Word -> [0, 1): the top 24 bits times 2^-24 (philox.h's uint32_to_unit_float).
    for (int64_t j = 0; j < n; ++j) u[j] = static_cast<float>(start[j] >> 8) * (1.0f / 16777216.0f);
  }

  // states[j] = (u[j] < probs[j]); the indices of the ones go to `active`,
  // in increasing order. Each group of 64 comparisons becomes a bit mask whose
  // set bits are then listed with count-trailing-zeros: no serial dependency
  // per element, and the cost of listing follows the number of ones.
  static int64_t sample(const T* probs, const float* u, int64_t n, T* states, int32_t* active) {
    int64_t count = 0;
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
      const int64_t width = n - j0 < 64 ? n - j0 : 64;
      uint64_t mask = 0;
      for (int64_t j = 0; j < width; ++j) {
        const bool on = static_cast<T>(u[j0 + j]) < probs[j0 + j];
        states[j0 + j] = on ? T(1) : T(0);
        mask |= static_cast<uint64_t>(on) << j;
      }
      while (mask != 0) {
        active[count++] = static_cast<int32_t>(j0 + __builtin_ctzll(mask));
        mask &= mask - 1;
      }
    }
    return count;
  }

  static void run_rows(const GibbsProblem<T>& p, const GibbsCpuLayout<T>& layout,
                       int64_t begin, int64_t end, const GibbsCpuWorkspace<T>& workspace) {
    for (int64_t first = begin; first < end; first += kChainBlock) {
      const int64_t chains = end - first < kChainBlock ? end - first : kChainBlock;
      run_block(p, layout, first, chains, workspace);
    }
  }

  // All k sweeps for chains [first, first + chains), advanced together.
  static void run_block(const GibbsProblem<T>& p, const GibbsCpuLayout<T>& layout,
                        int64_t first, int64_t chains, const GibbsCpuWorkspace<T>& ws) {
    const int64_t V = p.visible, H = p.hidden;
    const int64_t Vp = layout.visible_padded, Hp = layout.hidden_padded;
    const int64_t list_stride = (V > H ? V : H) + 1;
    const int64_t act_stride = Vp > Hp ? Vp : Hp;
    int32_t* lists = ws.active;       // [chains, list_stride]
    int64_t* counts = ws.counts;      // [chains]
    bool* scaled = ws.scaled;         // [chains]
    T* activation = ws.activation;    // [chains, act_stride]
    float* u = ws.uniforms;
    uint32_t* words = ws.words;

    // p(h | v_0): v_0 may hold any values; zeros are skipped, ones added
    // unscaled, other values scale their row.
    for (int64_t r = 0; r < chains; ++r) {
      const T* v0 = p.v_start + (first + r) * V;
      int32_t* list = lists + r * list_stride;
      T* scale = ws.scale + r * V;
      int64_t count = 0;
      bool binary = true;
      for (int64_t i = 0; i < V; ++i) {
        if (v0[i] != T(0)) {
          list[count] = static_cast<int32_t>(i);
          scale[count++] = v0[i];
          binary = binary && v0[i] == T(1);
        }
      }
      counts[r] = count;
      scaled[r] = !binary;
      std::memcpy(p.v + (first + r) * V, v0, sizeof(T) * V);
      if (p.sweeps == 0) {
        T* v_prob = p.v_prob + (first + r) * V;
        for (int64_t i = 0; i < V; ++i) v_prob[i] = T(0);
      }
    }
    sum_active_rows_tiled(lists, list_stride, counts, ws.scale, V, scaled, chains, layout.w_rows,
                          ws.b_hid_padded, Hp, activation);
    for (int64_t r = 0; r < chains; ++r) {
      T* h0_prob = p.h0_prob + (first + r) * H;
      sigmoid(activation + r * Hp, H, h0_prob);
      std::memcpy(p.h_prob + (first + r) * H, h0_prob, sizeof(T) * H);
    }

    for (int64_t s = 0; s < p.sweeps; ++s) {
      const uint32_t draw = static_cast<uint32_t>(2 * s);
      // h_s ~ p(h | v_s), kept only as the list of active hidden units.
      for (int64_t r = 0; r < chains; ++r) {
        const uint64_t b = static_cast<uint64_t>(first + r);
        uniforms(p.seed, draw, b * H, H, u, words);
        counts[r] = sample(p.h_prob + b * H, u, H, ws.h_state, lists + r * list_stride);
      }
      sum_active_rows_tiled(lists, list_stride, counts, nullptr, 0, nullptr, chains,
                            layout.w_t_rows, ws.b_vis_padded, Vp, activation);
      // v_prob = p(v | h_s); v_{s+1} ~ v_prob.
      for (int64_t r = 0; r < chains; ++r) {
        const uint64_t b = static_cast<uint64_t>(first + r);
        T* v_prob = p.v_prob + b * V;
        sigmoid(activation + r * Vp, V, v_prob);
        uniforms(p.seed, draw + 1, b * V, V, u, words);
        counts[r] = sample(v_prob, u, V, p.v + b * V, lists + r * list_stride);
      }
      sum_active_rows_tiled(lists, list_stride, counts, nullptr, 0, nullptr, chains,
                            layout.w_rows, ws.b_hid_padded, Hp, activation);
      for (int64_t r = 0; r < chains; ++r) {
        sigmoid(activation + r * Hp, H, p.h_prob + (first + r) * H);
      }
    }
    // h ~ p(h | v_k).
    for (int64_t r = 0; r < chains; ++r) {
      const uint64_t b = static_cast<uint64_t>(first + r);
      uniforms(p.seed, static_cast<uint32_t>(2 * p.sweeps), b * H, H, u, words);
      sample(p.h_prob + b * H, u, H, p.h + b * H, lists + r * list_stride);
    }
  }
};

// The CD weight statistics (gibbs/cd_statistics.h), row i of grad_w at a
// time: one scaled sum over the rows of h_pos and h_neg whose v_i is nonzero,
// register-blocked like the sweeps' sums. The stacked hidden rows (B + M rows
// of H values; 400 KB for 200 x 500 in float32) stay in L2 across rows i.
template <typename T, CpuIsa kIsa>
void GibbsCpuKernel<T, kIsa>::cd_rows(const CdProblem<T>& p, const CdCpuLayout<T>& layout,
                                      int64_t begin, int64_t end,
                                      const CdCpuWorkspace<T>& workspace) {
  using Impl = GibbsCpuImpl<T, kIsa>;
  const int64_t B = p.batch_pos, M = p.batch_neg, V = p.visible, H = p.hidden;
  const int64_t Hp = layout.hidden_padded;
  const T positive_weight = T(1) / static_cast<T>(B);
  const T negative_weight = -T(1) / static_cast<T>(M);
  for (int64_t i = begin; i < end; ++i) {
    int64_t count = 0;
    for (int64_t b = 0; b < B; ++b) {
      const T x = p.v_pos[b * V + i];
      if (x != T(0)) {
        workspace.index[count] = static_cast<int32_t>(b);
        workspace.scale[count++] = x * positive_weight;
      }
    }
    for (int64_t m = 0; m < M; ++m) {
      const T x = p.v_neg[m * V + i];
      if (x != T(0)) {
        workspace.index[count] = static_cast<int32_t>(B + m);
        workspace.scale[count++] = x * negative_weight;
      }
    }
    for (int64_t c = 0; c < Hp; c += Impl::kChunk) {
      Impl::sum_chunk(workspace.index, workspace.scale, count, layout.hidden_rows, workspace.zeros,
                      Hp, c, workspace.row);
    }
    std::memcpy(p.grad_w + i * H, workspace.row, sizeof(T) * H);
  }
}

template <typename T, CpuIsa kIsa>
void GibbsCpuKernel<T, kIsa>::run_rows(const GibbsProblem<T>& problem,
                                       const GibbsCpuLayout<T>& layout, int64_t begin,
                                       int64_t end, const GibbsCpuWorkspace<T>& workspace) {
  GibbsCpuImpl<T, kIsa>::run_rows(problem, layout, begin, end, workspace);
}

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_GIBBS_CPU_IMPL_H_
