"""A NumPy reference of the fused CD-k / PCD-k SGD step (Kgen>CdUpdate), written to be read.

One call is, on the parameters before the update,

    v_k    = gibbs_sweeps(chains or v, W, b_vis, b_hid, k, seed).v
    W     += lr * (v^T p(h|v) / B - v_k^T p(h|v_k) / M)
    b_vis += lr * (mean(v, 0) - mean(v_k, 0))
    b_hid += lr * (mean(p(h|v), 0) - mean(p(h|v_k), 0))

that is the Gibbs reference (`gibbs_sweeps.py`, the same Philox uniforms, so
v_k is the op's exactly) followed by one ascent step along the CD statistics
(`cd_statistics.py`), with p(h | x) = sigmoid(b_hid + x W) and the step in
float64. CD-k passes no `chains` (they start at the data); PCD-k passes the
persistent chains.

This module imports no TensorFlow: it also runs on the GPU test machine.
"""

import collections

import numpy as np

from kgen_ops.reference.cd_statistics import cd_statistics
from kgen_ops.reference.gibbs_sweeps import gibbs_sweeps

CdUpdateResult = collections.namedtuple("CdUpdateResult", ["v_k", "w", "b_vis", "b_hid"])


def sgd_step(v, v_k, w, b_vis, b_hid, learning_rate):
    """The parameters after one step, in float64, from those before it.

    Args:
        v: [B, V] the data; v_k: [M, V] the chains after the k sweeps.
        w: [V, H]; b_vis: [V]; b_hid: [H]: the parameters before the step.
        learning_rate: the step size.

    Returns:
        (w, b_vis, b_hid) after the step, float64.
    """
    v, v_k, w, b_vis, b_hid = (np.asarray(a, np.float64) for a in (v, v_k, w, b_vis, b_hid))

    def p_h(x):
        return 1.0 / (1.0 + np.exp(-(b_hid + x @ w)))

    grad_w, grad_b_vis, grad_b_hid = cd_statistics(v, p_h(v), v_k, p_h(v_k))
    return (
        w + learning_rate * grad_w,
        b_vis + learning_rate * grad_b_vis,
        b_hid + learning_rate * grad_b_hid,
    )


def cd_update(v, w, b_vis, b_hid, k, seed, learning_rate, chains=None):
    """One CD-k (chains=None) or PCD-k step; the arguments of `kgen_ops.cd_update`.

    Returns:
        CdUpdateResult(v_k, w, b_vis, b_hid): v_k [M, V] in the dtype of v,
        exactly the op's output; the parameters after the step in float64.
    """
    start = v if chains is None else chains
    v_k = gibbs_sweeps(start, w, b_vis, b_hid, k, seed).v
    return CdUpdateResult(v_k, *sgd_step(v, v_k, w, b_vis, b_hid, learning_rate))
