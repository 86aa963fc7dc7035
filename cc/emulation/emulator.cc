// The host emulation of the CUDA execution model and runtime (emulator.h;
// overview in cc/emulation/README.md).
//
// Fibers: each CUDA thread of the block being run has a 64 KB stack (with a
// guard page) from one mapping reused by every block, and a context of the
// callee-saved registers, switched by kgen_emu_switch below (x86-64 System V;
// swapcontext would cost a signal-mask system call per switch, and a launch
// switches hundreds of millions of times in the tests).
#include <cuda_runtime.h>  // the emulation's (cc/emulation/include)
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "emulation/emulation_control.h"

#if !defined(__x86_64__)
#error "the CUDA host emulation switches fibers with x86-64 code (cc/emulation/emulator.cc)"
#endif

// void kgen_emu_switch(void** save_sp, void* load_sp): saves the callee-saved
// registers, MXCSR and the x87 control word on the current stack, stores the
// stack pointer in *save_sp, and resumes the context saved at load_sp.
extern "C" void kgen_emu_switch(void** save_sp, void* load_sp);
asm(R"(
  .text
  .globl kgen_emu_switch
  .hidden kgen_emu_switch
  .type kgen_emu_switch, @function
kgen_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size kgen_emu_switch, .-kgen_emu_switch
)");

namespace kgen_emu {

const char* active_mutant = nullptr;

namespace {

// Limits of the devices kgen targets (compute capability 9.0: H100, H200).
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxBlockDimXY = 1024;
constexpr unsigned kMaxBlockDimZ = 64;
constexpr unsigned kMaxGridDimX = 2147483647u;
constexpr unsigned kMaxGridDimYZ = 65535;
constexpr int kSharedPerBlock = 48 * 1024;         // without opt-in
constexpr int kSharedPerBlockOptin = 227 * 1024;   // cudaDevAttrMaxSharedMemoryPerBlockOptin
int multiprocessors = 132;                         // an H200 (an H100 SXM has 132 too); settable

constexpr size_t kStackBytes = 64 * 1024;
constexpr size_t kGuardBytes = 4096;

enum class Status { kRunnable, kAtBarrier, kDone };

struct Fiber {
  void* sp = nullptr;
  ThreadState state{};
  Status status = Status::kRunnable;
  const char* barrier_file = nullptr;
  int barrier_line = 0;
};

// Everything below is guarded by launch_mutex (one launch at a time).
std::mutex launch_mutex;
LaunchState launch_state;
std::vector<Fiber> fibers;
Fiber* running = nullptr;
void* scheduler_sp = nullptr;
void (*block_body)(void*) = nullptr;
void* block_context = nullptr;
unsigned char* stacks = nullptr;  // kMaxThreadsPerBlock stacks, each above a guard page
std::vector<unsigned char> dynamic_shared;
std::map<const void*, int> max_dynamic_shared;  // cudaFuncAttributeMaxDynamicSharedMemorySize
ThreadOrder order_mode = ThreadOrder::kForward;
uint64_t order_seed = 0;
std::string mutant_name;
int64_t launches = 0, failed_launches = 0;
std::string last_failure;

thread_local cudaError_t last_error = cudaSuccess;  // per host thread, as CUDA's

unsigned char* fiber_stacks() {
  if (stacks == nullptr) {
    const size_t each = kStackBytes + kGuardBytes;
    void* region = mmap(nullptr, each * kMaxThreadsPerBlock, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
      std::perror("kgen CUDA emulation: mmap of the fiber stacks");
      std::abort();
    }
    stacks = static_cast<unsigned char*>(region);
    for (unsigned t = 0; t < kMaxThreadsPerBlock; ++t) {
      mprotect(stacks + t * each, kGuardBytes, PROT_NONE);  // a stack overflow faults
    }
  }
  return stacks;
}

[[noreturn]] void fiber_entry() {
  block_body(block_context);
  running->status = Status::kDone;
  kgen_emu_switch(&running->sp, scheduler_sp);
  std::abort();  // a finished fiber is never resumed
}

// A fresh context whose first switch enters fiber_entry on stack `t`.
void* initial_context(unsigned t) {
  unsigned char* top = fiber_stacks() + t * (kStackBytes + kGuardBytes) + kGuardBytes + kStackBytes;
  // kgen_emu_switch pops 8 bytes of control words, 6 registers, then returns:
  // the return address sits at top - 16 (16-byte aligned), so fiber_entry
  // starts with rsp = top - 8, as after a call.
  uint64_t* sp = reinterpret_cast<uint64_t*>(top - 72);
  uint32_t mxcsr = 0x1F80;  // the default: round to nearest, all exceptions masked
  uint16_t fpucw = 0x037F;
  std::memcpy(sp, &mxcsr, 4);
  std::memcpy(reinterpret_cast<unsigned char*>(sp) + 4, &fpucw, 2);
  for (int r = 1; r <= 6; ++r) sp[r] = 0;
  sp[7] = reinterpret_cast<uint64_t>(&fiber_entry);
  return sp;
}

void fail(cudaError_t error, const std::string& why) {
  last_error = error;
  last_failure = why;
  ++failed_launches;
}

std::string dims(dim3 d) {
  return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")";
}

// Why `config` would not launch on the device, or "" when it would.
std::string invalid_configuration(const void* kernel, const LaunchConfig& c, cudaError_t* error) {
  *error = cudaErrorInvalidConfiguration;
  const dim3 b = c.block_dim, g = c.grid_dim;
  if (b.x == 0 || b.y == 0 || b.z == 0 || b.x > kMaxBlockDimXY || b.y > kMaxBlockDimXY ||
      b.z > kMaxBlockDimZ || uint64_t{b.x} * b.y * b.z > kMaxThreadsPerBlock) {
    return "block " + dims(b) + " outside the limits (x, y <= 1024, z <= 64, x*y*z <= 1024, none 0)";
  }
  if (g.x == 0 || g.y == 0 || g.z == 0 || g.x > kMaxGridDimX || g.y > kMaxGridDimYZ ||
      g.z > kMaxGridDimYZ) {
    return "grid " + dims(g) + " outside the limits (x < 2^31, y, z <= 65535, none 0)";
  }
  if (c.shared_bytes > static_cast<size_t>(kSharedPerBlock)) {
    const auto opted = max_dynamic_shared.find(kernel);
    const size_t allowed = opted == max_dynamic_shared.end() ? kSharedPerBlock : opted->second;
    if (c.shared_bytes > allowed) {
      *error = cudaErrorInvalidValue;
      return std::to_string(c.shared_bytes) + " bytes of dynamic shared memory, above " +
             std::to_string(allowed) +
             " (48 KB unless cudaFuncSetAttribute(MaxDynamicSharedMemorySize) raised it)";
    }
  }
  return "";
}

// Runs every fiber of the current block to completion; "" or why it failed.
std::string run_block(unsigned threads, std::mt19937_64& shuffle) {
  std::vector<unsigned> order;
  order.reserve(threads);
  for (;;) {
    order.clear();
    for (unsigned t = 0; t < threads; ++t) {
      if (fibers[t].status != Status::kDone) order.push_back(t);
    }
    if (order.empty()) return "";
    if (order_mode == ThreadOrder::kReverse) std::reverse(order.begin(), order.end());
    if (order_mode == ThreadOrder::kShuffled) std::shuffle(order.begin(), order.end(), shuffle);
    for (unsigned t : order) {
      running = &fibers[t];
      running->status = Status::kRunnable;
      kgen_emu_switch(&scheduler_sp, running->sp);
    }
    // Every live thread now waits at a barrier: the same one, or it is divergent.
    const Fiber* first = nullptr;
    for (unsigned t = 0; t < threads; ++t) {
      const Fiber& f = fibers[t];
      if (f.status != Status::kAtBarrier) continue;
      if (first == nullptr) {
        first = &f;
      } else if (f.barrier_line != first->barrier_line ||
                 std::strcmp(f.barrier_file, first->barrier_file) != 0) {
        return "divergent __syncthreads(): threads wait at " + std::string(first->barrier_file) + ":" +
               std::to_string(first->barrier_line) + " and at " + f.barrier_file + ":" +
               std::to_string(f.barrier_line);
      }
    }
  }
}

}  // namespace

const LaunchState* current_launch() { return &launch_state; }
const ThreadState* current_thread() { return &running->state; }

void sync_threads(const char* file, int line) {
  Fiber* self = running;
  self->status = Status::kAtBarrier;
  self->barrier_file = file;
  self->barrier_line = line;
  kgen_emu_switch(&self->sp, scheduler_sp);
}

unsigned char* dynamic_shared_memory() { return dynamic_shared.data(); }

int64_t function_attribute_calls = 0;

int set_function_attribute(const void* kernel, int attribute, int value) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  ++function_attribute_calls;
  if (attribute != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 ||
      value > kSharedPerBlockOptin) {
    return cudaErrorInvalidValue;
  }
  max_dynamic_shared[kernel] = value;
  return cudaSuccess;
}

int run_grid(const void* kernel, const LaunchConfig& config, void (*body)(void*), void* context) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  cudaError_t error;
  const std::string invalid = invalid_configuration(kernel, config, &error);
  if (!invalid.empty()) {
    fail(error, "launch refused: " + invalid);
    return error;
  }
  ++launches;
  launch_state = LaunchState{config.grid_dim, config.block_dim};
  const dim3 b = config.block_dim, g = config.grid_dim;
  const unsigned threads = b.x * b.y * b.z;
  fibers.assign(threads, Fiber{});
  // 16 bytes more than asked, all-one bytes: reads before writes give NaN.
  dynamic_shared.assign(config.shared_bytes + 16, 0xFF);
  block_body = body;
  block_context = context;
  std::mt19937_64 shuffle(order_seed + static_cast<uint64_t>(launches));
  for (unsigned bz = 0; bz < g.z; ++bz) {
    for (unsigned by = 0; by < g.y; ++by) {
      for (unsigned bx = 0; bx < g.x; ++bx) {
        for (unsigned t = 0; t < threads; ++t) {
          Fiber& f = fibers[t];
          f.status = Status::kRunnable;
          f.state.thread_idx = uint3{t % b.x, t / b.x % b.y, t / (b.x * b.y)};
          f.state.block_idx = uint3{bx, by, bz};
          f.sp = initial_context(t);
        }
        std::fill(dynamic_shared.begin(), dynamic_shared.end(), 0xFF);
        const std::string why = run_block(threads, shuffle);
        if (!why.empty()) {
          fail(cudaErrorLaunchFailure, "block " + dims(dim3(bx, by, bz)) + ": " + why);
          return cudaErrorLaunchFailure;
        }
      }
    }
  }
  return cudaSuccess;
}

// --- control (emulation_control.h) ---------------------------------------------------

void set_thread_order(ThreadOrder order, uint64_t seed) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  order_mode = order;
  order_seed = seed;
}
ThreadOrder thread_order() { return order_mode; }

void set_mutant(const std::string& name) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  mutant_name = name;
  active_mutant = mutant_name.empty() ? nullptr : mutant_name.c_str();
}

void set_multiprocessors(int count) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  multiprocessors = std::max(1, count);
}

int64_t launch_count() { return launches; }
int64_t failed_launch_count() { return failed_launches; }
std::string last_launch_error() { return last_failure; }
int64_t function_attribute_call_count() { return function_attribute_calls; }

}  // namespace kgen_emu

// --- the runtime API (the subset kgen calls) -------------------------------------------

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDeviceFunction: return "invalid device function";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}

cudaError_t cudaGetLastError() {
  const cudaError_t error = kgen_emu::last_error;
  kgen_emu::last_error = cudaSuccess;
  return error;
}
cudaError_t cudaPeekAtLastError() { return kgen_emu::last_error; }

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device) {
  if (device != 0) return kgen_emu::last_error = cudaErrorInvalidValue;
  switch (attribute) {
    case cudaDevAttrMaxThreadsPerBlock: *value = kgen_emu::kMaxThreadsPerBlock; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = kgen_emu::kSharedPerBlock; return cudaSuccess;
    case cudaDevAttrMultiProcessorCount: *value = kgen_emu::multiprocessors; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = kgen_emu::kSharedPerBlockOptin; return cudaSuccess;
  }
  return kgen_emu::last_error = cudaErrorInvalidValue;
}

// Device memory is host memory, all-one bytes when allocated (NaN as float or
// double), so an output element no kernel writes is seen.
cudaError_t cudaMalloc(void** pointer, size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 255) / 256 * 256;
  *pointer = std::aligned_alloc(256, rounded);
  if (*pointer == nullptr) return kgen_emu::last_error = cudaErrorMemoryAllocation;
  std::memset(*pointer, 0xFF, rounded);
  return cudaSuccess;
}
cudaError_t cudaFree(void* pointer) {
  std::free(pointer);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* target, const void* source, size_t bytes, cudaMemcpyKind) {
  if (bytes > 0) std::memmove(target, source, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* target, const void* source, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t) {
  return cudaMemcpy(target, source, bytes, kind);
}
cudaError_t cudaMemsetAsync(void* target, int value, size_t bytes, cudaStream_t) {
  if (bytes > 0) std::memset(target, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
