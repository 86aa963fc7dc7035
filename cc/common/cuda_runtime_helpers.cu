// Thin wrappers over the CUDA runtime so that no C++ file outside cc/**/*.cu
// includes a CUDA header (see common/cuda_launch.h).
#include <cuda_runtime.h>

#include "common/cuda_launch.h"

namespace kgen {

const char* cuda_error_string(int code) {
  return cudaGetErrorString(static_cast<cudaError_t>(code));
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return count;
}

int cuda_malloc(void** pointer, size_t bytes) { return cudaMalloc(pointer, bytes); }
int cuda_free(void* pointer) { return cudaFree(pointer); }
int cuda_copy_to_device(void* device, const void* host, size_t bytes) {
  return cudaMemcpy(device, host, bytes, cudaMemcpyHostToDevice);
}
int cuda_copy_to_host(void* host, const void* device, size_t bytes) {
  return cudaMemcpy(host, device, bytes, cudaMemcpyDeviceToHost);
}
int cuda_synchronize() { return cudaDeviceSynchronize(); }

}  // namespace kgen
