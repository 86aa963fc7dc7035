// Helpers shared by the pybind11 bindings: argument checks with the project's
// error-message shape, the device switch, and an RAII device buffer.
#ifndef KGEN_CC_COMMON_BINDING_COMMON_H_
#define KGEN_CC_COMMON_BINDING_COMMON_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "philox/philox.h"
#if KGEN_WITH_CUDA
#include "common/cuda_launch.h"
#endif

namespace py = pybind11;

namespace kgen {
namespace bindings {

inline std::string format_list(const std::vector<int64_t>& values) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

inline int64_t checked_num_elements(const std::vector<int64_t>& shape) {
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

inline PhiloxSeed checked_seed(const std::vector<int64_t>& seed) {
  if (seed.size() != 2) {
    throw py::value_error("`seed` must be a pair of integers (key, stream). Received: seed=" +
                          format_list(seed));
  }
  return PhiloxSeed{static_cast<uint64_t>(seed[0]), static_cast<uint64_t>(seed[1])};
}

// "(2, 3)" for an array of shape (2, 3), as NumPy prints shapes.
inline std::string shape_of(const py::array& array) {
  std::vector<int64_t> dims(array.shape(), array.shape() + array.ndim());
  std::string text = format_list(dims);
  text.front() = '(';
  text.back() = ')';
  if (dims.size() == 1) text.insert(text.size() - 1, ",");
  return text;
}

inline void require_rank(const py::array& array, const char* name, int rank, const char* layout) {
  if (array.ndim() != rank) {
    throw py::value_error(std::string("`") + name + "` must be rank " + std::to_string(rank) +
                          " " + layout + ". Received: " + name + ".shape=" + shape_of(array));
  }
}

template <typename T>
using CArray = py::array_t<T, py::array::c_style>;

enum class Device { kCpu, kCuda };

inline Device checked_device(const std::string& device) {
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
inline void check_cuda(int code, const char* what) {
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

#endif

}  // namespace bindings
}  // namespace kgen

#endif  // KGEN_CC_COMMON_BINDING_COMMON_H_
