// The CPU Gibbs kernel compiled with AVX-512 F/DQ (CMake adds the flags to this
// file only); chosen at run time by gibbs_cpu_isa(). See gibbs_cpu_impl.h.
#include "gibbs/gibbs_cpu_impl.h"

namespace kgen {

template struct GibbsCpuKernel<float, CpuIsa::kAvx512>;
template struct GibbsCpuKernel<double, CpuIsa::kAvx512>;

}  // namespace kgen
