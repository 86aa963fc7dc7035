"""Fuzz of every compiled entry point with valid and invalid inputs: no crash, no hang.

Hypothesis draws 1,200 calls (`max_examples` below; the issue asks for at
least 500) spread over the entry points: the TensorFlow ops
`philox_uniform`, `philox_bits`, `gibbs_sweeps`, `cd_statistics`,
`cd_update` (on `tf.Variable`s; an invalid call must leave them unchanged)
and the pybind11 functions `native.philox_uniform`, `native.gibbs_sweeps`,
`native.cd_statistics`. Each call gets random ranks, sizes (zero included),
dtypes, k and seeds, deliberately often wrong. An independent oracle below
decides from the shapes alone whether the call is valid:

- valid: the call must return outputs of the documented shapes and dtypes,
  with probabilities in [0, 1] (or NaN, from NaN inputs) and states in
  {0, 1}, equal to the NumPy references (kgen_ops/reference/; cheap at these
  sizes): Philox words and Gibbs states exactly (a chain that met a near-tie
  |u - p| <= NEAR_TIE in the reference is excused), probabilities and CD
  statistics to float rounding, the cd_update step to float rounding when its
  inputs are finite (the float64 formulas use dense products, where 0 * NaN
  is NaN but the kernels skip zero units);
- invalid: the call must raise one of the documented exception types
  (`InvalidArgumentError`, `TypeError`, `ValueError`) with a message that
  says what it expected or what it got.

The TensorFlow ops are called with `validate_args=False`: the fuzz is of
the kernels, which must survive NaN and out-of-range values too (the
wrappers' own value checks are tested beside each op).

A crash (segfault, abort) would kill the test process, and a hang would
stall it; both fail the run. Sizes stay small (<= 6 per dimension) so the
1,000 calls take seconds.
"""

import re

import hypothesis
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import strategies as st

import kgen_ops
from kgen_ops import native
from kgen_ops.reference import cd_statistics as cd_statistics_reference
from kgen_ops.reference import cd_update as cd_update_reference
from kgen_ops.reference import gibbs_sweeps as gibbs_reference
from kgen_ops.reference import philox as philox_reference

pytestmark = pytest.mark.skipif(not kgen_ops.op_library_loaded(), reason="op library not built")

EXPECTED_ERRORS = (tf.errors.InvalidArgumentError, TypeError, ValueError)
# An error says what it expected ("must", "expected", "needs") or what it got.
CLEAR_MESSAGE = re.compile(r"must|expect|need|got|received", re.IGNORECASE)
FLOAT_DTYPES = (np.float32, np.float64)
DTYPES = (np.float16, np.float32, np.float64, np.int32)
INT64 = st.integers(-(2**63), 2**63 - 1)
# Agreement with the references. A Gibbs state can differ only where |u - p| is
# within a few ulps of p (the kernels' exp and the reference's differ by an
# ulp; an AVX2 build contracts grey-level products into FMAs): a chain whose
# reference draws all keep |u - p| > NEAR_TIE must agree exactly. Probabilities:
# at most V, H <= 6 terms of |x w| <= ~100 (normal * 3 values) in float32 give
# pre-activations within ~6e-5, so p within ~2e-5 (sigmoid' <= 1/4).
NEAR_TIE = 1e-5
PROB_ATOL = {np.float32: 1e-4, np.float64: 1e-12}
# CD statistics: <= 12 products summed in float32 (float64) against float64,
# each rounding within 6e-8 (1.1e-16) of the terms' magnitude: 1e-5 (1e-13)
# times the largest sum of |terms| leaves a margin of ten.
SUM_RTOL = {np.float32: 1e-5, np.float64: 1e-13}

dims = st.integers(0, 6)
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple)
dtypes = st.sampled_from(DTYPES)
seeds = st.one_of(
    st.tuples(INT64, INT64).map(list),  # valid
    st.tuples(INT64, INT64).map(list),  # (twice as likely)
    st.tuples(INT64, INT64).map(list),
    st.lists(st.integers(-5, 5), min_size=0, max_size=4),  # valid only with 2 entries
)


@st.composite
def gibbs_calls(draw):
    """Shapes near the valid set [B, V], [V, H], [V], [H], with random faults."""
    batch, visible, hidden = draw(dims), draw(dims), draw(dims)
    shapes_ok = {"v": (batch, visible), "w": (visible, hidden), "b_vis": (visible,), "b_hid": (hidden,)}
    arrays = _faulty_arrays(draw, shapes_ok)
    k = draw(st.integers(-1, 4))
    seed = draw(seeds)
    return "gibbs", arrays, k, seed


@st.composite
def cd_calls(draw):
    """Shapes near the valid set [B, V], [B, H], [M, V], [M, H], with random faults."""
    batch, chains, visible, hidden = draw(dims), draw(dims), draw(dims), draw(dims)
    shapes_ok = {
        "v_pos": (batch, visible),
        "h_pos": (batch, hidden),
        "v_neg": (chains, visible),
        "h_neg": (chains, hidden),
    }
    arrays = _faulty_arrays(draw, shapes_ok)
    return "cd", arrays, None, None


@st.composite
def update_calls(draw):
    """cd_update: [B, V] data, variables [V, H], [V], [H], chains [M, V] or None, with faults."""
    batch, chains, visible, hidden = draw(dims), draw(dims), draw(dims), draw(dims)
    shapes_ok = {"v": (batch, visible), "w": (visible, hidden), "b_vis": (visible,), "b_hid": (hidden,)}
    if draw(st.booleans()):
        shapes_ok["chains"] = (chains, visible)
    arrays = _faulty_arrays(draw, shapes_ok)
    return "update", arrays, draw(st.integers(-1, 4)), draw(seeds)


@st.composite
def philox_calls(draw):
    shape = draw(
        st.one_of(
            st.lists(dims, min_size=0, max_size=3),  # valid
            st.lists(st.integers(-3, 6), min_size=1, max_size=3),  # maybe negative
            st.lists(st.lists(dims, min_size=1, max_size=2), min_size=1, max_size=2),  # 2-D
        )
    )
    return "philox", {"shape": shape}, None, draw(seeds)


def _faulty_arrays(draw, shapes_ok):
    """Arrays of the given valid shapes, of one float dtype (sometimes another),
    each now and then of a wrong shape (1 in 20) or dtype (1 in 30)."""
    dtype = draw(dtypes) if draw(st.integers(0, 3)) == 0 else draw(st.sampled_from(FLOAT_DTYPES))
    arrays = {}
    for name, shape in shapes_ok.items():
        if draw(st.integers(0, 19)) == 0:
            shape = draw(shapes)  # a wrong rank or size, most of the time
        this_dtype = draw(dtypes) if draw(st.integers(0, 29)) == 0 else dtype
        arrays[name] = _array(draw, shape, this_dtype)
    return arrays


def _array(draw, shape, dtype):
    """A random array of `shape` and `dtype`: 0/1 states, or probabilities, or NaN."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["binary", "uniform", "normal", "nan"]))
    if kind == "binary":
        values = (rng.random(shape) < 0.5).astype(np.float64)
    elif kind == "uniform":
        values = rng.random(shape)
    elif kind == "normal":
        values = rng.normal(size=shape) * 3
    else:
        values = np.where(rng.random(shape) < 0.3, np.nan, rng.normal(size=shape))
    if np.issubdtype(dtype, np.integer):
        values = np.nan_to_num(values).astype(dtype)
    return np.asarray(values, dtype=dtype)


# The oracle: validity from the documented contract, independent of the ops.


def _gibbs_valid(arrays, k, seed):
    v, w, b_vis, b_hid = (arrays[n] for n in ("v", "w", "b_vis", "b_hid"))
    if w.dtype not in FLOAT_DTYPES or any(a.dtype != w.dtype for a in (v, b_vis, b_hid)):
        return False
    if (v.ndim, w.ndim, b_vis.ndim, b_hid.ndim) != (2, 2, 1, 1):
        return False
    sizes_match = v.shape[1] == w.shape[0] == b_vis.shape[0] and w.shape[1] == b_hid.shape[0]
    return sizes_match and k >= 0 and len(seed) == 2


def _cd_valid(arrays):
    v_pos, h_pos, v_neg, h_neg = (arrays[n] for n in ("v_pos", "h_pos", "v_neg", "h_neg"))
    if v_pos.dtype not in FLOAT_DTYPES or any(a.dtype != v_pos.dtype for a in (h_pos, v_neg, h_neg)):
        return False
    if any(a.ndim != 2 for a in (v_pos, h_pos, v_neg, h_neg)):
        return False
    return (
        v_pos.shape[0] == h_pos.shape[0] >= 1
        and v_neg.shape[0] == h_neg.shape[0] >= 1
        and v_pos.shape[1] == v_neg.shape[1]
        and h_pos.shape[1] == h_neg.shape[1]
    )


def _update_valid(arrays, k, seed):
    if not _gibbs_valid(arrays, k, seed) or arrays["v"].shape[0] == 0:
        return False
    chains = arrays.get("chains")
    if chains is None:
        return True
    return chains.dtype == arrays["w"].dtype and chains.ndim == 2 and chains.shape[0] >= 1 and (
        chains.shape[1] == arrays["w"].shape[0]
    )


def _philox_valid(shape, seed):
    flat = all(isinstance(d, int) for d in shape)
    return flat and all(d >= 0 for d in shape) and len(seed) == 2


# Calls and checks.


def _check_probabilities(*arrays):
    for array in arrays:
        finite = array[np.isfinite(array)]
        assert np.all((finite >= 0) & (finite <= 1))


def _check_states(*arrays):
    for array in arrays:
        assert np.all((array == 0) | (array == 1))


def _check_gibbs_reference(result, expected, dtype):
    """`result` (v, h, v_prob, h_prob, h0_prob) equals the reference trace `expected`."""
    atol = PROB_ATOL[np.dtype(dtype).type]
    # h0_prob depends on no draw; the rest only on the chain's own draws.
    np.testing.assert_allclose(result[4], expected.h0_prob, rtol=0, atol=atol, equal_nan=True, err_msg="h0_prob")
    clear = expected.min_margin > NEAR_TIE
    for name, got, want in zip(("v", "h"), result[:2], expected[:2]):
        np.testing.assert_array_equal(got[clear], want[clear], err_msg=name)
    for name, got, want in zip(("v_prob", "h_prob"), result[2:4], expected[2:4]):
        np.testing.assert_allclose(got[clear], want[clear], rtol=0, atol=atol, equal_nan=True, err_msg=name)


def _sum_tolerance(dtype, v_pos, h_pos, v_neg, h_neg):
    """Tolerance of the CD statistics: SUM_RTOL times the largest sum of |terms| (at least 1)."""
    magnitude = [np.nan_to_num(np.abs(np.asarray(a, np.float64))) for a in (v_pos, h_pos, v_neg, h_neg)]
    terms = magnitude[0].T @ magnitude[1] / len(v_pos) + magnitude[2].T @ magnitude[3] / len(v_neg)
    biggest = max([1.0, terms.max(initial=0)] + [m.max(initial=0) for m in magnitude])
    return SUM_RTOL[np.dtype(dtype).type] * biggest


def _run_gibbs(entry, arrays, k, seed):
    v, w, b_vis, b_hid = (arrays[n] for n in ("v", "w", "b_vis", "b_hid"))
    if entry == "op":
        result = kgen_ops.gibbs_sweeps(v, w, b_vis, b_hid, k, seed, validate_args=False)
        result = [np.asarray(x) for x in result]
    else:
        result = list(native.gibbs_sweeps(v, w, b_vis, b_hid, k, seed))
    out_v, out_h, v_prob, h_prob, h0_prob = result
    batch, visible, hidden = v.shape[0], w.shape[0], w.shape[1]
    assert out_v.shape == v_prob.shape == (batch, visible)
    assert out_h.shape == h_prob.shape == h0_prob.shape == (batch, hidden)
    assert all(x.dtype == w.dtype for x in result)
    _check_probabilities(v_prob, h_prob, h0_prob)
    _check_states(out_h)
    if k > 0:
        _check_states(out_v)
    _check_gibbs_reference(result, gibbs_reference.gibbs_sweeps(v, w, b_vis, b_hid, k, seed), w.dtype)


def _run_cd(entry, arrays):
    names = ("v_pos", "h_pos", "v_neg", "h_neg")
    if entry == "op":
        result = [np.asarray(x) for x in kgen_ops.cd_statistics(*(arrays[n] for n in names), validate_args=False)]
    else:
        result = list(native.cd_statistics(*(arrays[n] for n in names)))
    visible, hidden = arrays["v_pos"].shape[1], arrays["h_pos"].shape[1]
    assert [x.shape for x in result] == [(visible, hidden), (visible,), (hidden,)]
    dtype = arrays["v_pos"].dtype
    assert all(x.dtype == dtype for x in result)
    inputs = [arrays[n] for n in names]
    atol = _sum_tolerance(dtype, *inputs)
    for name, got, want in zip(("w", "b_vis", "b_hid"), result, cd_statistics_reference.cd_statistics(*inputs)):
        np.testing.assert_allclose(got, want, rtol=0, atol=atol, equal_nan=True, err_msg=name)


def _run_update(arrays, k, seed, variables):
    v, chains = arrays["v"], arrays.get("chains")
    v_k = np.asarray(kgen_ops.cd_update(v, *variables, k, seed, 0.1, chains=chains, validate_args=False))
    start = v if chains is None else chains
    assert v_k.shape == start.shape and v_k.dtype == start.dtype
    if k > 0:
        _check_states(v_k)
    for variable, name in zip(variables, ("w", "b_vis", "b_hid")):
        assert variable.shape == arrays[name].shape and variable.dtype.as_numpy_dtype == arrays[name].dtype
    w, b_vis, b_hid = (arrays[n] for n in ("w", "b_vis", "b_hid"))
    trace = gibbs_reference.gibbs_sweeps(start, w, b_vis, b_hid, k, seed)
    clear = trace.min_margin > NEAR_TIE
    np.testing.assert_array_equal(v_k[clear], trace.v[clear], err_msg="v_k")
    if all(np.isfinite(a).all() for a in (v, start, w, b_vis, b_hid)):
        # The step from the op's own v_k (a near-tie chain then changes nothing
        # here): p(h | x) within PROB_ATOL, times visible values |x|, times lr.
        expected = cd_update_reference.sgd_step(v, v_k, w, b_vis, b_hid, 0.1)
        atol = PROB_ATOL[w.dtype.type] * (1 + max(np.abs(a).max(initial=0) for a in (v, start)))
        for variable, name, want in zip(variables, ("w", "b_vis", "b_hid"), expected):
            np.testing.assert_allclose(variable.numpy(), want, rtol=0, atol=atol, err_msg=name)


def _run_philox(entry, shape, seed, bits):
    expected = tuple(int(d) for d in shape)
    if entry == "op":
        out = np.asarray((kgen_ops.philox_bits if bits else kgen_ops.philox_uniform)(shape, seed))
    else:
        out = native.philox_uniform(shape, seed)
        bits = False
    assert out.shape == expected
    assert out.dtype == (np.uint32 if bits else np.float32)
    if not bits:
        assert np.all((out >= 0) & (out < 1))
    reference = philox_reference.philox_bits if bits else philox_reference.philox_uniform
    np.testing.assert_array_equal(out, reference(expected, seed))


@hypothesis.settings(max_examples=1200, deadline=None, derandomize=True)
@hypothesis.given(
    call=st.one_of(gibbs_calls(), cd_calls(), update_calls(), philox_calls()),
    entry=st.sampled_from(["op", "native"]),
    bits=st.booleans(),
)
def test_fuzz_every_entry_point_returns_or_raises_a_clear_error(call, entry, bits):
    kind, arrays, k, seed = call
    if kind == "gibbs":
        valid = _gibbs_valid(arrays, k, seed)
        run = lambda: _run_gibbs(entry, arrays, k, seed)  # noqa: E731
    elif kind == "cd":
        valid = _cd_valid(arrays)
        run = lambda: _run_cd(entry, arrays)  # noqa: E731
    elif kind == "update":
        valid = _update_valid(arrays, k, seed)
        entry = "op"  # a TensorFlow op only
        variables = [tf.Variable(arrays[name]) for name in ("w", "b_vis", "b_hid")]
        run = lambda: _run_update(arrays, k, seed, variables)  # noqa: E731
    else:
        valid = _philox_valid(arrays["shape"], seed)
        run = lambda: _run_philox(entry, arrays["shape"], seed, bits)  # noqa: E731
    hypothesis.event(f"{kind} {entry} {'valid' if valid else 'invalid'}")
    if valid:
        run()
        return
    with pytest.raises(EXPECTED_ERRORS) as error:
        run()
    message = str(error.value)
    assert CLEAR_MESSAGE.search(message), message
    if kind == "update":  # nothing half-written
        for variable, name in zip(variables, ("w", "b_vis", "b_hid")):
            np.testing.assert_array_equal(variable.numpy(), arrays[name])
