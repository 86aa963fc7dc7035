// Fused block-Gibbs sweeps of a binary RBM on the GPU (mathematics and random
// number layout in gibbs_sweeps/gibbs_sweeps.h). The reference is the NumPy
// reference kgen_ops/reference/gibbs_sweeps.py; tests/test_native_gibbs.py
// compares this kernel with it and with the vectorised CPU kernel
// (gibbs_sweeps/gibbs_sweeps_cpu_impl.h), which is not a reference.
//
// Algorithm: chains are independent, so one thread block owns one chain (a
// row of v; grid-stride over rows) and runs all k sweeps in a single launch:
// no grid-wide synchronisation and no return to the host between sweeps. The
// chain's current v and h states live in shared memory ((V + H) elements);
// each thread owns a fixed set of hidden units j (and visible units i), so
// p(h | v) stays in the h_prob output between the step that writes it and the
// draw that reads it. Products skip inactive units: (v W)_j adds W[i, j] over
// the i with v_i != 0 in increasing i (coalesced across j), and (W h)_i adds
// W^T[j, i] over the active j (coalesced across i) from a transposed copy made
// by the launcher. The summation order is the CPU kernel's, so for binary
// states both sum the same numbers in the same order. W and W^T are read
// through L2 (1.5 MB each for V=784, H=500 in float32).
//
// Launch: 256 threads per block (a multiple of 32), min(B, 65535) blocks,
// (V + H) * sizeof(T) bytes of dynamic shared memory (opted in above 48 KB).
//
// Path choice (launch_gibbs_sweeps): this kernel when V + H fits in shared
// memory and B <= kGibbsFusedMaxBatch (gibbs_sweeps/gibbs_sweeps_launch.h),
// else the tiled matrix-product path of gibbs_sweeps/gibbs_sweeps_tiled.cu, one
// launch per half-sweep; a caller may force either. For 0/1 states and finite
// weights both compute the same sums in the same order, so their outputs agree
// exactly.
//
// Performance note: this is the simple correct kernel; neither path has been
// timed on a GPU yet (benchmarks/gibbs_gpu.py).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "gibbs_sweeps/gibbs_sweeps.h"
#include "gibbs_sweeps/gibbs_sweeps_launch.h"

namespace kgen {
namespace {

constexpr int kThreadsPerBlock = 256;
constexpr int kTransposeTile = 32;
constexpr int64_t kMaxGridBlocks = 65535;

// ---------------------------------------------------------------------------
// GPU kernels

// w_t[j, i] = w[i, j] through a shared tile so reads and writes are coalesced.
template <typename T>
__global__ void gibbs_transpose_kernel(const T* __restrict__ w, T* __restrict__ w_t,
                                       int64_t visible, int64_t hidden) {
  __shared__ T tile[kTransposeTile][kTransposeTile + 1];
  const int64_t i0 = static_cast<int64_t>(blockIdx.y) * kTransposeTile;
  const int64_t j0 = static_cast<int64_t>(blockIdx.x) * kTransposeTile;
  for (int r = threadIdx.y; r < kTransposeTile; r += blockDim.y) {
    const int64_t i = i0 + r, j = j0 + threadIdx.x;
    if (i < visible && j < hidden) tile[r][threadIdx.x] = w[i * hidden + j];
  }
  __syncthreads();
  for (int r = threadIdx.y; r < kTransposeTile; r += blockDim.y) {
    const int64_t j = j0 + r, i = i0 + threadIdx.x;
    if (i < visible && j < hidden) w_t[j * visible + i] = tile[threadIdx.x][r];
  }
}

// sigmoid(bias[n] + sum over nonzero x[m] of x[m] * rows[m, n]) for m < count.
template <typename T>
__device__ __forceinline__ T conditional_prob(const T* __restrict__ x, int64_t count,
                                              const T* __restrict__ rows, int64_t stride,
                                              int64_t n, T bias) {
  T acc = bias;
  for (int64_t m = 0; m < count; ++m) {
    const T xm = x[m];  // same address across the warp: a broadcast, no divergence
    if (xm != T(0)) acc += xm * rows[m * stride + n];
  }
  return gibbs_sigmoid(acc);
}

template <typename T>
__global__ void gibbs_sweeps_kernel(GibbsProblem<T> p) {
  extern __shared__ unsigned char shared_raw[];
  T* v_state = reinterpret_cast<T*>(shared_raw);  // [V]
  T* h_state = v_state + p.visible;               // [H]
  const int64_t V = p.visible, H = p.hidden;

  for (int64_t b = blockIdx.x; b < p.batch; b += gridDim.x) {
    for (int64_t i = threadIdx.x; i < V; i += blockDim.x) {
      const T x = p.v_start[b * V + i];
      v_state[i] = x;
      p.v[b * V + i] = x;
      if (p.sweeps == 0) p.v_prob[b * V + i] = T(0);
    }
    __syncthreads();
    for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
      const T prob = conditional_prob(v_state, V, p.w, H, j, p.b_hid[j]);
      p.h0_prob[b * H + j] = prob;
      p.h_prob[b * H + j] = prob;
    }
    for (int64_t s = 0; s < p.sweeps; ++s) {
      const uint32_t draw = static_cast<uint32_t>(2 * s);
      // h_s ~ p(h | v_s): each thread reads the h_prob entries it wrote itself.
      for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
        h_state[j] = gibbs_bernoulli(p.h_prob[b * H + j], gibbs_uniform(p.seed, draw, b * H + j));
      }
      __syncthreads();  // h_state complete; every read of v_state is done
      for (int64_t i = threadIdx.x; i < V; i += blockDim.x) {
        const T prob = conditional_prob(h_state, H, p.w_t, V, i, p.b_vis[i]);
        p.v_prob[b * V + i] = prob;
        const T x = gibbs_bernoulli(prob, gibbs_uniform(p.seed, draw + 1, b * V + i));
        v_state[i] = x;
        p.v[b * V + i] = x;
      }
      __syncthreads();  // v_state complete; every read of h_state is done
      for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
        p.h_prob[b * H + j] = conditional_prob(v_state, V, p.w, H, j, p.b_hid[j]);
      }
    }
    const uint32_t last_draw = static_cast<uint32_t>(2 * p.sweeps);
    for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
      p.h[b * H + j] = gibbs_bernoulli(p.h_prob[b * H + j], gibbs_uniform(p.seed, last_draw, b * H + j));
    }
    __syncthreads();  // before the next row overwrites v_state
  }
}

// ---------------------------------------------------------------------------
// launchers

template <typename T>
int launch_gibbs(const GibbsProblem<T>& p, cudaStream_t stream, GibbsCudaAlgorithm algorithm) {
  if (p.batch == 0) return cudaSuccess;
  const GibbsCudaAlgorithm path =
      algorithm == GibbsCudaAlgorithm::kAuto
          ? gibbs_cuda_auto_algorithm(p.batch, p.visible, p.hidden, sizeof(T))
          : algorithm;
  if (path == GibbsCudaAlgorithm::kFused &&
      static_cast<int64_t>(p.visible + p.hidden) > gibbs_cuda_max_units(sizeof(T))) {
    return cudaErrorInvalidValue;
  }
  // W^T serves the p(v | h) products of both paths; k = 0 has none.
  if (p.sweeps > 0 && p.visible > 0 && p.hidden > 0) {
    const dim3 tile_threads(kTransposeTile, 8);
    const dim3 tile_grid(static_cast<unsigned>((p.hidden + kTransposeTile - 1) / kTransposeTile),
                         static_cast<unsigned>((p.visible + kTransposeTile - 1) / kTransposeTile));
    gibbs_transpose_kernel<T><<<tile_grid, tile_threads, 0, stream>>>(
        p.w, const_cast<T*>(p.w_t), p.visible, p.hidden);
    const cudaError_t transpose_error = cudaGetLastError();
    if (transpose_error != cudaSuccess) return transpose_error;
  }
  if (path == GibbsCudaAlgorithm::kTiled) return launch_gibbs_tiled(p, stream);

  const size_t shared_bytes = static_cast<size_t>(p.visible + p.hidden) * sizeof(T);
  if (shared_bytes > 48 * 1024) {
    // The kernel's opt-in to the device's whole shared memory, set once (on
    // the first launch that needs it; thread-safe static initialisation).
    static const cudaError_t opt_in = cudaFuncSetAttribute(
        gibbs_sweeps_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
        static_cast<int>(gibbs_cuda_max_units(sizeof(T)) * static_cast<int64_t>(sizeof(T))));
    if (opt_in != cudaSuccess) return opt_in;
  }
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(p.batch, kMaxGridBlocks));
  gibbs_sweeps_kernel<T><<<grid, kThreadsPerBlock, shared_bytes, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

int64_t gibbs_cuda_max_units(int element_size) {
  int device = 0, optin_bytes = 48 * 1024;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&optin_bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) !=
          cudaSuccess) {
    cudaGetLastError();  // clear the error of this query only; others stay pending
    optin_bytes = 48 * 1024;
  }
  return static_cast<int64_t>(optin_bytes) / element_size;
}

GibbsCudaAlgorithm gibbs_cuda_auto_algorithm(int64_t batch, int64_t visible, int64_t hidden,
                                             int element_size) {
  return batch <= kGibbsFusedMaxBatch && visible + hidden <= gibbs_cuda_max_units(element_size)
             ? GibbsCudaAlgorithm::kFused
             : GibbsCudaAlgorithm::kTiled;
}

int launch_gibbs_sweeps(const GibbsProblem<float>& problem, cudaStream_t stream,
                        GibbsCudaAlgorithm algorithm) {
  return launch_gibbs(problem, stream, algorithm);
}
int launch_gibbs_sweeps(const GibbsProblem<double>& problem, cudaStream_t stream,
                        GibbsCudaAlgorithm algorithm) {
  return launch_gibbs(problem, stream, algorithm);
}

}  // namespace kgen
