// The CPU Gibbs kernel for the x86-64 baseline (any CPU); see gibbs_sweeps_cpu_impl.h.
#include "gibbs_sweeps/gibbs_sweeps_cpu_impl.h"

namespace kgen {

template struct GibbsCpuKernel<float, CpuIsa::kGeneric>;
template struct GibbsCpuKernel<double, CpuIsa::kGeneric>;

}  // namespace kgen
