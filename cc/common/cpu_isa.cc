// Run-time choice of the CPU kernels' instruction set (common/cpu_isa.h).
// Compiled for the x86-64 baseline: it runs before anything wider is known to work.
#include "common/cpu_isa.h"

#include <cstdlib>
#include <cstring>

namespace kgen {

// The best build this CPU runs, or a lower one named by the environment
// variable KGEN_CPU_ISA ("avx2" or "baseline"; read once, for tests and
// debugging): never a build the CPU cannot run.
CpuIsa cpu_isa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const CpuIsa isa = [] {
    CpuIsa best = CpuIsa::kGeneric;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
      best = CpuIsa::kAvx512;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      best = CpuIsa::kAvx2;
    }
    const char* requested = std::getenv("KGEN_CPU_ISA");
    if (requested != nullptr) {
      if (std::strcmp(requested, "baseline") == 0) return CpuIsa::kGeneric;
      if (std::strcmp(requested, "avx2") == 0 && best != CpuIsa::kGeneric) return CpuIsa::kAvx2;
    }
    return best;
  }();
  return isa;
#else
  return CpuIsa::kGeneric;
#endif
}

}  // namespace kgen
