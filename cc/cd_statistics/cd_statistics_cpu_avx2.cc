// The CPU CD-statistics kernel compiled with AVX2 + FMA (CMake adds -mavx2 -mfma to
// this file only); chosen at run time by cpu_isa().
// See cd_statistics_cpu_impl.h.
#include "cd_statistics/cd_statistics_cpu_impl.h"

namespace kgen {

template struct CdCpuKernel<float, CpuIsa::kAvx2>;
template struct CdCpuKernel<double, CpuIsa::kAvx2>;

}  // namespace kgen
