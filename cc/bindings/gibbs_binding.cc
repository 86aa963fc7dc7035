// kgen_ops.native.gibbs_sweeps: the fused block-Gibbs kernels on NumPy arrays,
// with the same validation and the same random numbers as the TensorFlow op.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/binding_common.h"
#include "common/parallel_for.h"
#include "gibbs/gibbs.h"
#include "gibbs/gibbs_cpu.h"
#if KGEN_WITH_CUDA
#include "gibbs/gibbs_launch.h"
#endif

namespace kgen {
namespace bindings {
namespace {

template <typename T>
py::tuple gibbs_sweeps_typed(const py::array& v_in, const py::array& w_in,
                             const py::array& b_vis_in, const py::array& b_hid_in, int64_t k,
                             const PhiloxSeed seed, Device device, int num_threads) {
  const CArray<T> v = CArray<T>::ensure(v_in), w = CArray<T>::ensure(w_in);
  const CArray<T> b_vis = CArray<T>::ensure(b_vis_in), b_hid = CArray<T>::ensure(b_hid_in);
  const int64_t B = v.shape(0), V = w.shape(0), H = w.shape(1);

  CArray<T> v_out({B, V}), h_out({B, H}), v_prob({B, V}), h_prob({B, H}), h0_prob({B, H});
  GibbsProblem<T> p{};
  p.batch = B;
  p.visible = V;
  p.hidden = H;
  p.sweeps = k;
  p.seed = seed;
  if (B > 0) {
    T* outputs[5] = {v_out.mutable_data(), h_out.mutable_data(), v_prob.mutable_data(),
                     h_prob.mutable_data(), h0_prob.mutable_data()};
    const T* inputs[4] = {v.data(), w.data(), b_vis.data(), b_hid.data()};
    py::gil_scoped_release release;
    if (device == Device::kCpu) {
      p.v_start = inputs[0];
      p.w = inputs[1];
      p.b_vis = inputs[2];
      p.b_hid = inputs[3];
      p.v = outputs[0];
      p.h = outputs[1];
      p.v_prob = outputs[2];
      p.h_prob = outputs[3];
      p.h0_prob = outputs[4];
      const int64_t Vp = gibbs_cpu_padded(V), Hp = gibbs_cpu_padded(H);
      std::vector<T> w_rows(static_cast<size_t>(V * Hp)), w_t_rows(static_cast<size_t>(H * Vp));
      parallel_for(V, num_threads, 64, [&](int64_t begin, int64_t end) {
        gibbs_pad_w_cpu(p.w, V, H, Hp, w_rows.data(), begin, end);
      });
      parallel_for(H, num_threads, 64, [&](int64_t begin, int64_t end) {
        gibbs_pad_w_t_cpu(p.w, V, H, Vp, w_t_rows.data(), begin, end);
      });
      const GibbsCpuLayout<T> layout{w_rows.data(), w_t_rows.data(), Hp, Vp};
      parallel_for(B, num_threads, 1, [&p, &layout](int64_t begin, int64_t end) {
        gibbs_rows_cpu(p, layout, begin, end);
      });
    } else {
#if KGEN_WITH_CUDA
      if (V + H > gibbs_cuda_max_units(sizeof(T))) {
        throw std::runtime_error("gibbs_sweeps: the CUDA kernel keeps V + H = " +
                                 std::to_string(V + H) + " units in shared memory; at most " +
                                 std::to_string(gibbs_cuda_max_units(sizeof(T))) +
                                 " fit for this dtype");
      }
      const size_t sizes_in[4] = {size_t(B * V), size_t(V * H), size_t(V), size_t(H)};
      const size_t sizes_out[5] = {size_t(B * V), size_t(B * H), size_t(B * V), size_t(B * H),
                                   size_t(B * H)};
      std::vector<std::unique_ptr<DeviceBuffer>> in, out;
      for (int a = 0; a < 4; ++a) {
        in.emplace_back(new DeviceBuffer(std::max<size_t>(1, sizes_in[a]) * sizeof(T)));
        check_cuda(cuda_copy_to_device(in[a]->get(), inputs[a], sizes_in[a] * sizeof(T)),
                   "cudaMemcpy");
      }
      for (int a = 0; a < 5; ++a) {
        out.emplace_back(new DeviceBuffer(std::max<size_t>(1, sizes_out[a]) * sizeof(T)));
      }
      DeviceBuffer w_t_device(std::max<size_t>(1, sizes_in[1]) * sizeof(T));
      p.v_start = static_cast<const T*>(in[0]->get());
      p.w = static_cast<const T*>(in[1]->get());
      p.b_vis = static_cast<const T*>(in[2]->get());
      p.b_hid = static_cast<const T*>(in[3]->get());
      p.w_t = static_cast<const T*>(w_t_device.get());
      p.v = static_cast<T*>(out[0]->get());
      p.h = static_cast<T*>(out[1]->get());
      p.v_prob = static_cast<T*>(out[2]->get());
      p.h_prob = static_cast<T*>(out[3]->get());
      p.h0_prob = static_cast<T*>(out[4]->get());
      check_cuda(launch_gibbs_sweeps(p, nullptr), "gibbs_sweeps launch");
      check_cuda(cuda_synchronize(), "gibbs_sweeps kernel");
      for (int a = 0; a < 5; ++a) {
        check_cuda(cuda_copy_to_host(outputs[a], out[a]->get(), sizes_out[a] * sizeof(T)),
                   "cudaMemcpy");
      }
#endif
    }
  }
  static py::object result_type =
      py::module_::import("collections")
          .attr("namedtuple")("GibbsSweepsResult", py::make_tuple("v", "h", "v_prob", "h_prob", "h0_prob"));
  return result_type(v_out, h_out, v_prob, h_prob, h0_prob);
}

py::tuple gibbs_sweeps(const py::array& v, const py::array& w, const py::array& b_vis,
                       const py::array& b_hid, int64_t k, const std::vector<int64_t>& seed,
                       const std::string& device, int num_threads) {
  const py::dtype dtype = w.dtype();
  const bool is_float = dtype.is(py::dtype::of<float>());
  const bool is_double = dtype.is(py::dtype::of<double>());
  if (!is_float && !is_double) {
    throw py::type_error("`w` must be float32 or float64. Received: w.dtype=" +
                         std::string(py::str(dtype)));
  }
  const std::pair<const char*, const py::array*> others[3] = {{"v", &v}, {"b_vis", &b_vis}, {"b_hid", &b_hid}};
  for (const auto& [name, array] : others) {
    if (!array->dtype().is(dtype)) {
      throw py::type_error(std::string("`") + name + "` must have the dtype of `w` (" +
                           std::string(py::str(dtype)) + "). Received: " + name +
                           ".dtype=" + std::string(py::str(array->dtype())));
    }
  }
  require_rank(v, "v", 2, "[B, V]");
  require_rank(w, "w", 2, "[V, H]");
  require_rank(b_vis, "b_vis", 1, "[V]");
  require_rank(b_hid, "b_hid", 1, "[H]");
  const int64_t B = v.shape(0), V = w.shape(0), H = w.shape(1);
  if (v.shape(1) != V) {
    throw py::value_error("`v` must have shape (B, " + std::to_string(V) + ") to match w.shape=" +
                          shape_of(w) + ". Received: v.shape=" + shape_of(v));
  }
  if (b_vis.shape(0) != V) {
    throw py::value_error("`b_vis` must have shape (" + std::to_string(V) + ",) to match w.shape=" +
                          shape_of(w) + ". Received: b_vis.shape=" + shape_of(b_vis));
  }
  if (b_hid.shape(0) != H) {
    throw py::value_error("`b_hid` must have shape (" + std::to_string(H) + ",) to match w.shape=" +
                          shape_of(w) + ". Received: b_hid.shape=" + shape_of(b_hid));
  }
  if (k < 0 || k > kGibbsMaxSweeps) {
    throw py::value_error("`k` must be in [0, 2^31 - 1]. Received: k=" + std::to_string(k));
  }
  if (B * std::max(V, H) > kGibbsMaxLayerElements) {
    throw py::value_error("B * max(V, H) must be <= 2^34. Received: B=" + std::to_string(B) +
                          ", V=" + std::to_string(V) + ", H=" + std::to_string(H));
  }
  if (num_threads < 0) {
    throw py::value_error("`num_threads` must be >= 0 (0 means all cores). Received: num_threads=" +
                          std::to_string(num_threads));
  }
  const PhiloxSeed philox_seed = checked_seed(seed);
  const Device where = checked_device(device);
  if (is_float) return gibbs_sweeps_typed<float>(v, w, b_vis, b_hid, k, philox_seed, where, num_threads);
  return gibbs_sweeps_typed<double>(v, w, b_vis, b_hid, k, philox_seed, where, num_threads);
}

}  // namespace

void bind_gibbs(py::module_& m) {
  m.def(
      "cpu_isa",
      [] {
        switch (gibbs_cpu_isa()) {
          case CpuIsa::kAvx512: return "avx512";
          case CpuIsa::kAvx2: return "avx2";
          default: return "baseline";
        }
      },
      "The instruction set the CPU Gibbs kernel uses here: 'avx512', 'avx2' or 'baseline'.");
  m.def("gibbs_sweeps", &gibbs_sweeps, py::arg("v"), py::arg("w"), py::arg("b_vis"),
        py::arg("b_hid"), py::arg("k"), py::arg("seed"), py::arg("device") = "cpu",
        py::arg("num_threads") = 0,
        R"doc(k fused block-Gibbs sweeps of a binary RBM on NumPy arrays.

Same mathematics, random numbers and outputs as the TensorFlow op
`kgen_ops.gibbs_sweeps` (see its docstring).

Args:
  v: [B, V] float32 or float64, starting visible states (or probabilities).
  w: [V, H] weights, same dtype.
  b_vis: [V] visible biases; b_hid: [H] hidden biases.
  k: number of sweeps, >= 0.
  seed: pair of int64 (key, stream).
  device: "cpu" or "cuda".
  num_threads: CPU threads (0 = all cores); results do not depend on it.

Returns:
  GibbsSweepsResult(v, h, v_prob, h_prob, h0_prob), NumPy arrays of shapes
  [B, V], [B, H], [B, V], [B, H], [B, H].
)doc");
}

}  // namespace bindings
}  // namespace kgen
