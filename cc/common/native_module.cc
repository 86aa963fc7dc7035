// kgen_ops.native: kgen's compiled kernels on NumPy arrays, through pybind11.
// Independent of TensorFlow: this module builds and runs on a machine that has
// only CUDA, CMake and pybind11 (the GPU test machine). The module entry: each
// op's functions are bound in its own folder (cc/<op>/<op>_binding.cc), with
// the helpers of common/binding_common.h; here only what concerns them all.
#include <pybind11/pybind11.h>

#include "common/cpu_isa.h"
#if KGEN_WITH_CUDA
#include "common/cuda_launch.h"
#endif

namespace py = pybind11;

namespace kgen {
namespace bindings {
void bind_philox(py::module_& m);
void bind_gibbs(py::module_& m);
void bind_cd(py::module_& m);
}  // namespace bindings
}  // namespace kgen

PYBIND11_MODULE(native, m) {
  m.doc() = R"doc(kgen's compiled kernels on NumPy arrays (no TensorFlow needed).

Random numbers come from the Philox-4x32-10 stream addressed by position:
element i of the stream for seed (key, stream) is word i % 4 of
philox4x32_10(counter={i // 4, stream}, key=key), the same words as
TensorFlow's StatelessRandomUniformFullIntV2(key=[key], counter=[0, stream],
alg=1), identical on CPU and CUDA and for any thread count.
)doc";

  kgen::bindings::bind_philox(m);
  kgen::bindings::bind_gibbs(m);
  kgen::bindings::bind_cd(m);
  m.def(
      "cpu_isa",
      [] {
        switch (kgen::cpu_isa()) {
          case kgen::CpuIsa::kAvx512: return "avx512";
          case kgen::CpuIsa::kAvx2: return "avx2";
          default: return "baseline";
        }
      },
      "The instruction set the CPU Gibbs kernel uses here: 'avx512', 'avx2' or 'baseline' (the best this CPU runs, or a lower one set by the environment variable KGEN_CPU_ISA before the first call).");
  m.def("built_with_cuda", [] { return static_cast<bool>(KGEN_WITH_CUDA); },
        "True when the CUDA kernels were compiled into this module.");
  m.def(
      "cuda_device_count",
      [] {
#if KGEN_WITH_CUDA
        return kgen::cuda_device_count();
#else
        return 0;
#endif
      },
      "Number of usable CUDA devices (0 without CUDA build, driver or GPU).");
}
