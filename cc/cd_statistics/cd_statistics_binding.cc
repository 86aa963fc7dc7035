// kgen_ops.native.cd_statistics: the CD statistics kernel on NumPy arrays,
// with the same validation and results as kgen_ops.cd_statistics.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/binding_common.h"
#include "common/parallel_for.h"
#include "cd_statistics/cd_statistics.h"
#include "cd_statistics/cd_statistics_cpu.h"
#if KGEN_WITH_CUDA
#include "cd_statistics/cd_statistics_launch.h"
#endif

namespace kgen {
namespace bindings {
namespace {

template <typename T>
py::tuple cd_statistics_typed(const py::array& v_pos_in, const py::array& h_pos_in,
                              const py::array& v_neg_in, const py::array& h_neg_in, Device device,
                              int num_threads) {
  const CArray<T> v_pos = CArray<T>::ensure(v_pos_in), h_pos = CArray<T>::ensure(h_pos_in);
  const CArray<T> v_neg = CArray<T>::ensure(v_neg_in), h_neg = CArray<T>::ensure(h_neg_in);
  const int64_t B = v_pos.shape(0), M = v_neg.shape(0), V = v_pos.shape(1), H = h_pos.shape(1);
  CArray<T> grad_w({V, H}), grad_b_vis({V}), grad_b_hid({H});
  CdProblem<T> p{v_pos.data(), h_pos.data(), v_neg.data(), h_neg.data(), B, M, V, H,
                 grad_w.mutable_data()};
  T* b_vis = grad_b_vis.mutable_data();
  T* b_hid = grad_b_hid.mutable_data();
  {
    py::gil_scoped_release release;
    // The bias parts: differences of column means, in float64 sums.
    for (int64_t i = 0; i < V; ++i) {
      double positive = 0, negative = 0;
      for (int64_t b = 0; b < B; ++b) positive += p.v_pos[b * V + i];
      for (int64_t m = 0; m < M; ++m) negative += p.v_neg[m * V + i];
      b_vis[i] = static_cast<T>(positive / B - negative / M);
    }
    for (int64_t j = 0; j < H; ++j) {
      double positive = 0, negative = 0;
      for (int64_t b = 0; b < B; ++b) positive += p.h_pos[b * H + j];
      for (int64_t m = 0; m < M; ++m) negative += p.h_neg[m * H + j];
      b_hid[j] = static_cast<T>(positive / B - negative / M);
    }
    if (V > 0 && H > 0) {
      if (device == Device::kCpu) {
        // As the TensorFlow kernel: h_pos and h_neg read in place.
        parallel_for(V, num_threads, 16, [&p](int64_t begin, int64_t end) {
          cd_rows_cpu(p, begin, end);
        });
      } else {
#if KGEN_WITH_CUDA
        if (V > 65535) {
          throw std::runtime_error("cd_statistics: the CUDA kernel handles at most 65535 visible units");
        }
        const T* inputs[4] = {p.v_pos, p.h_pos, p.v_neg, p.h_neg};
        const size_t sizes[4] = {size_t(B * V), size_t(B * H), size_t(M * V), size_t(M * H)};
        std::vector<std::unique_ptr<DeviceBuffer>> buffers;
        for (int a = 0; a < 4; ++a) {
          buffers.emplace_back(new DeviceBuffer(sizes[a] * sizeof(T)));
          check_cuda(cuda_copy_to_device(buffers[a]->get(), inputs[a], sizes[a] * sizeof(T)),
                     "cudaMemcpy");
        }
        DeviceBuffer out(size_t(V * H) * sizeof(T));
        CdProblem<T> device_problem{static_cast<const T*>(buffers[0]->get()),
                                    static_cast<const T*>(buffers[1]->get()),
                                    static_cast<const T*>(buffers[2]->get()),
                                    static_cast<const T*>(buffers[3]->get()),
                                    B, M, V, H, static_cast<T*>(out.get())};
        check_cuda(launch_cd_statistics(device_problem, nullptr), "cd_statistics launch");
        check_cuda(cuda_synchronize(), "cd_statistics kernel");
        check_cuda(cuda_copy_to_host(p.grad_w, out.get(), size_t(V * H) * sizeof(T)), "cudaMemcpy");
#endif
      }
    }
  }
  static py::object result_type = py::module_::import("collections")
                                      .attr("namedtuple")("CdStatistics", py::make_tuple("w", "b_vis", "b_hid"));
  return result_type(grad_w, grad_b_vis, grad_b_hid);
}

py::tuple cd_statistics(const py::array& v_pos, const py::array& h_pos, const py::array& v_neg,
                        const py::array& h_neg, const std::string& device, int num_threads) {
  const py::dtype dtype = v_pos.dtype();
  const bool is_float = dtype.is(py::dtype::of<float>());
  if (!is_float && !dtype.is(py::dtype::of<double>())) {
    throw py::type_error("`v_pos` must be float32 or float64. Received: v_pos.dtype=" +
                         std::string(py::str(dtype)));
  }
  const std::pair<const char*, const py::array*> arrays[4] = {
      {"v_pos", &v_pos}, {"h_pos", &h_pos}, {"v_neg", &v_neg}, {"h_neg", &h_neg}};
  for (const auto& [name, array] : arrays) {
    if (!array->dtype().is(dtype)) {
      throw py::type_error(std::string("`") + name + "` must have the dtype of `v_pos` (" +
                           std::string(py::str(dtype)) + "). Received: " + name + ".dtype=" +
                           std::string(py::str(array->dtype())));
    }
    require_rank(*array, name, 2, "[rows, units]");
  }
  if (v_pos.shape(0) != h_pos.shape(0) || v_neg.shape(0) != h_neg.shape(0)) {
    throw py::value_error("`v_pos`/`h_pos` and `v_neg`/`h_neg` must have matching rows. Received: " +
                          shape_of(v_pos) + ", " + shape_of(h_pos) + ", " + shape_of(v_neg) +
                          ", " + shape_of(h_neg));
  }
  if (v_pos.shape(1) != v_neg.shape(1) || h_pos.shape(1) != h_neg.shape(1)) {
    throw py::value_error("both phases must have the same visible and hidden sizes. Received: " +
                          shape_of(v_pos) + ", " + shape_of(h_pos) + ", " + shape_of(v_neg) +
                          ", " + shape_of(h_neg));
  }
  if (v_pos.shape(0) == 0 || v_neg.shape(0) == 0) {
    throw py::value_error("each phase needs at least one row (its average divides by it). Received: " +
                          std::to_string(v_pos.shape(0)) + " positive and " +
                          std::to_string(v_neg.shape(0)) + " negative rows");
  }
  if (num_threads < 0) {
    throw py::value_error("`num_threads` must be >= 0 (0 means all cores). Received: num_threads=" +
                          std::to_string(num_threads));
  }
  const Device where = checked_device(device);
  if (is_float) return cd_statistics_typed<float>(v_pos, h_pos, v_neg, h_neg, where, num_threads);
  return cd_statistics_typed<double>(v_pos, h_pos, v_neg, h_neg, where, num_threads);
}

}  // namespace

void bind_cd(py::module_& m) {
  m.def("cd_statistics", &cd_statistics, py::arg("v_pos"), py::arg("h_pos"), py::arg("v_neg"),
        py::arg("h_neg"), py::arg("device") = "cpu", py::arg("num_threads") = 0,
        R"doc(Contrastive-divergence statistics of a binary RBM on NumPy arrays.

Positive phase minus negative phase: w = v_pos^T h_pos / B - v_neg^T h_neg / M,
b_vis = mean(v_pos) - mean(v_neg), b_hid = mean(h_pos) - mean(h_neg). Rows with
a zero visible value are skipped, so 0/1 states cost a fraction of the dense
products. Same results as the TensorFlow op kgen_ops.cd_statistics.

Args:
  v_pos: [B, V] data; h_pos: [B, H] p(h | data); v_neg: [M, V] chain states;
  h_neg: [M, H] p(h | chains). float32 or float64, all the same; B, M >= 1.
  device: "cpu" or "cuda". num_threads: CPU threads (0 = all cores).

Returns:
  CdStatistics(w [V, H], b_vis [V], b_hid [H]).
)doc");
}

}  // namespace bindings
}  // namespace kgen
