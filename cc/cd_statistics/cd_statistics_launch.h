// Launcher of the CUDA CD-statistics kernel (cd_statistics/cd_statistics.cu), callable
// from plain C++ without CUDA headers. Returns a cudaError_t value as int.
#ifndef KGEN_CC_CD_STATISTICS_CD_STATISTICS_LAUNCH_H_
#define KGEN_CC_CD_STATISTICS_CD_STATISTICS_LAUNCH_H_

#include "common/cuda_launch.h"
#include "cd_statistics/cd_statistics.h"

namespace kgen {

// All pointers of `problem` are device memory; asynchronous on `stream`.
int launch_cd_statistics(const CdProblem<float>& problem, cudaStream_t stream);
int launch_cd_statistics(const CdProblem<double>& problem, cudaStream_t stream);

}  // namespace kgen

#endif  // KGEN_CC_CD_STATISTICS_CD_STATISTICS_LAUNCH_H_
