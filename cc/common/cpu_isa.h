// The x86-64 instruction sets kgen's CPU kernels are compiled for, and the one
// they use on this CPU. Each vectorised kernel (gibbs_sweeps, cd_statistics) is
// compiled once per instruction set, in its own file with its own flags
// (CMakeLists.txt), and its entry point switches on cpu_isa().
#ifndef KGEN_CC_COMMON_CPU_ISA_H_
#define KGEN_CC_COMMON_CPU_ISA_H_

namespace kgen {

// Each instantiation of a kernel template on CpuIsa has its own symbols, so
// code built with AVX2 never stands in for the baseline build.
enum class CpuIsa { kGeneric, kAvx2, kAvx512 };

// The instruction set the kernels use on this CPU: AVX-512 (F, DQ) when
// present, else AVX2 + FMA when present, else the baseline; or a lower one
// named by the environment variable KGEN_CPU_ISA (common/cpu_isa.cc).
CpuIsa cpu_isa();

}  // namespace kgen

#endif  // KGEN_CC_COMMON_CPU_ISA_H_
