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

import collections

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


def cd_update(v, w, b_vis, b_hid, k, seed, learning_rate, chains=None, momentum=None,
              velocities=None, validate_args=True):
    """One CD-k (or PCD-k) step of SGD on an RBM's variables, in place.

    Args:
        v: [B, V] float32 or float64, the data (positive phase), B >= 1.
        w: `tf.Variable` [V, H], the weights (float32 or float64); a Keras
            variable (e.g. `kgen.models.RBM(...).w`) stands for its own.
        b_vis: `tf.Variable` [V], the visible biases, dtype of `w`.
        b_hid: `tf.Variable` [H], the hidden biases, dtype of `w`.
        k: int scalar >= 0, Gibbs sweeps of the negative phase.
        seed: int64 [2], `(key, stream)`: the chain is that of
            `gibbs_sweeps(chains, w, b_vis, b_hid, k, seed)`.
        learning_rate: scalar step size (a Python float or a tensor).
        chains: [M, V] where the negative-phase chains start, M >= 1; None
            (CD-k) starts them at `v`. For PCD, pass the persistent chains
            and keep the returned states for the next step.
        momentum: optional scalar: SGD with momentum, as Keras' `SGD(momentum=...)`
            (no Nesterov) updates: for each parameter P and its velocity m,
            `m = momentum * m + learning_rate * statistics_P; P += m`.
            Needs `velocities`.
        velocities: with `momentum`, three `tf.Variable`s shaped and typed
            like `w`, `b_vis`, `b_hid` (e.g. Keras' SGD `momentums`), updated
            in place.
        validate_args: bool. If `True` (default), check before the step
            that `v` and `chains` are in [0, 1] and `w`, `b_vis`, `b_hid`,
            `learning_rate` and `momentum` are finite: one reduction over each,
            `O((B + M) V + V H)` against the step's `O(k (B + M) V H)`.
            Pass `False` in a loop whose inputs are known to be good.

    Returns:
        [M, V] tensor: the chains' visible states after the k sweeps (drawn
        with the parameters before the update).

    The variables are locked for the whole step, and reads of them
    taken earlier keep their values (the op updates a copy when a buffer is
    still shared). On a GPU variable the step runs as the unfused ops
    (`gibbs_sweeps`, `cd_statistics`, `assign_add`): the fused kernel is
    CPU-only.

    Raises:
        TypeError: `w`, `b_vis`, `b_hid` or a velocity not a `tf.Variable`,
            dtypes not float32/float64 or not all the same.
        ValueError: `momentum` without `velocities` or the other way round.
        tf.errors.InvalidArgumentError: shapes that do not match W, an empty
            `v` or `chains`, k < 0, seed not of shape [2]; with
            `validate_args`, values outside [0, 1] in `v` or `chains` (e.g.
            0-255 pixels: divide by 255), or NaN or infinite values in any
            input (raised when a `tf.function` runs, if traced in one).
    """
    return _step(v, w, b_vis, b_hid, k, seed, learning_rate, chains, momentum, velocities,
                 flip=None, validate_args=validate_args).v_k


def cd_step(v, w, b_vis, b_hid, k, seed, learning_rate, flip, chains=None, momentum=None,
            velocities=None, validate_args=True):
    """`cd_update`, also returning per row what an RBM's training metrics need.

    The same step as `cd_update` (same arguments, `validate_args` included,
    same update, same chain). The extra outputs are computed where the
    Gibbs kernel has the hidden inputs in hand, on the parameters before the
    update, so a model's metrics need no further product with W and no pass
    over `[B, H]` tensors. With `a = b_hid + v W`:

    - `h0_softplus` [B]: `sum_j softplus(a_j)`, so that the free energy is
      `F(v) = -b_vis^T v - h0_softplus`.
    - `flipped_softplus` [B]: `sum_j softplus(a_j + s W[flip, j])`, `s = 1 -
      2 v[flip]`: the same for `v` with its unit `flip` flipped (the
      pseudo-log-likelihood's `F(v~) = -(b_vis^T v + s b_vis[flip]) -
      flipped_softplus`).
    - `h_softplus` [M]: `sum_j softplus((b_hid + v_k W)_j)`, for `F(v_k)`.
    - `reconstruction_error` [B]: `sum_i (v_i - p(v_i | h_0))^2` with `h_0 ~
      p(h | v)`: one sampled up-down pass from the data (the reconstruction
      of Hinton's CD-1 code). For CD-k with k >= 1 it is the chains' first
      sweep; otherwise (PCD, k = 0) a one-sweep run from `v` with the seed
      `(seed[0], seed[1] XOR 2**63)` (`data_run_seed`), a stream apart from
      the chains'.

    float32 softplus is evaluated by a vector polynomial (absolute error
    below 1e-7 per term, as TensorFlow's `tf.nn.softplus`), float64 by `log1p`.

    Args:
        flip: int32 [B], a visible unit per row of `v`, in [0, V).
        (The others: `cd_update`.)

    Returns:
        `CdStepResult(v_k, h0_softplus, flipped_softplus, h_softplus,
        reconstruction_error)`.
    """
    return _step(v, w, b_vis, b_hid, k, seed, learning_rate, chains, momentum, velocities,
                 flip=flip, validate_args=validate_args)


CdStepResult = collections.namedtuple(
    "CdStepResult",
    ["v_k", "h0_softplus", "flipped_softplus", "h_softplus", "reconstruction_error"],
)

# seed[1] XOR 2**63: the stream of the data's own one-sweep run (int64 bits).
_DATA_STREAM_FLIP = -(2**63)


def data_run_seed(seed):
    """The seed of `cd_step`'s one-sweep run from the data (PCD or k = 0)."""
    seed = tf.convert_to_tensor(seed, dtype=tf.int64)
    return tf.bitwise.bitwise_xor(seed, tf.constant([0, _DATA_STREAM_FLIP], tf.int64))


def _step(v, w, b_vis, b_hid, k, seed, learning_rate, chains, momentum, velocities, flip,
          validate_args):
    by_products = flip is not None
    parameters = (("w", w), ("b_vis", b_vis), ("b_hid", b_hid))
    if (momentum is None) != (velocities is None):
        raise ValueError(
            "`momentum` and `velocities` must be given together. "
            f"Received: momentum={momentum!r}, velocities={velocities!r}"
        )
    if velocities is not None:
        velocities = tuple(velocities)
        if len(velocities) != 3:
            raise ValueError(
                "`velocities` must be three variables shaped like w, b_vis, b_hid. "
                f"Received: {len(velocities)} velocities"
            )
        parameters += tuple(
            (f"velocity_{name}", velocity) for (name, _), velocity in zip(parameters, velocities)
        )
    # A Keras variable (a model's weight, an optimizer's slot) stands for its tf.Variable.
    parameters = tuple((name, _tf_variable(variable)) for name, variable in parameters)
    w, b_vis, b_hid = (variable for _, variable in parameters[:3])
    if velocities is not None:
        velocities = tuple(variable for _, variable in parameters[3:])
    for name, variable in parameters:
        if not isinstance(variable, tf.Variable):
            raise TypeError(
                f"`{name}` must be a tf.Variable (the step updates it in place). "
                f"Received: {name} of type {type(variable).__name__}"
            )
    dtype = w.dtype
    if dtype not in (tf.float32, tf.float64):
        raise TypeError(f"`w` must be float32 or float64. Received: w.dtype={dtype.name}")
    for name, variable in parameters[1:]:
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
    momentum = tf.convert_to_tensor(0.0 if momentum is None else momentum, dtype=dtype)
    flip = tf.zeros((0,), tf.int32) if flip is None else tf.convert_to_tensor(flip, dtype=tf.int32)
    checks = []
    if validate_args:
        states = (("v", v),) if chains is v else (("v", v), ("chains", chains))
        for name, value in states:
            checks += _check_values(_OP_NAME_SHORT, name, value, unit_interval=True)
        for name, value in (("w", w), ("b_vis", b_vis), ("b_hid", b_hid),
                            ("learning_rate", learning_rate), ("momentum", momentum)):
            checks += _check_values(_OP_NAME_SHORT, name, tf.convert_to_tensor(value))
    with tf.control_dependencies(checks):
        if any(_on_gpu(variable) for _, variable in parameters):
            return _unfused_step(v, w, b_vis, b_hid, k, seed, learning_rate, chains, momentum,
                                 velocities, flip if by_products else None)
        library = _loader.load_op_library()
        return CdStepResult(*library.kgen_cd_update(
            w=w.handle, b_vis=b_vis.handle, b_hid=b_hid.handle,
            velocities=[velocity.handle for velocity in velocities or ()], v=v, chains=chains,
            k=k, seed=seed, learning_rate=learning_rate, momentum=momentum, flip=flip,
            by_products=by_products,
        ))


def _tf_variable(variable):
    value = getattr(variable, "value", None)
    return value if not isinstance(variable, tf.Variable) and isinstance(value, tf.Variable) else variable


def _unfused_step(v, w, b_vis, b_hid, k, seed, learning_rate, chains, momentum, velocities,
                  flip):
    """The same step as separate ops (GPU variables: the fused kernel is CPU-only)."""
    # The inputs were checked (or not) by `cd_update`/`cd_step`.
    chain = gibbs_sweeps(chains, w, b_vis, b_hid, k, seed, validate_args=False)
    chains_are_data = chains is v
    if chains_are_data:
        h_pos = chain.h0_prob
    else:
        h_pos = gibbs_sweeps(v, w, b_vis, b_hid, 0, seed, validate_args=False).h0_prob
    if flip is not None:
        activation = tf.matmul(v, w) + b_hid
        sign = 1.0 - 2.0 * tf.gather(v, flip, axis=1, batch_dims=1)
        flipped = activation + sign[:, None] * tf.gather(w, flip)
        if chains_are_data:  # the chains' first sweep, unless k = 0
            run_seed = tf.where(k >= 1, seed, data_run_seed(seed))
        else:
            run_seed = data_run_seed(seed)
        first_sweep = gibbs_sweeps(v, w, b_vis, b_hid, 1, run_seed, validate_args=False)
        by_products = (
            tf.reduce_sum(tf.nn.softplus(activation), axis=1),
            tf.reduce_sum(tf.nn.softplus(flipped), axis=1),
            tf.reduce_sum(tf.nn.softplus(tf.matmul(chain.v, w) + b_hid), axis=1),
            tf.reduce_sum(tf.square(v - first_sweep.v_prob), axis=1),
        )
    else:
        empty = tf.zeros((0,), w.dtype)
        by_products = (empty, empty, empty, empty)
    statistics = cd_statistics(v, h_pos, chain.v, chain.h_prob, validate_args=False)
    steps = [learning_rate * statistics.w, learning_rate * statistics.b_vis,
             learning_rate * statistics.b_hid]
    for index, (parameter, step) in enumerate(zip((w, b_vis, b_hid), steps)):
        if velocities is None:
            parameter.assign_add(step)
        else:
            velocities[index].assign(momentum * velocities[index] + step)
            parameter.assign_add(velocities[index])
    return CdStepResult(chain.v, *by_products)
