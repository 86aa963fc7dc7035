// kgen_ops.native.gibbs_sweeps: the fused block-Gibbs kernels on NumPy arrays,
// with the same validation and the same random numbers as the TensorFlow op.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/binding_common.h"
#include "common/parallel_for.h"
#include "gibbs_sweeps/gibbs_sweeps.h"
#include "gibbs_sweeps/gibbs_sweeps_cpu.h"
// Declarations only (no CUDA header): GibbsCudaAlgorithm validates `algorithm`
// in every build; the launchers are called only when KGEN_WITH_CUDA.
#include "gibbs_sweeps/gibbs_sweeps_launch.h"

namespace kgen {
namespace bindings {
namespace {

const char* algorithm_name(GibbsCudaAlgorithm algorithm) {
  switch (algorithm) {
    case GibbsCudaAlgorithm::kFused: return "fused";
    case GibbsCudaAlgorithm::kTiled: return "tiled";
    default: return "auto";
  }
}

// `algorithm` as the launcher's enum. The CPU kernel has a single path, so on
// device="cpu" only "auto" is accepted: a forced CUDA path there is a mistake
// worth reporting, not a request to ignore.
GibbsCudaAlgorithm checked_algorithm(const std::string& algorithm, const std::string& device) {
  GibbsCudaAlgorithm parsed;
  if (algorithm == "auto") {
    parsed = GibbsCudaAlgorithm::kAuto;
  } else if (algorithm == "fused") {
    parsed = GibbsCudaAlgorithm::kFused;
  } else if (algorithm == "tiled") {
    parsed = GibbsCudaAlgorithm::kTiled;
  } else {
    throw py::value_error("`algorithm` must be 'auto', 'fused' or 'tiled'. Received: algorithm='" +
                          algorithm + "'");
  }
  if (device == "cpu" && parsed != GibbsCudaAlgorithm::kAuto) {
    throw py::value_error(
        "`algorithm` must be 'auto' when device='cpu' ('fused' and 'tiled' choose between the "
        "CUDA kernels; the CPU kernel has one path). Received: algorithm='" + algorithm + "'");
  }
  return parsed;
}

template <typename T>
py::tuple gibbs_sweeps_typed(const py::array& v_in, const py::array& w_in,
                             const py::array& b_vis_in, const py::array& b_hid_in, int64_t k,
                             const PhiloxSeed seed, Device device, int num_threads,
                             GibbsCudaAlgorithm algorithm) {
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
      // As the TensorFlow kernel (gibbs_sweeps/gibbs_sweeps_kernels.cc): W read in place,
      // W^T made only for k > 0, the chains in a few large ranges.
      GibbsCpuLayout<T> layout{p.w, nullptr, H, V};
      std::vector<T> w_t;
      if (k > 0) {
        w_t.resize(static_cast<size_t>(V * H));
        // In units of 32 rows of W^T, a whole number of the transpose's blocks.
        parallel_for((H + 31) / 32, num_threads, 1, [&](int64_t begin, int64_t end) {
          gibbs_transpose_w_cpu(p.w, V, H, w_t.data(), V, 32 * begin, std::min(H, 32 * end));
        });
        layout.w_t_rows = w_t.data();
      }
      const int64_t parts = gibbs_cpu_parts(B, resolve_num_threads(num_threads));
      parallel_for(parts, num_threads, 1, [&](int64_t begin, int64_t end) {
        for (int64_t part = begin; part < end; ++part) {
          gibbs_rows_cpu(p, layout, B * part / parts, B * (part + 1) / parts);
        }
      });
    } else {
#if KGEN_WITH_CUDA
      if (algorithm == GibbsCudaAlgorithm::kFused && V + H > gibbs_cuda_max_units(sizeof(T))) {
        throw std::runtime_error("gibbs_sweeps: algorithm='fused' keeps V + H = " +
                                 std::to_string(V + H) + " units in shared memory; at most " +
                                 std::to_string(gibbs_cuda_max_units(sizeof(T))) +
                                 " fit for this dtype (use 'auto' or 'tiled')");
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
      check_cuda(launch_gibbs_sweeps(p, nullptr, algorithm), "gibbs_sweeps launch");
      check_cuda(cuda_synchronize(), "gibbs_sweeps kernel");
      for (int a = 0; a < 5; ++a) {
        check_cuda(cuda_copy_to_host(outputs[a], out[a]->get(), sizes_out[a] * sizeof(T)),
                   "cudaMemcpy");
      }
#else
      (void)algorithm;
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
                       const std::string& device, int num_threads, const std::string& algorithm) {
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
  // Before the device check, so a bad value is reported on machines without CUDA.
  const GibbsCudaAlgorithm path = checked_algorithm(algorithm, device);
  const Device where = checked_device(device);
  if (is_float) {
    return gibbs_sweeps_typed<float>(v, w, b_vis, b_hid, k, philox_seed, where, num_threads, path);
  }
  return gibbs_sweeps_typed<double>(v, w, b_vis, b_hid, k, philox_seed, where, num_threads, path);
}

// The path algorithm="auto" takes on this device for these sizes.
std::string gibbs_cuda_algorithm(int64_t batch, int64_t visible, int64_t hidden,
                                 const py::object& dtype_like) {
  const py::dtype dtype = py::dtype::from_args(dtype_like);
  const bool is_float = dtype.is(py::dtype::of<float>());
  if (!is_float && !dtype.is(py::dtype::of<double>())) {
    throw py::type_error("`dtype` must be float32 or float64. Received: dtype=" +
                         std::string(py::str(dtype)));
  }
  if (batch < 0 || visible < 0 || hidden < 0) {
    throw py::value_error("`batch`, `visible` and `hidden` must be >= 0. Received: batch=" +
                          std::to_string(batch) + ", visible=" + std::to_string(visible) +
                          ", hidden=" + std::to_string(hidden));
  }
  checked_device("cuda");  // the answer depends on the device's shared memory
#if KGEN_WITH_CUDA
  return algorithm_name(gibbs_cuda_auto_algorithm(batch, visible, hidden, is_float ? 4 : 8));
#else
  return algorithm_name(GibbsCudaAlgorithm::kAuto);  // not reached: checked_device threw
#endif
}

}  // namespace

void bind_gibbs(py::module_& m) {
  m.def("gibbs_sweeps", &gibbs_sweeps, py::arg("v"), py::arg("w"), py::arg("b_vis"),
        py::arg("b_hid"), py::arg("k"), py::arg("seed"), py::arg("device") = "cpu",
        py::arg("num_threads") = 0, py::arg("algorithm") = "auto",
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
  algorithm: the CUDA path: "auto" (default), "fused" (all k sweeps in one
    launch, a block per chain, V + H states in shared memory) or "tiled" (a
    tiled matrix product per half-sweep, any size). "auto" takes "fused" when
    V + H fits in shared memory and B <= 256, else "tiled"
    (see `gibbs_cuda_algorithm`). On device="cpu" only "auto" is accepted
    (the CPU kernel has one path). For 0/1 starting states and finite weights
    both paths give identical outputs; against the CPU, probabilities agree to
    a few ulps and states except where a uniform lands within that rounding of
    its probability (cc/gibbs_sweeps/gibbs_sweeps_tiled.cu).

Returns:
  GibbsSweepsResult(v, h, v_prob, h_prob, h0_prob), NumPy arrays of shapes
  [B, V], [B, H], [B, V], [B, H], [B, H].

Raises:
  ValueError: for an `algorithm` other than "auto", "fused" or "tiled", or
    other than "auto" with device="cpu" (besides the shape and value checks).
  RuntimeError: for device="cuda" without a usable CUDA build and device, or
    algorithm="fused" when V + H does not fit in shared memory.
)doc");
  m.def("gibbs_cuda_algorithm", &gibbs_cuda_algorithm, py::arg("batch"), py::arg("visible"),
        py::arg("hidden"), py::arg("dtype") = "float32",
        R"doc(The CUDA path gibbs_sweeps(..., device="cuda", algorithm="auto") takes.

"fused" when V + H states fit in this device's shared memory and
batch <= 256, else "tiled". Needs a CUDA build and device (RuntimeError
otherwise), since the shared memory per block is the device's.

Args:
  batch, visible, hidden: B, V, H.
  dtype: float32 or float64 (anything numpy.dtype accepts).

Returns:
  "fused" or "tiled".
)doc");
}

}  // namespace bindings
}  // namespace kgen
