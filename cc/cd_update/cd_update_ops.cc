// Op definition of Kgen>CdUpdate: one CD-k (or PCD-k) step of plain SGD on a
// binary RBM's variables, in place (kernel in cd_update/cd_update_kernels.cc).
#include "absl/status/status.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace kgen {

using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

REGISTER_OP("Kgen>CdUpdate")
    .Input("w: resource")
    .Input("b_vis: resource")
    .Input("b_hid: resource")
    .Input("v: T")
    .Input("chains: T")
    .Input("k: int32")
    .Input("seed: int64")
    .Input("learning_rate: T")
    .Output("v_k: T")
    .Attr("T: {float, double}")
    .SetIsStateful()  // writes the variables; fresh seeds every call
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle v, chains, k, seed, learning_rate;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(3), 2, &v));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(4), 2, &chains));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(5), 0, &k));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(6), 1, &seed));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(7), 0, &learning_rate));
      DimensionHandle unused, visible;
      TF_RETURN_IF_ERROR(c->WithValue(c->Dim(seed, 0), 2, &unused));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(v, 1), c->Dim(chains, 1), &visible));
      c->set_output(0, c->Matrix(c->Dim(chains, 0), visible));
      return absl::OkStatus();
    })
    .Doc(R"doc(
One contrastive-divergence step of SGD on a binary RBM, in place: k block-Gibbs
sweeps from `chains` (Kgen>GibbsSweeps, same seed layout), then

  W     += learning_rate * (v^T p(h|v) / B - v_k^T p(h|v_k) / M)
  b_vis += learning_rate * (mean(v, 0) - mean(v_k, 0))
  b_hid += learning_rate * (mean(p(h|v), 0) - mean(p(h|v_k), 0))

with the variables locked for the whole step. CD-k passes the data as
`chains`; PCD-k passes the persistent chains.

w: resource of a [V, H] variable of type T.
b_vis: resource of a [V] variable.
b_hid: resource of a [H] variable.
v: [B, V] the data (positive phase), B >= 1.
chains: [M, V] where the chains start (negative phase), M >= 1.
k: scalar >= 0, number of sweeps.
seed: int64[2], (key, stream).
learning_rate: scalar step size.
v_k: [M, V] the chains' visible states after the k sweeps.
)doc");

}  // namespace kgen
