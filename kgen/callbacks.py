"""Keras callbacks that show what a generative model has learned while it trains.

Also re-exported here: `AtomicBackupAndRestore` and `StopOnNonFinite`
(`kgen.checkpointing`), the callbacks that make training survive faults.

TensorBoard summaries are written with the core `tf.summary.write` and the
plugin metadata TensorBoard expects (`"images"`: a string tensor
`[width, height, png...]`; `"scalars"`: a float scalar), so they work even
where the `tensorboard` package, which `tf.summary.image`/`scalar` need, is
not installed.
"""

import json
import math
import os

import keras
import numpy as np
import tensorflow as tf
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kgen import _validation
from kgen import diagnostics
from kgen import plotting
from kgen.models import _protocols
from kgen.checkpointing import AtomicBackupAndRestore  # noqa: F401  (re-exported)
from kgen.checkpointing import NonFiniteTrainingError  # noqa: F401
from kgen.checkpointing import StopOnNonFinite  # noqa: F401

_CURVES = ("elbo", "metrics", None)
_HISTORY = "history.json"


class GenerativePictures(keras.callbacks.Callback):
    """Writes samples, reconstructions, the latent manifold and curves each epoch.

    Works with any model that has a `sample(n, seed=None)` method returning
    a batch of images `[n, H, W, C]` in [0, 1] (or of 2D points `[n, 2]`,
    drawn as a scatter plot). Optional extras, used when present:

    - `reconstruct(x)`: originals from `x_val` are drawn with their
      reconstructions directly below them;
    - a `Translator` (CycleGAN, DiscoGAN) draws no samples: given `x_val
      = (a_val, b_val)`, it gets `translations_a_to_b` and
      `translations_b_to_a`, rows of inputs, translations and round trips
      (`kgen.plotting.translation_grid`);
    - `latent_dim == 2` and `decode(z)`: the decoder means over a grid of
      latent values at standard-normal quantiles (Kingma & Welling, 2013,
      arXiv:1312.6114, fig. 4). `decode` may return a tensor or a
      distribution (anything with `mean()` and `log_prob`).

    Samples always use the same `seed`, so the grids of successive epochs
    show the same latent draws decoded by an improving model. A
    conditional model (`labelled` True and a `num_classes` attribute, e.g.
    `kgen.models.ConditionalGAN`, whose `sample` cycles through the
    classes) gets one column per class, labelled with the class above it.
    Reconstruction rows are labelled "original" and "reconstructed".

    Files written into `out_dir` (`NNN` is the 1-based epoch, zero padded):

    - `samples_epochNNN.png`, `reconstructions_epochNNN.png`,
      `manifold_epochNNN.png` on every `every`-th epoch and the last one;
    - `curves.png`, rewritten each epoch: with `curves="elbo"` the
      training and validation ELBO in nats, taken as `-loss` (the loss of a
      kgen VAE is the negative ELBO per example); with `curves="metrics"`
      every logged metric as is, one panel each (e.g. a GAN's `d_loss`
      and `g_loss`);
    - `history.json`, rewritten each epoch: `{"epoch": [1, 2, ...],
      "history": {name: [value per epoch]}}`, every logged metric. When
      `fit` starts after epoch 0 (resumed by
      `kgen.callbacks.AtomicBackupAndRestore`, or `initial_epoch`), the
      earlier epochs are read back from this file, so `curves.png` and
      `self.history` show the whole run with its epoch numbers.

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
            `None` (default): `kgen.plotting.legible_scale`, tiles at least
            28 pixels tall and grids at least 256 pixels wide (64 8x8
            digits 4 times, 64 MNIST digits twice).
        curves: `"elbo"`, `"metrics"` or `None` (no curves).
        value_range: `(low, high)`, the range of the model's images (and
            of `x_val`); they are mapped linearly onto [0, 1] to be drawn.
            `(-1, 1)` for GANs, whose generators end in `tanh`. Not used
            for 2D points.

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
        value_range=(0.0, 1.0),
    ):
        super().__init__()
        self.num_samples = _validation.positive_int("num_samples", num_samples)
        self.seed = _validation.seed(seed)
        self.every = _validation.positive_int("every", every)
        num_reconstructions = _validation.positive_int("num_reconstructions", num_reconstructions)
        self.manifold_size = _validation.positive_int("manifold_size", manifold_size)
        self.scale = _validation.optional_int("scale", scale, minimum=1)
        self.curves = _validation.choice("curves", curves, _CURVES)
        self.value_range = _validation.interval("value_range", value_range)
        self.out_dir = os.fspath(out_dir)
        if isinstance(x_val, (tuple, list)):  # a translator's (a_val, b_val)
            self.x_val = tuple(np.asarray(v)[:num_reconstructions] for v in x_val)
        else:
            self.x_val = None if x_val is None else np.asarray(x_val)[:num_reconstructions]
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self.history = {}
        self.epochs = []
        self._writer = None

    def on_train_begin(self, logs=None):
        os.makedirs(self.out_dir, exist_ok=True)
        self.history = {}
        self.epochs = []
        if self.tensorboard_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)

    def on_epoch_begin(self, epoch, logs=None):
        if not self.epochs and epoch > 0:
            self._read_history(before=epoch + 1)

    def on_epoch_end(self, epoch, logs=None):
        step = epoch + 1
        self.epochs.append(step)
        for key, value in (logs or {}).items():
            # A metric first logged now is missing (NaN) in the earlier epochs.
            values = self.history.setdefault(key, [math.nan] * (len(self.epochs) - 1))
            values.append(float(value))
        for values in self.history.values():
            values.extend([math.nan] * (len(self.epochs) - len(values)))
        self._write_history()
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
        if isinstance(model, _protocols.Translator):
            return self._translation_pictures(model)
        samples = _to_numpy(model.sample(self.num_samples, seed=self.seed))
        if _is_points(samples):
            pictures["samples"] = plotting.scatter_image(samples, title="samples")
            return pictures
        num_classes = getattr(model, "num_classes", None) if getattr(model, "labelled", False) else None
        ncols = min(num_classes, len(samples)) if num_classes else None
        scale = self.scale or plotting.legible_scale(samples.shape[1:], len(samples), ncols)
        grid = plotting.image_grid(self._unit(samples), ncols=ncols, scale=scale)
        if num_classes:
            tile_shape = (samples.shape[1] * scale, samples.shape[2] * scale)
            grid = plotting.annotate_grid(
                grid, tile_shape, column_labels=range(ncols), title="samples by class (column: class label)"
            )
        pictures["samples"] = grid
        if self.x_val is not None and callable(getattr(model, "reconstruct", None)):
            reconstructions = _to_numpy(model.reconstruct(self.x_val))
            pictures["reconstructions"] = plotting.reconstruction_grid(
                self._unit(self.x_val),
                self._unit(reconstructions.reshape(self.x_val.shape)),
                scale=scale,
                labels=True,
            )
        if getattr(model, "latent_dim", None) == 2 and callable(getattr(model, "decode", None)):
            pictures["manifold"] = plotting.latent_manifold(
                lambda z: self._unit(_decoded_mean(model.decode(z))), n=self.manifold_size, scale=scale
            )
        return pictures

    def _translation_pictures(self, model):
        """`translations_a_to_b` and `translations_b_to_a`: inputs, translations, round trips.

        From the first images of each domain of `x_val` (a pair `(a_val,
        b_val)`), at most `num_reconstructions`.
        """
        if not (isinstance(self.x_val, tuple) and len(self.x_val) == 2):
            raise ValueError(
                "`x_val` must be a pair (a_val, b_val) of images of each domain for a "
                f"{type(model).__name__}. Received: x_val of type {type(self.x_val).__name__}"
            )
        pictures = {}
        for (source, target), images in zip((("A", "B"), ("B", "A")), self.x_val):
            direction = f"{source.lower()}_to_{target.lower()}"
            translate = model.translate_a_to_b if source == "A" else model.translate_b_to_a
            translations = _to_numpy(translate(images))
            cycled = _to_numpy(model.cycle(images, direction))
            # Tiles at least 56 pixels tall: colours and strokes of small images stay visible.
            scale = self.scale or plotting.legible_scale(
                images.shape[1:], len(images), len(images), min_height=56)
            pictures[f"translations_{direction}"] = plotting.translation_grid(
                self._unit(images), self._unit(translations), self._unit(cycled), scale=scale,
                names=(source, target))
        return pictures

    def _unit(self, images):
        """Maps images from `value_range` onto [0, 1]."""
        low, high = self.value_range
        if (low, high) == (0.0, 1.0):
            return images
        return (np.asarray(images, dtype=np.float32) - low) / (high - low)

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

    def _history_path(self):
        return os.path.join(self.out_dir, _HISTORY)

    def _write_history(self):
        """Writes `history.json` (a new file, renamed over the old one: never half written)."""
        path = self._history_path()
        temporary = f"{path}.tmp"
        # NaN (a metric not computed that epoch) is written as null: strict JSON.
        history = {k: [None if math.isnan(v) else v for v in values] for k, values in self.history.items()}
        with open(temporary, "w") as file:
            json.dump({"epoch": self.epochs, "history": history}, file)
        os.replace(temporary, path)

    def _read_history(self, before):
        """Reads the epochs `< before` of `history.json` into `epochs` and `history`, if it exists."""
        try:
            with open(self._history_path()) as file:
                saved = json.load(file)
        except (OSError, ValueError):
            return
        keep = [k for k, e in enumerate(saved.get("epoch", [])) if e < before]
        self.epochs = [saved["epoch"][k] for k in keep]
        self.history = {
            key: [math.nan if values[k] is None else values[k] for k in keep]
            for key, values in saved.get("history", {}).items()
            if len(values) == len(saved["epoch"])
        }

    def _write_curves(self):
        if self.curves is None or not self.history:
            return
        path = os.path.join(self.out_dir, "curves.png")
        if self.curves == "metrics":
            plotting.plot_curves(self.history, path, title="training metrics", epochs=self.epochs)
            return
        curves = {}
        for prefix in ("", "val_"):
            if f"{prefix}elbo" in self.history:
                curves[f"{prefix}elbo"] = self.history[f"{prefix}elbo"]
            elif f"{prefix}loss" in self.history:
                curves[f"{prefix}elbo"] = [-v for v in self.history[f"{prefix}loss"]]
        if curves:
            plotting.plot_curves(
                curves, path, title="evidence lower bound", ylabel="ELBO (nats)", epochs=self.epochs
            )


class ModeCoverageCallback(keras.callbacks.Callback):
    """Measures, each epoch, how many modes of a 2D Gaussian mixture a model covers.

    At the end of every epoch, draws `num_samples` points with
    `model.sample(num_samples, seed=seed)` (the same seed every epoch, so
    successive epochs show the same noise through an improving generator)
    and scores them with `kgen.diagnostics.mode_coverage`: a sample is high
    quality when it lies within 3 standard deviations of its nearest centre,
    and a mode is covered when it gets at least `min_count` high-quality
    samples (default: a fifth of the `num_samples / K` a perfect generator
    would put there; PacGAN, Lin et al., 2018, arXiv:1712.04086).

    The two numbers are added to the epoch logs as `modes_covered` and
    `high_quality_fraction`, so `History`, `CSVLogger`, `GenerativePictures`
    (which writes every logged metric to TensorBoard) and Keras'
    `TensorBoard` callback record them when they come *after* this callback
    in `callbacks` (`fit` appends its own `History` last). The per-mode
    counts of the last epoch are in `self.last_coverage`.

    Files written into `out_dir` (`NNN` is the 1-based epoch, zero padded):
    `coverage_epochNNN.png`, a scatter plot of real points (grey), generated
    points (blue) and the mode centres (red crosses for uncovered modes,
    green for covered ones). With `tensorboard_dir`, the same picture is
    written as the TensorBoard image `coverage` at step `epoch`.

    Args:
        centers: array-like `[K, 2]`, the mode centres, e.g.
            `kgen.datasets.toy_2d_centers("ring")`.
        std: positive float, the standard deviation of each mode, e.g.
            `kgen.datasets.TOY_2D_STD["ring"]`.
        num_samples: positive int, points drawn per epoch (2,500 as in
            VEEGAN and PacGAN).
        seed: int, the fixed seed passed to `model.sample`.
        out_dir: optional folder for the PNG files; created if missing.
            `None` writes no files.
        tensorboard_dir: optional folder for a TensorBoard event file.
        real_points: optional array `[N, 2]` of data points to draw behind
            the samples; `None` draws `num_samples` points of the mixture
            (`centers` plus `std` Gaussian noise, NumPy seed `seed`).
        min_count: positive number or `None`; see
            `kgen.diagnostics.mode_coverage`.

    Example:

    ```python
    coverage = ModeCoverageCallback(toy_2d_centers("ring"), TOY_2D_STD["ring"], out_dir="coverage")
    history = gan.fit(x, epochs=20, batch_size=256, callbacks=[coverage])
    history.history["modes_covered"]  # one int per epoch
    ```
    """

    def __init__(
        self,
        centers,
        std,
        num_samples=2500,
        seed=0,
        out_dir=None,
        tensorboard_dir=None,
        real_points=None,
        min_count=None,
    ):
        super().__init__()
        centers = np.asarray(centers, dtype=np.float32)
        if centers.ndim != 2 or centers.shape[1] != 2 or centers.shape[0] == 0:
            raise ValueError(
                f"`centers` must be a non-empty array of shape [K, 2]. Received: centers.shape={centers.shape}"
            )
        std = _validation.positive_number("std", std)
        num_samples = _validation.positive_int("num_samples", num_samples)
        seed = _validation.seed(seed)
        min_count = _validation.optional_number("min_count", min_count, minimum=0, exclusive_minimum=True)
        if real_points is None:
            rng = np.random.default_rng(seed)
            modes = rng.integers(len(centers), size=num_samples)
            real_points = centers[modes] + std * rng.standard_normal((num_samples, 2))
        real_points = np.asarray(real_points, dtype=np.float32)
        if real_points.ndim != 2 or real_points.shape[1] != 2:
            raise ValueError(
                f"`real_points` must have shape [N, 2]. Received: real_points.shape={real_points.shape}"
            )
        self.centers = centers
        self.std = std
        self.num_samples = num_samples
        self.seed = seed
        self.out_dir = None if out_dir is None else os.fspath(out_dir)
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self.real_points = real_points
        self.min_count = min_count
        self.last_coverage = None
        self._writer = None

    def on_train_begin(self, logs=None):
        if self.out_dir is not None:
            os.makedirs(self.out_dir, exist_ok=True)
        if self.tensorboard_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)

    def on_epoch_end(self, epoch, logs=None):
        samples = _to_numpy(self.model.sample(self.num_samples, seed=self.seed))
        coverage = self.coverage(samples)
        self.last_coverage = coverage
        if logs is not None:
            logs["modes_covered"] = coverage.modes_covered
            logs["high_quality_fraction"] = coverage.high_quality_fraction
        if self.out_dir is None and self._writer is None:
            return
        step = epoch + 1
        picture = self.picture(samples, coverage, title=f"epoch {step}")
        if self.out_dir is not None:
            plotting.save_png(os.path.join(self.out_dir, f"coverage_epoch{step:03d}.png"), picture)
        if self._writer is not None:
            with self._writer.as_default():
                _image_summary("coverage", picture, step)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def coverage(self, samples):
        """`kgen.diagnostics.mode_coverage` of `samples` `[n, 2]` against this mixture."""
        return diagnostics.mode_coverage(samples, self.centers, self.std, min_count=self.min_count)

    def picture(self, samples, coverage, title=None):
        """Real versus generated points as a `uint8` RGB array `[400, 400, 3]`."""
        figure = Figure(figsize=(4, 4), dpi=100)
        canvas = FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.scatter(*self.real_points.T, s=3, c="0.6", alpha=0.5, label="real")
        axes.scatter(*np.asarray(samples).T, s=3, c="C0", alpha=0.5, label="generated")
        covered = coverage.per_mode_counts >= coverage.min_count
        for mask, color in ((covered, "C2"), (~covered, "C3")):
            if mask.any():
                axes.scatter(*self.centers[mask].T, marker="x", s=40, c=color)
        axes.set_aspect("equal", adjustable="datalim")
        low = float(self.centers.min()) - 1.0
        high = float(self.centers.max()) + 1.0
        axes.set_xlim(low, high)
        axes.set_ylim(low, high)
        heading = (
            f"{coverage.modes_covered}/{len(self.centers)} modes, "
            f"{coverage.high_quality_fraction:.0%} high quality"
        )
        axes.set_title(heading if title is None else f"{title}: {heading}", fontsize=9)
        axes.legend(loc="upper right", fontsize=7, markerscale=3)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()


class SampleQuality(keras.callbacks.Callback):
    """Scores the model's samples against held-out real examples every `every` epochs.

    On the first epoch (which fixes the logged keys), every `every`-th
    epoch and the last, draws `num_samples` examples
    with `model.sample(num_samples, seed=seed)` (the same seed each time),
    and for each metric of `kgen.metrics` in `metrics` runs `reset_state`,
    `update_state(x_real, samples)` and `result()`. Each number goes into
    the epoch logs under the metric's name (or the keys of a dict result:
    `kernel_distance` and `kernel_distance_std`, `precision` and `recall`),
    so `History`, `CSVLogger` and `GenerativePictures` record them when they
    come *after* this callback (`fit` appends its own `History` last). On
    the other epochs the keys hold NaN, so every history list has one entry
    per epoch. With `tensorboard_dir`, the numbers of the scored epochs are
    also written as scalar summaries at step `epoch` (1-based), as
    `GenerativePictures` writes its metrics.

    `x_real` and the samples must be in the same value range (the model's
    `sample_value_range`; the metrics' feature map must expect it).

    Args:
        x_real: array `[n, ...]` of held-out real examples.
        metrics: a list of `kgen.metrics` metrics (e.g.
            `FrechetDistance(features=...)`).
        num_samples: int >= 2, samples drawn; None: `len(x_real)`.
        every: int >= 1, score every `every` epochs (and the last).
        seed: int, the fixed seed passed to `model.sample`.
        tensorboard_dir: optional folder for a TensorBoard event file.

    Example:

    ```python
    features = kgen.metrics.feature_extractor(classifier)
    quality = SampleQuality(x_val, [kgen.metrics.FrechetDistance(features=features)], every=5)
    history = model.fit(x, epochs=30, callbacks=[quality])
    history.history["frechet_distance"]  # NaN on unscored epochs
    ```
    """

    def __init__(self, x_real, metrics, num_samples=None, every=1, seed=0, tensorboard_dir=None):
        super().__init__()
        self.x_real = np.asarray(x_real)
        if self.x_real.ndim == 0 or len(self.x_real) < 2:
            _validation.fail("x_real", "an array of at least 2 examples", x_real)
        self.metrics = list(metrics)
        if not self.metrics or not all(isinstance(m, keras.metrics.Metric) for m in self.metrics):
            _validation.fail("metrics", "a non-empty list of kgen.metrics metrics", metrics)
        self.num_samples = len(self.x_real) if num_samples is None else _validation.integer(
            "num_samples", num_samples, minimum=2)
        self.every = _validation.positive_int("every", every)
        self.seed = _validation.seed(seed)
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self._keys = None
        self._writer = None

    def on_train_begin(self, logs=None):
        if self.tensorboard_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)

    def on_epoch_end(self, epoch, logs=None):
        step = epoch + 1
        last = self.params.get("epochs") if self.params else None
        if step % self.every == 0 or step == last or self._keys is None:
            scores = self.scores()
            self._keys = tuple(scores)
            if self._writer is not None:
                with self._writer.as_default():
                    for key, value in scores.items():
                        _scalar_summary(key, value, step)
                self._writer.flush()
        else:
            scores = dict.fromkeys(self._keys, float("nan"))
        if logs is not None:
            logs.update(scores)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def scores(self):
        """The metrics of `num_samples` samples of the current model: a dict of floats."""
        samples = _to_numpy(self.model.sample(self.num_samples, seed=self.seed))
        scores = {}
        for metric in self.metrics:
            metric.reset_state()
            metric.update_state(self.x_real, samples)
            result = metric.result()
            items = result.items() if isinstance(result, dict) else [(metric.name, result)]
            scores.update((key, float(value)) for key, value in items)
        return scores


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
