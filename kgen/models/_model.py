"""The base class of kgen's models: the Keras hooks and the input check they share.

- `compile_from_config`: Keras skips it for models that override `compile`
  (all of kgen's do, for their defaults), so a reloaded `.keras` model would
  come back uncompiled and lose its optimizer state. This version
  recompiles with the saved configuration and creates the optimizer's
  variables so that loading fills them.
- `_maybe_symbolic_build`: Keras' build before training, with the
  workaround for `MultiWorkerMirroredStrategy` of `_replicas.symbolic_build`.
- `_standardize_batch` and `_check_batch_shape`: a batch of examples as a
  float tensor, its shape checked against the model's example shape with
  one error message for every model.
"""

import keras
import tensorflow as tf

from kgen.models import _replicas


class Model(keras.Model):
    """`keras.Model` with the reload, multi-worker and input-check code kgen's models share."""

    def compile_from_config(self, config):
        """Recompiles a loaded model as it was compiled when saved, optimizer state included."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            # Create the optimizer's variables, so that loading restores their state.
            self.optimizer.build(self.trainable_variables)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras' build before training, without the reduction of the first
        # batch that fails under MultiWorkerMirroredStrategy (see `_replicas`).
        _replicas.symbolic_build(self, super()._maybe_symbolic_build, iterator, data_batch)

    def _standardize_batch(self, x, example_shape, name="x"):
        """Converts `x` to a `compute_dtype` tensor and checks its shape.

        Args:
            x: array or tensor of shape `(batch_size, *example_shape)`.
            example_shape: tuple of ints, the shape of one example.
            name: the argument's name in the error message.

        Returns:
            `x` as a tensor of the same shape and the model's `compute_dtype`.

        Raises:
            ValueError: if the rank of `x` or a known size of its example
                axes differs from `example_shape` (see `_check_batch_shape`).
        """
        x = keras.ops.cast(keras.ops.convert_to_tensor(x), self.compute_dtype)
        if x.shape.rank is None:
            # `fit` may retrace its train function with relaxed shapes (even an
            # unknown rank); then the check can only happen when it runs.
            return tf.ensure_shape(x, (None, *example_shape))
        self._check_batch_shape(tuple(x.shape), example_shape, name)
        return x

    def _check_batch_shape(self, shape, example_shape, name="x"):
        """Raises unless `shape` is `(batch_size, *example_shape)`; unknown sizes (`None`) pass."""
        if len(shape) != len(example_shape) + 1 or any(
            got is not None and got != want for got, want in zip(shape[1:], example_shape)
        ):
            expected = ", ".join(map(str, example_shape))
            raise ValueError(
                f"`{name}` must have shape (batch_size, {expected}). "
                f"Received: {name}.shape={shape}"
            )
