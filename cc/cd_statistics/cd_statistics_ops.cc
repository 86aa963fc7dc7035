// Op definition of Kgen>CdStatistics (mathematics in cd_statistics/cd_statistics.h).
#include "absl/status/status.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace kgen {

using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

REGISTER_OP("Kgen>CdStatistics")
    .Input("v_pos: T")
    .Input("h_pos: T")
    .Input("v_neg: T")
    .Input("h_neg: T")
    .Output("grad_w: T")
    .Attr("T: {float, double}")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle v_pos, h_pos, v_neg, h_neg;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 2, &v_pos));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &h_pos));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 2, &v_neg));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(3), 2, &h_neg));
      DimensionHandle unused, visible, hidden;
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(v_pos, 0), c->Dim(h_pos, 0), &unused));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(v_neg, 0), c->Dim(h_neg, 0), &unused));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(v_pos, 1), c->Dim(v_neg, 1), &visible));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(h_pos, 1), c->Dim(h_neg, 1), &hidden));
      c->set_output(0, c->Matrix(visible, hidden));
      return absl::OkStatus();
    })
    .Doc(R"doc(
The weight part of the contrastive-divergence statistics of a binary RBM:
grad_w = v_pos^T h_pos / B - v_neg^T h_neg / M, summing only the rows whose
visible value is nonzero (0/1 states make that a fraction of the products).

v_pos: [B, V] positive-phase visible values (the data), B >= 1.
h_pos: [B, H] positive-phase hidden probabilities p(h | v_pos).
v_neg: [M, V] negative-phase visible states (the chains), M >= 1.
h_neg: [M, H] negative-phase hidden probabilities p(h | v_neg).
grad_w: [V, H] positive minus negative phase.
)doc");

}  // namespace kgen
