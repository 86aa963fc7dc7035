// Op definition of Kgen>PhiloxRandom: a counter-based Philox-4x32-10 stream
// (see philox/philox.h), as raw uint32 words or float32 in [0, 1).
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace kgen {

using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

REGISTER_OP("Kgen>PhiloxRandom")
    .Input("shape: shape_dtype")
    .Input("seed: int64")
    .Output("output: dtype")
    .Attr("dtype: {float, uint32}")
    .Attr("shape_dtype: {int32, int64} = DT_INT64")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle seed;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 1, &seed));
      ::tensorflow::shape_inference::DimensionHandle unused;
      TF_RETURN_IF_ERROR(c->WithValue(c->Dim(seed, 0), 2, &unused));
      ShapeHandle out;
      TF_RETURN_IF_ERROR(c->MakeShapeFromShapeTensor(0, &out));
      c->set_output(0, out);
      return absl::OkStatus();
    })
    .Doc(R"doc(
Element i (row-major) of the output is element i of the Philox-4x32-10 stream
with key seed[0] and counter high word seed[1]: word (i mod 4) of
philox4x32_10(counter={i/4, seed[1]}, key=seed[0]). Identical to
StatelessRandomUniformFullIntV2(key=[seed[0]], counter=[0, seed[1]], alg=1)
for dtype uint32; for float32 each word w becomes (w >> 8) * 2^-24 in [0, 1).

shape: 1-D, the output shape; every entry >= 0.
seed: int64[2], (key, stream).
output: the stream, of the given shape and dtype.
)doc");

}  // namespace kgen
