// What C++ code (the TensorFlow kernels, the pybind11 module) needs to call
// kgen's CUDA launchers without including any CUDA header: the stream type is
// forward-declared exactly as the CUDA runtime declares it, and every launcher
// returns the cudaError_t value as an int (0 = success).
#ifndef KGEN_CC_COMMON_CUDA_LAUNCH_H_
#define KGEN_CC_COMMON_CUDA_LAUNCH_H_

#include <cstddef>

struct CUstream_st;
typedef struct CUstream_st* cudaStream_t;

namespace kgen {

// cudaGetErrorString for a code returned by a launcher.
const char* cuda_error_string(int code);

// Number of usable CUDA devices; 0 when there is no driver or no device.
int cuda_device_count();

// Minimal device-memory helpers for the pybind11 path (TensorFlow allocates
// its own). All return a cudaError_t value as int.
int cuda_malloc(void** pointer, size_t bytes);
int cuda_free(void* pointer);
int cuda_copy_to_device(void* device, const void* host, size_t bytes);
int cuda_copy_to_host(void* host, const void* device, size_t bytes);
int cuda_synchronize();

}  // namespace kgen

#endif  // KGEN_CC_COMMON_CUDA_LAUNCH_H_
