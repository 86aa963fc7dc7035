// Host emulation of the CUDA runtime, for compiling kgen's real .cu files as
// plain C++ (cc/emulation/README.md). This header stands in for the toolkit's
// <cuda_runtime.h> only in the emulated build (kgen_ops._native_emulated): it
// maps the CUDA keywords, built-in variables, vector types, intrinsics and the
// runtime calls kgen uses onto cc/emulation/emulator.h, where every CUDA thread
// of a block is a fiber and __syncthreads() a barrier. The one source rewrite
// (the <<<...>>> launch syntax and `extern __shared__`) is done at build time by
// cc/emulation/rewrite_cuda.py.
#ifndef KGEN_CC_EMULATION_INCLUDE_CUDA_RUNTIME_H_
#define KGEN_CC_EMULATION_INCLUDE_CUDA_RUNTIME_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

// --- keywords -----------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Static shared memory: one object per kernel instantiation, shared by every
// fiber of the block. Blocks run one after another and launches one at a time
// (a process-wide lock), so a plain static is the block's shared memory.
#define __shared__ static

// --- vector types -----------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}  // NOLINT: as CUDA's
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(16) double2 {
  double x, y;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline double2 make_double2(double x, double y) { return double2{x, y}; }

// --- math -----------------------------------------------------------------------------
// Device code sees float overloads of the math functions in the global namespace
// (exp(float) is expf), so an unqualified exp(x) with a float x stays in float, as
// on the GPU; glibc's expf then stands in for the device's (which is within 2 ulp,
// glibc's within 0.5: the bits of exp are one thing only a GPU can check).
using std::exp;

// --- intrinsics ---------------------------------------------------------------------
// Single rounding, as the device's fused multiply-add.
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }

// --- runtime types --------------------------------------------------------------------
struct CUstream_st;
typedef struct CUstream_st* cudaStream_t;  // as common/cuda_launch.h declares it

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDeviceFunction = 98,
  cudaErrorNoDevice = 100,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
};
enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};

#include "emulation/emulator.h"

// --- built-in variables -------------------------------------------------------------
#define threadIdx (::kgen_emu::current_thread()->thread_idx)
#define blockIdx (::kgen_emu::current_thread()->block_idx)
#define blockDim (::kgen_emu::current_launch()->block_dim)
#define gridDim (::kgen_emu::current_launch()->grid_dim)
// The call site names the barrier, so threads of one block waiting at
// different __syncthreads() are reported (undefined behaviour on a GPU).
#define __syncthreads() ::kgen_emu::sync_threads(__FILE__, __LINE__)

// --- runtime calls --------------------------------------------------------------------
const char* cudaGetErrorString(cudaError_t error);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device);
cudaError_t cudaMalloc(void** pointer, size_t bytes);
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMemcpy(void* target, const void* source, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* target, const void* source, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemsetAsync(void* target, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaDeviceSynchronize();

template <typename Kernel>
cudaError_t cudaFuncSetAttribute(Kernel* kernel, cudaFuncAttribute attribute, int value) {
  return static_cast<cudaError_t>(::kgen_emu::set_function_attribute(
      reinterpret_cast<const void*>(kernel), static_cast<int>(attribute), value));
}

#endif  // KGEN_CC_EMULATION_INCLUDE_CUDA_RUNTIME_H_
