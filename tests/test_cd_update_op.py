"""The fused CD-k / PCD-k SGD step kgen_ops.cd_update (op Kgen>CdUpdate).

One call is, on the parameters before the update,

    v_k    = gibbs_sweeps(chains or v, W, b_vis, b_hid, k, seed).v
    W     += lr * (v^T p(h|v) / B - v_k^T p(h|v_k) / M)
    b_vis += lr * (mean(v, 0) - mean(v_k, 0))
    b_hid += lr * (mean(p(h|v), 0) - mean(p(h|v_k), 0))

checked here against the unfused ops (gibbs_sweeps + cd_statistics +
assign_add), against a float64 NumPy evaluation of these formulas
(kgen_ops/reference/cd_update.py), for
copy-on-write of earlier reads, ordering and determinism inside tf.function,
independence of the thread count, errors (nothing written on failure), and
that a few hundred steps raise the exact log-likelihood of a tiny RBM.

Tolerances (float32 has a unit roundoff of 2**-24 ~ 6e-8):
  * fused vs unfused: both sum the same float32 products (the probabilities
    come bit for bit from the same Gibbs kernel), only in another order (the
    fused kernel starts the sum at the old W). Each of the <= B + M nonzero
    terms adds at most half an ulp of a running value |W| + lr <= ~1.2 (ulp
    1.2e-7), so with B + M <= 12 the two differ by < 12 * 6e-8 = 7.2e-7:
    tolerance 1e-6. In float64 the same count of half-ulps (1.1e-16) is
    < 1e-14: tolerance 1e-12.
  * fused vs NumPy float64: the kernel's probabilities are float32 (pre-
    activation sums of up to V float32 terms, ~V * 6e-8 * |x W| relative, and
    the sigmoid within an ulp), so p(h|x) differs from the float64 value by
    < ~2e-6 for the MNIST-sized case (784 terms of |W| <= 0.25) and far less
    for the small ones; averaged and scaled by lr = 0.1 that is < 1e-6, plus
    the accumulation rounding above (at most B + M = 200 half-ulps of values
    <= 0.35, i.e. < 6e-6 in the worst case, ~sqrt(200) times less typically).
    Tolerance 1e-5; float64: 1e-12.
"""

import ctypes
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from kgen_ops.reference import gibbs_sweeps as reference
from kgen_ops.reference.cd_update import sgd_step
import kgen_ops

pytestmark = pytest.mark.skipif(not kgen_ops.op_library_loaded(), reason="op library not built")

LEARNING_RATE = 0.1
# (fused vs unfused, fused vs NumPy float64) absolute tolerances; see the module docstring.
TOLERANCES = {np.float32: (1e-6, 1e-5), np.float64: (1e-12, 1e-12)}


def make_problem(rng, batch, visible, hidden, dtype, chains=None, binary=True, scale=0.3):
    """NumPy (v, w, b_vis, b_hid, chains-or-None); chains: number of PCD chain rows."""
    v, w, b_vis, b_hid = reference.random_problem(rng, batch, visible, hidden, dtype, binary=binary, scale=scale)
    start = None
    if chains is not None:
        start = rng.random((chains, visible))
        start = (start < 0.5 if binary else start).astype(dtype)
    return v, w, b_vis, b_hid, start


def variables(w, b_vis, b_hid):
    # np.array(..., copy=True): the variables never share memory with the caller's arrays.
    return tuple(tf.Variable(np.array(a, copy=True)) for a in (w, b_vis, b_hid))


def values(*vs):
    return tuple(np.array(x.numpy(), copy=True) for x in vs)


def assert_close(got, expected, atol):
    for name, a, b in zip(("w", "b_vis", "b_hid"), got, expected):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=0, atol=atol, err_msg=name)


# ---------------------------------------------------------------------------
# 1. The fused step equals the unfused ops


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [0, 1, 3])
@pytest.mark.parametrize("chains", [None, 4, 6], ids=["CD", "PCD-M4", "PCD-M6"])  # B = 6
def test_equals_gibbs_sweeps_plus_cd_statistics_plus_assign_add(dtype, k, chains):
    rng = np.random.default_rng([k, 0 if chains is None else chains, np.dtype(dtype).itemsize])
    v, w, b_vis, b_hid, start = make_problem(rng, 6, 13, 9, dtype, chains=chains)  # B + M <= 12
    seed = [int(s) for s in rng.integers(-(2**63), 2**63 - 1, size=2)]

    fused = variables(w, b_vis, b_hid)
    v_k = kgen_ops.cd_update(v, *fused, k, seed, LEARNING_RATE, chains=start)

    unfused = variables(w, b_vis, b_hid)
    chain = kgen_ops.gibbs_sweeps(v if start is None else start, *unfused, k, seed)
    h_pos = kgen_ops.gibbs_sweeps(v, *unfused, 0, seed).h0_prob
    statistics = kgen_ops.cd_statistics(v, h_pos, chain.v, chain.h_prob)
    for variable, statistic in zip(unfused, statistics):
        variable.assign_add(LEARNING_RATE * statistic)

    rows = len(v) if start is None else len(start)
    assert v_k.dtype == dtype and v_k.shape == (rows, 13)
    np.testing.assert_array_equal(v_k.numpy(), chain.v.numpy())
    if k == 0:
        np.testing.assert_array_equal(v_k.numpy(), v if start is None else start)
    got, expected = values(*fused), values(*unfused)
    assert_close(got, expected, TOLERANCES[dtype][0])
    if k == 0 and start is None:
        # CD-0: both phases are the data. The bias statistics are the same sums taken twice
        # (exactly 0); W's rows add and subtract the same terms onto W (rounding only).
        np.testing.assert_array_equal(got[1], b_vis)
        np.testing.assert_array_equal(got[2], b_hid)
        np.testing.assert_allclose(got[0], w, rtol=0, atol=TOLERANCES[dtype][0])
    else:
        assert np.abs(got[0] - w).max() > 1e-3  # a real step, far above the tolerance


def test_zero_learning_rate_leaves_the_variables_bitwise_unchanged():
    # W + 0 * x == W exactly, so any stray write (or a step not scaled by lr) shows.
    v, w, b_vis, b_hid, start = make_problem(np.random.default_rng(20), 5, 11, 7, np.float32, chains=3)
    state = variables(w, b_vis, b_hid)
    v_k = kgen_ops.cd_update(v, *state, 2, [3, 4], 0.0, chains=start)
    for got, initial in zip(values(*state), (w, b_vis, b_hid)):
        np.testing.assert_array_equal(got, initial)
    np.testing.assert_array_equal(v_k.numpy(), kgen_ops.gibbs_sweeps(start, w, b_vis, b_hid, 2, [3, 4]).v.numpy())


# ---------------------------------------------------------------------------
# 2, 3. Against the formulas in float64 NumPy (binary and grey data)


@pytest.mark.parametrize(
    "batch, visible, hidden, chains, k, dtype, binary, scale",
    [
        (6, 13, 9, None, 1, np.float32, True, 0.3),
        (5, 10, 17, 7, 2, np.float32, True, 0.3),
        (6, 13, 9, None, 3, np.float64, True, 0.3),
        (4, 9, 6, 3, 1, np.float64, True, 0.3),
        (100, 784, 500, None, 1, np.float32, True, 0.05),  # MNIST-sized
    ],
    ids=["cd1-f32", "pcd2-f32", "cd3-f64", "pcd1-f64", "mnist-cd1-f32"],
)
def test_update_matches_numpy_formulas(batch, visible, hidden, chains, k, dtype, binary, scale):
    rng = np.random.default_rng([batch, visible, hidden, k])
    v, w, b_vis, b_hid, start = make_problem(rng, batch, visible, hidden, dtype, chains, binary, scale)
    state = variables(w, b_vis, b_hid)
    v_k = kgen_ops.cd_update(v, *state, k, [11, 12], LEARNING_RATE, chains=start).numpy()
    assert set(np.unique(v_k)) <= {0, 1}
    assert_close(values(*state), sgd_step(v, v_k, w, b_vis, b_hid, LEARNING_RATE), TOLERANCES[dtype][1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k, chains", [(1, None), (0, 5), (2, 5)], ids=["cd1", "pcd0-grey-chains", "pcd2"])
def test_grey_data_matches_numpy_formulas(dtype, k, chains):
    # Grey values in [0, 1): the kernel scales each row of p(h|.) by the value instead of
    # just selecting it. With k = 0 the grey chains themselves are the negative phase.
    rng = np.random.default_rng([7, k, np.dtype(dtype).itemsize])
    v, w, b_vis, b_hid, start = make_problem(rng, 6, 12, 8, dtype, chains, binary=False)
    assert ((v > 0) & (v < 1)).mean() > 0.9  # really grey
    state = variables(w, b_vis, b_hid)
    v_k = kgen_ops.cd_update(v, *state, k, [5, 6], LEARNING_RATE, chains=start).numpy()
    if k == 0:
        np.testing.assert_array_equal(v_k, start)
    assert_close(values(*state), sgd_step(v, v_k, w, b_vis, b_hid, LEARNING_RATE), TOLERANCES[dtype][1])


def test_learning_rate_as_a_tensor_equals_a_python_float():
    v, w, b_vis, b_hid, _ = make_problem(np.random.default_rng(21), 6, 10, 7, np.float32)
    a, b = variables(w, b_vis, b_hid), variables(w, b_vis, b_hid)
    kgen_ops.cd_update(v, *a, 1, [1, 1], 0.25)
    kgen_ops.cd_update(v, *b, 1, [1, 1], tf.constant(0.25))
    for x, y in zip(values(*a), values(*b)):
        np.testing.assert_array_equal(x, y)
    assert np.abs(values(*a)[0] - w).max() > 1e-3


@pytest.mark.parametrize("chains", [None, 5], ids=["CD", "PCD"])
@pytest.mark.parametrize("momentum", [None, 0.9], ids=["sgd", "momentum"])
def test_unfused_fallback_for_gpu_variables_equals_the_fused_op(chains, momentum):
    # The path `cd_update`/`cd_step` take for variables on a GPU (no GPU here:
    # called directly on CPU variables). Tolerance as in test 1.
    from kgen_ops.cd_update import _unfused_step

    v, w, b_vis, b_hid, start = make_problem(np.random.default_rng(22), 6, 10, 7, np.float32, chains=chains)
    rng = np.random.default_rng(23)
    velocity = [rng.normal(size=a.shape).astype(np.float32) * 0.01 for a in (w, b_vis, b_hid)]
    flip = rng.integers(0, 10, 6).astype(np.int32)
    fused, unfused = variables(w, b_vis, b_hid), variables(w, b_vis, b_hid)
    fused_m, unfused_m = (None, None) if momentum is None else (variables(*velocity), variables(*velocity))
    result = kgen_ops.cd_step(
        v, *fused, 2, [5, 6], 0.1, flip, chains=start, momentum=momentum, velocities=fused_m
    )
    v_tensor = tf.constant(v)
    chain_start = v_tensor if start is None else tf.constant(start)
    expected = _unfused_step(
        v_tensor, *unfused, tf.constant(2), tf.constant([5, 6], tf.int64), tf.constant(0.1),
        chain_start, tf.constant(momentum or 0.0), unfused_m, tf.constant(flip),
    )
    np.testing.assert_array_equal(result.v_k.numpy(), expected.v_k.numpy())
    for name in ("h0_softplus", "flipped_softplus", "h_softplus", "reconstruction_error"):
        np.testing.assert_allclose(getattr(result, name).numpy(), getattr(expected, name).numpy(),
                                   rtol=0, atol=1e-5, err_msg=name)
    assert_close(values(*unfused), values(*fused), 1e-6)
    if momentum is not None:
        assert_close(values(*unfused_m), values(*fused_m), 1e-6)
    assert np.abs(values(*unfused)[0] - w).max() > 1e-3


@pytest.mark.parametrize("k, chains", [(1, None), (3, None), (0, None), (2, 5)],
                         ids=["CD-1", "CD-3", "CD-0", "PCD-2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cd_step_by_products_and_momentum_match_numpy_formulas(k, chains, dtype):
    # By-products against their formulas in float64 NumPy on the parameters
    # before the step (the chain is the reference's exactly, same Philox
    # uniforms), and the momentum update m = mu m + lr stats, P += m. H = 37:
    # two 16-lane vectors and a scalar tail of the float32 softplus. Weights
    # of scale 5 put hidden inputs beyond +-20, both tails of softplus.
    # Tolerances: a float32 softplus term is within 1e-7 absolute of its
    # float32 input, whose own rounding (|a| <= 60: 60 * 6e-8 = 4e-6) moves
    # it as much; a row sums 37 such terms: 37 * 4e-6 < 3e-4. float64 1e-10.
    from kgen_ops.cd_update import data_run_seed
    from kgen_ops.reference.cd_update import sgd_step
    from kgen_ops.reference.gibbs_sweeps import gibbs_sweeps as reference_gibbs

    rng = np.random.default_rng(31 + k)
    v, w, b_vis, b_hid, start = make_problem(rng, 6, 10, 37, dtype, chains=chains, scale=5.0)
    velocity = [(rng.normal(size=a.shape) * 0.01).astype(dtype) for a in (w, b_vis, b_hid)]
    flip = rng.integers(0, 10, 6).astype(np.int32)
    parameters, velocities = variables(w, b_vis, b_hid), variables(*velocity)
    seed = [7, 8]
    result = kgen_ops.cd_step(v, *parameters, k, seed, 0.1, flip, chains=start, momentum=0.5,
                              velocities=velocities)
    chain = reference_gibbs(v if start is None else start, w, b_vis, b_hid, k, seed)
    np.testing.assert_array_equal(result.v_k.numpy(), chain.v)
    atol = 3e-4 if dtype == np.float32 else 1e-10

    def close(got, expected, name):
        np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=atol, err_msg=name)

    v64, w64 = v.astype(np.float64), w.astype(np.float64)
    activation = b_hid + v64 @ w64
    assert np.abs(activation).max() > 20  # the tails are exercised
    sign = 1.0 - 2.0 * v64[np.arange(6), flip]
    close(result.h0_softplus, np.logaddexp(0, activation).sum(1), "h0_softplus")
    close(result.flipped_softplus, np.logaddexp(0, activation + sign[:, None] * w64[flip]).sum(1),
          "flipped_softplus")
    close(result.h_softplus, np.logaddexp(0, b_hid + chain.v.astype(np.float64) @ w64).sum(1), "h_softplus")
    run_seed = seed if (start is None and k >= 1) else data_run_seed(seed).numpy()
    first_sweep = reference_gibbs(v, w, b_vis, b_hid, 1, run_seed).v_prob
    close(result.reconstruction_error, ((v64 - first_sweep) ** 2).sum(1), "reconstruction_error")
    # Momentum: the plain-SGD step of the reference with lr = 1 gives lr-free statistics.
    stats = [a - b for a, b in zip(sgd_step(v, chain.v, w, b_vis, b_hid, 1.0), (w, b_vis, b_hid))]
    new_velocity = [0.5 * m + 0.1 * g for m, g in zip(velocity, stats)]
    step_atol = 1e-5 if dtype == np.float32 else 1e-12
    assert_close(values(*velocities), new_velocity, step_atol)
    assert_close(values(*parameters), [p + m for p, m in zip((w, b_vis, b_hid), new_velocity)], step_atol)


def test_cd_update_is_cd_step_without_by_products():
    v, w, b_vis, b_hid, _ = make_problem(np.random.default_rng(41), 6, 10, 7, np.float32)
    a, b = variables(w, b_vis, b_hid), variables(w, b_vis, b_hid)
    v_k = kgen_ops.cd_update(v, *a, 2, [1, 2], 0.1)
    result = kgen_ops.cd_step(v, *b, 2, [1, 2], 0.1, np.zeros(6, np.int32))
    np.testing.assert_array_equal(v_k.numpy(), result.v_k.numpy())
    np.testing.assert_array_equal(values(*a)[0], values(*b)[0])


def test_momentum_and_velocities_come_together():
    v, w, b_vis, b_hid, _ = make_problem(np.random.default_rng(42), 2, 4, 3, np.float32)
    with pytest.raises(ValueError, match="`momentum` and `velocities` must be given together"):
        kgen_ops.cd_update(v, *variables(w, b_vis, b_hid), 1, [1, 2], 0.1, momentum=0.9)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`velocity_w` must have the shape of `w`"):
        kgen_ops.cd_update(v, *variables(w, b_vis, b_hid), 1, [1, 2], 0.1, momentum=0.9,
                           velocities=variables(w[:1], b_vis, b_hid))
    parameters = variables(w, b_vis, b_hid)
    before = values(*parameters)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`flip` must hold visible units in \[0, 4\), got 4"):
        kgen_ops.cd_step(v, *parameters, 1, [1, 2], 0.1, np.array([0, 4], np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`flip` must have shape \[2\]"):
        kgen_ops.cd_step(v, *parameters, 1, [1, 2], 0.1, np.array([0], np.int32))
    for got, want in zip(values(*parameters), before):  # nothing written
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------
# 4. Copy-on-write of earlier reads


def buffer_address(tensor):
    """Address of an eager CPU tensor's buffer (through DLPack, which shares it)."""
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    capsule = tf.experimental.dlpack.to_dlpack(tensor)
    return ctypes.cast(get_pointer(capsule, b"dltensor"), ctypes.POINTER(ctypes.c_void_p))[0]  # DLTensor.data


def test_earlier_reads_keep_their_values_while_the_variables_change():
    v, w, b_vis, b_hid, _ = make_problem(np.random.default_rng(30), 6, 13, 9, np.float32)
    state = variables(w, b_vis, b_hid)
    held = (state[0].value(), state[1].read_value(), state[2].value())
    # The reads really share the variables' buffers (so the op must copy before writing).
    for read, variable in zip(held, state):
        assert buffer_address(read) == buffer_address(variable.value())
    kgen_ops.cd_update(v, *state, 1, [8, 9], LEARNING_RATE)
    for read, initial in zip(held, (w, b_vis, b_hid)):
        np.testing.assert_array_equal(read.numpy(), initial)
    updated = values(*state)
    for new, initial in zip(updated, (w, b_vis, b_hid)):
        assert np.abs(new - initial).max() > 1e-3

    # Copying first must not change the result: the same step on variables with no live reads.
    fresh = variables(w, b_vis, b_hid)
    kgen_ops.cd_update(v, *fresh, 1, [8, 9], LEARNING_RATE)
    for a, b in zip(values(*fresh), updated):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# 5. Inside tf.function: ordering and determinism


def test_inside_tf_function_reads_are_ordered_and_results_deterministic():
    v, w, b_vis, b_hid, start = make_problem(np.random.default_rng(40), 6, 13, 9, np.float32, chains=4)
    state = variables(w, b_vis, b_hid)

    @tf.function
    def step(seed):
        before = state[0].read_value()  # automatic control dependencies: before the update...
        v_k = kgen_ops.cd_update(v, *state, 2, seed, LEARNING_RATE, chains=start)
        after = [x.read_value() for x in state]  # ...and these after it
        return before, v_k, after

    def reset():
        for variable, initial in zip(state, (w, b_vis, b_hid)):
            variable.assign(initial)

    seed = tf.constant([1, 2], tf.int64)
    before, v_k, after = step(seed)
    np.testing.assert_array_equal(before.numpy(), w)
    for read, current in zip(after, values(*state)):
        np.testing.assert_array_equal(read.numpy(), current)  # the reads saw the update
    assert np.abs(after[0].numpy() - w).max() > 1e-3
    first = (v_k.numpy(), *values(*state))

    # The same as eagerly (the same kernel and seed).
    eager = variables(w, b_vis, b_hid)
    eager_v_k = kgen_ops.cd_update(v, *eager, 2, [1, 2], LEARNING_RATE, chains=start)
    for a, b in zip((eager_v_k.numpy(), *values(*eager)), first):
        np.testing.assert_array_equal(a, b)

    # Same seed from the same values: identical; another seed: another step.
    reset()
    _, v_k, _ = step(seed)
    for a, b in zip((v_k.numpy(), *values(*state)), first):
        np.testing.assert_array_equal(a, b)
    reset()
    _, v_k, _ = step(tf.constant([1, 3], tf.int64))
    assert not np.array_equal(v_k.numpy(), first[0])
    assert not np.array_equal(state[0].numpy(), first[1])

    # Called twice without a reset, the second step starts from the first's result.
    reset()
    step(seed)
    step(tf.constant([1, 3], tf.int64))
    chained = variables(*first[1:])
    kgen_ops.cd_update(v, *chained, 2, [1, 3], LEARNING_RATE, chains=start)
    for a, b in zip(values(*state), values(*chained)):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# 6. Thread count


THREAD_PROBLEM = "make_problem(np.random.default_rng(50), 64, 200, 150, np.float32, chains=48)"
THREAD_STEPS = (
    "state = variables(w, b_vis, b_hid)\n"
    "a = kgen_ops.cd_update(v, *state, 2, [5, 6], 0.1)\n"  # CD-2
    "b = kgen_ops.cd_update(v, *state, 1, [7, 8], 0.1, chains=start)\n"  # then PCD-1
    "digest = hashlib.sha256(b''.join(np.asarray(t).tobytes() for t in (a, b, *state))).hexdigest()\n"
)


def test_one_and_two_intra_op_threads_give_identical_variables():
    # TensorFlow fixes its thread pools at start-up, so one thread runs in a child process.
    # V = 200 gives 13 blocks of 16 rows of W of cost 16 * (B + M) * H / 3 each, and
    # 64 chains of cost ~ V * H: enough for the pool to split both the sampling and the update.
    here = os.path.dirname(os.path.abspath(__file__))
    child = (
        "import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        f"sys.path.insert(0, {here!r})\n"
        "import hashlib, numpy as np, tensorflow as tf\n"
        "tf.config.threading.set_intra_op_parallelism_threads(1)\n"
        "import kgen_ops\n"
        "from test_cd_update_op import make_problem, variables\n"
        f"v, w, b_vis, b_hid, start = {THREAD_PROBLEM}\n"
        + THREAD_STEPS
        + "print(digest)\n"
    )
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert tf.config.threading.get_intra_op_parallelism_threads() in (0, 2)  # 0: all cores
    scope = {"np": np, "hashlib": hashlib, "kgen_ops": kgen_ops, "variables": variables}
    v, w, b_vis, b_hid, start = eval(THREAD_PROBLEM)  # the same expression as in the child
    scope.update(v=v, w=w, b_vis=b_vis, b_hid=b_hid, start=start)
    exec(THREAD_STEPS, scope)
    assert np.abs(scope["state"][0].numpy() - w).max() > 1e-3  # the steps did something
    assert result.stdout.strip().splitlines()[-1] == scope["digest"]


# ---------------------------------------------------------------------------
# 7. Errors, with nothing written


def zeros(*shape, dtype=np.float32):
    return np.zeros(shape, dtype)


def error_case():
    """Valid arguments on nonzero variables (so a half-written update would show)."""
    rng = np.random.default_rng(60)
    v, w, b_vis, b_hid, _ = make_problem(rng, 2, 3, 4, np.float32)
    return dict(v=v, w=tf.Variable(w), b_vis=tf.Variable(b_vis), b_hid=tf.Variable(b_hid), k=1, seed=[1, 2],
                learning_rate=LEARNING_RATE)


def assert_unchanged(args, initial):
    for name, value in initial.items():
        np.testing.assert_array_equal(args[name].numpy(), value, err_msg=name)


TYPE_ERRORS = [
    (lambda a: dict(w=a["w"].numpy()), r"`w` must be a tf\.Variable .*Received: w of type"),
    (lambda a: dict(b_hid=tf.constant(a["b_hid"].numpy())), r"`b_hid` must be a tf\.Variable"),
    (lambda a: dict(b_vis=tf.Variable(zeros(3, dtype=np.float64))), r"`b_vis` must have the dtype of `w` \(float32\)"),
    (lambda a: dict(v=a["v"].astype(np.float64)), r"`v` must have the dtype of `w` \(float32\)\. Received: v\.dtype=float64"),
    (lambda a: dict(chains=tf.zeros([3, 3], tf.float64)), r"`chains` must have the dtype of `w` \(float32\)"),
    (lambda a: dict(w=tf.Variable(zeros(3, 4, dtype=np.int32))), r"`w` must be float32 or float64"),
]


@pytest.mark.parametrize("change, match", TYPE_ERRORS)
def test_type_errors(change, match):
    args = error_case()
    initial = {name: args[name].numpy() for name in ("w", "b_vis", "b_hid")}
    with pytest.raises(TypeError, match=match):
        kgen_ops.cd_update(**{**args, **change(args)})
    assert_unchanged(args, initial)


INVALID_ARGUMENTS = [
    (dict(v=zeros(2, 5)), r"CdUpdate: `v` must have shape \[rows, 3\] to match `w` of shape \[3, 4\], got shape \[2,5\]"),
    (dict(chains=zeros(4, 2)), r"CdUpdate: `chains` must have shape \[rows, 3\] to match `w` of shape \[3, 4\], got shape \[4,2\]"),
    (dict(b_vis=tf.Variable(zeros(4))), r"CdUpdate: `b_vis` must have shape \[3\] to match `w` \[3,4\], got shape \[4\]"),
    (dict(b_hid=tf.Variable(zeros(3))), r"CdUpdate: `b_hid` must have shape \[4\] to match `w` \[3,4\], got shape \[3\]"),
    (dict(w=tf.Variable(zeros(3))), r"CdUpdate: `w` must be rank 2 \[V, H\], got shape \[3\]"),
    (dict(v=zeros(0, 3)), r"CdUpdate: `v` needs at least one row"),
    (dict(chains=zeros(0, 3)), r"CdUpdate: `chains` needs at least one row"),
    (dict(k=-1), r"CdUpdate: `k` must be >= 0, got -1"),
    (dict(seed=[1, 2, 3]), r"CdUpdate: `seed` must have shape \[2\], got shape \[3\]"),
    (dict(learning_rate=[0.1, 0.2]), r"CdUpdate: `learning_rate` must be a scalar"),
]


@pytest.mark.parametrize("change, match", INVALID_ARGUMENTS, ids=[
    "v-columns", "chains-columns", "b_vis-length", "b_hid-length", "w-rank-1", "empty-v", "empty-chains",
    "negative-k", "seed-shape-3", "learning-rate-vector",
])
def test_invalid_arguments_raise_and_write_nothing(change, match):
    args = error_case()
    call = {**args, **change}
    initial = {name: call[name].numpy() for name in ("w", "b_vis", "b_hid")}
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        kgen_ops.cd_update(**call)
    assert_unchanged(call, initial)
    # The valid variables still take a step afterwards (no lock left held, nothing poisoned).
    w_before = args["w"].numpy()
    kgen_ops.cd_update(**args)
    assert np.abs(args["w"].numpy() - w_before).max() > 1e-3


BAD_VALUES = [
    (lambda a: dict(v=255 * a["v"]), r"CdUpdate: `v` must be in \[0, 1\] \(binary states or probabilities\)\. Received: v from 0 to 255"),
    (lambda a: dict(chains=np.full((4, 3), -1, np.float32)), r"CdUpdate: `chains` must be in \[0, 1\] .*Received: chains from -1 to -1"),
    (lambda a: dict(w=tf.Variable(np.full((3, 4), np.nan, np.float32))), r"CdUpdate: `w` must be finite\. Received: w with NaN"),
    (lambda a: dict(learning_rate=np.inf), r"CdUpdate: `learning_rate` must be finite\. Received: learning_rate with NaN or infinite"),
]


@pytest.mark.parametrize("change, match", BAD_VALUES, ids=["v-0-255", "chains-negative", "w-nan", "learning-rate-inf"])
def test_values_out_of_range_or_not_finite_raise_and_write_nothing(change, match):
    args = error_case()
    call = {**args, **change(args)}
    initial = {name: call[name].numpy() for name in ("w", "b_vis", "b_hid")}
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        kgen_ops.cd_update(**call)
    assert_unchanged(call, initial)


def test_validate_args_false_steps_on_unchecked_values():
    args = error_case()
    w_before = args["w"].numpy()
    kgen_ops.cd_update(**{**args, "v": 255 * args["v"]}, validate_args=False)
    assert np.isfinite(args["w"].numpy()).all() and np.abs(args["w"].numpy() - w_before).max() > 1e-3


def test_uninitialized_variable_is_an_error_not_a_crash():
    from tensorflow.python.ops import resource_variable_ops

    args = error_case()
    lazy = resource_variable_ops.UninitializedVariable(shape=[3, 4], dtype=tf.float32)
    assert isinstance(lazy, tf.Variable)
    initial = {name: args[name].numpy() for name in ("b_vis", "b_hid")}
    with pytest.raises(tf.errors.FailedPreconditionError, match=r"CdUpdate: variable `w` is not initialized"):
        kgen_ops.cd_update(**{**args, "w": lazy})
    assert_unchanged(args, initial)


# ---------------------------------------------------------------------------
# 8. Learning: the exact log-likelihood of a tiny RBM goes up


def all_states(n):
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)  # [2^n, n]


def log_likelihood(data, w, b_vis, b_hid):
    """Mean exact log p(v) over `data`, by enumeration (float64).

    log p(v) = log sum_h exp(-E(v, h)) - log Z, E(v, h) = -v.b_vis - h.b_hid - v W h; the
    2^H hidden states are enumerated for each v, and log Z over all 2^V visible states.
    """
    w, b_vis, b_hid = (np.asarray(a, np.float64) for a in (w, b_vis, b_hid))
    visible, hidden = all_states(len(b_vis)), all_states(len(b_hid))

    def log_unnormalised(v):  # log sum_h exp(-E(v, h)), [rows]
        minus_energy = (v @ b_vis)[:, None] + (hidden @ b_hid)[None, :] + v @ w @ hidden.T
        return np.logaddexp.reduce(minus_energy, axis=1)

    # Cross-check with the free energy: sum_h exp(-E) = exp(-F(v)), F(v) = -v.b_vis - sum softplus(b_hid + vW).
    minus_free_energy = visible @ b_vis + np.logaddexp(0, b_hid + visible @ w).sum(1)
    np.testing.assert_allclose(log_unnormalised(visible), minus_free_energy, rtol=0, atol=1e-10)
    log_z = np.logaddexp.reduce(minus_free_energy)
    return float(np.mean(log_unnormalised(np.asarray(data, np.float64)) - log_z))


def test_cd1_steps_raise_the_exact_log_likelihood():
    # Data: three 6-pixel prototypes, each pixel flipped with probability 0.05. Its entropy is
    # about ln 3 + 6 * H_b(0.05) = 1.10 + 6 * 0.199 = 2.29 nats (2.25 for the 960 samples'
    # empirical distribution, the ceiling of their mean log-likelihood), while the start
    # (W ~ 0.01, zero biases: nearly uniform) scores -6 ln 2 = -4.16: ~1.9 nats to gain.
    # 600 CD-1 steps of lr 0.3 on batches of 32 gain 1.63 to 1.72 nats over chain seeds
    # (1.6 to 1.8 over data seeds); a step of the wrong sign (300 of lr -0.1) falls to
    # ~-260 nats. The margin asserted, 1.2 nats, sits 0.4 below the lowest gain seen, five
    # times the spread between chain seeds, and is still 0.3 above 300 steps of lr 0.1 (a
    # sixth of the summed step length: ~0.9).
    rng = np.random.default_rng(80)
    prototypes = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], np.float32)
    data = prototypes[rng.integers(0, 3, size=960)]
    data = np.abs(data - (rng.random(data.shape) < 0.05)).astype(np.float32)
    w0 = (0.01 * rng.standard_normal((6, 4))).astype(np.float32)
    b_vis0, b_hid0 = np.zeros(6, np.float32), np.zeros(4, np.float32)
    state = variables(w0, b_vis0, b_hid0)
    start = log_likelihood(data, w0, b_vis0, b_hid0)
    assert abs(start - (-6 * np.log(2))) < 0.01

    batches = tf.constant(data.reshape(30, 32, 6))

    @tf.function
    def train(steps):
        for step in tf.range(steps):
            seed = tf.stack([tf.constant(81, tf.int64), tf.cast(step, tf.int64)])
            kgen_ops.cd_update(batches[step % 30], *state, 1, seed, 0.3)

    train(tf.constant(600))
    end = log_likelihood(data, *values(*state))
    assert end - start > 1.2, (start, end)
    # Gibbs' inequality: no model beats the empirical distribution on its own samples.
    frequencies = np.unique(data, axis=0, return_counts=True)[1] / len(data)
    assert end < np.sum(frequencies * np.log(frequencies)), end
