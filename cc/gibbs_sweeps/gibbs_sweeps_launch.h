// Launchers of the CUDA Gibbs kernels (gibbs_sweeps/gibbs_sweeps.cu,
// gibbs_sweeps/gibbs_sweeps_tiled.cu), callable from plain C++ without CUDA headers. Each returns a cudaError_t
// value as int. This header declares only; it is also included by builds
// without CUDA (the pybind11 binding validates `algorithm` with the enum).
#ifndef KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_LAUNCH_H_
#define KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_LAUNCH_H_

#include <cstdint>

#include "common/cuda_launch.h"
#include "gibbs_sweeps/gibbs_sweeps.h"

namespace kgen {

// The two CUDA paths of a call:
//   kFused: gibbs_sweeps/gibbs_sweeps.cu, one launch for all k sweeps, one
//           thread block per chain, the chain's V + H states in shared memory;
//   kTiled: gibbs_sweeps/gibbs_sweeps_tiled.cu, one tiled matrix-product
//           launch per half-sweep (2k + 1 launches), any V and H;
//   kAuto:  kFused when the states fit in shared memory and the batch is at
//           most kGibbsFusedMaxBatch, else kTiled (gibbs_cuda_auto_algorithm).
// Both give the same outputs up to rounding (gibbs_sweeps/gibbs_sweeps_tiled.cu
// says how close); the choice is about speed.
enum class GibbsCudaAlgorithm { kAuto, kFused, kTiled };

// Largest batch for which kAuto takes the fused path. The fused kernel runs
// one block per chain and re-reads W from L2 for every chain; the tiled
// product shares each slice of W among a tile of 64 or 128 chains but fills
// the GPU only with enough tiles. 256 chains (about two blocks per SM of an
// H100/H200) is a guess, not a measurement: benchmarks/gibbs_gpu.py times
// both paths over batch sizes so that the crossover can be set on a GPU.
constexpr int64_t kGibbsFusedMaxBatch = 256;

// Largest V + H the single-launch kernel keeps in shared memory, per dtype.
int64_t gibbs_cuda_max_units(int element_size);

// The path kAuto takes for these sizes on the current device: kFused or kTiled.
GibbsCudaAlgorithm gibbs_cuda_auto_algorithm(int64_t batch, int64_t visible, int64_t hidden,
                                             int element_size);

// Runs the whole call on `stream`. All pointers of `problem` are device memory;
// `problem.w_t` must point to a device buffer of V * H elements, which this
// launcher fills with W^T before the sweeps (when k > 0). Forcing kFused when
// V + H exceeds gibbs_cuda_max_units returns cudaErrorInvalidValue.
int launch_gibbs_sweeps(const GibbsProblem<float>& problem, cudaStream_t stream,
                        GibbsCudaAlgorithm algorithm = GibbsCudaAlgorithm::kAuto);
int launch_gibbs_sweeps(const GibbsProblem<double>& problem, cudaStream_t stream,
                        GibbsCudaAlgorithm algorithm = GibbsCudaAlgorithm::kAuto);

// The tiled path alone (gibbs_sweeps/gibbs_sweeps_tiled.cu), for launch_gibbs_sweeps: the
// 2k + 1 half-sweep launches; `problem.w_t` must already hold W^T when k > 0.
int launch_gibbs_tiled(const GibbsProblem<float>& problem, cudaStream_t stream);
int launch_gibbs_tiled(const GibbsProblem<double>& problem, cudaStream_t stream);

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_SWEEPS_GIBBS_SWEEPS_LAUNCH_H_
