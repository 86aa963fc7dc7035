"""kgen_ops.native.cd_statistics against the float64 NumPy reference (kgen_ops/reference/cd_statistics.py).

No TensorFlow import: this file also runs on the GPU machine, where the CUDA
case executes (elsewhere it is skipped).

Tolerance: the kernel sums at most B + M float32 terms of size <= 1/B per
entry; float32 rounding then bounds the error by about (B + M) * 2**-24, well
under the 1e-5 absolute tolerance used for float32 below (1e-12 for float64).
"""

import numpy as np
import pytest

from kgen_ops import native
from kgen_ops.reference.cd_statistics import cd_statistics as reference
from kgen_ops.reference.cd_statistics import random_problem as problem

pytestmark = pytest.mark.skipif(native is None, reason="kgen_ops.native was not built")
CUDA = native is not None and native.built_with_cuda() and native.cuda_device_count() > 0


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("sizes", [(1, 1, 1, 1), (7, 3, 5, 9), (100, 64, 784, 500), (20, 30, 33, 130)])
def test_matches_numpy(dtype, tolerance, binary, sizes):
    inputs = problem(np.random.default_rng(sum(sizes)), *sizes, dtype, binary)
    got = native.cd_statistics(*inputs)
    for value, expected in zip(got, reference(*inputs)):
        assert value.dtype == dtype and value.shape == expected.shape
        np.testing.assert_allclose(value, expected, atol=tolerance, rtol=0)


def test_thread_count_does_not_change_the_result():
    inputs = problem(np.random.default_rng(5), 100, 100, 784, 500, np.float32)
    single = native.cd_statistics(*inputs, num_threads=1)
    for threads in (2, 3, 0):
        for a, b in zip(native.cd_statistics(*inputs, num_threads=threads), single):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("visible, hidden", [(0, 3), (3, 0)])
def test_empty_units_give_empty_weights_and_the_other_biases(visible, hidden):
    # No visible (or hidden) units: W is empty, but the other layer's bias part
    # is still mean(h_pos) - mean(h_neg) (or mean(v_pos) - mean(v_neg)).
    inputs = problem(np.random.default_rng(0), 4, 2, visible, hidden, np.float32, binary=False)
    got = native.cd_statistics(*inputs)
    for name, value, expected in zip(("w", "b_vis", "b_hid"), got, reference(*inputs)):
        assert value.dtype == np.float32 and value.shape == expected.shape, name
        np.testing.assert_allclose(value, expected, atol=1e-6, rtol=0, err_msg=name)


ERRORS = [
    (dict(v_pos=np.zeros((2, 3, 1), np.float32)), ValueError, r"`v_pos` must be rank 2"),
    (dict(h_pos=np.zeros((3, 4), np.float32)), ValueError, r"must have matching rows"),
    (dict(v_neg=np.zeros((5, 2), np.float32), h_neg=np.zeros((5, 4), np.float32)), ValueError,
     r"same visible and hidden sizes"),
    (dict(v_neg=np.zeros((0, 3), np.float32), h_neg=np.zeros((0, 4), np.float32)), ValueError,
     r"each phase needs at least one row"),
    (dict(h_neg=np.zeros((5, 4), np.float64)), TypeError, r"`h_neg` must have the dtype of `v_pos`"),
    (dict(v_pos=np.zeros((2, 3), np.int32)), TypeError, r"`v_pos` must be float32 or float64"),
]


@pytest.mark.parametrize("change, error, match", ERRORS)
def test_bad_input_is_a_clear_error(change, error, match):
    valid = dict(
        v_pos=np.zeros((2, 3), np.float32),
        h_pos=np.zeros((2, 4), np.float32),
        v_neg=np.zeros((5, 3), np.float32),
        h_neg=np.zeros((5, 4), np.float32),
    )
    with pytest.raises(error, match=match):
        native.cd_statistics(**{**valid, **change})


@pytest.mark.skipif(not CUDA, reason="no CUDA device or CUDA build")
@pytest.mark.parametrize("sizes", [(7, 3, 5, 9), (100, 64, 784, 500), (256, 256, 4096, 1000)])
def test_cuda_matches_cpu(sizes):
    # Same terms in the same order; CUDA contracts multiply-adds (FMA), so allow rounding.
    inputs = problem(np.random.default_rng(1), *sizes, np.float32)
    for a, b in zip(native.cd_statistics(*inputs, device="cuda"), native.cd_statistics(*inputs)):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
