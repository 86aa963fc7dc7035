// Op definition of Kgen>GibbsSweeps: k fused block-Gibbs sweeps of a binary
// RBM (mathematics and random-number layout in gibbs_sweeps/gibbs_sweeps.h).
#include "absl/status/status.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace kgen {

using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

REGISTER_OP("Kgen>GibbsSweeps")
    .Input("v_start: T")
    .Input("w: T")
    .Input("b_vis: T")
    .Input("b_hid: T")
    .Input("k: int32")
    .Input("seed: int64")
    .Output("v: T")
    .Output("h: T")
    .Output("v_prob: T")
    .Output("h_prob: T")
    .Output("h0_prob: T")
    .Attr("T: {float, double}")
    .SetIsStateful()  // not constant-folded or deduplicated: callers pass fresh seeds
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle v, w, b_vis, b_hid, k, seed;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 2, &v));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &w));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 1, &b_vis));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(3), 1, &b_hid));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(4), 0, &k));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(5), 1, &seed));
      DimensionHandle unused, batch = c->Dim(v, 0), visible, hidden;
      TF_RETURN_IF_ERROR(c->WithValue(c->Dim(seed, 0), 2, &unused));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(v, 1), c->Dim(w, 0), &visible));
      TF_RETURN_IF_ERROR(c->Merge(visible, c->Dim(b_vis, 0), &visible));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(w, 1), c->Dim(b_hid, 0), &hidden));
      const ShapeHandle visible_layer = c->Matrix(batch, visible);
      const ShapeHandle hidden_layer = c->Matrix(batch, hidden);
      c->set_output(0, visible_layer);
      c->set_output(1, hidden_layer);
      c->set_output(2, visible_layer);
      c->set_output(3, hidden_layer);
      c->set_output(4, hidden_layer);
      return absl::OkStatus();
    })
    .Doc(R"doc(
k block-Gibbs sweeps on each row of v_start, fused in one kernel. One sweep
samples h ~ p(h|v) then v ~ p(v|h), with p(h_j=1|v) = sigmoid(b_hid_j + (v W)_j)
and p(v_i=1|h) = sigmoid(b_vis_i + (W h)_i). Uniforms come from the Philox
stream of `seed`, indexed by (sweep, layer, element): the same on CPU and GPU
and for any thread count. NaN parameters give NaN probabilities and 0 states.

v_start: [B, V] starting visible states (or probabilities).
w: [V, H] weights.
b_vis: [V] visible biases.
b_hid: [H] hidden biases.
k: scalar >= 0, number of sweeps.
seed: int64[2], (key, stream).
v: [B, V] visible samples after k sweeps (v_start when k = 0).
h: [B, H] hidden samples drawn from h_prob.
v_prob: [B, V] p(v|h) of the last sweep (zeros when k = 0).
h_prob: [B, H] p(h|v) for the final v.
h0_prob: [B, H] p(h|v_start).
)doc");

}  // namespace kgen
