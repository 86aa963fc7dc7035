// The CPU Gibbs kernel compiled with AVX-512 F/DQ (CMake adds the flags to this
// file only); chosen at run time by cpu_isa(). See gibbs_sweeps_cpu_impl.h.
#include "gibbs_sweeps/gibbs_sweeps_cpu_impl.h"

namespace kgen {

template struct GibbsCpuKernel<float, CpuIsa::kAvx512>;
template struct GibbsCpuKernel<double, CpuIsa::kAvx512>;

}  // namespace kgen
