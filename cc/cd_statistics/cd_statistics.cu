// CD weight statistics on the GPU (mathematics in cd_statistics/cd_statistics.h).
// The reference is the NumPy reference kgen_ops/reference/cd_statistics.py;
// tests/test_native_cd_statistics.py compares this kernel with it and with the
// vectorised CPU kernel CdCpuKernel::run (cd_statistics/cd_statistics_cpu_impl.h).
//
// Algorithm: one thread per entry (i, j) of grad_w. Block y-index = i, threads
// across j, so the reads of h_pos[b, j] are coalesced and v_pos[b, i] is the
// same address for the whole block (a broadcast; the zero test never
// diverges). Summation order is the CPU kernel's and the reference's:
// positive rows by b, then negative rows by m, zeros skipped.
//
// Launch: 256 threads (a multiple of 32) x ceil(H / 256) x V blocks.
#include <cuda_runtime.h>

#include <cstdint>

#include "cd_statistics/cd_statistics.h"
#include "cd_statistics/cd_statistics_launch.h"

namespace kgen {
namespace {

constexpr int kThreadsPerBlock = 256;

// ---------------------------------------------------------------------------
// GPU kernel

template <typename T>
__global__ void cd_statistics_kernel(CdProblem<T> p) {
  const int64_t i = blockIdx.y;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= p.hidden) return;
  const T positive_weight = p.scale / static_cast<T>(p.batch_pos);
  const T negative_weight = -p.scale / static_cast<T>(p.batch_neg);
  T acc = p.accumulate ? p.grad_w[i * p.hidden + j] : T(0);
  for (int64_t b = 0; b < p.batch_pos; ++b) {
    const T x = p.v_pos[b * p.visible + i];
    if (x != T(0)) acc += (x * positive_weight) * p.h_pos[b * p.hidden + j];
  }
  for (int64_t m = 0; m < p.batch_neg; ++m) {
    const T x = p.v_neg[m * p.visible + i];
    if (x != T(0)) acc += (x * negative_weight) * p.h_neg[m * p.hidden + j];
  }
  p.grad_w[i * p.hidden + j] = acc;
}

// ---------------------------------------------------------------------------
// launcher

template <typename T>
int launch(const CdProblem<T>& p, cudaStream_t stream) {
  if (p.visible == 0 || p.hidden == 0) return cudaSuccess;
  const dim3 grid(static_cast<unsigned>((p.hidden + kThreadsPerBlock - 1) / kThreadsPerBlock),
                  static_cast<unsigned>(p.visible));
  if (p.visible > 65535) return cudaErrorInvalidValue;  // the grid's y limit
  cd_statistics_kernel<T><<<grid, kThreadsPerBlock, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

int launch_cd_statistics(const CdProblem<float>& problem, cudaStream_t stream) {
  return launch(problem, stream);
}
int launch_cd_statistics(const CdProblem<double>& problem, cudaStream_t stream) {
  return launch(problem, stream);
}

}  // namespace kgen
