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
    .Input("velocities: N * resource")
    .Input("v: T")
    .Input("chains: T")
    .Input("k: int32")
    .Input("seed: int64")
    .Input("learning_rate: T")
    .Input("momentum: T")
    .Input("flip: int32")
    .Output("v_k: T")
    .Output("h0_softplus: T")
    .Output("flipped_softplus: T")
    .Output("h_softplus: T")
    .Output("reconstruction_error: T")
    .Attr("T: {float, double}")
    .Attr("N: int >= 0 = 0")
    .Attr("by_products: bool = false")
    .SetIsStateful()  // writes the variables; fresh seeds every call
    .SetShapeFn([](InferenceContext* c) {
      int num_velocities = 0;
      bool by_products = false;
      TF_RETURN_IF_ERROR(c->GetAttr("N", &num_velocities));
      TF_RETURN_IF_ERROR(c->GetAttr("by_products", &by_products));
      const int first = 3 + num_velocities;  // v
      ShapeHandle v, chains, k, seed, learning_rate, momentum;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(first), 2, &v));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(first + 1), 2, &chains));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(first + 2), 0, &k));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(first + 3), 1, &seed));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(first + 4), 0, &learning_rate));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(first + 5), 0, &momentum));
      DimensionHandle unused, visible;
      TF_RETURN_IF_ERROR(c->WithValue(c->Dim(seed, 0), 2, &unused));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(v, 1), c->Dim(chains, 1), &visible));
      c->set_output(0, c->Matrix(c->Dim(chains, 0), visible));
      ShapeHandle flip;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(first + 6), 1, &flip));
      const DimensionHandle rows_pos = by_products ? c->Dim(v, 0) : c->MakeDim(0);
      const DimensionHandle rows_neg = by_products ? c->Dim(chains, 0) : c->MakeDim(0);
      c->set_output(1, c->Vector(rows_pos));
      c->set_output(2, c->Vector(rows_pos));
      c->set_output(3, c->Vector(rows_neg));
      c->set_output(4, c->Vector(rows_pos));
      return absl::OkStatus();
    })
    .Doc(R"doc(
One contrastive-divergence step of SGD on a binary RBM, in place: k block-Gibbs
sweeps from `chains` (Kgen>GibbsSweeps, same seed layout), then

  W     += learning_rate * (v^T p(h|v) / B - v_k^T p(h|v_k) / M)
  b_vis += learning_rate * (mean(v, 0) - mean(v_k, 0))
  b_hid += learning_rate * (mean(p(h|v), 0) - mean(p(h|v_k), 0))

with the variables locked for the whole step. CD-k passes the data as
`chains`; PCD-k passes the persistent chains. With N = 3 velocity variables
(Keras' SGD with momentum, no Nesterov) each parameter P and its velocity m:

  m = momentum * m + learning_rate * statistics_P;  P += m

With by_products, the step also returns, per row, what the RBM's metrics
need, computed where the Gibbs kernel has the hidden inputs in hand (with
by_products false they are empty).

w: resource of a [V, H] variable of type T.
b_vis: resource of a [V] variable.
b_hid: resource of a [H] variable.
v: [B, V] the data (positive phase), B >= 1.
chains: [M, V] where the chains start (negative phase), M >= 1.
k: scalar >= 0, number of sweeps.
seed: int64[2], (key, stream).
velocities: 0 or 3 resources of variables shaped like w, b_vis, b_hid.
learning_rate: scalar step size.
momentum: scalar, used only with velocities.
flip: [B] with by_products (else [0]): a visible unit per row of v, in [0, V).
v_k: [M, V] the chains' visible states after the k sweeps.
h0_softplus: [B] sum_j softplus(a_j), a = b_hid + v W.
flipped_softplus: [B] sum_j softplus(a_j + (1 - 2 v[flip]) W[flip, j]): the
  same for v with its unit `flip` flipped.
h_softplus: [M] sum_j softplus((b_hid + v_k W)_j).
reconstruction_error: [B] sum_i (v_i - p(v_i | h_0))^2 with h_0 ~ p(h | v):
  the chains' first sweep for CD-k with k >= 1, else one sweep from v on the
  stream (seed[0], seed[1] ^ 2^63).
)doc");

}  // namespace kgen
