// The CPU Gibbs kernel compiled with AVX2 + FMA (CMake adds -mavx2 -mfma to
// this file only); chosen at run time by cpu_isa(). See gibbs_sweeps_cpu_impl.h.
#include "gibbs_sweeps/gibbs_sweeps_cpu_impl.h"

namespace kgen {

template struct GibbsCpuKernel<float, CpuIsa::kAvx2>;
template struct GibbsCpuKernel<double, CpuIsa::kAvx2>;

}  // namespace kgen
