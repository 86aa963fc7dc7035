// The CPU Gibbs kernel for the x86-64 baseline (any CPU); see gibbs_cpu_impl.h.
#include "gibbs/gibbs_cpu_impl.h"

namespace kgen {

template struct GibbsCpuKernel<float, CpuIsa::kGeneric>;
template struct GibbsCpuKernel<double, CpuIsa::kGeneric>;

CpuIsa gibbs_cpu_isa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has_avx2 ? CpuIsa::kAvx2 : CpuIsa::kGeneric;
#else
  return CpuIsa::kGeneric;
#endif
}

}  // namespace kgen
