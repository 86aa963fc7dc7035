"""TensorFlow wrapper of the contrastive-divergence statistics op.

For a binary RBM with weights W [V, H], the CD estimate of the gradient of
the log-likelihood is the positive phase (data) minus the negative phase
(chains):

    w     = v_pos^T h_pos / B - v_neg^T h_neg / M        [V, H]
    b_vis = mean(v_pos, 0) - mean(v_neg, 0)              [V]
    b_hid = mean(h_pos, 0) - mean(h_neg, 0)              [H]

The weight part runs in the compiled op `Kgen>CdStatistics`, which sums
only the rows whose visible value is nonzero: with 0/1 visible states that is
a fraction of the two dense products (12% of the pixels of binarised MNIST
are on). An optimizer minimising the negative log-likelihood takes the
negatives of these as gradients, as `kgen.models.RBM` does.
"""

import collections

import tensorflow as tf

from kgen_ops import _loader
from kgen_ops.gibbs import _check_values

CdStatistics = collections.namedtuple("CdStatistics", ["w", "b_vis", "b_hid"])

# A statistic of samples, not a function to differentiate through.
tf.no_gradient("Kgen>CdStatistics")


def cd_statistics(v_pos, h_pos, v_neg, h_neg, validate_args=True):
    """Positive minus negative phase of the CD statistics of a binary RBM.

    Args:
        v_pos: [B, V] float32 or float64, the data (positive phase), B >= 1.
        h_pos: [B, H] p(h | v_pos).
        v_neg: [M, V] the chains' visible states (negative phase), M >= 1.
        h_neg: [M, H] p(h | v_neg).
        validate_args: bool. If `True` (default), check before the op that
            all four inputs are in [0, 1] (states or probabilities; NaN
            fails): one reduction over each, `O((B + M)(V + H))` against
            the op's `O((B + M) V H)`. `kgen.models.RBM` passes `False` in
            its training steps, whose data `fit` checks once.

    Returns:
        CdStatistics(w [V, H], b_vis [V], b_hid [H]) (formulas in the module
        docstring), in the inputs' dtype.

    Raises:
        TypeError: dtypes not float32/float64 or not all the same.
        tf.errors.InvalidArgumentError: ranks, mismatched sizes, or a phase
            with no rows; with `validate_args`, values outside [0, 1] or NaN
            (raised when a `tf.function` runs, if traced in one).
    """
    library = _loader.load_op_library()
    v_pos = tf.convert_to_tensor(v_pos)
    if v_pos.dtype not in (tf.float32, tf.float64):
        raise TypeError(f"`v_pos` must be float32 or float64. Received: v_pos.dtype={v_pos.dtype.name}")
    tensors = {"h_pos": h_pos, "v_neg": v_neg, "h_neg": h_neg}
    for name, value in tensors.items():
        tensor = tf.convert_to_tensor(value) if hasattr(value, "dtype") else tf.convert_to_tensor(
            value, dtype=v_pos.dtype
        )
        if tensor.dtype != v_pos.dtype:
            raise TypeError(
                f"`{name}` must have the dtype of `v_pos` ({v_pos.dtype.name}). "
                f"Received: {name}.dtype={tensor.dtype.name}"
            )
        tensors[name] = tensor
    h_pos, v_neg, h_neg = tensors["h_pos"], tensors["v_neg"], tensors["h_neg"]
    checks = []
    if validate_args:
        for name, value in (("v_pos", v_pos), ("h_pos", h_pos), ("v_neg", v_neg), ("h_neg", h_neg)):
            checks += _check_values("CdStatistics", name, value, unit_interval=True)
    with tf.control_dependencies(checks):
        grad_w = library.kgen_cd_statistics(v_pos=v_pos, h_pos=h_pos, v_neg=v_neg, h_neg=h_neg)
    return CdStatistics(
        w=grad_w,
        b_vis=tf.reduce_mean(v_pos, axis=0) - tf.reduce_mean(v_neg, axis=0),
        b_hid=tf.reduce_mean(h_pos, axis=0) - tf.reduce_mean(h_neg, axis=0),
    )
