// The CPU CD-statistics kernel compiled with AVX-512 F/DQ (CMake adds the flags to
// this file only); chosen at run time by cpu_isa().
// See cd_statistics_cpu_impl.h.
#include "cd_statistics/cd_statistics_cpu_impl.h"

namespace kgen {

template struct CdCpuKernel<float, CpuIsa::kAvx512>;
template struct CdCpuKernel<double, CpuIsa::kAvx512>;

}  // namespace kgen
