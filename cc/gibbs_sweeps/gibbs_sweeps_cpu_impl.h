// The CPU kernel of the fused block-Gibbs sweeps, included only by the
// per-instruction-set files gibbs_sweeps_cpu_generic.cc, gibbs_sweeps_cpu_avx2.cc and
// gibbs_sweeps_cpu_avx512.cc.
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
// increasing index order (the CUDA kernel's order). W is read in place, rows
// of any length: a short last chunk overlaps the one before it (sum_chunk). A
// non-binary starting v (probabilities, grey levels) takes a scaled variant
// once per call.
//
// Every helper is a member of GibbsCpuImpl<T, kIsa> and scratch comes from the
// caller, so each instruction-set build has only symbols of its own: no inline
// or template code shared with the baseline build (std::vector, the helpers of
// gibbs_sweeps.h and philox.h) is compiled here, which the linker could otherwise
// merge into the baseline path. The CD-statistics CPU kernel
// (cd_statistics/cd_statistics_cpu_impl.h) reuses sum_chunk, in its own
// per-instruction-set files.
#ifndef KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_IMPL_H_
#define KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_IMPL_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "gibbs_sweeps/gibbs_sweeps.h"
#include "gibbs_sweeps/gibbs_sweeps_cpu.h"
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

  // Rows to add: rows + index[m] * stride for m < count, in that order, each
  // times scale[m] (scale == nullptr: all ones, plain adds).
  struct RowList {
    const int32_t* index;
    const T* scale;
    int64_t count;
    const T* rows;
    int64_t stride;
  };

  // out[c + t] = bias[c + t] (0 when bias is null) + the rows of lists[0],
  // then of lists[1], ..., at column c + t, for t < kVectors * kVectorLanes:
  // kVectors accumulators held in registers while every row streams through.
  template <int kVectors>
  static void sum_vectors(const RowList* lists, int num_lists, const T* bias, int64_t c,
                          T* out) {
    Vec acc[kVectors];
#pragma GCC unroll 8
    for (int q = 0; q < kVectors; ++q) {
      acc[q] = bias != nullptr ? load(bias + c + q * kVectorLanes) : Vec{};
    }
    for (int l = 0; l < num_lists; ++l) {
      const RowList& list = lists[l];
      const T* base = list.rows + c;
      if (list.scale == nullptr) {
        for (int64_t m = 0; m < list.count; ++m) {
          const T* row = base + static_cast<int64_t>(list.index[m]) * list.stride;
#pragma GCC unroll 8
          for (int q = 0; q < kVectors; ++q) acc[q] += load(row + q * kVectorLanes);
        }
      } else {
        for (int64_t m = 0; m < list.count; ++m) {
          const T* row = base + static_cast<int64_t>(list.index[m]) * list.stride;
          const T s = list.scale[m];
#pragma GCC unroll 8
          for (int q = 0; q < kVectors; ++q) acc[q] += s * load(row + q * kVectorLanes);
        }
      }
    }
#pragma GCC unroll 8
    for (int q = 0; q < kVectors; ++q) store(out + c + q * kVectorLanes, acc[q]);
  }

  // The same sums one column at a time, for rows shorter than one vector.
  static void sum_columns(const RowList* lists, int num_lists, const T* bias, int64_t n,
                          T* out) {
    for (int64_t j = 0; j < n; ++j) {
      T acc = bias != nullptr ? bias[j] : T(0);
      for (int l = 0; l < num_lists; ++l) {
        const RowList& list = lists[l];
        const T* column = list.rows + j;
        if (list.scale == nullptr) {
          for (int64_t m = 0; m < list.count; ++m) {
            acc += column[static_cast<int64_t>(list.index[m]) * list.stride];
          }
        } else {
          for (int64_t m = 0; m < list.count; ++m) {
            acc += list.scale[m] * column[static_cast<int64_t>(list.index[m]) * list.stride];
          }
        }
      }
      out[j] = acc;
    }
  }

  // sum_vectors<vectors> for 1 <= vectors <= kAccumulators.
  static void sum_some_vectors(int64_t vectors, const RowList* lists, int num_lists,
                               const T* bias, int64_t c, T* out) {
    static_assert(kAccumulators == 8, "one case per vector count below");
    switch (vectors) {
      case 1: sum_vectors<1>(lists, num_lists, bias, c, out); break;
      case 2: sum_vectors<2>(lists, num_lists, bias, c, out); break;
      case 3: sum_vectors<3>(lists, num_lists, bias, c, out); break;
      case 4: sum_vectors<4>(lists, num_lists, bias, c, out); break;
      case 5: sum_vectors<5>(lists, num_lists, bias, c, out); break;
      case 6: sum_vectors<6>(lists, num_lists, bias, c, out); break;
      case 7: sum_vectors<7>(lists, num_lists, bias, c, out); break;
      default: sum_vectors<8>(lists, num_lists, bias, c, out); break;
    }
  }

  // Columns [c, min(c + kChunk, n)) of the sums of sum_vectors, for rows of n
  // values (c a multiple of kChunk). A last chunk shorter than kChunk is
  // computed as whole vectors that end at n and so start inside the previous
  // chunk: those columns are summed again in the same order and get the same
  // values, and nothing outside [0, n) is read or written (no padded copies
  // of W). Each column's sum is the same whichever way it is covered.
  static void sum_chunk(const RowList* lists, int num_lists, const T* bias, int64_t n, int64_t c,
                        T* out) {
    if (n - c >= kChunk) {
      sum_vectors<kAccumulators>(lists, num_lists, bias, c, out);
      return;
    }
    const int64_t vectors = (n - c + kVectorLanes - 1) / kVectorLanes;
    if (n >= vectors * kVectorLanes) {
      sum_some_vectors(vectors, lists, num_lists, bias, n - vectors * kVectorLanes, out);
    } else if (n >= kVectorLanes) {
      // A whole row shorter than kChunk, not a multiple of the vector: the
      // vectors from 0, then one more ending at n.
      sum_some_vectors(vectors - 1, lists, num_lists, bias, 0, out);
      sum_vectors<1>(lists, num_lists, bias, n - kVectorLanes, out);
    } else {
      sum_columns(lists, num_lists, bias, n, out);
    }
  }

  // For each chain r < chains: out[r * out_stride + 0 : n] = bias + the sum of
  // the rows of `rows` (row stride `stride`) listed in index[r * list_stride :
  // ...] (counts[r] of them; scaled by scale[r * scale_stride ...] when
  // scaled[r]). The loop runs chunk by chunk so one column slice of `rows`
  // serves every chain while it is in L2.
  static void sum_active_rows_tiled(const int32_t* index, int64_t list_stride,
                                    const int64_t* counts, const T* scale,
                                    int64_t scale_stride, const bool* scaled, int64_t chains,
                                    const T* rows, int64_t stride, const T* bias, int64_t n,
                                    T* out, int64_t out_stride) {
    for (int64_t c = 0; c < n; c += kChunk) {
      for (int64_t r = 0; r < chains; ++r) {
        const T* chain_scale = scaled != nullptr && scaled[r] ? scale + r * scale_stride : nullptr;
        const RowList list{index + r * list_stride, chain_scale, counts[r], rows, stride};
        sum_chunk(&list, 1, bias, n, c, out + r * out_stride);
      }
    }
  }

  // W^T by blocks of kVectorLanes x kVectorLanes held in registers: the rows
  // of a block of W are loaded as vectors, and log2(kVectorLanes) rounds of
  // two-vector shuffles turn them into its columns. Round d (d = 1, 2, 4, ...)
  // swaps, within every 2d x 2d sub-block, the d x d sub-blocks off its
  // diagonal: row k (bit d of k clear) takes lanes t with bit d set from row
  // k + d, and row k + d takes lanes t with bit d clear from row k.
  template <int kD, size_t... kT>
  static Vec shuffle_low(Vec a, Vec b, std::index_sequence<kT...>) {
    return __builtin_shufflevector(
        a, b, ((kT & kD) == 0 ? static_cast<int>(kT) : static_cast<int>(kVectorLanes + kT - kD))...);
  }
  template <int kD, size_t... kT>
  static Vec shuffle_high(Vec a, Vec b, std::index_sequence<kT...>) {
    return __builtin_shufflevector(
        a, b, ((kT & kD) == 0 ? static_cast<int>(kT + kD) : static_cast<int>(kVectorLanes + kT))...);
  }
  template <int kD>
  static void transpose_rounds(Vec* rows) {
    if constexpr (kD < kVectorLanes) {
      constexpr auto lanes = std::make_index_sequence<kVectorLanes>();
#pragma GCC unroll 16
      for (int k = 0; k < kVectorLanes; ++k) {
        if ((k & kD) != 0) continue;
        const Vec a = rows[k], b = rows[k + kD];
        rows[k] = shuffle_low<kD>(a, b, lanes);
        rows[k + kD] = shuffle_high<kD>(a, b, lanes);
      }
      transpose_rounds<2 * kD>(rows);
    }
  }

  // Rows [begin, end) of w_t (row stride `stride`) = the columns of W [V, H].
  static void transpose(const T* w, int64_t visible, int64_t hidden, T* w_t, int64_t stride,
                        int64_t begin, int64_t end) {
    constexpr int64_t L = kVectorLanes;
    int64_t j0 = begin;
    for (; j0 + L <= end; j0 += L) {
      int64_t i0 = 0;
      for (; i0 + L <= visible; i0 += L) {
        Vec rows[L];
#pragma GCC unroll 16
        for (int k = 0; k < L; ++k) rows[k] = load(w + (i0 + k) * hidden + j0);
        transpose_rounds<1>(rows);
#pragma GCC unroll 16
        for (int k = 0; k < L; ++k) store(w_t + (j0 + k) * stride + i0, rows[k]);
      }
      for (int64_t j = j0; j < j0 + L; ++j) {
        for (int64_t i = i0; i < visible; ++i) w_t[j * stride + i] = w[i * hidden + j];
      }
    }
    for (int64_t j = j0; j < end; ++j) {
      for (int64_t i = 0; i < visible; ++i) w_t[j * stride + i] = w[i * hidden + j];
    }
  }

  // e^y for one vector of y in [-88, 88], float32: y = n ln2 + r with n =
  // round(y / ln2) (by the 1.5 * 2^23 rounding trick) and |r| <= ln2 / 2; e^r
  // by a degree-6 polynomial (Cephes expf coefficients, about 2 ulp), times
  // 2^n through the exponent bits.
  typedef int32_t IntVec __attribute__((vector_size(kVectorBytes)));
  static Vec exp_vector(Vec y) {
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
    return p * scale;
  }

  // sigmoid(x) = 1 / (1 + e^-x) for one vector, float32. x is clamped to
  // [-88, 88] first, where e^-x stays finite, so the one formula is stable for
  // every x; NaN stays NaN.
  static Vec sigmoid_vector(Vec x) {
    const Vec lo = Vec{} - 88.0f, hi = Vec{} + 88.0f;
    Vec y = x < lo ? lo : x;
    y = y > hi ? hi : y;
    const Vec probability = 1.0f / (1.0f + exp_vector(-y));
    return x != x ? x : probability;
  }

  // The stable two-branch sigmoid of gibbs_sweeps.h, for tails and double precision.
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

  // softplus(x) = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|) for one vector,
  // float32. e^-|x| in (0, 1] by exp_vector (|x| clamped to 88, where
  // the term is below float resolution anyway); log(y) for y = 1 + e^-|x| in
  // (1, 2]: y = m 2^e with m in (sqrt(1/2), sqrt(2)] (e = 1 above sqrt(2)),
  // log y = e ln2 + log(m) by Cephes' logf polynomial in f = m - 1 (about
  // 1 ulp). Absolute error below 1e-7 for every x, like TensorFlow's.
  static Vec softplus_vector(Vec x) {
    const Vec zero = Vec{};
    const Vec absolute = x < zero ? -x : x;
    const Vec y = absolute > 88.0f ? zero - 88.0f : -absolute;
    const Vec one_plus = 1.0f + exp_vector(y);  // 1 + e^-|x| in (1, 2]
    const Vec upper = zero + 1.0f;
    const Vec e = one_plus > 1.41421356f ? upper : zero;
    const Vec f = (one_plus > 1.41421356f ? one_plus * 0.5f : one_plus) - 1.0f;
    const Vec z = f * f;
    Vec q = Vec{} + 7.0376836292e-2f;
    q = q * f - 1.1514610310e-1f;
    q = q * f + 1.1676998740e-1f;
    q = q * f - 1.2420140846e-1f;
    q = q * f + 1.4249322787e-1f;
    q = q * f - 1.6668057665e-1f;
    q = q * f + 2.0000714765e-1f;
    q = q * f - 2.4999993993e-1f;
    q = q * f + 3.3333331174e-1f;
    q = q * f * z;
    q = q - 2.12194440e-4f * e - 0.5f * z;
    const Vec log_one_plus = f + q + 0.693359375f * e;
    const Vec result = (x > zero ? x : zero) + log_one_plus;
    return x != x ? x : result;
  }

  static T softplus_scalar(T x) {
    return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-(x < T(0) ? -x : x)));
  }

  // sum_j softplus(a_j + sign * w_j) (w null: sum_j softplus(a_j)), lane sums
  // added in a fixed order, so the result does not depend on the threads.
  static T softplus_sum(const T* a, const T* w, T sign, int64_t n) {
    int64_t j = 0;
    T total = T(0);
    if constexpr (sizeof(T) == sizeof(float)) {
      Vec lanes = Vec{};
      for (; j + kVectorLanes <= n; j += kVectorLanes) {
        Vec x = load(a + j);
        if (w != nullptr) x = x + sign * load(w + j);
        lanes += softplus_vector(x);
      }
      for (int64_t l = 0; l < kVectorLanes; ++l) total += lanes[l];
    }
    for (; j < n; ++j) total += softplus_scalar(w != nullptr ? a[j] + sign * w[j] : a[j]);
    return total;
  }

#if defined(__AVX2__) || defined(__AVX512F__)
  // 64-bit lanes of a vector register, one Philox block per lane (only the
  // low 32 bits of a lane are meaningful: the multiply reads only those and
  // the output keeps only those, so no masking is needed).
  typedef uint64_t U64x4 __attribute__((vector_size(32)));
  typedef uint64_t U64x8 __attribute__((vector_size(64)));
  template <int kWidth>
  using U64Vec = typename std::conditional<kWidth == 8, U64x8, U64x4>::type;

  // Each lane's 32 x 32 -> 64-bit product of the low halves (vpmuludq).
  static U64x4 multiply_low_halves(U64x4 a, U64x4 b) {
    return reinterpret_cast<U64x4>(
        _mm256_mul_epu32(reinterpret_cast<__m256i>(a), reinterpret_cast<__m256i>(b)));
  }
#if defined(__AVX512F__)
  static U64x8 multiply_low_halves(U64x8 a, U64x8 b) {
    return reinterpret_cast<U64x8>(
        _mm512_mul_epu32(reinterpret_cast<__m512i>(a), reinterpret_cast<__m512i>(b)));
  }
#endif

  // philox_blocks for kWidth blocks (block0 + l, l < kWidth) at once.
  template <int kWidth>
  static void philox_vector_blocks(uint32_t block0, uint32_t draw, uint32_t s_lo, uint32_t s_hi,
                                   uint32_t key0, uint32_t key1, uint32_t* out) {
    using V = U64Vec<kWidth>;
    V c0, c1, c2, c3;
    for (int l = 0; l < kWidth; ++l) {
      c0[l] = block0 + static_cast<uint32_t>(l);
      c1[l] = draw;
      c2[l] = s_lo;
      c3[l] = s_hi;
    }
    const V m0 = V{} + kPhiloxM0, m1 = V{} + kPhiloxM1;
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        key0 += kPhiloxW0;
        key1 += kPhiloxW1;
      }
      const V product0 = multiply_low_halves(c0, m0);
      const V product1 = multiply_low_halves(c2, m1);
      const V next0 = (product1 >> 32) ^ c1 ^ key0;
      const V next2 = (product0 >> 32) ^ c3 ^ key1;
      c1 = product1;
      c3 = product0;
      c0 = next0;
      c2 = next2;
    }
    for (int l = 0; l < kWidth; ++l) {
      out[4 * l + 0] = static_cast<uint32_t>(c0[l]);
      out[4 * l + 1] = static_cast<uint32_t>(c1[l]);
      out[4 * l + 2] = static_cast<uint32_t>(c2[l]);
      out[4 * l + 3] = static_cast<uint32_t>(c3[l]);
    }
  }
#endif

  // The 4 words of the kLanes = 8 Philox-4x32-10 blocks with counters
  // (block0 + l, draw, s_lo, s_hi), l < 8, and key (key0, key1), written to
  // out[4 l .. 4 l + 3] (philox.h's philox4x32_10, eight at a time): with
  // AVX-512 in one register of 8 lanes, with AVX2 in two of 4, else scalar.
  static void philox_blocks(uint32_t block0, uint32_t draw, uint32_t s_lo, uint32_t s_hi,
                            uint32_t key0, uint32_t key1, uint32_t* out) {
#if defined(__AVX512F__)
    if constexpr (kIsa == CpuIsa::kAvx512) {
      philox_vector_blocks<8>(block0, draw, s_lo, s_hi, key0, key1, out);
      return;
    }
#endif
#if defined(__AVX2__)
    if constexpr (kIsa == CpuIsa::kAvx2) {
      philox_vector_blocks<4>(block0, draw, s_lo, s_hi, key0, key1, out);
      philox_vector_blocks<4>(block0 + 4u, draw, s_lo, s_hi, key0, key1, out + 16);
      return;
    }
#endif
    uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      c0[l] = block0 + static_cast<uint32_t>(l);
      c1[l] = draw;
      c2[l] = s_lo;
      c3[l] = s_hi;
    }
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
      out[4 * l + 0] = c0[l];
      out[4 * l + 1] = c1[l];
      out[4 * l + 2] = c2[l];
      out[4 * l + 3] = c3[l];
    }
  }

  // u[0:n] = the uniforms of draw `draw` at elements first .. first + n - 1
  // (gibbs_sweeps/gibbs_sweeps.h), Philox evaluated kLanes blocks at a time. `words` is
  // scratch of at least n + 4 * kLanes + 8 entries (GibbsCpuWorkspace::words).
  static void uniforms(PhiloxSeed seed, uint32_t draw, uint64_t first, int64_t n, float* u,
                       uint32_t* words) {
    const uint64_t first_block = first >> 2;
    const int64_t num_blocks = static_cast<int64_t>(((first + n + 3) >> 2) - first_block);
    const uint32_t s_lo = static_cast<uint32_t>(seed.stream);
    const uint32_t s_hi = static_cast<uint32_t>(seed.stream >> 32);
    const uint32_t key0 = static_cast<uint32_t>(seed.key);
    const uint32_t key1 = static_cast<uint32_t>(seed.key >> 32);
    for (int64_t b0 = 0; b0 < num_blocks; b0 += kLanes) {
      philox_blocks(static_cast<uint32_t>(first_block + b0), draw, s_lo, s_hi, key0, key1,
                    words + 4 * b0);
    }
    const uint32_t* start = words + (first & 3);
    // Word -> [0, 1): the top 24 bits times 2^-24 (philox.h's uint32_to_unit_float).
    for (int64_t j = 0; j < n; ++j) u[j] = static_cast<float>(start[j] >> 8) * (1.0f / 16777216.0f);
  }

  // Bit j of the result is flags[j] (each 0 or 1), j < 64: each group of 8
  // bytes b_0 .. b_7 times 0x0102040810204080 puts b_k at bit 56 + k (the
  // partial products land on distinct bits, so nothing carries into them).
  static uint64_t pack_bits(const uint8_t* flags) {
    uint64_t mask = 0;
#pragma GCC unroll 8
    for (int g = 0; g < 8; ++g) {
      uint64_t bytes;
      std::memcpy(&bytes, flags + 8 * g, sizeof(bytes));
      mask |= ((bytes * 0x0102040810204080ull) >> 56) << (8 * g);
    }
    return mask;
  }

  // Appends j0 + (the positions of the set bits of mask), in increasing order,
  // to active[count ...]; returns the new count.
  static int64_t list_bits(uint64_t mask, int64_t j0, int32_t* active, int64_t count) {
    while (mask != 0) {
      active[count++] = static_cast<int32_t>(j0 + __builtin_ctzll(mask));
      mask &= mask - 1;
    }
    return count;
  }

  // states[j] = (u[j] < probs[j]); the indices of the ones go to `active`,
  // in increasing order. Each group of 64 comparisons (a loop the compiler
  // vectorises) becomes a bit mask whose set bits are then listed with
  // count-trailing-zeros: no branch per element, and the cost of listing
  // follows the number of ones.
  static int64_t sample(const T* probs, const float* u, int64_t n, T* states, int32_t* active) {
    int64_t count = 0;
    uint8_t on[64];
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
      const int64_t width = n - j0 < 64 ? n - j0 : 64;
      if (width < 64) std::memset(on, 0, sizeof(on));
      for (int64_t j = 0; j < width; ++j) {
        on[j] = static_cast<T>(u[j0 + j]) < probs[j0 + j];
        states[j0 + j] = on[j] ? T(1) : T(0);
      }
      count = list_bits(pack_bits(on), j0, active, count);
    }
    return count;
  }

  // The indices of the nonzero values of x[0:n] go to `active` in increasing
  // order and the values to `values`; returns their number. Sets *binary to
  // whether every nonzero value is 1. Listed like `sample`, by bit masks.
  static int64_t list_nonzero(const T* x, int64_t n, int32_t* active, T* values, bool* binary) {
    int64_t count = 0;
    uint8_t on[64];
    uint8_t other = 0;
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
      const int64_t width = n - j0 < 64 ? n - j0 : 64;
      if (width < 64) std::memset(on, 0, sizeof(on));
      for (int64_t j = 0; j < width; ++j) {
        const T value = x[j0 + j];
        on[j] = value != T(0);
        other |= value != T(0) && value != T(1);
      }
      const int64_t first = count;
      count = list_bits(pack_bits(on), j0, active, count);
      for (int64_t m = first; m < count; ++m) values[m] = x[active[m]];
    }
    *binary = other == 0;
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
    const int64_t list_stride = V > H ? V : H;
    const int64_t act_stride = ws.activation_stride;
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
      bool binary = true;
      counts[r] = list_nonzero(v0, V, lists + r * list_stride, ws.scale + r * V, &binary);
      scaled[r] = !binary;
      if (p.sweeps == 0) {
        std::memcpy(p.v + (first + r) * V, v0, sizeof(T) * V);
        T* v_prob = p.v_prob + (first + r) * V;
        for (int64_t i = 0; i < V; ++i) v_prob[i] = T(0);
      }
    }
    sum_active_rows_tiled(lists, list_stride, counts, ws.scale, V, scaled, chains, layout.w_rows,
                          layout.w_stride, p.b_hid, H, activation, act_stride);
    for (int64_t r = 0; r < chains; ++r) {
      const int64_t b = first + r;
      const T* row = activation + r * act_stride;
      if (p.h0_softplus != nullptr) p.h0_softplus[b] = softplus_sum(row, nullptr, T(0), H);
      if (p.flipped_softplus != nullptr) {
        const int64_t unit = p.flip[b];
        const T sign = T(1) - T(2) * p.v_start[b * V + unit];  // +1 turns the unit on, -1 off
        p.flipped_softplus[b] = softplus_sum(row, layout.w_rows + unit * layout.w_stride, sign, H);
      }
      if (p.sweeps == 0 && p.h_softplus != nullptr) {  // v_k = v_0
        p.h_softplus[b] = p.h0_softplus != nullptr ? p.h0_softplus[b] : softplus_sum(row, nullptr, T(0), H);
      }
      sigmoid(row, H, p.h0_prob + b * H);
    }
    if (p.sweeps == 0) {
      std::memcpy(p.h_prob + first * H, p.h0_prob + first * H, sizeof(T) * chains * H);
    }

    for (int64_t s = 0; s < p.sweeps; ++s) {
      const uint32_t draw = static_cast<uint32_t>(2 * s);
      const T* h_prob = s == 0 ? p.h0_prob : p.h_prob;  // p(h | v_s)
      // h_s ~ p(h | v_s), kept only as the list of active hidden units.
      for (int64_t r = 0; r < chains; ++r) {
        const uint64_t b = static_cast<uint64_t>(first + r);
        uniforms(p.seed, draw, b * H, H, u, words);
        counts[r] = sample(h_prob + b * H, u, H, ws.h_state, lists + r * list_stride);
      }
      sum_active_rows_tiled(lists, list_stride, counts, nullptr, 0, nullptr, chains,
                            layout.w_t_rows, layout.w_t_stride, p.b_vis, V, activation,
                            act_stride);
      // v_prob = p(v | h_s); v_{s+1} ~ v_prob.
      for (int64_t r = 0; r < chains; ++r) {
        const uint64_t b = static_cast<uint64_t>(first + r);
        T* v_prob = p.v_prob + b * V;
        sigmoid(activation + r * act_stride, V, v_prob);
        if (s == 0 && p.reconstruction_error != nullptr) {
          const T* v0 = p.v_start + b * V;
          T sum = T(0);
          for (int64_t i = 0; i < V; ++i) sum += (v0[i] - v_prob[i]) * (v0[i] - v_prob[i]);
          p.reconstruction_error[b] = sum;
        }
        uniforms(p.seed, draw + 1, b * V, V, u, words);
        counts[r] = sample(v_prob, u, V, p.v + b * V, lists + r * list_stride);
      }
      sum_active_rows_tiled(lists, list_stride, counts, nullptr, 0, nullptr, chains,
                            layout.w_rows, layout.w_stride, p.b_hid, H, activation, act_stride);
      for (int64_t r = 0; r < chains; ++r) {
        if (s + 1 == p.sweeps && p.h_softplus != nullptr) {
          p.h_softplus[first + r] = softplus_sum(activation + r * act_stride, nullptr, T(0), H);
        }
        sigmoid(activation + r * act_stride, H, p.h_prob + (first + r) * H);
      }
    }
    // h ~ p(h | v_k), unless the caller needs no h (CdUpdate).
    if (p.h == nullptr) return;
    for (int64_t r = 0; r < chains; ++r) {
      const uint64_t b = static_cast<uint64_t>(first + r);
      uniforms(p.seed, static_cast<uint32_t>(2 * p.sweeps), b * H, H, u, words);
      sample(p.h_prob + b * H, u, H, p.h + b * H, lists + r * list_stride);
    }
  }
};

template <typename T, CpuIsa kIsa>
void GibbsCpuKernel<T, kIsa>::transpose(const T* w, int64_t visible, int64_t hidden, T* w_t,
                                        int64_t stride, int64_t begin, int64_t end) {
  GibbsCpuImpl<T, kIsa>::transpose(w, visible, hidden, w_t, stride, begin, end);
}

template <typename T, CpuIsa kIsa>
void GibbsCpuKernel<T, kIsa>::run_rows(const GibbsProblem<T>& problem,
                                       const GibbsCpuLayout<T>& layout, int64_t begin,
                                       int64_t end, const GibbsCpuWorkspace<T>& workspace) {
  GibbsCpuImpl<T, kIsa>::run_rows(problem, layout, begin, end, workspace);
}

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_CPU_IMPL_H_
