"""A NumPy reference of the CD-statistics op (Kgen>CdStatistics), written to be read.

Mathematics (binary RBM, weights W [V, H]): the contrastive-divergence
estimate of the gradient of the log-likelihood is the positive phase (data
v_pos [B, V] and p(h | data) h_pos [B, H]) minus the negative phase (chain
states v_neg [M, V] and p(h | chain) h_neg [M, H]):

    w     = v_pos^T h_pos / B - v_neg^T h_neg / M        [V, H]
    b_vis = mean(v_pos, 0) - mean(v_neg, 0)              [V]
    b_hid = mean(h_pos, 0) - mean(h_neg, 0)              [H]

Row i of w adds, for each row b (positive rows first, then negative ones)
whose v_i is nonzero, v_i / B * h[b] (or -v_i / M * h[m]): the kernels' order
and their rule that a zero visible value is skipped, not multiplied (0 * NaN
would be NaN). Here every sum runs in float64, so the kernels agree with it
up to their own float32 (or float64) rounding.

This module imports no TensorFlow: it also runs on the GPU test machine.
"""

import numpy as np


def cd_statistics(v_pos, h_pos, v_neg, h_neg):
    """The CD statistics (w, b_vis, b_hid) in float64; see the module docstring.

    Args:
        v_pos: [B, V] positive-phase visible values, B >= 1.
        h_pos: [B, H] positive-phase hidden probabilities.
        v_neg: [M, V] negative-phase visible states, M >= 1.
        h_neg: [M, H] negative-phase hidden probabilities.

    Returns:
        (w [V, H], b_vis [V], b_hid [H]), float64.
    """
    v_pos, h_pos, v_neg, h_neg = (np.asarray(a, np.float64) for a in (v_pos, h_pos, v_neg, h_neg))
    w = np.zeros((v_pos.shape[1], h_pos.shape[1]))
    with np.errstate(invalid="ignore", over="ignore"):
        for v, h, weight in ((v_pos, h_pos, 1.0 / len(v_pos)), (v_neg, h_neg, -1.0 / len(v_neg))):
            for v_row, h_row in zip(v, h):
                active = v_row != 0
                w[active] += (v_row[active] * weight)[:, None] * h_row
    return w, v_pos.mean(0) - v_neg.mean(0), h_pos.mean(0) - h_neg.mean(0)


def random_problem(rng, batch_pos, batch_neg, visible, hidden, dtype=np.float32, binary=True):
    """Random inputs (v_pos, h_pos, v_neg, h_neg) in `dtype`.

    Visible values are 0/1 with P(1) = 0.15 when `binary` (about the share of
    pixels on in binarised MNIST), else uniform in [0, 1); hidden values are
    uniform in [0, 1).
    """

    def visible_values(rows):
        values = rng.random((rows, visible))
        return (values < 0.15).astype(dtype) if binary else values.astype(dtype)

    return (
        visible_values(batch_pos),
        rng.random((batch_pos, hidden)).astype(dtype),
        visible_values(batch_neg),
        rng.random((batch_neg, hidden)).astype(dtype),
    )
