"""Training kgen models on several devices or hosts with `tf.distribute`.

Every kgen model trains under `tf.distribute.MirroredStrategy` (the devices
of one host) and `tf.distribute.MultiWorkerMirroredStrategy` (several
hosts) when it is created and compiled inside `strategy.scope()`:

```python
strategy = kgen.distribute.make_strategy("mirrored")
with strategy.scope():
    vae = kgen.models.VAE(input_shape=(28, 28, 1), latent_dim=16, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
vae.fit(x_train, epochs=30, batch_size=64 * strategy.num_replicas_in_sync)
```

`batch_size` is the global batch: each of the `R` replicas trains on its
part and the update is that of one device on the whole global batch (the
gradients and the RBM's CD statistics are averaged over the global batch,
batch normalisation in the built-in networks uses the global batch's
statistics, and noise is drawn per global row). `docs/distributed.md` says
what is shared, what is per replica, and how to set up several hosts.
"""

import tensorflow as tf

from kgen import _validation

STRATEGIES = ("mirrored", "multiworker")


def make_strategy(name=None, devices=None):
    """Returns a `tf.distribute.Strategy` by name.

    - `None`: the default strategy, one device (its `scope()` changes
      nothing), so that code can be written once with `strategy.scope()`.
    - `"mirrored"`: `tf.distribute.MirroredStrategy`, synchronous data
      parallelism over the devices of this host: all GPUs (or `devices`),
      or, when there is no GPU, all logical CPU devices (one unless the
      program split the CPU with `tf.config.set_logical_device_configuration`).
    - `"multiworker"`: `tf.distribute.MultiWorkerMirroredStrategy`,
      synchronous data parallelism over the hosts listed in the `TF_CONFIG`
      environment variable (every host runs the same program with its own
      task index; without `TF_CONFIG` it is one local worker). Create it at
      the start of the program, before any other TensorFlow operation:
      it starts the host's collective-communication server.

    Args:
        name: `None`, `"mirrored"` or `"multiworker"`.
        devices: optional list of device names for `"mirrored"`, e.g.
            `["/gpu:0", "/gpu:1"]`. `None`: all of them.

    Returns:
        The strategy. Create and compile models inside its `scope()`, and
        pass `fit` the global batch size (per-replica batch size times
        `strategy.num_replicas_in_sync`).

    Raises:
        ValueError: for an unknown `name`, or `devices` with another
            strategy than `"mirrored"`.
    """
    name = _validation.choice("name", name, (None, *STRATEGIES))
    if devices is not None and name != "mirrored":
        raise ValueError(
            f"`devices` can only be given with name='mirrored'. Received: name={name!r}, devices={devices!r}"
        )
    if name is None:
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if devices is None and not tf.config.list_logical_devices("GPU"):
            # No GPU: every logical CPU device (one, unless the program split
            # the CPU with `tf.config.set_logical_device_configuration`).
            devices = [device.name for device in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.MultiWorkerMirroredStrategy()
