"""kgen_ops.native.gibbs_sweeps (pybind11) against the NumPy reference.

This file imports no TensorFlow on purpose: it is the test run on the GPU
machine (CUDA and pybind11, no TensorFlow), where the CUDA cases execute;
elsewhere they are skipped.

CPU: the states must equal the reference's exactly (same Philox uniforms, same
summation order; see kgen_ops/reference/gibbs_sweeps.py) and the probabilities agree to
1e-5 (in fact to an ulp).

CUDA against CPU: the CUDA exp is within 2 ulp (CUDA programming guide), glibc's
within 0.502 ulp, and 1 + e and the division add half an ulp each on both
sides, so for 0/1 states (whose pre-activation sums are bit-identical: same
order, exact products) the two probabilities differ by at most ~4 ulps of p,
and as p < 1 that is at most 4 * 2**-24 = 2 eps (float32). A draw `u < p` can
then come out differently only when |u - p| <= 2 eps. Rule: a chain whose
reference draws all keep |u - p| > NEAR_TIE (4 eps, twice that bound) must
agree exactly; a chain that met a near-tie is excused (it may diverge from that
draw on), and excused chains must be rare. For a non-binary starting v (k = 0
only), the FMA-contracted CUDA sums may move p further; there a hidden state
may differ only where u lies between the CPU and the CUDA probability (give or
take NEAR_TIE), which is exactly when two comparisons of one u can disagree.

The two CUDA paths (`algorithm="fused"`, one launch for all sweeps, and
`algorithm="tiled"`, a tiled matrix product per half-sweep; see
cc/gibbs_sweeps/gibbs_sweeps_tiled.cu) both sum the bias and then the active rows in
increasing order, so the rule above holds for each, and for 0/1 states and
finite weights they must give identical outputs. The rule is stronger than a
share of agreeing states: every chain without a near-tie agrees exactly. A
bare share (e.g. 99.99% of the states) is asserted only for k = 0, where draws
are independent: for k > 0 one chain that meets a near-tie in its first sweep
diverges from then on, and alone exceeds 0.01% of a small batch.
"""

import functools
import itertools

import numpy as np
import pytest

from kgen_ops.reference import gibbs_sweeps as reference
from kgen_ops import native

pytestmark = pytest.mark.skipif(native is None, reason="kgen_ops.native was not built")

CUDA = native is not None and native.built_with_cuda() and native.cuda_device_count() > 0
requires_cuda = pytest.mark.skipif(not CUDA, reason="no CUDA device or CUDA build")

FIELDS = ("v", "h", "v_prob", "h_prob", "h0_prob")
STATE_FIELDS = ("v", "h")
PROB_FIELDS = ("v_prob", "h_prob", "h0_prob")


def near_tie(dtype):
    """|u - p| below which CUDA and CPU may draw differently (module docstring)."""
    return 4 * float(np.finfo(dtype).eps)


def run(problem, k, seed, **kwargs):
    v, w, b_vis, b_hid = problem
    return native.gibbs_sweeps(v, w, b_vis, b_hid, k, list(seed), **kwargs)


def assert_matches_reference(got, expected, prob_atol=1e-5):
    for name in STATE_FIELDS:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    for name in PROB_FIELDS:
        np.testing.assert_allclose(getattr(got, name), getattr(expected, name), rtol=0, atol=prob_atol, err_msg=name)


def assert_identical(a, b):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def assert_last_draws_use_own_probabilities(got, k, seed):
    """The returned states are `u < p` for the returned probabilities, u at the layout's positions.

    h is draw 2k of h_prob and (k > 0) v is draw 2k - 1 of v_prob: an exact
    check of the Philox positions that does not depend on rounding, whatever
    path computed p.
    """
    batch, hidden = got.h.shape
    visible = got.v.shape[1]
    u_h = reference.gibbs_uniforms(seed, 2 * k, batch, hidden)
    np.testing.assert_array_equal(got.h, reference.bernoulli(got.h_prob, u_h), err_msg="h")
    if k > 0:
        u_v = reference.gibbs_uniforms(seed, 2 * k - 1, batch, visible)
        np.testing.assert_array_equal(got.v, reference.bernoulli(got.v_prob, u_v), err_msg="v")
    else:
        np.testing.assert_array_equal(got.h_prob, got.h0_prob)


# ---------------------------------------------------------------------------
# CPU against the reference

# (B, V, H): B = 1, sizes that are not multiples of 4 (Philox blocks straddle rows).
SHAPES = [(1, 1, 1), (1, 7, 5), (3, 13, 9), (5, 4, 8), (16, 33, 21)]


@pytest.mark.parametrize("batch, visible, hidden", SHAPES)
@pytest.mark.parametrize("k", [0, 1, 2, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_equals_reference(batch, visible, hidden, k, dtype):
    rng = np.random.default_rng([batch, visible, hidden, k])
    problem = reference.random_problem(rng, batch, visible, hidden, dtype, scale=2.0)
    seed = (int(rng.integers(-(2**63), 2**63 - 1)), int(rng.integers(-(2**63), 2**63 - 1)))
    got = run(problem, k, seed)
    for name in FIELDS:
        assert getattr(got, name).dtype == dtype
    assert got.v.shape == got.v_prob.shape == (batch, visible)
    assert got.h.shape == got.h_prob.shape == got.h0_prob.shape == (batch, hidden)
    assert_matches_reference(got, reference.gibbs_sweeps(*problem, k, seed))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [0, 3])
def test_cpu_equals_reference_for_a_probability_start(dtype, k):
    rng = np.random.default_rng(11)
    problem = reference.random_problem(rng, 6, 30, 17, dtype, binary=False)
    got = run(problem, k, (5, 6))
    assert_matches_reference(got, reference.gibbs_sweeps(*problem, k, (5, 6)))
    if k == 0:
        np.testing.assert_array_equal(got.v, problem[0])  # the input, grey levels kept
        np.testing.assert_array_equal(got.v_prob, 0)


def test_cpu_equals_reference_for_an_mnist_sized_rbm():
    rng = np.random.default_rng(3)
    problem = reference.random_problem(rng, 8, 784, 500, np.float32, scale=0.05)
    got = run(problem, 2, (2024, 1))
    assert_matches_reference(got, reference.gibbs_sweeps(*problem, 2, (2024, 1)))


def test_result_does_not_depend_on_thread_count():
    rng = np.random.default_rng(4)
    problem = reference.random_problem(rng, 37, 50, 29, np.float32)
    single = run(problem, 3, (1, 2), num_threads=1)
    for threads in (2, 3, 0):
        assert_identical(run(problem, 3, (1, 2), num_threads=threads), single)


def test_same_seed_same_result_and_seeds_matter():
    rng = np.random.default_rng(5)
    problem = reference.random_problem(rng, 8, 20, 12, np.float32)
    first = run(problem, 2, (7, 8))
    assert_identical(run(problem, 2, (7, 8)), first)
    for other in [(8, 8), (7, 9)]:  # the key and the stream both change the draws
        assert not np.array_equal(run(problem, 2, other).h, first.h)


def test_non_contiguous_inputs_give_the_same_result():
    rng = np.random.default_rng(6)
    v, w, b_vis, b_hid = reference.random_problem(rng, 5, 9, 7, np.float64)
    contiguous = native.gibbs_sweeps(v, w, b_vis, b_hid, 2, [3, 3])
    strided = native.gibbs_sweeps(
        np.asfortranarray(v), np.asfortranarray(w), np.repeat(b_vis, 2)[::2], np.repeat(b_hid, 2)[::2], 2, [3, 3]
    )
    assert_identical(strided, contiguous)


def test_nan_weights_give_nan_probabilities_and_zero_states():
    # A NaN column of W: p(h_2 | v) is NaN for any v with an active unit, so
    # h_2 is never drawn (u < NaN is false) and p(v | h) stays finite.
    rng = np.random.default_rng(7)
    v, w, b_vis, b_hid = reference.random_problem(rng, 4, 6, 5, np.float32)
    v[:, 0] = 1
    w[:, 2] = np.nan
    got = native.gibbs_sweeps(v, w, b_vis, b_hid, 3, [1, 1])
    assert np.isnan(got.h0_prob[:, 2]).all() and not np.isnan(got.h0_prob[:, [0, 1, 3, 4]]).any()
    np.testing.assert_array_equal(got.h[:, 2], 0)
    assert np.isfinite(got.v_prob).all()
    assert_matches_reference(got, reference.gibbs_sweeps(v, w, b_vis, b_hid, 3, (1, 1)))


@pytest.mark.parametrize("batch, visible, hidden", [(0, 5, 3), (4, 0, 3), (4, 5, 0), (0, 0, 0)])
@pytest.mark.parametrize("k", [0, 2])
def test_empty_sizes(batch, visible, hidden, k):
    # B = 0: empty outputs. V = 0: p(h | v) = sigmoid(b_hid), v stays empty.
    # H = 0: p(v | h) = sigmoid(b_vis). Same as the reference in every case.
    rng = np.random.default_rng(8)
    problem = reference.random_problem(rng, batch, visible, hidden, np.float32)
    got = run(problem, k, (0, 0))
    assert got.v.shape == got.v_prob.shape == (batch, visible)
    assert got.h.shape == got.h_prob.shape == got.h0_prob.shape == (batch, hidden)
    assert_matches_reference(got, reference.gibbs_sweeps(*problem, k, (0, 0)))


# ---------------------------------------------------------------------------
# The chain's law: sample frequencies against exact enumeration


def exact_joint_after_k_sweeps(v0, w, b_vis, b_hid, k):
    """P(v_k, h) for a chain started at the binary vector v0, by enumeration.

    T[v, v'] = sum_h p(h | v) p(v' | h);  P(v_k) = e_{v0} T^k;
    P(v_k, h) = P(v_k) p(h | v_k). Returns a [2^V, 2^H] float64 array indexed
    by the binary codes of v and h (unit 0 the most significant bit).
    """
    visible, hidden = w.shape
    vs = np.array(list(itertools.product([0, 1], repeat=visible)), float)
    hs = np.array(list(itertools.product([0, 1], repeat=hidden)), float)
    w, b_vis, b_hid = (np.asarray(a, float) for a in (w, b_vis, b_hid))
    ph = 1 / (1 + np.exp(-(vs @ w + b_hid)))  # [2^V, H]
    pv = 1 / (1 + np.exp(-(hs @ w.T + b_vis)))  # [2^H, V]
    h_given_v = np.prod(np.where(hs[None, :, :] == 1, ph[:, None, :], 1 - ph[:, None, :]), axis=2)
    v_given_h = np.prod(np.where(vs[None, :, :] == 1, pv[:, None, :], 1 - pv[:, None, :]), axis=2)
    law = np.zeros(len(vs))
    law[int("".join(str(int(x)) for x in v0), 2)] = 1
    for _ in range(k):
        law = law @ (h_given_v @ v_given_h)
    return law[:, None] * h_given_v


def assert_frequencies_match_enumeration(device, **kwargs):
    # A 3-visible, 2-hidden RBM: 32 joint states. 40,000 chains from one start,
    # k = 3 sweeps, so the test checks the k-step law (not only the stationary one).
    rng = np.random.default_rng(9)
    w = rng.normal(0, 1.0, (3, 2)).astype(np.float32)
    b_vis = rng.normal(0, 0.5, 3).astype(np.float32)
    b_hid = rng.normal(0, 0.5, 2).astype(np.float32)
    v0 = np.array([1, 0, 1], np.float32)
    n, k = 40_000, 3
    got = native.gibbs_sweeps(np.tile(v0, (n, 1)), w, b_vis, b_hid, k, [31337, 0], device=device, **kwargs)
    codes = got.v @ np.array([4, 2, 1]) * 4 + got.h @ np.array([2, 1])
    counts = np.bincount(codes.astype(int), minlength=32)
    expected = exact_joint_after_k_sweeps(v0, w, b_vis, b_hid, k).reshape(-1) * n
    assert expected.min() > 20  # every cell well populated, so chi-square applies
    # 31 degrees of freedom: mean 31, sd sqrt(62) ~ 7.9; 31 + 5 sd ~ 70 is
    # crossed by a correct sampler with probability < 1e-5.
    chi_square = ((counts - expected) ** 2 / expected).sum()
    assert chi_square < 70, (chi_square, counts, expected.round(1))


def test_cpu_chain_frequencies_match_exact_enumeration():
    assert_frequencies_match_enumeration("cpu")


# ---------------------------------------------------------------------------
# Errors


def valid_arrays(dtype=np.float32):
    return np.zeros((2, 3), dtype), np.zeros((3, 4), dtype), np.zeros(3, dtype), np.zeros(4, dtype)


def call_with(**changes):
    v, w, b_vis, b_hid = valid_arrays()
    args = dict(v=v, w=w, b_vis=b_vis, b_hid=b_hid, k=1, seed=[1, 2])
    args.update(changes)
    return native.gibbs_sweeps(**args)


@pytest.mark.parametrize(
    "changes, error, match",
    [
        (dict(w=np.zeros((3, 4), np.int32)), TypeError, r"`w` must be float32 or float64\. Received: w\.dtype=int32"),
        (dict(v=np.zeros((2, 3), np.float64)), TypeError, r"`v` must have the dtype of `w` \(float32\)\. Received: v\.dtype=float64"),
        (dict(b_hid=np.zeros(4, np.float64)), TypeError, r"`b_hid` must have the dtype of `w`"),
        (dict(v=np.zeros(3, np.float32)), ValueError, r"`v` must be rank 2 \[B, V\]\. Received: v\.shape=\(3,\)"),
        (dict(w=np.zeros((3, 4, 1), np.float32)), ValueError, r"`w` must be rank 2 \[V, H\]"),
        (dict(b_vis=np.zeros((3, 1), np.float32)), ValueError, r"`b_vis` must be rank 1 \[V\]"),
        (dict(v=np.zeros((2, 5), np.float32)), ValueError, r"`v` must have shape \(B, 3\) to match w\.shape=\(3, 4\)\. Received: v\.shape=\(2, 5\)"),
        (dict(b_vis=np.zeros(4, np.float32)), ValueError, r"`b_vis` must have shape \(3,\)"),
        (dict(b_hid=np.zeros(3, np.float32)), ValueError, r"`b_hid` must have shape \(4,\)"),
        (dict(k=-1), ValueError, r"`k` must be in \[0, 2\^31 - 1\]\. Received: k=-1"),
        (dict(seed=[1, 2, 3]), ValueError, r"`seed` must be a pair of integers \(key, stream\)\. Received: seed=\[1, 2, 3\]"),
        (dict(device="tpu"), ValueError, r"`device` must be 'cpu' or 'cuda'\. Received: device='tpu'"),
        (dict(num_threads=-1), ValueError, r"`num_threads` must be >= 0"),
        (dict(algorithm="cublas"), ValueError, r"`algorithm` must be 'auto', 'fused' or 'tiled'\. Received: algorithm='cublas'"),
        (dict(algorithm="tiled"), ValueError, r"`algorithm` must be 'auto' when device='cpu' .*\. Received: algorithm='tiled'"),
        (dict(algorithm="fused"), ValueError, r"`algorithm` must be 'auto' when device='cpu' .*\. Received: algorithm='fused'"),
        # Checked before the device, so reported the same with or without CUDA.
        (dict(device="cuda", algorithm="Tiled"), ValueError, r"`algorithm` must be 'auto', 'fused' or 'tiled'\. Received: algorithm='Tiled'"),
    ],
)
def test_bad_arguments_raise_clear_errors(changes, error, match):
    with pytest.raises(error, match=match):
        call_with(**changes)


@pytest.mark.skipif(CUDA, reason="only without a usable CUDA device")
def test_cuda_without_a_device_says_why():
    with pytest.raises(RuntimeError, match=r"`device` is 'cuda' but"):
        call_with(device="cuda")
    for algorithm in ("auto", "fused", "tiled"):
        with pytest.raises(RuntimeError, match=r"`device` is 'cuda' but"):
            call_with(device="cuda", algorithm=algorithm)
    with pytest.raises(RuntimeError, match=r"`device` is 'cuda' but"):
        native.gibbs_cuda_algorithm(4096, 784, 500)


def test_cpu_algorithm_auto_is_the_default():
    rng = np.random.default_rng(16)
    problem = reference.random_problem(rng, 9, 14, 11, np.float32)
    assert_identical(run(problem, 2, (3, 4), algorithm="auto"), run(problem, 2, (3, 4)))


@pytest.mark.parametrize(
    "args, error, match",
    [
        (dict(dtype=np.int32), TypeError, r"`dtype` must be float32 or float64\. Received: dtype=int32"),
        (dict(batch=-1), ValueError, r"`batch`, `visible` and `hidden` must be >= 0\. Received: batch=-1, visible=784, hidden=500"),
    ],
)
def test_gibbs_cuda_algorithm_checks_its_arguments(args, error, match):
    # Checked before the device, so these run without CUDA too.
    with pytest.raises(error, match=match):
        native.gibbs_cuda_algorithm(**{"batch": 4096, "visible": 784, "hidden": 500, **args})


# ---------------------------------------------------------------------------
# CUDA against CPU (GPU machine only)


def assert_cuda_agrees_with_cpu(problem, k, seed, algorithm="auto", cpu=None, trace=None):
    """The rule of the module docstring, for a 0/1 starting v.

    A draw meets a near-tie with probability ~2 * NEAR_TIE ~ 1e-6 (float32), so
    a chain of V=784, H=500, k=10 (13,340 draws) is excused with probability
    ~1.3%; at least 90% of the chains must be compared, or the rule says nothing.
    `cpu` and `trace` (the CPU result and the reference) may be passed in when
    already computed.
    """
    dtype = problem[0].dtype
    cpu = run(problem, k, seed) if cpu is None else cpu
    cuda = run(problem, k, seed, device="cuda", algorithm=algorithm)
    trace = reference.gibbs_sweeps(*problem, k, seed) if trace is None else trace
    for name in FIELDS:
        assert getattr(cuda, name).shape == getattr(cpu, name).shape, name
    if problem[0].shape[0] == 0:  # no chain: nothing more to compare
        return
    assert_matches_reference(cpu, trace)  # ties the margins below to the CPU chains
    assert_last_draws_use_own_probabilities(cuda, k, seed)
    if k == 0 and cpu.h.size > 0:  # independent draws: a share of agreeing states means something
        assert np.mean(cuda.h == cpu.h) >= 0.9999
    clean = trace.min_margin > near_tie(dtype)
    assert np.mean(clean) >= 0.9, f"{np.sum(~clean)} of {clean.size} chains met a near-tie"
    for name in STATE_FIELDS:
        a, b = getattr(cuda, name)[clean], getattr(cpu, name)[clean]
        bad = np.argwhere(a != b)
        assert bad.size == 0, f"{name}: {len(bad)} states differ on chains without a near-tie, first at {bad[:5].tolist()}"
    for name in PROB_FIELDS:
        np.testing.assert_allclose(getattr(cuda, name)[clean], getattr(cpu, name)[clean], rtol=0, atol=1e-5, err_msg=name)


CUDA_SHAPES = [(1, 3, 5, 0), (7, 13, 9, 2), (33, 100, 60, 5), (300, 10, 700, 3), (256, 784, 500, 10)]


@requires_cuda
@pytest.mark.parametrize("batch, visible, hidden, k", CUDA_SHAPES)
def test_cuda_equals_cpu_float32(batch, visible, hidden, k):
    rng = np.random.default_rng([batch, visible, hidden, k])
    problem = reference.random_problem(rng, batch, visible, hidden, np.float32, scale=0.1)
    assert_cuda_agrees_with_cpu(problem, k, (12345, 678))


@requires_cuda
@pytest.mark.parametrize("batch, visible, hidden, k", [(7, 13, 9, 2), (64, 784, 500, 3)])
def test_cuda_equals_cpu_float64(batch, visible, hidden, k):
    rng = np.random.default_rng([batch, visible, hidden, k, 64])
    problem = reference.random_problem(rng, batch, visible, hidden, np.float64, scale=0.1)
    assert_cuda_agrees_with_cpu(problem, k, (-1, 2**40))


@requires_cuda
@pytest.mark.parametrize("algorithm", ["fused", "tiled"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cuda_equals_cpu_for_a_probability_start(dtype, algorithm):
    rng = np.random.default_rng(12)
    problem = reference.random_problem(rng, 64, 784, 500, dtype, binary=False, scale=0.1)
    cpu = run(problem, 0, (4, 4))
    cuda = run(problem, 0, (4, 4), device="cuda", algorithm=algorithm)
    np.testing.assert_array_equal(cuda.v, problem[0])
    np.testing.assert_array_equal(cuda.v_prob, 0)
    for name in ("h_prob", "h0_prob"):
        np.testing.assert_allclose(getattr(cuda, name), getattr(cpu, name), rtol=0, atol=1e-5, err_msg=name)
    # h may differ only where u falls between the two probabilities (give or take NEAR_TIE).
    u = reference.gibbs_uniforms((4, 4), 0, *cpu.h.shape).astype(np.float64)
    p_cpu, p_cuda = cpu.h_prob.astype(np.float64), cuda.h_prob.astype(np.float64)
    between = (u >= np.minimum(p_cpu, p_cuda) - near_tie(dtype)) & (u <= np.maximum(p_cpu, p_cuda) + near_tie(dtype))
    assert not np.any((cuda.h != cpu.h) & ~between)


@requires_cuda
def test_cuda_large_batch_uses_the_grid_stride_loop():
    # More chains than the 65,535 blocks of one launch: rows past the grid loop
    # back. (algorithm="auto" would take the tiled path for this batch.)
    rng = np.random.default_rng(13)
    problem = reference.random_problem(rng, 70_000, 6, 5, np.float32)
    assert_cuda_agrees_with_cpu(problem, 2, (1, 9), algorithm="fused")


@requires_cuda
def test_cuda_nan_and_empty_sizes():
    v, w, b_vis, b_hid = reference.random_problem(np.random.default_rng(14), 4, 6, 5, np.float32)
    v[:, 0] = 1
    w[:, 2] = np.nan
    got = native.gibbs_sweeps(v, w, b_vis, b_hid, 3, [1, 1], device="cuda")
    assert np.isnan(got.h0_prob[:, 2]).all()
    np.testing.assert_array_equal(got.h[:, 2], 0)
    assert np.isfinite(got.v_prob).all()
    # An empty layer makes the other layer's probabilities sigmoid(bias): CUDA's
    # expf (2 ulp) and glibc's round differently, so states are compared by the
    # near-tie rule of the module docstring, not bit for bit.
    for batch, visible, hidden in [(0, 5, 3), (4, 0, 3), (4, 5, 0)]:
        problem = reference.random_problem(np.random.default_rng(15), batch, visible, hidden, np.float32)
        assert_cuda_agrees_with_cpu(problem, 2, (0, 0))


@requires_cuda
@pytest.mark.parametrize("algorithm", ["fused", "tiled"])
def test_cuda_chain_frequencies_match_exact_enumeration(algorithm):
    assert_frequencies_match_enumeration("cuda", algorithm=algorithm)


# ---------------------------------------------------------------------------
# The two CUDA paths, forced (GPU machine only)

# (B, V, H): sizes that are no multiple of the 64 x 64 tile nor of 4 (element
# loads and stores, Philox blocks straddling runs of four), and MNIST sizes
# (16-byte vector loads and stores) with a batch past the fused path's default.
PATH_SHAPES = [(37, 50, 33), (300, 784, 500)]


@functools.lru_cache(maxsize=None)
def cpu_case(batch, visible, hidden, k, dtype_name):
    """(problem, CPU result, reference trace) of a 0/1 start, computed once for both paths."""
    dtype = np.dtype(dtype_name).type
    rng = np.random.default_rng([batch, visible, hidden, k, np.dtype(dtype).itemsize])
    problem = reference.random_problem(rng, batch, visible, hidden, dtype, scale=0.1)
    seed = (2024, -7)
    return problem, run(problem, k, seed), reference.gibbs_sweeps(*problem, k, seed)


@requires_cuda
@pytest.mark.parametrize("algorithm", ["fused", "tiled"])
@pytest.mark.parametrize("batch, visible, hidden", PATH_SHAPES)
@pytest.mark.parametrize("k", [0, 1, 3])
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_cuda_path_equals_cpu(algorithm, batch, visible, hidden, k, dtype_name):
    problem, cpu, trace = cpu_case(batch, visible, hidden, k, dtype_name)
    assert_cuda_agrees_with_cpu(problem, k, (2024, -7), algorithm=algorithm, cpu=cpu, trace=trace)


@requires_cuda
@pytest.mark.parametrize("batch, visible, hidden, k", [(37, 50, 33, 3), (300, 784, 500, 3), (5, 1, 1, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cuda_tiled_equals_fused_exactly(batch, visible, hidden, k, dtype):
    # Both paths start each sum at the bias and add the active rows in
    # increasing order (the tiled one adds exact zeros for the inactive ones),
    # with the same sigmoid and the same uniforms: identical outputs.
    rng = np.random.default_rng([batch, visible, hidden, k, 7])
    problem = reference.random_problem(rng, batch, visible, hidden, dtype, scale=0.1)
    fused = run(problem, k, (8, 9), device="cuda", algorithm="fused")
    assert_identical(run(problem, k, (8, 9), device="cuda", algorithm="tiled"), fused)


@requires_cuda
def test_cuda_tiled_runs_a_large_rbm():
    # V = H = 1024 at batch 64: "auto" would take the fused path; forced tiled.
    rng = np.random.default_rng(17)
    problem = reference.random_problem(rng, 64, 1024, 1024, np.float32, scale=0.05)
    assert_cuda_agrees_with_cpu(problem, 3, (99, 100), algorithm="tiled")


@requires_cuda
def test_cuda_tiled_with_the_large_tile_shape():
    # 36 x 9 = 324 tiles of 128 x 128: at least two per SM on GPUs of up to 162
    # SMs (H100, H200), so the launcher takes the 128 x 128 kernel; H = 1030 is
    # no multiple of 4 (element stores). k = 0 against the CPU (independent
    # draws; no reference trace at this size), k = 1 against the fused path.
    rng = np.random.default_rng(18)
    problem = reference.random_problem(rng, 4500, 1100, 1030, np.float32, scale=0.05)
    assert native.gibbs_cuda_algorithm(4500, 1100, 1030) == "tiled"
    cpu = run(problem, 0, (5, 5))
    tiled = run(problem, 0, (5, 5), device="cuda")
    assert_last_draws_use_own_probabilities(tiled, 0, (5, 5))
    for name in PROB_FIELDS:
        np.testing.assert_allclose(getattr(tiled, name), getattr(cpu, name), rtol=0, atol=1e-5, err_msg=name)
    np.testing.assert_array_equal(tiled.v, problem[0])
    assert np.mean(tiled.h == cpu.h) >= 0.9999
    assert_identical(run(problem, 1, (5, 5), device="cuda"), run(problem, 1, (5, 5), device="cuda", algorithm="fused"))


@requires_cuda
@pytest.mark.parametrize("batch, visible, hidden", [(0, 5, 3), (4, 0, 3), (4, 5, 0)])
@pytest.mark.parametrize("k", [0, 2])
def test_cuda_tiled_empty_sizes(batch, visible, hidden, k):
    # Empty layers launch nothing; a layer over an empty one is sigmoid(bias)
    # (compared by the near-tie rule: CUDA's expf is not glibc's).
    problem = reference.random_problem(np.random.default_rng(19), batch, visible, hidden, np.float32)
    assert_cuda_agrees_with_cpu(problem, k, (0, 0), algorithm="tiled")


@requires_cuda
def test_cuda_tiled_multiplies_inactive_units():
    # The documented difference of the tiled path: a NaN column of W reaches
    # p(v | h) through 0 * NaN although h_2 is never on, so every v_prob is NaN
    # and v is 0; the CPU and fused kernels skip inactive units (finite v_prob).
    v, w, b_vis, b_hid = reference.random_problem(np.random.default_rng(14), 4, 6, 5, np.float32)
    v[:, 0] = 1
    w[:, 2] = np.nan
    got = native.gibbs_sweeps(v, w, b_vis, b_hid, 3, [1, 1], device="cuda", algorithm="tiled")
    assert np.isnan(got.h0_prob[:, 2]).all()
    np.testing.assert_array_equal(got.h[:, 2], 0)
    assert np.isnan(got.v_prob).all()
    np.testing.assert_array_equal(got.v, 0)


@requires_cuda
def test_gibbs_cuda_algorithm_reports_the_auto_path():
    assert native.gibbs_cuda_algorithm(256, 784, 500) == "fused"
    assert native.gibbs_cuda_algorithm(257, 784, 500) == "tiled"
    assert native.gibbs_cuda_algorithm(4096, 784, 500, np.float64) == "tiled"
    assert native.gibbs_cuda_algorithm(1, 10**6, 10**6) == "tiled"  # V + H past shared memory


@requires_cuda
def test_cuda_fused_refuses_states_past_shared_memory():
    # 100,001 float32 states need 400 KB of shared memory per block (an H200 has 227 KB).
    v, w, b_vis, b_hid = (np.zeros(s, np.float32) for s in [(1, 100_000), (100_000, 1), 100_000, 1])
    with pytest.raises(RuntimeError, match=r"algorithm='fused' keeps V \+ H = 100001 units in shared memory"):
        native.gibbs_sweeps(v, w, b_vis, b_hid, 0, [0, 0], device="cuda", algorithm="fused")
