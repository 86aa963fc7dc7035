"""The base class of kgen's models: two Keras hooks every one of them needs.

- `compile_from_config`: Keras skips it for models that override `compile`
  (all of kgen's do, for their defaults), so a reloaded `.keras` model would
  come back uncompiled and lose its optimizer state. This version
  recompiles with the saved configuration and creates the optimizer's
  variables so that loading fills them.
- `_maybe_symbolic_build`: Keras' build before training, with the
  workaround for `MultiWorkerMirroredStrategy` of `_replicas.symbolic_build`.
"""

import keras

from kgen.models import _replicas


class Model(keras.Model):
    """`keras.Model` with the reload and multi-worker hooks kgen's models share."""

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
