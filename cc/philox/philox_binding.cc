// kgen_ops.native.philox_uniform / philox_bits.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/binding_common.h"
#include "common/parallel_for.h"
#include "philox/philox.h"
#include "philox/philox_cpu.h"
#if KGEN_WITH_CUDA
#include "philox/philox_launch.h"
#endif

namespace kgen {
namespace bindings {
namespace {

#if KGEN_WITH_CUDA
int launch_fill(float* out, int64_t n, PhiloxSeed seed) {
  return launch_philox_uniform(out, n, seed, nullptr);
}
int launch_fill(uint32_t* out, int64_t n, PhiloxSeed seed) {
  return launch_philox_bits(out, n, seed, nullptr);
}
#endif

template <typename T>
py::array_t<T> philox_fill(const std::vector<int64_t>& shape, const std::vector<int64_t>& seed,
                           const std::string& device, int num_threads) {
  const int64_t n = checked_num_elements(shape);
  const PhiloxSeed philox_seed = checked_seed(seed);
  const Device where = checked_device(device);
  if (num_threads < 0) {
    throw py::value_error("`num_threads` must be >= 0 (0 means all cores). Received: num_threads=" +
                          std::to_string(num_threads));
  }
  py::array_t<T> result(std::vector<py::ssize_t>(shape.begin(), shape.end()));
  T* out = result.mutable_data();
  if (n == 0) return result;
  py::gil_scoped_release release;
  if (where == Device::kCpu) {
    constexpr int64_t kMinBlocksPerThread = 4096;
    parallel_for(philox_num_blocks(n), num_threads, kMinBlocksPerThread,
                 [&](int64_t begin, int64_t end) {
                   philox_fill_blocks_cpu<T>(out, n, philox_seed, begin, end);
                 });
  } else {
#if KGEN_WITH_CUDA
    DeviceBuffer buffer(sizeof(T) * n);
    check_cuda(launch_fill(static_cast<T*>(buffer.get()), n, philox_seed), "Philox launch");
    check_cuda(cuda_synchronize(), "Philox kernel");
    check_cuda(cuda_copy_to_host(out, buffer.get(), sizeof(T) * n), "cudaMemcpy");
#endif
  }
  return result;
}

}  // namespace

void bind_philox(py::module_& m) {
  m.def("philox_uniform", &philox_fill<float>, py::arg("shape"), py::arg("seed"),
        py::arg("device") = "cpu", py::arg("num_threads") = 0,
        R"doc(Uniform float32 in [0, 1) from the Philox-4x32-10 stream.

Args:
  shape: sequence of non-negative ints, the output shape.
  seed: pair of int64 (key, stream).
  device: "cpu" or "cuda".
  num_threads: CPU threads (0 = all cores); results do not depend on it.

Returns:
  float32 array of `shape`; element i (row-major) is (w_i >> 8) * 2**-24
  for the i-th 32-bit word w_i of the stream.
)doc");
  m.def("philox_bits", &philox_fill<uint32_t>, py::arg("shape"), py::arg("seed"),
        py::arg("device") = "cpu", py::arg("num_threads") = 0,
        "Raw uint32 words of the Philox-4x32-10 stream; arguments as philox_uniform.");
}

}  // namespace bindings
}  // namespace kgen
