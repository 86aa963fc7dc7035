"""The TensorFlow op Kgen>GibbsSweeps (kgen_ops.gibbs_sweeps) against the NumPy reference.

The reference (kgen_ops/reference/gibbs_sweeps.py) draws the very same Philox uniforms and
sums in the kernel's order, so the sampled states must agree exactly and the
probabilities to 1e-5. The chain's law itself (frequencies against exact
enumeration) is tested on the shared kernel in tests/test_native_gibbs.py.
"""

import hashlib
import subprocess
import sys

import hypothesis
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import strategies as st

from kgen_ops.reference import gibbs_sweeps as reference
import kgen_ops

pytestmark = pytest.mark.skipif(not kgen_ops.op_library_loaded(), reason="op library not built")

FIELDS = ("v", "h", "v_prob", "h_prob", "h0_prob")


def op(problem, k, seed, validate_args=True):
    """Runs the op eagerly; returns a GibbsSweepsResult of NumPy arrays."""
    v, w, b_vis, b_hid = problem
    result = kgen_ops.gibbs_sweeps(v, w, b_vis, b_hid, k, seed, validate_args=validate_args)
    return kgen_ops.GibbsSweepsResult(*(t.numpy() for t in result))


def assert_matches_reference(got, problem, k, seed):
    expected = reference.gibbs_sweeps(*problem, k, seed)
    for name in ("v", "h"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    for name in ("v_prob", "h_prob", "h0_prob"):
        np.testing.assert_allclose(getattr(got, name), getattr(expected, name), rtol=0, atol=1e-5, err_msg=name)


def assert_identical(a, b):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


# (B, V, H): B = 1, and V, H not multiples of 4 (Philox blocks straddle rows).
SHAPES = [(1, 1, 1), (1, 7, 5), (3, 13, 9), (4, 8, 12), (10, 37, 23)]


@pytest.mark.parametrize("batch, visible, hidden", SHAPES)
@pytest.mark.parametrize("k", [0, 1, 2, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("binary", [True, False], ids=["binary", "probabilities"])
def test_op_equals_reference(batch, visible, hidden, k, dtype, binary):
    rng = np.random.default_rng([batch, visible, hidden, k, int(binary)])
    problem = reference.random_problem(rng, batch, visible, hidden, dtype, binary=binary, scale=2.0)
    seed = [int(s) for s in rng.integers(-(2**63), 2**63 - 1, size=2)]
    got = op(problem, k, seed)
    for name in FIELDS:
        assert getattr(got, name).dtype == dtype
    assert got.v.shape == got.v_prob.shape == (batch, visible)
    assert got.h.shape == got.h_prob.shape == got.h0_prob.shape == (batch, hidden)
    assert_matches_reference(got, problem, k, seed)
    if k == 0:
        np.testing.assert_array_equal(got.v, problem[0])
        np.testing.assert_array_equal(got.v_prob, 0)


def test_op_equals_reference_for_an_mnist_sized_rbm():
    problem = reference.random_problem(np.random.default_rng(1), 6, 784, 500, np.float32, scale=0.05)
    assert_matches_reference(op(problem, 2, [9, 10]), problem, 2, (9, 10))


def test_same_seed_same_result_and_seeds_matter():
    problem = reference.random_problem(np.random.default_rng(2), 8, 20, 12, np.float32)
    first = op(problem, 2, [7, 8])
    assert_identical(op(problem, 2, [7, 8]), first)
    for other in ([8, 8], [7, 9]):  # the key and the stream both change the draws
        assert not np.array_equal(op(problem, 2, other).h, first.h)


def test_op_equals_native():
    problem = reference.random_problem(np.random.default_rng(3), 33, 50, 29, np.float64)
    assert_identical(op(problem, 3, [1, -2]), kgen_ops.native.gibbs_sweeps(*problem, 3, [1, -2]))


THREAD_PROBLEM = "reference.random_problem(np.random.default_rng(4), 64, 100, 80, np.float32)"


def outputs_digest(result):
    return hashlib.sha256(b"".join(np.asarray(t).tobytes() for t in result)).hexdigest()


def test_one_and_two_intra_op_threads_give_identical_outputs():
    # TensorFlow fixes its thread pools at start-up, so one thread runs in a child process.
    # B = 64 chains of cost ~ 7 * V * H / 2 each: enough for the pool to split the batch.
    child = (
        "import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import numpy as np, tensorflow as tf\n"
        "tf.config.threading.set_intra_op_parallelism_threads(1)\n"
        "import hashlib, kgen_ops\n"
        "from kgen_ops.reference import gibbs_sweeps as reference\n"
        f"problem = {THREAD_PROBLEM}\n"
        "result = kgen_ops.gibbs_sweeps(*problem, 3, [5, 6])\n"
        "print(hashlib.sha256(b''.join(np.asarray(t).tobytes() for t in result)).hexdigest())\n"
    )
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    problem = eval(THREAD_PROBLEM)  # the same expression as in the child
    assert tf.config.threading.get_intra_op_parallelism_threads() in (0, 2)  # 0: all cores
    here = outputs_digest(kgen_ops.gibbs_sweeps(*problem, 3, [5, 6]))
    assert result.stdout.strip().splitlines()[-1] == here


def test_static_shapes_inside_tf_function():
    @tf.function
    def sweep(v, w, b_vis, b_hid, seed):
        return kgen_ops.gibbs_sweeps(v, w, b_vis, b_hid, 2, seed)

    concrete = sweep.get_concrete_function(
        tf.TensorSpec([None, 7], tf.float32),
        tf.TensorSpec([7, 5], tf.float32),
        tf.TensorSpec([7], tf.float32),
        tf.TensorSpec([5], tf.float32),
        tf.TensorSpec([2], tf.int64),
    )
    shapes = [s.as_list() for s in concrete.output_shapes]
    assert shapes == [[None, 7], [None, 5], [None, 7], [None, 5], [None, 5]]

    # Partly known shapes are merged: V from v, H from b_hid.
    merged = tf.function(kgen_ops.gibbs_sweeps).get_concrete_function(
        tf.TensorSpec([3, 7], tf.float64),
        tf.TensorSpec([None, None], tf.float64),
        tf.TensorSpec([None], tf.float64),
        tf.TensorSpec([5], tf.float64),
        tf.TensorSpec([], tf.int32),
        tf.TensorSpec([2], tf.int64),
    )
    assert [s.as_list() for s in merged.output_shapes] == [[3, 7], [3, 5], [3, 7], [3, 5], [3, 5]]

    problem = reference.random_problem(np.random.default_rng(5), 4, 7, 5, np.float32)
    assert_identical(
        kgen_ops.GibbsSweepsResult(*(t.numpy() for t in sweep(*problem, tf.constant([3, 4], tf.int64)))),
        op(problem, 2, [3, 4]),
    )


def test_two_calls_in_one_graph_are_not_merged():
    # The op is stateful, so two calls with different seeds stay two calls.
    @tf.function
    def two(v, w, b_vis, b_hid):
        return kgen_ops.gibbs_sweeps(v, w, b_vis, b_hid, 1, [1, 1]).h, kgen_ops.gibbs_sweeps(v, w, b_vis, b_hid, 1, [1, 2]).h

    problem = reference.random_problem(np.random.default_rng(6), 8, 10, 30, np.float32)
    first, second = two(*problem)
    np.testing.assert_array_equal(first.numpy(), op(problem, 1, [1, 1]).h)
    np.testing.assert_array_equal(second.numpy(), op(problem, 1, [1, 2]).h)


GRADIENT_MESSAGE = r"gibbs_sweeps is a sampler and has no gradient.*stop_gradient"


def gradient_function(autograph):
    v, w, b_vis, b_hid = reference.random_problem(np.random.default_rng(7), 2, 3, 4, np.float32)
    weights = tf.Variable(w)

    @tf.function(autograph=autograph)
    def gradient():
        with tf.GradientTape() as tape:
            result = kgen_ops.gibbs_sweeps(v, weights, b_vis, b_hid, 1, [0, 0])
            loss = tf.reduce_sum(result.h_prob)
        return tape.gradient(loss, weights)

    return gradient


def test_gradient_request_raises_lookup_error_inside_tf_function():
    with pytest.raises(LookupError, match=GRADIENT_MESSAGE):
        gradient_function(autograph=False)()


def test_gradient_request_under_autograph_keeps_the_message():
    # AutoGraph re-raises errors it cannot rebuild as StagingError: the message survives.
    with pytest.raises(Exception, match=GRADIENT_MESSAGE):
        gradient_function(autograph=True)()


def test_gradient_request_under_autograph_is_a_lookup_error():
    # AutoGraph re-raises only exception types whose __init__ is Exception.__init__;
    # GibbsSweepsGradientError is built that way so the type survives.
    with pytest.raises(LookupError, match=GRADIENT_MESSAGE):
        gradient_function(autograph=True)()


def test_stop_gradient_outputs_give_no_gradient_and_no_error():
    v, w, b_vis, b_hid = reference.random_problem(np.random.default_rng(8), 2, 3, 4, np.float32)
    weights = tf.Variable(w)
    with tf.GradientTape() as tape:
        result = kgen_ops.gibbs_sweeps(v, tf.stop_gradient(weights), b_vis, b_hid, 1, [0, 0])
        loss = tf.reduce_sum(result.h_prob)
    assert tape.gradient(loss, weights) is None


# ---------------------------------------------------------------------------
# Errors and edge cases


def zeros(*shape, dtype=np.float32):
    return np.zeros(shape, dtype)


VALID = dict(v=zeros(2, 3), w=zeros(3, 4), b_vis=zeros(3), b_hid=zeros(4), k=1, seed=[1, 2])

# (changes to VALID, eager InvalidArgumentError message, tf.function ValueError message).
# Eagerly the kernel checks; in a graph the shape function rejects the call at trace time.
BAD_INPUTS = [
    (dict(v=zeros(2, 5)), r"GibbsSweeps: `v` has 5 visible units but `w` has shape \[3,4\] \(expected v of shape \[B, 3\]\)", r"Dimensions must be equal, but are 5 and 3"),
    (dict(b_vis=zeros(4)), r"GibbsSweeps: `b_vis` must have shape \[3\] to match `w` \[3,4\], got shape \[4\]", r"Dimensions must be equal, but are 3 and 4"),
    (dict(b_hid=zeros(3)), r"GibbsSweeps: `b_hid` must have shape \[4\] to match `w` \[3,4\], got shape \[3\]", r"Dimensions must be equal, but are 4 and 3"),
    (dict(v=zeros(3)), r"GibbsSweeps: `v` must be rank 2 \[B, V\], got shape \[3\]", r"Shape must be rank 2 but is rank 1"),
    (dict(w=zeros(3, 4, 1)), r"GibbsSweeps: `w` must be rank 2 \[V, H\], got shape \[3,4,1\]", r"Shape must be rank 2 but is rank 3"),
    (dict(b_vis=zeros(3, 1)), r"GibbsSweeps: `b_vis` must be rank 1 \[V\], got shape \[3,1\]", r"Shape must be rank 1 but is rank 2"),
    (dict(k=[1]), r"GibbsSweeps: `k` must be a scalar, got shape \[1\]", r"Shape must be rank 0 but is rank 1"),
    (dict(seed=[1, 2, 3]), r"GibbsSweeps: `seed` must have shape \[2\], got shape \[3\]", r"Dimension must be 2 but is 3"),
    (dict(seed=[[1, 2]]), r"GibbsSweeps: `seed` must have shape \[2\], got shape \[1,2\]", r"Shape must be rank 1 but is rank 2"),
]


@pytest.mark.parametrize("changes, eager_match, graph_match", BAD_INPUTS)
def test_bad_inputs_raise_clear_errors(changes, eager_match, graph_match):
    args = {**VALID, **changes}
    with pytest.raises(tf.errors.InvalidArgumentError, match=eager_match):
        kgen_ops.gibbs_sweeps(**args)
    with pytest.raises(ValueError, match=graph_match):
        tf.function(lambda: kgen_ops.gibbs_sweeps(**args)).get_concrete_function()


def test_negative_k_is_an_invalid_argument_eagerly_and_in_a_graph():
    # k is a value, not a shape: the kernel checks it at run time in both modes.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"GibbsSweeps: `k` must be >= 0, got -1"):
        kgen_ops.gibbs_sweeps(**{**VALID, "k": -1})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"GibbsSweeps: `k` must be >= 0, got -3"):
        tf.function(lambda k: kgen_ops.gibbs_sweeps(**{**VALID, "k": k}))(tf.constant(-3))


def test_integer_weights_raise_type_error():
    with pytest.raises(TypeError, match=r"`w` must be float32 or float64\. Received: w\.dtype=int32"):
        kgen_ops.gibbs_sweeps(**{**VALID, "w": zeros(3, 4, dtype=np.int32)})


@pytest.mark.parametrize(
    "name, value",
    [
        ("v", tf.zeros([2, 3], tf.float64)),
        ("v", np.zeros([2, 3], np.float64)),
        ("b_hid", np.zeros([4], np.float64)),
    ],
)
def test_another_float_dtype_is_rejected_as_by_the_native_function(name, value):
    # Neither a float64 tensor nor a float64 NumPy array is cast silently to w's float32.
    with pytest.raises(TypeError, match=rf"`{name}` must have the dtype of `w` \(float32\)\. Received: {name}\.dtype=float64"):
        kgen_ops.gibbs_sweeps(**{**VALID, name: value})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_weights_give_nan_probabilities_and_zero_states(dtype):
    # A NaN column of W: p(h_2 | v) is NaN for every v with an active unit, the
    # draw u < NaN is false, so h_2 = 0 always and p(v | h) stays finite. No crash.
    v, w, b_vis, b_hid = reference.random_problem(np.random.default_rng(9), 4, 6, 5, dtype)
    v[:, 0] = 1
    w[:, 2] = np.nan
    # The kernel's own behaviour: the wrapper's check (on by default) refuses NaN.
    got = op((v, w, b_vis, b_hid), 3, [1, 1], validate_args=False)
    assert np.isnan(got.h0_prob[:, 2]).all() and not np.isnan(got.h0_prob[:, [0, 1, 3, 4]]).any()
    np.testing.assert_array_equal(got.h[:, 2], 0)
    assert np.isfinite(got.v_prob).all()
    assert_matches_reference(got, (v, w, b_vis, b_hid), 3, (1, 1))


def test_all_nan_parameters_give_nan_probabilities_and_all_zero_states():
    v, w, b_vis, b_hid = reference.random_problem(np.random.default_rng(10), 3, 5, 4, np.float32)
    v[:] = 1
    nan_parameters = (np.full_like(w, np.nan), np.full_like(b_vis, np.nan), np.full_like(b_hid, np.nan))
    got = op((v, *nan_parameters), 2, [0, 1], validate_args=False)
    assert np.isnan(got.v_prob).all() and np.isnan(got.h_prob).all() and np.isnan(got.h0_prob).all()
    np.testing.assert_array_equal(got.v, 0)
    np.testing.assert_array_equal(got.h, 0)


# (changes to VALID, the eager message). The wrapper checks the values before the op.
BAD_VALUES = [
    (dict(v=np.full((2, 3), 255, np.float32)),
     r"GibbsSweeps: `v` must be in \[0, 1\] \(binary states or probabilities\)\. Received: v from 255 to 255"),
    (dict(v=np.full((2, 3), -0.5, np.float32)), r"`v` must be in \[0, 1\] .*Received: v from -0\.5 to -0\.5"),
    (dict(v=np.full((2, 3), np.nan, np.float32)), r"`v` must be in \[0, 1\] .*Received: v with NaN or infinite values"),
    (dict(w=np.full((3, 4), np.nan, np.float32)), r"GibbsSweeps: `w` must be finite\. Received: w with NaN or infinite values"),
    (dict(b_vis=np.full(3, np.inf, np.float32)), r"`b_vis` must be finite\. Received: b_vis with NaN or infinite"),
    (dict(b_hid=np.full(4, -np.inf, np.float32)), r"`b_hid` must be finite\. Received: b_hid with NaN or infinite"),
]


@pytest.mark.parametrize("change, match", BAD_VALUES)
def test_values_out_of_range_or_not_finite_are_refused(change, match):
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        kgen_ops.gibbs_sweeps(**{**VALID, **change})


def test_values_are_checked_when_a_tf_function_runs():
    run = tf.function(lambda v: kgen_ops.gibbs_sweeps(v, *(VALID[n] for n in ("w", "b_vis", "b_hid", "k", "seed"))).v)
    run(tf.constant(zeros(2, 3)))  # traces and runs
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"GibbsSweeps: `v` must be in \[0, 1\]"):
        run(tf.constant(np.full((2, 3), 255, np.float32)))


def test_probabilities_pass_and_validate_args_false_skips_the_check():
    kgen_ops.gibbs_sweeps(**{**VALID, "v": np.full((2, 3), 0.5, np.float32)})
    # Unchecked, the kernel runs on 0-255 values (k = 0 returns the input).
    got = kgen_ops.gibbs_sweeps(**{**VALID, "v": np.full((2, 3), 255, np.float32), "k": 0}, validate_args=False)
    np.testing.assert_array_equal(got.v.numpy(), 255)


@pytest.mark.parametrize(
    "batch, visible, hidden",
    [(0, 5, 3), (4, 0, 3), (4, 5, 0), (0, 0, 0)],
    ids=["B=0", "V=0", "H=0", "all-zero"],
)
@pytest.mark.parametrize("k", [0, 2])
def test_empty_sizes(batch, visible, hidden, k):
    # Observed and expected: B = 0 gives empty outputs of shapes [0, V] / [0, H];
    # V = 0 gives p(h | v) = sigmoid(b_hid) (an empty sum) and empty v, v_prob;
    # H = 0 gives p(v | h) = sigmoid(b_vis) and empty h, h_prob, h0_prob.
    problem = reference.random_problem(np.random.default_rng(11), batch, visible, hidden, np.float32)
    got = op(problem, k, [0, 0])
    assert got.v.shape == got.v_prob.shape == (batch, visible)
    assert got.h.shape == got.h_prob.shape == got.h0_prob.shape == (batch, hidden)
    assert_matches_reference(got, problem, k, (0, 0))
    if visible == 0 and batch > 0:
        np.testing.assert_allclose(got.h0_prob, np.broadcast_to(reference.sigmoid(problem[3]), (batch, hidden)))
    if hidden == 0 and batch > 0 and k > 0:
        np.testing.assert_allclose(got.v_prob, np.broadcast_to(reference.sigmoid(problem[2]), (batch, visible)))


# ---------------------------------------------------------------------------
# Fuzz: random shapes (zero sizes included), k, dtypes and seeds, op against reference

INT64 = st.integers(-(2**63), 2**63 - 1)


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(
    batch=st.integers(0, 6),
    visible=st.integers(0, 11),
    hidden=st.integers(0, 11),
    k=st.integers(0, 4),
    dtype=st.sampled_from([np.float32, np.float64]),
    binary=st.booleans(),
    scale=st.sampled_from([0.1, 1.0, 5.0]),
    data_seed=st.integers(0, 2**32 - 1),
    seed=st.tuples(INT64, INT64),
)
def test_fuzz_op_equals_reference(batch, visible, hidden, k, dtype, binary, scale, data_seed, seed):
    problem = reference.random_problem(np.random.default_rng(data_seed), batch, visible, hidden, dtype, binary, scale)
    assert_matches_reference(op(problem, k, list(seed)), problem, k, seed)
