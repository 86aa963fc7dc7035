// What the emulated module (kgen_ops._native_emulated) exposes to Python about
// the emulator itself; plain C++, no CUDA header (cc/emulation/emulator.h).
#ifndef KGEN_CC_EMULATION_EMULATION_CONTROL_H_
#define KGEN_CC_EMULATION_EMULATION_CONTROL_H_

#include <cstdint>
#include <string>

namespace kgen_emu {

// The order in which the threads of a block run within each barrier interval.
enum class ThreadOrder { kForward, kReverse, kShuffled };

// Set for the following launches; `seed` drives the shuffled order (a new
// permutation for every interval of every block).
void set_thread_order(ThreadOrder order, uint64_t seed);
ThreadOrder thread_order();

// Activates a deliberately broken variant of a kernel (the names are listed in
// cc/emulation/rewrite_cuda.py); "" restores the real kernels. Unknown names
// are rejected by the binding, which knows the list.
void set_mutant(const std::string& name);

// The multiprocessor count reported by cudaDeviceGetAttribute (default 132).
void set_multiprocessors(int count);

// Launches run (and failed at validation) since the process started.
int64_t launch_count();
int64_t failed_launch_count();

// cudaFuncSetAttribute calls since the process started.
int64_t function_attribute_call_count();

// Why the last launch failed validation or execution ("" if it did not).
std::string last_launch_error();

}  // namespace kgen_emu

#endif  // KGEN_CC_EMULATION_EMULATION_CONTROL_H_
