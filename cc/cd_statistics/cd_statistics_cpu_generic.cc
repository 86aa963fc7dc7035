// The CPU CD-statistics kernel for the x86-64 baseline (any CPU); chosen at run time by cpu_isa().
// See cd_statistics_cpu_impl.h.
#include "cd_statistics/cd_statistics_cpu_impl.h"

namespace kgen {

template struct CdCpuKernel<float, CpuIsa::kGeneric>;
template struct CdCpuKernel<double, CpuIsa::kGeneric>;

}  // namespace kgen
