// kgen_ops.native: kgen's compiled kernels on NumPy arrays, through pybind11.
// Independent of TensorFlow: this module builds and runs on a machine that has
// only CUDA, CMake and pybind11 (the GPU test machine).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/parallel_for.h"
#include "philox/philox.h"
#include "philox/philox_cpu.h"
#if KGEN_WITH_CUDA
#include "common/cuda_launch.h"
#include "philox/philox_launch.h"
#endif

namespace py = pybind11;

namespace kgen {
namespace {

std::string format_list(const std::vector<int64_t>& values) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

int64_t checked_num_elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t size : shape) {
    if (size < 0) {
      throw py::value_error("`shape` must hold non-negative sizes. Received: shape=" +
                            format_list(shape));
    }
    if (size != 0 && n > INT64_MAX / size) {
      throw py::value_error("`shape` has more than 2^63 elements. Received: shape=" +
                            format_list(shape));
    }
    n *= size;
  }
  return n;
}

PhiloxSeed checked_seed(const std::vector<int64_t>& seed) {
  if (seed.size() != 2) {
    throw py::value_error("`seed` must be a pair of integers (key, stream). Received: seed=" +
                          format_list(seed));
  }
  return PhiloxSeed{static_cast<uint64_t>(seed[0]), static_cast<uint64_t>(seed[1])};
}

enum class Device { kCpu, kCuda };

Device checked_device(const std::string& device) {
  if (device == "cpu") return Device::kCpu;
  if (device == "cuda") {
#if KGEN_WITH_CUDA
    if (cuda_device_count() == 0) {
      throw std::runtime_error(
          "`device` is 'cuda' but no CUDA device is usable (no driver or no GPU).");
    }
    return Device::kCuda;
#else
    throw std::runtime_error(
        "`device` is 'cuda' but kgen_ops.native was built without CUDA "
        "(nvcc was not found at build time, or KGEN_CUDA=OFF).");
#endif
  }
  throw py::value_error("`device` must be 'cpu' or 'cuda'. Received: device='" + device + "'");
}

#if KGEN_WITH_CUDA
void check_cuda(int code, const char* what) {
  if (code != 0) throw std::runtime_error(std::string(what) + ": " + cuda_error_string(code));
}

// Device buffer freed on scope exit, also when an exception unwinds.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) { check_cuda(cuda_malloc(&pointer_, bytes), "cudaMalloc"); }
  ~DeviceBuffer() { cuda_free(pointer_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return pointer_; }

 private:
  void* pointer_ = nullptr;
};

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
}  // namespace kgen

PYBIND11_MODULE(native, m) {
  m.doc() = R"doc(kgen's compiled kernels on NumPy arrays (no TensorFlow needed).

Random numbers come from the Philox-4x32-10 stream addressed by position:
element i of the stream for seed (key, stream) is word i % 4 of
philox4x32_10(counter={i // 4, stream}, key=key), the same words as
TensorFlow's StatelessRandomUniformFullIntV2(key=[key], counter=[0, stream],
alg=1), identical on CPU and CUDA and for any thread count.
)doc";

  m.def("philox_uniform", &kgen::philox_fill<float>, py::arg("shape"), py::arg("seed"),
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
  m.def("philox_bits", &kgen::philox_fill<uint32_t>, py::arg("shape"), py::arg("seed"),
        py::arg("device") = "cpu", py::arg("num_threads") = 0,
        "Raw uint32 words of the Philox-4x32-10 stream; arguments as philox_uniform.");
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
