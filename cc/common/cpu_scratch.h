// Scratch memory for the CPU kernels: many arrays carved out of one 64-byte
// aligned allocation, handed to the per-instruction-set code as raw pointers
// (that code then calls no std:: template, see gibbs_sweeps_cpu_impl.h).
#ifndef KGEN_CC_COMMON_CPU_SCRATCH_H_
#define KGEN_CC_COMMON_CPU_SCRATCH_H_

#include <cstdint>
#include <memory>

namespace kgen {

// Uninitialised scratch of `count` objects of type U carved out of one
// allocation (no zero fill: the kernels write before they read).
class CpuScratch {
 public:
  explicit CpuScratch(int64_t bytes) : memory_(new char[bytes + 64]), used_(0) {}
  template <typename U>
  U* take(int64_t count) {
    const int64_t aligned = (used_ + 63) / 64 * 64;
    used_ = aligned + count * static_cast<int64_t>(sizeof(U));
    return reinterpret_cast<U*>(base() + aligned);
  }

 private:
  char* base() {
    const uintptr_t address = reinterpret_cast<uintptr_t>(memory_.get());
    return memory_.get() + ((64 - address % 64) % 64);
  }
  std::unique_ptr<char[]> memory_;
  int64_t used_;
};

}  // namespace kgen

#endif  // KGEN_CC_COMMON_CPU_SCRATCH_H_
