// The CPU Gibbs kernel for the x86-64 baseline (any CPU); see gibbs_cpu_impl.h.
#include "gibbs/gibbs_cpu_impl.h"

namespace kgen {

template struct GibbsCpuKernel<float, CpuIsa::kGeneric>;
template struct GibbsCpuKernel<double, CpuIsa::kGeneric>;

CpuIsa gibbs_cpu_isa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const CpuIsa isa = [] {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
      return CpuIsa::kAvx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuIsa::kAvx2;
    return CpuIsa::kGeneric;
  }();
  return isa;
#else
  return CpuIsa::kGeneric;
#endif
}

}  // namespace kgen
