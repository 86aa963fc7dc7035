// Launchers of the CUDA Philox kernels (defined in philox/philox.cu). Callable
// from plain C++: no CUDA header needed. Each returns a cudaError_t as int.
#ifndef KGEN_CC_PHILOX_PHILOX_LAUNCH_H_
#define KGEN_CC_PHILOX_PHILOX_LAUNCH_H_

#include <cstdint>

#include "common/cuda_launch.h"
#include "philox/philox.h"

namespace kgen {

// out[i] = element i of the stream `seed` as a float in [0, 1), i < n.
// `out` is device memory of n floats; the launch is asynchronous on `stream`.
int launch_philox_uniform(float* out, int64_t n, PhiloxSeed seed, cudaStream_t stream);

// out[i] = raw 32-bit word i of the stream `seed`, i < n.
int launch_philox_bits(uint32_t* out, int64_t n, PhiloxSeed seed, cudaStream_t stream);

}  // namespace kgen

#endif  // KGEN_CC_PHILOX_PHILOX_LAUNCH_H_
