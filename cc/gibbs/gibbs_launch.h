// Launchers of the CUDA Gibbs kernels (gibbs/gibbs.cu), callable from plain
// C++ without CUDA headers. Each returns a cudaError_t value as int.
#ifndef KGEN_CC_GIBBS_GIBBS_LAUNCH_H_
#define KGEN_CC_GIBBS_GIBBS_LAUNCH_H_

#include <cstdint>

#include "common/cuda_launch.h"
#include "gibbs/gibbs.h"

namespace kgen {

// Largest V + H the single-launch kernel keeps in shared memory, per dtype.
int64_t gibbs_cuda_max_units(int element_size);

// Runs the whole call on `stream`. All pointers of `problem` are device memory;
// `problem.w_t` must point to a device buffer of V * H elements, which this
// launcher fills with W^T before the sweeps.
int launch_gibbs_sweeps(const GibbsProblem<float>& problem, cudaStream_t stream);
int launch_gibbs_sweeps(const GibbsProblem<double>& problem, cudaStream_t stream);

}  // namespace kgen

#endif  // KGEN_CC_GIBBS_GIBBS_LAUNCH_H_
