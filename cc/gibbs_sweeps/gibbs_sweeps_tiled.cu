// Block-Gibbs sweeps of a binary RBM as tiled matrix products, one launch per
// half-sweep: the CUDA path for large batches and for models whose V + H
// states do not fit in shared memory (mathematics and random-number layout in
// gibbs_sweeps/gibbs_sweeps.h; the single-launch kernel and the launcher that
// picks the path in gibbs_sweeps/gibbs_sweeps.cu). The reference is the NumPy
// reference kgen_ops/reference/gibbs_sweeps.py; tests/test_native_gibbs.py
// compares this path with it, with the fused kernel and with the vectorised CPU
// kernel (gibbs_sweeps/gibbs_sweeps_cpu_impl.h, not a reference).
//
// Algorithm. A half-sweep computes, for a layer of N units on B chains,
//     P = sigmoid(bias + S M),   S [B, K] the other layer's states,
// with M = W [V, H] for p(h | v) and M = W^T [H, V] for p(v | h) (W^T made by
// the launcher), and in the epilogue, with P still in registers, writes P and
// the sample (u < P), u the uniform of (seed, draw, element b * N + n): the
// same position as the CPU kernel, so both draw the same u for each element.
// A call is 2k + 1 launches on one stream:
//     hidden (draw 0):       S = v_0          -> h_prob, h0_prob, h
//     per sweep s < k:
//       visible (draw 2s+1): S = h (= h_s)    -> v_prob, v
//       hidden  (draw 2s+2): S = v (= v_s+1)  -> h_prob, h
// so the h of the last hidden launch is the returned h (draw 2k), and no launch
// reads the buffer it writes. For k = 0 the launcher copies v_0 into v and
// zeroes v_prob.
//
// Tiling: a SIMT matrix product with FP32 (FP64 for double) FMA on the CUDA
// cores; no TF32, no tensor cores. A thread block computes a kRows x kCols
// tile of P, walking K in slices of kSliceK = 8. Per slice it stages
// S[kRows, 8] (transposed to [8, kRows + 4]: each thread then reads its rows
// as 16-byte vectors; the 4-element pad puts the two halves of a warp's
// transposing stores on different banks) and M[8, kCols] in shared memory,
// double-buffered: the next slice is loaded from global memory into
// registers while the current one is multiplied, then stored into the other
// buffer; one __syncthreads per slice. Each thread holds an 8 x 8 micro-tile
// of accumulators in registers: rows {4 ty .. 4 ty + 3} and {kRows/2 + 4 ty ..},
// columns {4 tx .. 4 tx + 3} and {kCols/2 + 4 tx ..}, so 8 consecutive threads
// read 8 consecutive 16-byte vectors of a shared row (no bank conflict), one
// slice step is 4 vector reads for 64 FMAs, and each thread owns runs of 4
// consecutive outputs (one Philox block when N % 4 == 0).
//   Tile shapes: 128 x 128 (256 threads) when that grid has at least two
// blocks per SM (two such float blocks fit an SM by registers), else 64 x 64
// (64 threads): batch 4096 with V = 784, H = 500 is 128 tiles of 128 x 128 for
// the 132 SMs of an H200, but 512 tiles of 64 x 64. Tiles are numbered in
// groups of 8 row tiles, so blocks running together share slices of S and M
// in L2. Global loads are 16-byte vectors when rows are a whole number of
// vectors and pointers aligned (every dimension a multiple of 4 floats, as
// for 784 and 500), else element loads; every load and store is bounds
// checked and edges are zero-filled.
//
// Agreement with the CPU kernel. Each accumulator starts at bias[n] and adds
// S[b, k] * M[k, n] in increasing k, one FMA per term, with no split over k.
// For 0/1 states every product is exact and adding a zero product leaves the
// sum unchanged, so the pre-activation is bit for bit the CPU and fused
// kernels' sum (the bias, then the active rows in increasing order); for a
// non-binary starting v it is the fused kernel's FMA-contracted sum. The
// sigmoid is gibbs_sigmoid with CUDA's exp (within 2 ulp; glibc's within
// 0.502), so probabilities differ from the CPU kernel's by a few ulps (far
// below 1e-5), and samples agree except where a uniform lands within that
// rounding of p; the chain then follows other states from that draw on. For
// binary states and finite weights the outputs are the fused kernel's exactly.
//   One difference: inactive units are multiplied by 0, not skipped, so a
// non-finite weight in the row of an inactive unit makes this sum NaN
// (0 * inf), where the CPU and fused kernels skip it.
//
// Registers (ptxas -v, sm_90, CUDA 13): float 128 x 128, 128 per thread with
// 28 bytes spilled; float 64 x 64, 167, no spill; double, 246 and 254, no
// spill, one 256-thread block per SM.
// Not measured (no GPU has run this file yet): speed against the target of
// >= 60% of the cuBLAS FP32 floor at batch 4096 (benchmarks/gibbs_gpu.py);
// the tile-shape rule, the register bounds and the group size; the Philox
// share of the epilogue; whether cp.async staging or a third buffer would pay.
#include <cuda_runtime.h>

#include <cstdint>

#include "gibbs_sweeps/gibbs_sweeps.h"
#include "gibbs_sweeps/gibbs_sweeps_launch.h"

namespace kgen {
namespace {

constexpr int kSliceK = 8;        // K per shared-memory slice
constexpr int kMicro = 8;         // each thread computes kMicro x kMicro outputs
constexpr int kStatePad = 4;      // pad of the transposed state slice rows
constexpr int64_t kGroupRows = 8; // row tiles per group of the tile order
constexpr int64_t kMaxGridBlocks = 2147483647;

// ---------------------------------------------------------------------------
// GPU kernels

// Elements of T in one 16-byte vector.
template <typename T>
constexpr int kLanes = 16 / static_cast<int>(sizeof(T));

// One 16-byte vector between memory (16-byte aligned) and registers.
__device__ __forceinline__ void load16(const float* source, float* out) {
  const float4 q = *reinterpret_cast<const float4*>(source);
  out[0] = q.x;
  out[1] = q.y;
  out[2] = q.z;
  out[3] = q.w;
}
__device__ __forceinline__ void load16(const double* source, double* out) {
  const double2 q = *reinterpret_cast<const double2*>(source);
  out[0] = q.x;
  out[1] = q.y;
}
__device__ __forceinline__ void store16(float* target, const float* in) {
  *reinterpret_cast<float4*>(target) = make_float4(in[0], in[1], in[2], in[3]);
}
__device__ __forceinline__ void store16(double* target, const double* in) {
  *reinterpret_cast<double2*>(target) = make_double2(in[0], in[1]);
}

// Four consecutive T (16-byte aligned): one vector of float, two of double.
template <typename T>
__device__ __forceinline__ void load4(const T* source, T* out) {
#pragma unroll
  for (int h = 0; h < 4; h += kLanes<T>) load16(source + h, out + h);
}
template <typename T>
__device__ __forceinline__ void store4(T* target, const T* in) {
#pragma unroll
  for (int h = 0; h < 4; h += kLanes<T>) store16(target + h, in + h);
}

// acc + a * b rounded once, never split into a multiply and an add.
__device__ __forceinline__ float fused_multiply_add(float a, float b, float acc) {
  return __fmaf_rn(a, b, acc);
}
__device__ __forceinline__ double fused_multiply_add(double a, double b, double acc) {
  return __fma_rn(a, b, acc);
}

// Word `index` (< 8) of the eight words lo.word[0..3], hi.word[0..3], by
// selects: a dynamic index into a register array would go to local memory.
__device__ __forceinline__ uint32_t word_of(const PhiloxBlock& lo, const PhiloxBlock& hi,
                                            uint32_t index) {
  const bool high = (index & 4) != 0;
  const uint32_t w0 = high ? hi.word[0] : lo.word[0];
  const uint32_t w1 = high ? hi.word[1] : lo.word[1];
  const uint32_t w2 = high ? hi.word[2] : lo.word[2];
  const uint32_t w3 = high ? hi.word[3] : lo.word[3];
  const uint32_t low = index & 3;
  return low == 0 ? w0 : (low == 1 ? w1 : (low == 2 ? w2 : w3));
}

// One half-sweep: P = sigmoid(bias + S M) for a layer of N units, and its draw.
template <typename T>
struct HalfSweep {
  const T* states;    // S [B, K]
  const T* weights;   // M [K, N]
  const T* bias;      // [N]
  int64_t batch;      // B
  int64_t inner;      // K
  int64_t units;      // N
  PhiloxSeed seed;
  uint32_t draw;
  T* prob;            // [B, N] out: P
  T* prob_copy;       // [B, N] out: P again (h0_prob), or null
  T* sample;          // [B, N] out: u < P
  bool vector_states;   // rows of S are whole 16-byte vectors, S aligned
  bool vector_weights;  // rows of M are whole 16-byte vectors, M aligned
  bool vector_outputs;  // N % 4 == 0 and every output aligned to 16 bytes
  int64_t row_tiles;    // ceil(B / kRows)
  int64_t col_tiles;    // ceil(N / kCols)
};

// Threads of a kRows x kCols tile, and the blocks per SM the compiler must
// leave registers for (an SM has 64K). float, 128 x 128: two blocks, at most
// 128 registers per thread (sm_90 ptxas: 128, with 28 bytes spilled,
// against 130 unbounded); 64 x 64: six blocks, at most 168 (the slices in
// flight take twice the registers). double's accumulators alone take 128
// registers: no bound.
template <int kRows, int kCols>
constexpr int kTileThreads = kRows / kMicro * (kCols / kMicro);
template <typename T, int kRows, int kCols>
constexpr int kMinBlocksPerSm = sizeof(T) != 4 ? 1 : (kTileThreads<kRows, kCols> >= 256 ? 2 : 6);

template <typename T, int kRows, int kCols>
__global__ void __launch_bounds__(kTileThreads<kRows, kCols>, kMinBlocksPerSm<T, kRows, kCols>)
    gibbs_half_sweep_kernel(const HalfSweep<T> p) {
  constexpr int kThreadCols = kCols / kMicro;
  constexpr int kThreads = kTileThreads<kRows, kCols>;
  constexpr int kL = kLanes<T>;
  // 16-byte vectors of one slice, per thread: of S [kRows, 8] and of M [8, kCols].
  constexpr int kStateLoads = kRows * kSliceK / kL / kThreads;
  constexpr int kWeightLoads = kSliceK * kCols / kL / kThreads;
  static_assert(kStateLoads * kL * kThreads == kRows * kSliceK, "slice of S not split evenly");
  static_assert(kWeightLoads * kL * kThreads == kSliceK * kCols, "slice of M not split evenly");
  static_assert(kThreads % 32 == 0, "whole warps");

  __shared__ __align__(16) T s_tile[2][kSliceK][kRows + kStatePad];  // S slice, transposed
  __shared__ __align__(16) T m_tile[2][kSliceK][kCols];              // M slice

  const int64_t B = p.batch, K = p.inner, N = p.units;

  // This block's tile: tiles go row tile first within groups of kGroupRows row
  // tiles, so the blocks running at one time cover few rows of S and columns of M.
  const int64_t tile = blockIdx.x;
  const int64_t group_tiles = kGroupRows * p.col_tiles;
  const int64_t first_row_tile = tile / group_tiles * kGroupRows;
  const int64_t group_rows =
      p.row_tiles - first_row_tile < kGroupRows ? p.row_tiles - first_row_tile : kGroupRows;
  const int64_t in_group = tile % group_tiles;
  const int64_t row0 = (first_row_tile + in_group % group_rows) * kRows;
  const int64_t col0 = in_group / group_rows * kCols;

  const int tx = threadIdx.x % kThreadCols;
  const int ty = threadIdx.x / kThreadCols;
  // Micro-tile entry (i, j) is row row0 + row_of(i), column col0 + col_of(j).
  auto row_of = [ty](int i) { return (i < 4 ? 0 : kRows / 2) + 4 * ty + (i & 3); };
  auto col_of = [tx](int j) { return (j < 4 ? 0 : kCols / 2) + 4 * tx + (j & 3); };

  // Accumulators start at the bias: the CPU kernel's summation order.
  T acc[kMicro][kMicro];
#pragma unroll
  for (int j = 0; j < kMicro; ++j) {
    const int64_t n = col0 + col_of(j);
    const T b = n < N ? p.bias[n] : T(0);
#pragma unroll
    for (int i = 0; i < kMicro; ++i) acc[i][j] = b;
  }

  // This thread's 16-byte vectors of each slice. Of S: tile rows state_row +
  // l * kStateRowStep, columns k0 + state_k + [0, kL). Of M: rows k0 +
  // weight_row + l * kWeightRowStep, tile columns weight_col + [0, kL).
  constexpr int kStateRowVectors = kSliceK / kL;
  constexpr int kWeightRowVectors = kCols / kL;
  static_assert(kThreads % kStateRowVectors == 0 && kThreads % kWeightRowVectors == 0,
                "a thread's vectors share their columns");
  constexpr int kStateRowStep = kThreads / kStateRowVectors;
  constexpr int kWeightRowStep = kThreads / kWeightRowVectors;
  const int state_row = threadIdx.x / kStateRowVectors;
  const int state_k = threadIdx.x % kStateRowVectors * kL;
  const int weight_row = threadIdx.x / kWeightRowVectors;
  const int weight_col = threadIdx.x % kWeightRowVectors * kL;
  // Row b of S from column state_k (null past the last chain); column
  // col0 + weight_col of M from row weight_row.
  const T* state_source[kStateLoads];
#pragma unroll
  for (int l = 0; l < kStateLoads; ++l) {
    const int64_t b = row0 + state_row + l * kStateRowStep;
    state_source[l] = b < B ? p.states + b * K + state_k : nullptr;
  }
  const int64_t weight_n = col0 + weight_col;
  const T* weight_source = p.weights + weight_row * N + weight_n;

  // The slice in flight between global and shared memory.
  T s_next[kStateLoads][kL];
  T m_next[kWeightLoads][kL];
  auto load_slice = [&](int64_t k0) {
#pragma unroll
    for (int l = 0; l < kStateLoads; ++l) {
      const T* source = state_source[l];
      const int64_t k = k0 + state_k;
      if (p.vector_states && source != nullptr && k < K) {
        load16(source + k0, s_next[l]);  // K % kL == 0: the whole vector is in range
      } else {
#pragma unroll
        for (int e = 0; e < kL; ++e) {
          s_next[l][e] = source != nullptr && k + e < K ? source[k0 + e] : T(0);
        }
      }
    }
#pragma unroll
    for (int l = 0; l < kWeightLoads; ++l) {
      const int64_t k = k0 + weight_row + l * kWeightRowStep;
      const T* source = weight_source + (k0 + l * kWeightRowStep) * N;
      if (p.vector_weights && k < K && weight_n < N) {
        load16(source, m_next[l]);  // N % kL == 0
      } else {
#pragma unroll
        for (int e = 0; e < kL; ++e) {
          m_next[l][e] = k < K && weight_n + e < N ? source[e] : T(0);
        }
      }
    }
  };
  auto store_slice = [&](int buffer) {
#pragma unroll
    for (int l = 0; l < kStateLoads; ++l) {
#pragma unroll
      for (int e = 0; e < kL; ++e) {
        s_tile[buffer][state_k + e][state_row + l * kStateRowStep] = s_next[l][e];
      }
    }
#pragma unroll
    for (int l = 0; l < kWeightLoads; ++l) {
      store16(&m_tile[buffer][weight_row + l * kWeightRowStep][weight_col], m_next[l]);
    }
  };

  const int64_t slices = (K + kSliceK - 1) / kSliceK;
  if (slices > 0) {
    load_slice(0);
    store_slice(0);
    __syncthreads();
  }
  for (int64_t t = 0; t < slices; ++t) {
    const int buffer = static_cast<int>(t & 1);
    if (t + 1 < slices) load_slice((t + 1) * kSliceK);  // in flight during the FMAs below
#pragma unroll
    for (int kk = 0; kk < kSliceK; ++kk) {
      T a[kMicro], w[kMicro];
      load4(&s_tile[buffer][kk][4 * ty], a);
      load4(&s_tile[buffer][kk][kRows / 2 + 4 * ty], a + 4);
      load4(&m_tile[buffer][kk][4 * tx], w);
      load4(&m_tile[buffer][kk][kCols / 2 + 4 * tx], w + 4);
#pragma unroll
      for (int i = 0; i < kMicro; ++i) {
#pragma unroll
        for (int j = 0; j < kMicro; ++j) acc[i][j] = fused_multiply_add(a[i], w[j], acc[i][j]);
      }
    }
    // The other buffer was last read in iteration t - 1, which ended in a barrier.
    if (t + 1 < slices) store_slice(buffer ^ 1);
    __syncthreads();
  }

  // Epilogue: per run of 4 consecutive outputs, the sigmoid, the Philox words
  // of their elements (one block, or two when the run straddles a multiple of
  // 4), the draw, and the stores.
#pragma unroll
  for (int i = 0; i < kMicro; ++i) {
    const int64_t b = row0 + row_of(i);
    if (b >= B) continue;
#pragma unroll
    for (int run = 0; run < 2; ++run) {
      const int64_t n = col0 + col_of(4 * run);
      if (n >= N) continue;
      const uint64_t element = static_cast<uint64_t>(b) * static_cast<uint64_t>(N) +
                               static_cast<uint64_t>(n);
      const uint32_t first = static_cast<uint32_t>(element & 3);
      const PhiloxBlock lo = gibbs_block(p.seed, p.draw, element >> 2);
      const PhiloxBlock hi = first != 0 ? gibbs_block(p.seed, p.draw, (element >> 2) + 1) : lo;
      T prob[4], sample[4];
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        prob[e] = gibbs_sigmoid(acc[i][4 * run + e]);
        sample[e] = gibbs_bernoulli(prob[e], uint32_to_unit_float(word_of(lo, hi, first + e)));
      }
      const int64_t offset = b * N + n;
      if (p.vector_outputs) {  // N % 4 == 0, so all four are in range and aligned
        store4(p.prob + offset, prob);
        if (p.prob_copy != nullptr) store4(p.prob_copy + offset, prob);
        store4(p.sample + offset, sample);
      } else {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          if (n + e >= N) break;
          p.prob[offset + e] = prob[e];
          if (p.prob_copy != nullptr) p.prob_copy[offset + e] = prob[e];
          p.sample[offset + e] = sample[e];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// launchers

bool aligned16(const void* pointer) {
  return pointer == nullptr || reinterpret_cast<uintptr_t>(pointer) % 16 == 0;
}

template <typename T, int kRows, int kCols>
int launch_half_sweep_tiles(HalfSweep<T> h, cudaStream_t stream) {
  h.row_tiles = (h.batch + kRows - 1) / kRows;
  h.col_tiles = (h.units + kCols - 1) / kCols;
  const int64_t tiles = h.row_tiles * h.col_tiles;
  if (tiles > kMaxGridBlocks) return cudaErrorInvalidConfiguration;
  gibbs_half_sweep_kernel<T, kRows, kCols>
      <<<static_cast<unsigned>(tiles), kTileThreads<kRows, kCols>, 0, stream>>>(h);
  return cudaGetLastError();
}

// Number of SMs of the current device (132 on an H200 when the query fails).
int multiprocessor_count() {
  int device = 0, count = 132;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) {
    cudaGetLastError();
    return 132;
  }
  return count;
}

// P = sigmoid(bias + states * weights) for a [B, N] layer, with its draw.
template <typename T>
int launch_half_sweep(const T* states, const T* weights, const T* bias, int64_t batch,
                      int64_t inner, int64_t units, PhiloxSeed seed, uint32_t draw, T* prob,
                      T* prob_copy, T* sample, int multiprocessors, cudaStream_t stream) {
  if (batch == 0 || units == 0) return cudaSuccess;
  HalfSweep<T> h{};
  h.states = states;
  h.weights = weights;
  h.bias = bias;
  h.batch = batch;
  h.inner = inner;
  h.units = units;
  h.seed = seed;
  h.draw = draw;
  h.prob = prob;
  h.prob_copy = prob_copy;
  h.sample = sample;
  h.vector_states = inner % kLanes<T> == 0 && aligned16(states);
  h.vector_weights = units % kLanes<T> == 0 && aligned16(weights);
  h.vector_outputs = units % 4 == 0 && aligned16(prob) && aligned16(prob_copy) && aligned16(sample);
  const int64_t large_tiles = (batch + 127) / 128 * ((units + 127) / 128);
  if (large_tiles >= 2 * static_cast<int64_t>(multiprocessors)) {
    return launch_half_sweep_tiles<T, 128, 128>(h, stream);
  }
  return launch_half_sweep_tiles<T, 64, 64>(h, stream);
}

template <typename T>
int launch_tiled(const GibbsProblem<T>& p, cudaStream_t stream) {
  const int64_t B = p.batch, V = p.visible, H = p.hidden;
  if (B == 0) return cudaSuccess;
  if (p.sweeps == 0 && V > 0) {  // v = v_0, v_prob = 0 (all-zero bytes are +0.0)
    const size_t bytes = static_cast<size_t>(B * V) * sizeof(T);
    cudaError_t error = cudaMemcpyAsync(p.v, p.v_start, bytes, cudaMemcpyDeviceToDevice, stream);
    if (error != cudaSuccess) return error;
    error = cudaMemsetAsync(p.v_prob, 0, bytes, stream);
    if (error != cudaSuccess) return error;
  }
  const int sms = multiprocessor_count();
  int code = launch_half_sweep(p.v_start, p.w, p.b_hid, B, V, H, p.seed, 0u, p.h_prob,
                               p.h0_prob, p.h, sms, stream);
  for (int64_t s = 0; s < p.sweeps && code == cudaSuccess; ++s) {
    const uint32_t draw = static_cast<uint32_t>(2 * s);
    code = launch_half_sweep(static_cast<const T*>(p.h), p.w_t, p.b_vis, B, H, V, p.seed,
                             draw + 1, p.v_prob, static_cast<T*>(nullptr), p.v, sms, stream);
    if (code != cudaSuccess) break;
    code = launch_half_sweep(static_cast<const T*>(p.v), p.w, p.b_hid, B, V, H, p.seed, draw + 2,
                             p.h_prob, static_cast<T*>(nullptr), p.h, sms, stream);
  }
  return code;
}

}  // namespace

int launch_gibbs_tiled(const GibbsProblem<float>& problem, cudaStream_t stream) {
  return launch_tiled(problem, stream);
}
int launch_gibbs_tiled(const GibbsProblem<double>& problem, cudaStream_t stream) {
  return launch_tiled(problem, stream);
}

}  // namespace kgen
