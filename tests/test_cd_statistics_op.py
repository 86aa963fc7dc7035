"""The TensorFlow op behind kgen_ops.cd_statistics, against NumPy and the native function."""

import numpy as np
import pytest
import tensorflow as tf

import kgen_ops
from kgen_ops.reference.cd_statistics import cd_statistics as reference
from kgen_ops.reference.cd_statistics import random_problem as problem

pytestmark = pytest.mark.skipif(not kgen_ops.op_library_loaded(), reason="op library not built")


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("sizes", [(7, 3, 5, 9), (100, 64, 784, 500)])
def test_op_matches_numpy_and_native(dtype, tolerance, sizes):
    inputs = problem(np.random.default_rng(3), *sizes, dtype, binary=False)
    got = kgen_ops.cd_statistics(*inputs)
    for value, expected in zip(got, reference(*inputs)):
        np.testing.assert_allclose(value.numpy(), expected, atol=tolerance, rtol=0)
    np.testing.assert_array_equal(got.w.numpy(), kgen_ops.native.cd_statistics(*inputs).w)


def test_static_shape_in_a_graph():
    @tf.function
    def statistics(v_pos, h_pos, v_neg, h_neg):
        return kgen_ops.cd_statistics(v_pos, h_pos, v_neg, h_neg).w

    concrete = statistics.get_concrete_function(
        tf.TensorSpec([None, 6]), tf.TensorSpec([None, 4]), tf.TensorSpec([None, 6]), tf.TensorSpec([None, 4])
    )
    assert concrete.output_shapes.as_list() == [6, 4]


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(h_pos=np.zeros((3, 4), np.float32)), r"`v_pos` and `h_pos` must have the same number of rows"),
        (dict(v_neg=np.zeros((5, 2), np.float32)), r"`v_pos` and `v_neg` must have the same number of visible units"),
        (dict(v_neg=np.zeros((0, 3), np.float32), h_neg=np.zeros((0, 4), np.float32)), r"each phase needs at least one row"),
    ],
)
def test_bad_shapes_are_invalid_argument_errors(change, match):
    valid = dict(
        v_pos=np.zeros((2, 3), np.float32),
        h_pos=np.zeros((2, 4), np.float32),
        v_neg=np.zeros((5, 3), np.float32),
        h_neg=np.zeros((5, 4), np.float32),
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        kgen_ops.cd_statistics(**{**valid, **change})


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(v_pos=np.full((2, 3), 255, np.float32)),
         r"CdStatistics: `v_pos` must be in \[0, 1\] \(binary states or probabilities\)\. Received: v_pos from 255 to 255"),
        (dict(h_neg=np.full((5, 4), np.nan, np.float32)), r"`h_neg` must be in \[0, 1\] .*Received: h_neg with NaN or infinite"),
    ],
)
def test_values_outside_the_unit_interval_are_refused_unless_validate_args_is_false(change, match):
    valid = dict(
        v_pos=np.ones((2, 3), np.float32),
        h_pos=np.full((2, 4), 0.5, np.float32),
        v_neg=np.zeros((5, 3), np.float32),
        h_neg=np.full((5, 4), 0.25, np.float32),
    )
    kgen_ops.cd_statistics(**valid)
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        kgen_ops.cd_statistics(**{**valid, **change})
    kgen_ops.cd_statistics(**{**valid, **change}, validate_args=False)


def test_dtype_mismatch_is_a_type_error():
    with pytest.raises(TypeError, match=r"`h_neg` must have the dtype of `v_pos` \(float32\)"):
        kgen_ops.cd_statistics(
            np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32),
            np.zeros((5, 3), np.float32), np.zeros((5, 4), np.float64),
        )
