// kgen_ops.native: kgen's compiled kernels on NumPy arrays, through pybind11.
// Independent of TensorFlow: this module builds and runs on a machine that has
// only CUDA, CMake and pybind11 (the GPU test machine). The module entry: each
// op's functions are bound in its own folder (cc/<op>/<op>_binding.cc), with
// the helpers of common/binding_common.h; here only what concerns them all.
//
// Built twice: as kgen_ops.native, and (KGEN_CUDA_EMULATION) as the test-only
// kgen_ops._native_emulated, where the CUDA kernels are the real .cu files
// compiled as host C++ and run by the emulator of cc/emulation/, so that
// device="cuda" works on any machine (tests/test_cuda_emulation.py).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common/cpu_isa.h"
#if KGEN_WITH_CUDA
#include "common/cuda_launch.h"
#endif
#if KGEN_CUDA_EMULATION
#include "emulation/emulation_control.h"
#endif

#ifndef KGEN_NATIVE_MODULE_NAME
#define KGEN_NATIVE_MODULE_NAME native
#endif

namespace py = pybind11;

namespace kgen {
namespace bindings {
void bind_philox(py::module_& m);
void bind_gibbs(py::module_& m);
void bind_cd(py::module_& m);
}  // namespace bindings
}  // namespace kgen

#if KGEN_CUDA_EMULATION
namespace {

// The mutant names of cc/emulation/rewrite_cuda.py (MUTANTS).
const char* const kMutants[] = {"fused-missing-barrier", "fused-philox-index", "fused-unwritten-output",
                                "tiled-missing-barrier", "tiled-philox-index", "philox-block-size"};

void bind_emulation(py::module_& m) {
  m.def(
      "emulation_set_thread_order",
      [](const std::string& order, uint64_t seed) {
        if (order == "forward") {
          kgen_emu::set_thread_order(kgen_emu::ThreadOrder::kForward, seed);
        } else if (order == "reverse") {
          kgen_emu::set_thread_order(kgen_emu::ThreadOrder::kReverse, seed);
        } else if (order == "shuffled") {
          kgen_emu::set_thread_order(kgen_emu::ThreadOrder::kShuffled, seed);
        } else {
          throw py::value_error("`order` must be 'forward', 'reverse' or 'shuffled'. Received: order='" +
                                order + "'");
        }
      },
      py::arg("order"), py::arg("seed") = 0,
      "The order in which the threads of a block run within each barrier interval, for the "
      "following launches ('shuffled': a new permutation per interval, from `seed`).");
  m.def(
      "emulation_set_mutant",
      [](const std::string& name) {
        bool known = name.empty();
        for (const char* mutant : kMutants) known = known || name == mutant;
        if (!known) {
          std::string names;
          for (const char* mutant : kMutants) names += std::string(names.empty() ? "" : ", ") + mutant;
          throw py::value_error("`name` must be '' or one of " + names + ". Received: name='" + name + "'");
        }
        kgen_emu::set_mutant(name);
      },
      py::arg("name"),
      "Runs a deliberately broken variant of a kernel from now on ('' for the real kernels).");
  m.def("emulation_set_multiprocessors", &kgen_emu::set_multiprocessors, py::arg("count"),
        "The SM count the emulated device reports (132 by default, an H200's): the tiled path picks "
        "its tile shape from it, so a small count sends small problems to the 128 x 128 kernel.");
  m.def("emulation_mutants", [] { return std::vector<std::string>(std::begin(kMutants), std::end(kMutants)); },
        "The names emulation_set_mutant accepts.");
  m.def("emulation_stats", [] {
    py::dict stats;
    stats["launches"] = kgen_emu::launch_count();
    stats["failed_launches"] = kgen_emu::failed_launch_count();
    stats["last_launch_error"] = kgen_emu::last_launch_error();
    stats["function_attribute_calls"] = kgen_emu::function_attribute_call_count();
    return stats;
  }, "Counters of the emulator: launches run, launches refused or failed (and why), cudaFuncSetAttribute calls.");
}

}  // namespace
#endif

PYBIND11_MODULE(KGEN_NATIVE_MODULE_NAME, m) {
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
#if KGEN_CUDA_EMULATION
  bind_emulation(m);
#endif
  m.def("cuda_emulated", [] { return static_cast<bool>(KGEN_CUDA_EMULATION); },
        "True in kgen_ops._native_emulated, whose device='cuda' is the host emulation of the CUDA kernels.");
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
