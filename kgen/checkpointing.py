"""Training that survives faults: an atomic `BackupAndRestore` and a stop on NaN.

The recipe (what `kgen train` does):

```python
callbacks = [
    kgen.callbacks.StopOnNonFinite(),  # first: before anything saves
    kgen.callbacks.AtomicBackupAndRestore("runs/vae.backup"),
]
model.fit(x, epochs=30, callbacks=callbacks)
```

Run the same script again after a crash, a `kill -9` or a preempted machine
and `fit` resumes after the last completed epoch, with the weights and the
optimizer state (moments, step counter) of that epoch. When `fit` finishes,
the backup folder is deleted.

`keras.callbacks.BackupAndRestore` writes `latest.weights.h5` and then
`training_metadata.json` in place, so a kill during a save can leave a
truncated weights file, or new weights next to the old epoch number.
`AtomicBackupAndRestore` writes each checkpoint to a new file, flushes it to
disk, and only then replaces the metadata file (an atomic rename) that names
it: the metadata is the commit point, and it always names a complete weights
file of the epoch it records.
"""

import json
import math
import os
import pathlib

import keras
import numpy as np

_METADATA = "training_metadata.json"
_WEIGHTS_PREFIX = "checkpoint-"
_WEIGHTS_SUFFIX = ".weights.h5"


class NonFiniteTrainingError(FloatingPointError):
    """Training produced a NaN or infinite loss or metric; raised by `StopOnNonFinite`."""


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops `fit` with an error as soon as a loss or metric is NaN or infinite.

    `keras.callbacks.TerminateOnNaN` only sets `stop_training`, after which
    `fit` still ends the epoch: `on_epoch_end` callbacks then save the NaN
    weights (over the last good checkpoint) and `BackupAndRestore` deletes
    its backup at `on_train_end`. This callback raises
    `NonFiniteTrainingError` from `on_train_batch_end` instead, so no later
    callback runs: checkpoints on disk keep the last good weights. Put it
    first in the callback list, before anything that saves per batch.

    Args:
        monitor: names of the logs to check; `None` (default) checks every
            numeric entry of the logs (loss and all metrics).
    """

    def __init__(self, monitor=None):
        super().__init__()
        self.monitor = None if monitor is None else tuple(monitor)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if self.monitor is not None and name not in self.monitor:
                continue
            try:
                number = float(np.asarray(value))
            except (TypeError, ValueError):
                continue  # not a scalar
            if not math.isfinite(number):
                raise NonFiniteTrainingError(
                    f"Training stopped: `{name}` is {number} at epoch {self._epoch + 1}, "
                    f"batch {batch + 1}. Expected finite values. Check the data for NaN or "
                    "infinite values, and lower the learning rate. Checkpoints already written "
                    "hold the last good weights."
                )


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` whose checkpoints are written atomically.

    Same arguments and behaviour as Keras' callback (resume after the last
    completed epoch; with an integer `save_freq`, Keras restarts the
    interrupted epoch from its beginning with the weights saved mid-epoch),
    except for how files are written: each checkpoint goes to a new file
    `checkpoint-E-B.weights.h5` (E: epochs completed, B: batches seen),
    flushed to disk, then `training_metadata.json` is replaced by an atomic
    rename to name it, and only then are older checkpoint files removed. A
    kill at any moment leaves either the previous checkpoint or the new one,
    complete; stray files of an unfinished save are ignored and cleaned up
    at the next save.

    Args:
        backup_dir: folder for the checkpoint; not to be shared with other
            files or runs.
        save_freq: `"epoch"` (default) or an integer number of batches.
        delete_checkpoint: delete `backup_dir` when `fit` ends (default True).
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__(
            os.fspath(backup_dir),
            save_freq=save_freq,
            double_checkpoint=False,
            delete_checkpoint=delete_checkpoint,
        )

    @property
    def restored_epoch(self):
        """Epochs completed by the checkpoint `fit` resumed from (0 for a fresh start)."""
        return getattr(self, "_restored_epoch", 0)

    def on_train_begin(self, logs=None):
        self._restored_epoch = 0
        self._load_model()

    def _load_model(self):
        metadata = read_metadata(self.backup_dir)
        if metadata is None:
            return
        if not self.model.built:
            raise ValueError(
                "`AtomicBackupAndRestore` needs a built model to restore into. "
                f"Received: an unbuilt {type(self.model).__name__}; call it on a batch first."
            )
        for optimizer, variables in _optimizers_and_variables(self.model):
            if not optimizer.built:
                # The moments must exist before `load_weights` can fill them.
                optimizer.build(variables)
        self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
        self.model._initial_epoch = metadata["epoch"]
        self._current_epoch = metadata["epoch"]
        self._restored_epoch = metadata["epoch"]

    def _save_model(self):
        folder = pathlib.Path(self.backup_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = (
            f"{_WEIGHTS_PREFIX}{self._current_epoch:06d}-{self._last_batch_seen:07d}"
            f"{_WEIGHTS_SUFFIX}"
        )
        self.model.save_weights(os.fspath(folder / name), overwrite=True)
        _fsync_file(folder / name)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights": name}
        temporary = folder / f".{_METADATA}.tmp"
        with open(temporary, "w") as file:
            file.write(json.dumps(metadata))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, folder / _METADATA)  # the commit point
        _fsync_dir(folder)
        for path in folder.glob(f"{_WEIGHTS_PREFIX}*{_WEIGHTS_SUFFIX}"):
            if path.name != name:
                path.unlink(missing_ok=True)


def _optimizers_and_variables(model):
    """(optimizer, the variables it updates) pairs of `model`: one, or a GAN's two."""
    pairs = []
    if isinstance(getattr(model, "optimizer", None), keras.optimizers.Optimizer):
        pairs.append((model.optimizer, model.trainable_variables))
    for name, network in (("d_optimizer", "discriminator"), ("g_optimizer", "generator")):
        optimizer = getattr(model, name, None)
        if isinstance(optimizer, keras.optimizers.Optimizer):
            pairs.append((optimizer, getattr(model, network).trainable_variables))
    return pairs


def read_metadata(backup_dir):
    """The committed checkpoint of `backup_dir` as a dict, or None if there is none.

    Returns:
        `{"epoch": epochs completed, "batch": batches seen, "weights": file name}`
        when `training_metadata.json` exists and names an existing weights
        file; None otherwise (no checkpoint yet, or one written by Keras'
        own `BackupAndRestore`, which this class does not read).
    """
    path = pathlib.Path(backup_dir) / _METADATA
    if not path.is_file():
        return None
    metadata = json.loads(path.read_text())
    weights = metadata.get("weights")
    if not weights or not (pathlib.Path(backup_dir) / weights).is_file():
        return None
    return metadata


def _fsync_file(path):
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_dir(path):
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # Not supported on this platform.
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
