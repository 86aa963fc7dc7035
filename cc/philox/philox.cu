// Philox-4x32-10 stream fill on the GPU.
//
// Algorithm: element i of the stream is word (i mod 4) of block i/4 (see
// philox/philox.h); one thread computes one block of four words and stores it,
// with a grid-stride loop so any n fits any grid. Block size 256 (a multiple
// of 32); the grid is capped so huge n reuse threads instead of launching
// millions of blocks. The reference is the NumPy reference
// kgen_ops/reference/philox.py (checked against Random123's known answers and
// TensorFlow's Philox); tests compare this kernel and the scalar CPU code
// (philox_fill_blocks_cpu in philox/philox_cpu.h) with it word for word.
//
// No TensorFlow header here: the TF kernel passes its stream in.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "philox/philox.h"
#include "philox/philox_launch.h"

namespace kgen {
namespace {

// ---------------------------------------------------------------------------
// GPU kernels

__device__ __forceinline__ void store_word(uint32_t word, uint32_t* out) { *out = word; }
__device__ __forceinline__ void store_word(uint32_t word, float* out) {
  *out = uint32_to_unit_float(word);
}

template <typename T>
__global__ void philox_fill_kernel(T* __restrict__ out, int64_t n, PhiloxSeed seed) {
  const int64_t num_blocks = (n + 3) / 4;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t block = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       block < num_blocks; block += stride) {
    const PhiloxBlock words = philox_block(seed, static_cast<uint64_t>(block));
    const int64_t first = 4 * block;
    const int64_t count = n - first < 4 ? n - first : 4;
    for (int64_t j = 0; j < count; ++j) store_word(words.word[j], out + first + j);
  }
}

// ---------------------------------------------------------------------------
// launchers

constexpr int kThreadsPerBlock = 256;
constexpr int64_t kMaxGridBlocks = 65536;

template <typename T>
int launch_philox_fill(T* out, int64_t n, PhiloxSeed seed, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  const int64_t num_philox_blocks = (n + 3) / 4;
  const int64_t grid = std::min<int64_t>(
      kMaxGridBlocks, (num_philox_blocks + kThreadsPerBlock - 1) / kThreadsPerBlock);
  philox_fill_kernel<T><<<static_cast<unsigned>(grid), kThreadsPerBlock, 0, stream>>>(out, n, seed);
  return cudaGetLastError();
}

}  // namespace

int launch_philox_uniform(float* out, int64_t n, PhiloxSeed seed, cudaStream_t stream) {
  return launch_philox_fill(out, n, seed, stream);
}

int launch_philox_bits(uint32_t* out, int64_t n, PhiloxSeed seed, cudaStream_t stream) {
  return launch_philox_fill(out, n, seed, stream);
}

}  // namespace kgen
