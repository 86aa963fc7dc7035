"""TensorFlow wrapper of the fused block-Gibbs op (`Kgen>GibbsSweeps`).

Mathematics (binary RBM, energy E(v, h) = -v^T W h - b_vis^T v - b_hid^T h):

    p(h_j = 1 | v) = sigmoid(b_hid_j + (v W)_j)
    p(v_i = 1 | h) = sigmoid(b_vis_i + (W h)_i)

One call runs k sweeps on each row of `v` (an independent chain) inside one
kernel, without returning to the graph between sweeps:

    h0_prob = p(h | v_0)
    for s in 0 .. k-1:  h_s ~ p(h | v_s);  v_prob = p(v | h_s);  v_{s+1} ~ v_prob
    h_prob = p(h | v_k);  h ~ h_prob

Random numbers: a Bernoulli(p) draw is `u < p` with `u` the Philox-4x32-10
uniform (see `kgen_ops.philox`) of draw index d (2s for h in sweep s, 2s + 1
for v, 2k for the final h) at element e (row-major in the [B, n] layer):
element d * 2**34 + e of the stream of `seed`. So the result is the same on CPU
and GPU and for any number of threads, and a NumPy reference can draw the very
same uniforms (kgen_ops/reference/gibbs_sweeps.py).
"""

import collections

import tensorflow as tf

from kgen_ops import _loader

_OP_NAME = "Kgen>GibbsSweeps"
_OP_NAME_SHORT = "GibbsSweeps"  # as the kernel's messages name it

GibbsSweepsResult = collections.namedtuple("GibbsSweepsResult", ["v", "h", "v_prob", "h_prob", "h0_prob"])


class GibbsSweepsGradientError(LookupError):
    """Raised when a gradient of `gibbs_sweeps` is asked for.

    A `LookupError`, as TensorFlow raises for ops without a gradient. Its
    `__init__` is `Exception.__init__` so that AutoGraph re-raises it with
    this type from inside a `tf.function` instead of wrapping it.
    """

    __init__ = Exception.__init__


@tf.RegisterGradient(_OP_NAME)
def _gibbs_sweeps_gradient(op, *grads):
    raise GibbsSweepsGradientError(
        "kgen_ops.gibbs_sweeps is a sampler and has no gradient. For RBM training, "
        "use the CD statistics (positive minus negative phase), as kgen.models.RBM "
        "does, or wrap the outputs in tf.stop_gradient."
    )


def _same_dtype_as_w(name, value, dtype):
    # Python numbers and lists take w's dtype; arrays and tensors must already
    # have it (no silent float64 -> float32 cast), as in kgen_ops.native.
    if hasattr(value, "dtype"):
        tensor = tf.convert_to_tensor(value)
    else:
        tensor = tf.convert_to_tensor(value, dtype=dtype)
    if tensor.dtype != dtype:
        raise TypeError(
            f"`{name}` must have the dtype of `w` ({dtype.name}). "
            f"Received: {name}.dtype={tensor.dtype.name}"
        )
    return tensor


def _check_values(op_name, name, tensor, unit_interval=False):
    """Checks that `tensor` is finite (and, with `unit_interval`, in [0, 1]).

    The check the wrappers run on their inputs before the op: one pass
    over `tensor` (a reduction, `O(size)`). Eagerly it raises at once; in
    a `tf.function` it returns an assertion op to run the op after (so the
    error comes when the function runs).

    Args:
        op_name: the op's name for the message, e.g. `"GibbsSweeps"`.
        name: the argument's name.
        tensor: a float tensor.
        unit_interval: whether the values must also lie in [0, 1] (binary
            states `{0, 1}` or probabilities).

    Returns:
        A list of the assertion ops to depend on (empty when eager).

    Raises:
        tf.errors.InvalidArgumentError: eagerly, for NaN or infinite values,
            or values outside [0, 1] with `unit_interval`; the message
            names the range found.
    """
    expectation = "finite"
    if unit_interval:
        expectation = "in [0, 1] (binary states or probabilities)"
    finite = tf.reduce_all(tf.math.is_finite(tensor))
    found_low, found_high = tf.reduce_min(tensor), tf.reduce_max(tensor)
    valid = finite & (found_low >= 0) & (found_high <= 1) if unit_interval else finite
    if tf.executing_eagerly():
        if not bool(valid):
            found = f"{name} from {float(found_low):g} to {float(found_high):g}"
            if not bool(finite):
                found = f"{name} with NaN or infinite values"
            raise tf.errors.InvalidArgumentError(
                None, None, f"{op_name}: `{name}` must be {expectation}. Received: {found}"
            )
        return []
    return [tf.debugging.Assert(
        valid,
        [f"{op_name}: `{name}` must be {expectation}. Received: {name} from",
         found_low, "to", found_high],
    )]


def gibbs_sweeps(v, w, b_vis, b_hid, k, seed, validate_args=True):
    """k fused block-Gibbs sweeps of a binary RBM.

    Args:
        v: [B, V] float32 or float64, starting visible states (or probabilities).
        w: [V, H] weights, same dtype.
        b_vis: [V] visible biases.
        b_hid: [H] hidden biases.
        k: int scalar >= 0, number of sweeps.
        seed: int64 [2], `(key, stream)`; the same seed gives the same result.
        validate_args: bool. If `True` (default), check that `v` is in
            [0, 1] and `w`, `b_vis`, `b_hid` are finite before the op
            (`_check_values`): one reduction over each, `O(B V + V H)`
            against the op's `O(k B V H)`. `kgen.models.RBM` passes `False`
            in its training steps, whose data `fit` checks once.

    Returns:
        GibbsSweepsResult(v, h, v_prob, h_prob, h0_prob):
            v: [B, V] visible samples after k sweeps (the input when k = 0).
            h: [B, H] hidden samples drawn from h_prob.
            v_prob: [B, V] p(v | h) of the last sweep (zeros when k = 0).
            h_prob: [B, H] p(h | v) of the final v.
            h0_prob: [B, H] p(h | v) of the starting v.

    Without `validate_args`, NaN in the parameters gives NaN probabilities
    and 0 states (u < NaN is false). The op is not differentiable: asking for a gradient raises
    `GibbsSweepsGradientError` (a LookupError), also inside tf.function.
    XLA cannot compile it: models that call it set `jit_compile=False`.

    Raises:
        tf.errors.InvalidArgumentError: wrong ranks, mismatched sizes, k < 0,
            seed not of shape [2]; with `validate_args`, `v` outside [0, 1]
            (e.g. 0-255 pixels: divide by 255) or NaN or infinite values in
            any of `v`, `w`, `b_vis`, `b_hid` (raised when a `tf.function`
            runs, if traced in one).
        TypeError: `w` not float32/float64, or `v`, `b_vis`, `b_hid` of
            another dtype than `w`.
    """
    library = _loader.load_op_library()
    w = tf.convert_to_tensor(w)
    if w.dtype not in (tf.float32, tf.float64):
        raise TypeError(f"`w` must be float32 or float64. Received: w.dtype={w.dtype.name}")
    v, b_vis, b_hid = (
        _same_dtype_as_w(name, value, w.dtype)
        for name, value in (("v", v), ("b_vis", b_vis), ("b_hid", b_hid))
    )
    k = tf.convert_to_tensor(k, dtype=tf.int32)
    seed = tf.convert_to_tensor(seed, dtype=tf.int64)
    checks = []
    if validate_args:
        checks = _check_values(_OP_NAME_SHORT, "v", v, unit_interval=True)
        for name, value in (("w", w), ("b_vis", b_vis), ("b_hid", b_hid)):
            checks += _check_values(_OP_NAME_SHORT, name, value)
    with tf.control_dependencies(checks):
        outputs = library.kgen_gibbs_sweeps(v_start=v, w=w, b_vis=b_vis, b_hid=b_hid, k=k, seed=seed)
    return GibbsSweepsResult(*outputs)
