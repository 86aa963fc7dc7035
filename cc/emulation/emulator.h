// The CUDA execution model on the host, for the emulated build of kgen's .cu
// files (cc/emulation/README.md).
//
// A launch is validated against a device's limits (grid and block sizes,
// dynamic shared memory against 48 KB and the opt-in maximum set with
// cudaFuncSetAttribute) and then runs block after block. Within a block each
// CUDA thread is a fiber with its own stack; a fiber runs until it reaches
// __syncthreads() or returns, then the next one runs. When every live thread
// waits at the barrier (the same call site, else the launch fails as divergent)
// they are released into the next barrier interval. The order in which the
// threads of an interval run is forward, reverse or shuffled (set_thread_order):
// a kernel whose result depends on it is missing a barrier. Dynamic shared
// memory and cudaMalloc'ed memory start as all-one bytes (NaN as float or
// double), so an output element a kernel never writes shows up.
//
// Launches run one at a time (a process-wide lock): `__shared__` is a static.
#ifndef KGEN_CC_EMULATION_EMULATOR_H_
#define KGEN_CC_EMULATION_EMULATOR_H_

#include <cstddef>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

namespace kgen_emu {

// Per launch: what the built-in variables gridDim and blockDim read.
struct LaunchState {
  dim3 grid_dim;
  dim3 block_dim;
};
// Per CUDA thread: threadIdx and blockIdx.
struct ThreadState {
  uint3 thread_idx;
  uint3 block_idx;
};

const LaunchState* current_launch();
const ThreadState* current_thread();
void sync_threads(const char* file, int line);
unsigned char* dynamic_shared_memory();
int set_function_attribute(const void* kernel, int attribute, int value);

// The mutant of the emulated sources that is active (null: none); see
// rewrite_cuda.py. Read in kernels through KGEN_EMU_MUTANT(name).
extern const char* active_mutant;
#define KGEN_EMU_MUTANT(name) \
  (::kgen_emu::active_mutant != nullptr && std::strcmp(::kgen_emu::active_mutant, name) == 0)

// The launch configuration of `kernel<<<grid, block, shared_bytes, stream>>>`.
struct LaunchConfig {
  LaunchConfig(dim3 grid, dim3 block, size_t shared = 0, cudaStream_t stream = nullptr)
      : grid_dim(grid), block_dim(block), shared_bytes(shared) {
    (void)stream;  // one in-order stream: every launch completes before the call returns
  }
  dim3 grid_dim;
  dim3 block_dim;
  size_t shared_bytes;
};

// Runs body(context) as every thread of every block of `config`; returns the
// launch's cudaError_t (also recorded for cudaGetLastError).
int run_grid(const void* kernel, const LaunchConfig& config, void (*body)(void*), void* context);

// `kernel<<<config>>>(args...)`, the arguments converted to the kernel's
// parameter types once, as a launch copies them.
template <typename... Params, typename... Args>
void launch(const LaunchConfig& config, void (*kernel)(Params...), Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel argument count");
  struct Context {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> params;
  };
  Context context{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  run_grid(
      reinterpret_cast<const void*>(kernel), config,
      [](void* raw) {
        Context* c = static_cast<Context*>(raw);
        std::apply(c->kernel, c->params);  // each thread gets the same (read-only) copy
      },
      &context);
}

}  // namespace kgen_emu

#endif  // KGEN_CC_EMULATION_EMULATOR_H_
