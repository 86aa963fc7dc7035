"""A replica's share of the global batch, for training under `tf.distribute`.

Under a strategy with `R > 1` replicas (`MirroredStrategy`,
`MultiWorkerMirroredStrategy`), `fit` splits each global batch of `N` rows
into `R` consecutive parts of `n_r` rows (`sum_r n_r = N`; the last batch
of an epoch may split unevenly and even leave a replica with no rows), runs
`train_step` once per replica on its part, and the Keras optimizer
all-reduces the gradients by summing them
(`keras/src/backend/tensorflow/optimizer.py`, `_all_reduce_sum_gradients`).
Keras' own `train_step` divides its loss by `R` for that
(`keras/src/losses/loss.py`, `scale_loss_for_distribution`); a custom step
that did not would take `R` times the single-device step. kgen's steps
weight by the replica's share `w_r = n_r / N` instead, which is exact for
uneven splits too:

- the loss differentiated is `w_r * (mean over the replica's rows)`, so the
  summed gradient is the gradient of the mean over all `N` rows, as on one
  device; statistics handed to the optimizer as gradients (the RBM's) are
  weighted alike;
- the metric trackers (`keras.metrics.Mean`, whose variables are summed
  over replicas when read) are updated with sample weight `w_r`, so each
  step adds the global-batch mean with weight 1, as on one device;
- noise is drawn for all `N` rows from the model's seed generator (its
  state is identical on every replica) and each replica keeps its own rows,
  so every row gets the noise it would get on one device, and no two
  replicas share noise.

With one replica all of this reduces to the single-device step: weight 1,
no slicing, no collective op.
"""

import warnings

import tensorflow as tf


def num_replicas():
    """The number of replicas training in sync (1 without a strategy)."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context, inside `strategy.scope()`
        return tf.distribute.get_strategy().num_replicas_in_sync
    return context.num_replicas_in_sync


def replica_id():
    """This replica's index in `[0, num_replicas())`, an int32 tensor (or 0)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 0
    return tf.cast(context.replica_id_in_sync_group, tf.int32)


class Share:
    """This replica's `count` rows, global rows `offset .. offset + count - 1` of `total`."""

    def __init__(self, count, offset=0, total=None):
        self.count = count
        self.offset = offset
        self.total = count if total is None else total
        self.distributed = total is not None

    @property
    def weight(self):
        """`count / total`, the replica's share of a global-batch mean (1.0 on one device)."""
        if not self.distributed:
            return 1.0
        return tf.math.divide_no_nan(
            tf.cast(self.count, tf.float32), tf.cast(self.total, tf.float32)
        )

    def rows(self, draw, axis=0):
        """This replica's rows of `draw(total)`, a tensor with `total` rows along `axis`.

        `axis=1` for time-major noise `(steps, total, ...)` (DRAW's `eps`).
        """
        if not self.distributed:
            return draw(self.count)
        index = (slice(None),) * axis + (slice(self.offset, self.offset + self.count),)
        return draw(self.total)[index]

    def scale(self, value):
        """`weight * value`: what a replica contributes to a summed all-reduce."""
        if not self.distributed:
            return value
        return tf.cast(self.weight, value.dtype) * value

    def update(self, tracker, value):
        """Adds a mean over this replica's rows to a `keras.metrics.Mean` tracker.

        With weight `count / total`; a replica with no rows (whose mean is
        NaN) adds nothing.
        """
        if not self.distributed:
            tracker.update_state(value)
            return
        value = tf.where(self.count > 0, value, tf.zeros_like(value))
        tracker.update_state(value, sample_weight=self.weight)


def share(batch_size, rows_used=None):
    """This replica's `Share` of the global batch.

    Args:
        batch_size: int32 scalar tensor, the rows of this replica's batch.
        rows_used: optional function mapping batch sizes (an int32 tensor of
            any shape) to the rows a step uses of them, e.g. a minibatch
            size. `None`: all of them.

    Returns:
        A `Share`. Under several replicas it all-gathers the batch sizes
        (one small collective op), since a replica's offset depends on the
        sizes of the replicas before it.
    """
    rows_used = rows_used or (lambda n: n)
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return Share(rows_used(batch_size))
    sizes = context.all_gather(tf.reshape(tf.cast(batch_size, tf.int32), (1,)), axis=0)
    counts = rows_used(sizes)
    index = replica_id()
    return Share(counts[index], tf.reduce_sum(counts[:index]), tf.reduce_sum(counts))


def compile_options(model, jit_compile, steps_per_execution, default_jit, default_steps=8):
    """`(jit_compile, steps_per_execution)` for `compile` under `model`'s strategy.

    `None` means the model's default. Under several replicas two Keras 3
    options fail at run time, so they fall back with a warning when asked
    for: XLA, because Keras compiles the whole multi-replica step as one
    XLA cluster, which cannot place one replica's variables on another
    device; and `steps_per_execution > 1`, whose multi-step loop runs
    `strategy.run` inside a `tf.cond` ("You must feed a value for
    placeholder tensor", keras-team/keras#19246).
    """
    if model.distribute_strategy.num_replicas_in_sync == 1:
        return (
            default_jit if jit_compile is None else jit_compile,
            default_steps if steps_per_execution is None else steps_per_execution,
        )
    if jit_compile is True:
        warnings.warn(
            "`jit_compile=True` does not work under a tf.distribute strategy with several "
            "replicas in Keras 3; using jit_compile=False.",
            stacklevel=3,
        )
    if steps_per_execution is not None and steps_per_execution != 1:
        warnings.warn(
            "`steps_per_execution` > 1 does not work under a tf.distribute strategy with "
            "several replicas in Keras 3 (keras-team/keras#19246); using steps_per_execution=1. "
            f"Received: steps_per_execution={steps_per_execution!r}",
            stacklevel=3,
        )
    if jit_compile is None or jit_compile is True:
        jit_compile = False
    return jit_compile, 1


def logs(trackers):
    """`{name: result}` of the metric trackers, as a train or test step returns them.

    Under `MultiWorkerMirroredStrategy` Keras 3 reduces every value a step
    returns with `strategy.reduce("MEAN", value, axis=0)`
    (`keras/src/backend/tensorflow/trainer.py`, `reduce_per_replica`),
    which fails for a scalar ("Invalid reduction dimension 0 for input with
    0 dimensions", tensorflow/tensorflow#72388); there each value gets a
    leading axis of length 1, which that reduction removes.
    """
    results = {tracker.name: tracker.result() for tracker in trackers}
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        results = {name: tf.reshape(value, (1,)) for name, value in results.items()}
    return results


def symbolic_build(model, keras_build, iterator=None, data_batch=None):
    """Keras' build before `fit`, `evaluate` and `*_on_batch`, without data when none is needed.

    Under a strategy, Keras (`_maybe_symbolic_build` in
    `keras/src/backend/tensorflow/trainer.py`) first averages the first
    batch over the replicas with `strategy.reduce`, to trace the model on it;
    under `MultiWorkerMirroredStrategy` that fails for a batch of several
    tensors, such as `(x, y)` ("Attempt to convert a value (PerReplica...)
    to a Tensor"). kgen's models build their weights when constructed and
    ignore compiled losses and metrics, so the trace has nothing to create
    but the optimizer's variables, which need no data: then only those are
    built. Otherwise, and under other strategies, `keras_build` (Keras'
    method) runs.
    """
    needs_data = (
        not all(layer.built for layer in model._flatten_layers())
        or (model._compile_metrics is not None and not model._compile_metrics.built)
        or (model._compile_loss is not None and not model._compile_loss.built)
    )
    if needs_data or not isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        keras_build(iterator=iterator, data_batch=data_batch)
        return
    with model.distribute_strategy.scope():
        model._symbolic_build()
