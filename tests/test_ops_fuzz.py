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
  with probabilities in [0, 1] and states in {0, 1};
- invalid: the call must raise one of the documented exception types
  (`InvalidArgumentError`, `TypeError`, `ValueError`) with a message that
  says what it expected or what it got.

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

pytestmark = pytest.mark.skipif(not kgen_ops.op_library_loaded(), reason="op library not built")

EXPECTED_ERRORS = (tf.errors.InvalidArgumentError, TypeError, ValueError)
# An error says what it expected ("must", "expected", "needs") or what it got.
CLEAR_MESSAGE = re.compile(r"must|expect|need|got|received", re.IGNORECASE)
FLOAT_DTYPES = (np.float32, np.float64)
DTYPES = (np.float16, np.float32, np.float64, np.int32)
INT64 = st.integers(-(2**63), 2**63 - 1)

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


def _run_gibbs(entry, arrays, k, seed):
    v, w, b_vis, b_hid = (arrays[n] for n in ("v", "w", "b_vis", "b_hid"))
    if entry == "op":
        result = kgen_ops.gibbs_sweeps(v, w, b_vis, b_hid, k, seed)
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


def _run_cd(entry, arrays):
    names = ("v_pos", "h_pos", "v_neg", "h_neg")
    if entry == "op":
        result = [np.asarray(x) for x in kgen_ops.cd_statistics(*(arrays[n] for n in names))]
    else:
        result = list(native.cd_statistics(*(arrays[n] for n in names)))
    visible, hidden = arrays["v_pos"].shape[1], arrays["h_pos"].shape[1]
    assert [x.shape for x in result] == [(visible, hidden), (visible,), (hidden,)]


def _run_update(arrays, k, seed, variables):
    v, chains = arrays["v"], arrays.get("chains")
    v_k = np.asarray(kgen_ops.cd_update(v, *variables, k, seed, 0.1, chains=chains))
    start = v if chains is None else chains
    assert v_k.shape == start.shape and v_k.dtype == start.dtype
    if k > 0:
        _check_states(v_k)
    for variable, name in zip(variables, ("w", "b_vis", "b_hid")):
        assert variable.shape == arrays[name].shape


def _run_philox(entry, shape, seed, bits):
    expected = tuple(int(d) for d in shape)
    if entry == "op":
        out = np.asarray((kgen_ops.philox_bits if bits else kgen_ops.philox_uniform)(shape, seed))
    else:
        out = native.philox_uniform(shape, seed)
        bits = False
    assert out.shape == expected
    if not bits:
        assert np.all((out >= 0) & (out < 1))


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
