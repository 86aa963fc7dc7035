"""Keras callbacks that show what a generative model has learned while it trains.

TensorBoard summaries are written with the core `tf.summary.write` and the
plugin metadata TensorBoard expects (`"images"`: a string tensor
`[width, height, png...]`; `"scalars"`: a float scalar), so they work even
where the `tensorboard` package, which `tf.summary.image`/`scalar` need, is
not installed.
"""

import os

import keras
import numpy as np
import tensorflow as tf

from kgen import plotting

_CURVES = ("elbo", "metrics", None)


class GenerativePictures(keras.callbacks.Callback):
    """Writes samples, reconstructions, the latent manifold and curves each epoch.

    Works with any model that has a `sample(n, seed=None)` method returning
    a batch of images `[n, H, W, C]` in [0, 1] (or of 2D points `[n, 2]`,
    drawn as a scatter plot). Optional extras, used when present:

    - `reconstruct(x)`: originals from `x_val` are drawn with their
      reconstructions directly below them;
    - `latent_dim == 2` and `decode(z)`: the decoder means over a grid of
      latent values at standard-normal quantiles (Kingma & Welling, 2013,
      arXiv:1312.6114, fig. 4). `decode` may return a tensor or a
      distribution (anything with `mean()` and `log_prob`).

    Samples always use the same `seed`, so the grids of successive epochs
    show the same latent draws decoded by an improving model.

    Files written into `out_dir` (`NNN` is the 1-based epoch, zero padded):

    - `samples_epochNNN.png`, `reconstructions_epochNNN.png`,
      `manifold_epochNNN.png` on every `every`-th epoch and the last one;
    - `curves.png`, rewritten each epoch: with `curves="elbo"` the
      training and validation ELBO in nats, taken as `-loss` (the loss of a
      kgen VAE is the negative ELBO per example); with `curves="metrics"`
      every logged metric as is (e.g. a GAN's `d_loss` and `g_loss`).

    With `tensorboard_dir`, the same pictures go to TensorBoard as image
    summaries named `samples`, `reconstructions` and `manifold`, and every
    logged metric as a scalar summary of the same name (`loss`,
    `val_loss`, ...), all at step `epoch` (1-based).

    Args:
        out_dir: folder for the PNG files; created if missing.
        x_val: optional array `[N, ...]` of held-out inputs; the first
            `num_reconstructions` are reconstructed.
        num_samples: positive int, samples per grid.
        seed: int, the fixed seed passed to `model.sample`.
        every: positive int, draw pictures every `every` epochs (the last
            epoch is always drawn).
        tensorboard_dir: optional folder for a TensorBoard event file.
        num_reconstructions: positive int, originals to reconstruct.
        manifold_size: positive int, tiles per side of the manifold.
        scale: positive int, enlargement of each tile by pixel repetition;
            `None` (default) enlarges small images to at least 28 pixels
            (8x8 digits 4 times, MNIST not at all).
        curves: `"elbo"`, `"metrics"` or `None` (no curves).

    Example:

    ```python
    vae.fit(
        x_train,
        epochs=30,
        validation_data=(x_val,),
        callbacks=[GenerativePictures("pictures", x_val=x_val)],
    )
    ```
    """

    def __init__(
        self,
        out_dir,
        x_val=None,
        num_samples=64,
        seed=0,
        every=1,
        tensorboard_dir=None,
        num_reconstructions=16,
        manifold_size=15,
        scale=None,
        curves="elbo",
    ):
        super().__init__()
        for name, value in (
            ("num_samples", num_samples),
            ("every", every),
            ("num_reconstructions", num_reconstructions),
            ("manifold_size", manifold_size),
            ("scale", 1 if scale is None else scale),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        if curves not in _CURVES:
            raise ValueError(f"`curves` must be one of {_CURVES}. Received: curves={curves!r}")
        self.out_dir = os.fspath(out_dir)
        self.x_val = None if x_val is None else np.asarray(x_val)[:num_reconstructions]
        self.num_samples = int(num_samples)
        self.seed = seed
        self.every = int(every)
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self.manifold_size = int(manifold_size)
        self.scale = scale
        self.curves = curves
        self.history = {}
        self._writer = None

    def on_train_begin(self, logs=None):
        os.makedirs(self.out_dir, exist_ok=True)
        self.history = {}
        if self.tensorboard_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        step = epoch + 1
        last = self.params.get("epochs") if self.params else None
        if step % self.every == 0 or step == last:
            self.write_pictures(step)
        if self._writer is not None and logs:
            with self._writer.as_default():
                for key, value in logs.items():
                    _scalar_summary(key, float(value), step)
            self._writer.flush()
        self._write_curves()

    def on_train_end(self, logs=None):
        self._write_curves()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def pictures(self):
        """Draws the pictures of the current model.

        Returns:
            dict mapping a picture name (`"samples"`, and when the model
            allows, `"reconstructions"`, `"manifold"`) to a `uint8` array
            `[H, W, C]`.
        """
        model = self.model
        pictures = {}
        samples = _to_numpy(model.sample(self.num_samples, seed=self.seed))
        if _is_points(samples):
            pictures["samples"] = plotting.scatter_image(samples, title="samples")
            return pictures
        scale = self.scale or plotting.auto_scale(samples.shape[1])
        pictures["samples"] = plotting.image_grid(samples, scale=scale)
        if self.x_val is not None and callable(getattr(model, "reconstruct", None)):
            reconstructions = _to_numpy(model.reconstruct(self.x_val))
            pictures["reconstructions"] = plotting.reconstruction_grid(
                self.x_val, reconstructions.reshape(self.x_val.shape), scale=scale
            )
        if getattr(model, "latent_dim", None) == 2 and callable(getattr(model, "decode", None)):
            pictures["manifold"] = plotting.latent_manifold(
                lambda z: _decoded_mean(model.decode(z)), n=self.manifold_size, scale=scale
            )
        return pictures

    def write_pictures(self, epoch):
        """Writes `pictures()` as PNG files (and to TensorBoard) for `epoch`.

        Args:
            epoch: 1-based epoch number, used in file names and as the
                TensorBoard step.
        """
        pictures = self.pictures()
        for name, array in pictures.items():
            plotting.save_png(os.path.join(self.out_dir, f"{name}_epoch{epoch:03d}.png"), array)
        if self._writer is not None:
            with self._writer.as_default():
                for name, array in pictures.items():
                    _image_summary(name, array, epoch)
            self._writer.flush()

    def _write_curves(self):
        if self.curves is None or not self.history:
            return
        path = os.path.join(self.out_dir, "curves.png")
        if self.curves == "metrics":
            plotting.plot_curves(self.history, path, title="training metrics")
            return
        curves = {}
        for prefix in ("", "val_"):
            if f"{prefix}elbo" in self.history:
                curves[f"{prefix}elbo"] = self.history[f"{prefix}elbo"]
            elif f"{prefix}loss" in self.history:
                curves[f"{prefix}elbo"] = [-v for v in self.history[f"{prefix}loss"]]
        if curves:
            plotting.plot_curves(curves, path, title="evidence lower bound", ylabel="ELBO (nats)")


def _image_summary(tag, image, step):
    """Writes one `uint8` image `[H, W, C]` as a TensorBoard image summary.

    The tensor layout of TensorBoard's image plugin: a rank-1 string tensor
    `[width, height, png_1, ..., png_k]`.
    """
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = "images"
    height, width = image.shape[:2]
    tensor = tf.stack([tf.as_string(width), tf.as_string(height), tf.io.encode_png(image)])
    tf.summary.write(tag=tag, tensor=tensor, step=step, metadata=metadata)


def _scalar_summary(tag, value, step):
    """Writes one float as a TensorBoard scalar summary."""
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = "scalars"
    tf.summary.write(tag=tag, tensor=tf.constant(value, tf.float32), step=step, metadata=metadata)


def _to_numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float32)


def _decoded_mean(output):
    """The mean of a decoder output, whether a distribution or a tensor."""
    if hasattr(output, "log_prob") and callable(getattr(output, "mean", None)):
        output = output.mean()
    return _to_numpy(output)


def _is_points(array):
    return array.ndim == 2 and array.shape[-1] == 2
