"""A NumPy reference of the fused block-Gibbs op (Kgen>GibbsSweeps), written to be read.

Mathematics (binary RBM, energy E(v, h) = -v^T W h - b_vis^T v - b_hid^T h):

    p(h_j = 1 | v) = sigmoid(b_hid_j + (v W)_j)
    p(v_i = 1 | h) = sigmoid(b_vis_i + (W h)_i)

    h0_prob = p(h | v_0)
    for s in 0 .. k-1:  h_s ~ p(h | v_s)          (draw index d = 2s)
                        v_prob = p(v | h_s)
                        v_{s+1} ~ v_prob           (draw index d = 2s + 1)
    h_prob = p(h | v_k);  h ~ h_prob               (draw index d = 2k)

A Bernoulli(p) draw is `u < p`, with u the Philox-4x32-10 uniform of draw d at
element e (row-major index into the [B, n] layer): counter words
{e // 4, d, lo32(seed[1]), hi32(seed[1])}, key words {lo32(seed[0]),
hi32(seed[0])}, word e % 4, converted to float32 as (word >> 8) * 2**-24. The
layout is written out again here from that description (only the Philox
bijection itself, `kgen_ops.reference.philox.philox4x32_10`, is shared), so a
mistake in the kernels' indexing shows up as a mismatch.

Why the sampled states can be compared exactly. A draw compares u with p, so
the reference must compute p with the kernels' rounding, not just closely:
  * pre-activations are summed in the input dtype, starting from the bias and
    adding x_m * W[m] for the nonzero x_m in increasing m, the order of the CPU
    and CUDA kernels (a floating-point sum depends on its order). For 0/1 states
    every product is exact, so the sums agree bit for bit;
  * the sigmoid is the kernels' stable form (1 / (1 + exp(-x)) for x >= 0,
    e / (1 + e) with e = exp(x) otherwise), each step rounded to the dtype, with
    exp correctly rounded (float64 exp rounded to float32). glibc's expf is
    within 0.502 ulp, so it differs from this in about 6 of 10,000 values, by one
    ulp; a state then differs only if u (a multiple of 2**-24) falls in that
    one-ulp gap, about 4e-11 per draw. In float64, NumPy's exp and glibc's
    exp differ by one ulp in about 1% of values: probabilities then differ by
    ~1e-16, and a state only if u (a multiple of 2**-24) lands in that gap,
    about 2e-11 per draw.
The CUDA kernel's exp is within 2 ulp, so its states may differ from these at
near-ties; `GibbsTrace.min_margin` (the smallest |u - p| met by each chain)
lets a test excuse exactly those chains (see tests/test_native_gibbs.py).

This module imports no TensorFlow: it also runs on the GPU test machine.
"""

import collections

import numpy as np

from kgen_ops.reference.philox import philox4x32_10

GibbsTrace = collections.namedtuple("GibbsTrace", ["v", "h", "v_prob", "h_prob", "h0_prob", "min_margin"])


def gibbs_uniforms(seed, draw, batch, n):
    """The uniforms of draw index `draw` for a [batch, n] layer, float32.

    Element e = b * n + j uses word e % 4 of
    philox4x32_10(counter={e // 4, draw, lo32(stream), hi32(stream)}, key={lo32(key), hi32(key)}).
    """
    key, stream = (int(s) & 0xFFFFFFFFFFFFFFFF for s in seed)
    elements = np.arange(batch * n, dtype=np.uint64)
    blocks = np.unique(elements >> np.uint64(2))  # four consecutive elements share one block
    counter = np.empty((blocks.size, 4), dtype=np.uint32)
    counter[:, 0] = blocks.astype(np.uint32)  # e // 4 < 2**32 since B * n <= 2**34
    counter[:, 1] = draw
    counter[:, 2] = stream & 0xFFFFFFFF
    counter[:, 3] = stream >> 32
    words = philox4x32_10(counter, [key & 0xFFFFFFFF, key >> 32])  # [blocks, 4]
    word = words[(elements >> np.uint64(2)).astype(np.int64), (elements & np.uint64(3)).astype(np.int64)]
    uniform = (word >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    return uniform.reshape(batch, n)


def sigmoid(x):
    """The kernels' stable logistic sigmoid, every step rounded to x.dtype.

    x >= 0: 1 / (1 + exp(-x)); x < 0: e / (1 + e) with e = exp(x). Never
    overflows for finite x; sigmoid(NaN) = NaN (NaN >= 0 is false).
    """
    dtype = x.dtype.type
    one = dtype(1)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-np.abs(x).astype(np.float64)).astype(dtype)  # correctly rounded exp(-|x|)
        return np.where(x >= 0, one / (one + e), e / (one + e)).astype(dtype)


def preactivation(x, weights, bias):
    """bias + sum over the nonzero x[:, m] of x[:, m] * weights[m], in increasing m.

    Args:
        x: [B, M] states (or probabilities) in the dtype of `weights`.
        weights: [M, N], rows indexed by the units of x.
        bias: [N].

    Returns:
        [B, N], accumulated in the input dtype in the kernels' order. Zero units
        are skipped, not multiplied: 0 * NaN would be NaN, the kernels skip it.
    """
    acc = np.repeat(bias[None, :], x.shape[0], axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        for m in range(x.shape[1]):
            active = x[:, m, None] != 0
            if active.any():
                np.add(acc, x[:, m, None] * weights[m], out=acc, where=active)
    return acc


def bernoulli(probability, uniform):
    """1 where u < p (u cast to the dtype of p), else 0; NaN p gives 0."""
    with np.errstate(invalid="ignore"):
        return (uniform.astype(probability.dtype) < probability).astype(probability.dtype)


def gibbs_sweeps(v, w, b_vis, b_hid, k, seed):
    """k block-Gibbs sweeps on each row of v; the op's outputs plus a margin.

    Args:
        v: [B, V] starting states (or probabilities), float32 or float64.
        w: [V, H] weights; b_vis: [V]; b_hid: [H]; all of v's dtype.
        k: int >= 0, number of sweeps.
        seed: (key, stream), two Python ints (any sign; taken modulo 2**64).

    Returns:
        GibbsTrace(v, h, v_prob, h_prob, h0_prob, min_margin): the op's five
        outputs, and min_margin [B] float64, the smallest |u - p| over every
        draw of each chain (inf when a chain makes no draw).
    """
    v0 = np.asarray(v)
    dtype = v0.dtype
    w = np.asarray(w, dtype=dtype)
    b_vis = np.asarray(b_vis, dtype=dtype)
    b_hid = np.asarray(b_hid, dtype=dtype)
    batch, visible = v0.shape
    hidden = w.shape[1]
    w_t = np.ascontiguousarray(w.T)
    min_margin = np.full(batch, np.inf)

    def draw(probability, d):
        u = gibbs_uniforms(seed, d, batch, probability.shape[1])
        if probability.shape[1]:
            with np.errstate(invalid="ignore"):
                gap = np.abs(u.astype(np.float64) - probability.astype(np.float64))
            np.fmin(min_margin, np.where(np.isnan(gap), np.inf, gap).min(axis=1), out=min_margin)
        return bernoulli(probability, u)

    h0_prob = sigmoid(preactivation(v0, w, b_hid))
    v_state = v0.copy()
    v_prob = np.zeros_like(v0)
    h_prob = h0_prob
    for s in range(k):
        h_state = draw(h_prob, 2 * s)
        v_prob = sigmoid(preactivation(h_state, w_t, b_vis))
        v_state = draw(v_prob, 2 * s + 1)
        h_prob = sigmoid(preactivation(v_state, w, b_hid))
    h_state = draw(h_prob, 2 * k)
    return GibbsTrace(v_state, h_state, v_prob, h_prob, h0_prob, min_margin)


def random_problem(rng, batch, visible, hidden, dtype=np.float32, binary=True, scale=1.0):
    """A random RBM and starting states: weights ~ N(0, scale^2), biases ~ N(0, 1).

    Returns (v, w, b_vis, b_hid) in `dtype`; v is 0/1 when `binary`, else uniform in [0, 1).
    """
    w = (scale * rng.standard_normal((visible, hidden))).astype(dtype)
    b_vis = rng.standard_normal(visible).astype(dtype)
    b_hid = rng.standard_normal(hidden).astype(dtype)
    v = rng.random((batch, visible))
    v = (v < 0.5) if binary else v
    return v.astype(dtype), w, b_vis, b_hid
