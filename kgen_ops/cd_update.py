"""TensorFlow wrapper of the fused CD-k SGD step (`Kgen>CdUpdate`).

One call is one step of contrastive divergence with plain SGD on a binary
RBM's variables (ascent on the log-likelihood; see `kgen_ops.gibbs` and
`kgen_ops.cd_statistics` for the mathematics):

    chain   = k Gibbs sweeps from `chains` (the data for CD-k)
    W      += lr * (v^T p(h | v) / B - v_k^T p(h | v_k) / M)
    b_vis  += lr * (mean(v, 0) - mean(v_k, 0))
    b_hid  += lr * (mean(p(h | v), 0) - mean(p(h | v_k), 0))

It is exactly `gibbs_sweeps` + `cd_statistics` + three `assign_add`s (same
seed, same chain; sums within float rounding), fused into one CPU kernel
that updates the variables in place: the statistics are added into W row
by row as they are summed, with no [V, H] temporary and no elementwise pass
over W. For momentum, Adam, weight decay or `tf.distribute`, hand the
statistics to a Keras optimizer instead, as `kgen.models.RBM` does.
"""

import tensorflow as tf

from kgen_ops import _loader
from kgen_ops.cd_statistics import cd_statistics
from kgen_ops.gibbs import _check_values, _same_dtype_as_w, gibbs_sweeps

_OP_NAME = "Kgen>CdUpdate"
_OP_NAME_SHORT = "CdUpdate"

# An update of variables, not a function to differentiate through.
tf.no_gradient(_OP_NAME)


def _on_gpu(variable):
    return tf.DeviceSpec.from_string(variable.device or "").device_type == "GPU"


def cd_update(v, w, b_vis, b_hid, k, seed, learning_rate, chains=None, validate_args=True):
    """One CD-k (or PCD-k) step of SGD on an RBM's variables, in place.

    Args:
        v: [B, V] float32 or float64, the data (positive phase), B >= 1.
        w: `tf.Variable` [V, H], the weights (float32 or float64).
        b_vis: `tf.Variable` [V], the visible biases, dtype of `w`.
        b_hid: `tf.Variable` [H], the hidden biases, dtype of `w`.
        k: int scalar >= 0, Gibbs sweeps of the negative phase.
        seed: int64 [2], `(key, stream)`: the chain is that of
            `gibbs_sweeps(chains, w, b_vis, b_hid, k, seed)`.
        learning_rate: scalar step size (a Python float or a tensor).
        chains: [M, V] where the negative-phase chains start, M >= 1; None
            (CD-k) starts them at `v`. For PCD, pass the persistent chains
            and keep the returned states for the next step.
        validate_args: bool. If `True` (default), check before the step
            that `v` and `chains` are in [0, 1] and `w`, `b_vis`, `b_hid`
            and `learning_rate` are finite: one reduction over each,
            `O((B + M) V + V H)` against the step's `O(k (B + M) V H)`.
            Pass `False` in a loop whose inputs are known to be good.

    Returns:
        [M, V] tensor: the chains' visible states after the k sweeps (drawn
        with the parameters before the update).

    The three variables are locked for the whole step, and reads of them
    taken earlier keep their values (the op updates a copy when a buffer is
    still shared). On a GPU variable the step runs as the unfused ops
    (`gibbs_sweeps`, `cd_statistics`, `assign_add`): the fused kernel is
    CPU-only.

    Raises:
        TypeError: `w`, `b_vis` or `b_hid` not a `tf.Variable`, dtypes not
            float32/float64 or not all the same.
        tf.errors.InvalidArgumentError: shapes that do not match W, an empty
            `v` or `chains`, k < 0, seed not of shape [2]; with
            `validate_args`, values outside [0, 1] in `v` or `chains` (e.g.
            0-255 pixels: divide by 255), or NaN or infinite values in any
            input (raised when a `tf.function` runs, if traced in one).
    """
    for name, variable in (("w", w), ("b_vis", b_vis), ("b_hid", b_hid)):
        if not isinstance(variable, tf.Variable):
            raise TypeError(
                f"`{name}` must be a tf.Variable (the step updates it in place). "
                f"Received: {name} of type {type(variable).__name__}"
            )
    dtype = w.dtype
    if dtype not in (tf.float32, tf.float64):
        raise TypeError(f"`w` must be float32 or float64. Received: w.dtype={dtype.name}")
    for name, variable in (("b_vis", b_vis), ("b_hid", b_hid)):
        if variable.dtype != dtype:
            raise TypeError(
                f"`{name}` must have the dtype of `w` ({dtype.name}). "
                f"Received: {name}.dtype={variable.dtype.name}"
            )
    v = _same_dtype_as_w("v", v, dtype)
    chains = v if chains is None else _same_dtype_as_w("chains", chains, dtype)
    k = tf.convert_to_tensor(k, dtype=tf.int32)
    seed = tf.convert_to_tensor(seed, dtype=tf.int64)
    learning_rate = tf.convert_to_tensor(learning_rate, dtype=dtype)
    checks = []
    if validate_args:
        states = (("v", v),) if chains is v else (("v", v), ("chains", chains))
        for name, value in states:
            checks += _check_values(_OP_NAME_SHORT, name, value, unit_interval=True)
        for name, value in (("w", w), ("b_vis", b_vis), ("b_hid", b_hid), ("learning_rate", learning_rate)):
            checks += _check_values(_OP_NAME_SHORT, name, tf.convert_to_tensor(value))
    with tf.control_dependencies(checks):
        if any(_on_gpu(variable) for variable in (w, b_vis, b_hid)):
            return _unfused_update(v, w, b_vis, b_hid, k, seed, learning_rate, chains)
        library = _loader.load_op_library()
        return library.kgen_cd_update(
            w=w.handle, b_vis=b_vis.handle, b_hid=b_hid.handle, v=v, chains=chains,
            k=k, seed=seed, learning_rate=learning_rate,
        )


def _unfused_update(v, w, b_vis, b_hid, k, seed, learning_rate, chains):
    """The same step as separate ops (GPU variables: the fused kernel is CPU-only)."""
    # The inputs were checked (or not) by `cd_update`.
    chain = gibbs_sweeps(chains, w, b_vis, b_hid, k, seed, validate_args=False)
    if chains is v:
        h_pos = chain.h0_prob
    else:
        h_pos = gibbs_sweeps(v, w, b_vis, b_hid, 0, seed, validate_args=False).h0_prob
    statistics = cd_statistics(v, h_pos, chain.v, chain.h_prob, validate_args=False)
    w.assign_add(learning_rate * statistics.w)
    b_vis.assign_add(learning_rate * statistics.b_vis)
    b_hid.assign_add(learning_rate * statistics.b_hid)
    return chain.v
