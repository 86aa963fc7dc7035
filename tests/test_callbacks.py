"""Tests for kgen.callbacks.GenerativePictures: PNG files and TensorBoard images."""

import glob
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen.callbacks import GenerativePictures
from kgen.callbacks import ModeCoverageCallback
from kgen.datasets import TOY_2D_STD
from kgen.datasets import toy_2d_centers


class FakeGenerator(keras.Model):  # no leading "_": Keras names scopes after the class
    """A tiny model with the methods the callback looks for (no real learning)."""

    def __init__(self, latent_dim=2, points=False):
        super().__init__()
        self.latent_dim = latent_dim
        self.points = points
        self.dense = keras.layers.Dense(16, activation="sigmoid")

    def call(self, x):
        return keras.ops.reshape(self.dense(keras.ops.reshape(x, (-1, 16))), (-1, 4, 4, 1))

    def decode(self, z):
        return keras.ops.reshape(self.dense(keras.ops.tile(z[:, :2], (1, 8))), (-1, 4, 4, 1))

    def sample(self, n, seed=None):
        if self.points:
            return keras.random.normal((n, 2), seed=seed)
        return self.decode(keras.random.normal((n, self.latent_dim), seed=seed))

    def reconstruct(self, x):
        return self(x)


@pytest.fixture
def x():
    return np.random.default_rng(0).uniform(size=(32, 4, 4, 1)).astype("float32")


def _fit(model, x, callback, epochs=2):
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x, validation_data=(x, x), epochs=epochs, batch_size=16, verbose=0, callbacks=[callback])


def _summaries(directory, plugin_name):
    """(tag, step, tensor) of every summary of one TensorBoard plugin in a folder."""
    found = []
    for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == plugin_name:
                    found.append((value.tag, event.step, tf.make_ndarray(value.tensor)))
    return sorted(found, key=lambda item: item[:2])


def test_writes_pictures_every_epoch_and_tensorboard_images(tmp_path, x):
    callback = GenerativePictures(
        tmp_path / "pictures", x_val=x, num_samples=9, tensorboard_dir=tmp_path / "logs", scale=1
    )
    _fit(FakeGenerator(), x, callback, epochs=2)
    names = sorted(os.listdir(tmp_path / "pictures"))
    assert names == [
        "curves.png",
        "history.json",
        "manifold_epoch001.png",
        "manifold_epoch002.png",
        "reconstructions_epoch001.png",
        "reconstructions_epoch002.png",
        "samples_epoch001.png",
        "samples_epoch002.png",
    ]
    with Image.open(tmp_path / "pictures" / "samples_epoch001.png") as image:
        assert image.size == (3 * 4 + 2, 3 * 4 + 2)  # 9 samples: 3x3 tiles of 4x4, 1-pixel pads
    with Image.open(tmp_path / "pictures" / "manifold_epoch002.png") as image:
        assert image.size == (15 * 4 + 14, 15 * 4 + 14)
    images = _summaries(tmp_path / "logs", "images")
    assert [(tag, step) for tag, step, _ in images] == [
        (name, step) for name in ("manifold", "reconstructions", "samples") for step in (1, 2)
    ]
    # TensorBoard's layout: [width, height, png]; the PNG is the saved picture.
    width, height, png = images[-1][2]
    decoded = tf.io.decode_png(png).numpy()
    assert (int(width), int(height)) == (14, 14) and decoded.shape == (14, 14, 1)
    with Image.open(tmp_path / "pictures" / "samples_epoch002.png") as image:
        np.testing.assert_array_equal(np.asarray(image), decoded[..., 0])
    scalars = {(tag, step): float(value) for tag, step, value in _summaries(tmp_path / "logs", "scalars")}
    assert scalars[("val_loss", 2)] == pytest.approx(callback.history["val_loss"][1])
    assert callback.history["loss"] and callback.history["val_loss"]


def test_samples_use_a_fixed_seed(tmp_path, x):
    model = FakeGenerator()
    model(x)
    callback = GenerativePictures(tmp_path, num_samples=4, seed=3)
    callback.set_model(model)
    first, second = callback.pictures()["samples"], callback.pictures()["samples"]
    np.testing.assert_array_equal(first, second)


def test_small_images_are_enlarged_by_default(tmp_path, x):
    model = FakeGenerator()
    model(x)
    callback = GenerativePictures(tmp_path, num_samples=9)
    callback.set_model(model)
    # 4x4 tiles are enlarged 22 times, the least for a grid of 3 tiles and
    # 2 pads at least 256 pixels wide (tiles of 28 pixels need only 7).
    assert callback.pictures()["samples"].shape == (3 * 88 + 2, 3 * 88 + 2, 1)


def test_every_skips_epochs_but_draws_the_last(tmp_path, x):
    callback = GenerativePictures(tmp_path, num_samples=4, every=2, curves=None)
    _fit(FakeGenerator(latent_dim=3), x, callback, epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["history.json", "samples_epoch002.png", "samples_epoch003.png"]


def test_point_samples_are_drawn_as_a_scatter_plot(tmp_path, x):
    callback = GenerativePictures(tmp_path, x_val=x, num_samples=50, curves="metrics")
    _fit(FakeGenerator(points=True), x, callback, epochs=1)
    assert sorted(os.listdir(tmp_path)) == ["curves.png", "history.json", "samples_epoch001.png"]


class FakeTanhGenerator(keras.Model):
    """Samples in [-1, 1], like a GAN: the left half of each image -1, the right half 1."""

    def sample(self, n, seed=None):
        return keras.ops.convert_to_tensor(np.concatenate([-np.ones((n, 4, 2, 1)), np.ones((n, 4, 2, 1))], axis=2))


def test_value_range_maps_gan_images_onto_0_1(tmp_path):
    callback = GenerativePictures(tmp_path, num_samples=1, scale=1, value_range=(-1, 1))
    callback.set_model(FakeTanhGenerator())
    np.testing.assert_array_equal(callback.pictures()["samples"][..., 0], [[0, 0, 255, 255]] * 4)


class FakeConditionalGenerator(keras.Model):
    """Samples of 3 classes in turn, as `ConditionalGAN.sample`: class c is a tile of grey c / 4, in colour."""

    labelled = True
    num_classes = 3

    def sample(self, n, seed=None):
        grey = (np.arange(n) % self.num_classes + 1) / 4
        return keras.ops.convert_to_tensor(np.broadcast_to(grey[:, None, None, None], (n, 8, 8, 3)))


def test_conditional_samples_get_one_labelled_column_per_class(tmp_path):
    from kgen import plotting

    callback = GenerativePictures(tmp_path, num_samples=12, scale=4)
    callback.set_model(FakeConditionalGenerator())
    picture = callback.pictures()["samples"]
    grid = plotting.image_grid(np.asarray(FakeConditionalGenerator().sample(12)), ncols=3, scale=4)
    height, width = grid.shape[:2]  # 4 rows, 3 columns of 32 pixels
    assert (height, width) == (4 * 33 - 1, 3 * 33 - 1) and picture.shape[-1] == 3
    np.testing.assert_array_equal(picture[-height:, -width:], grid)  # columns are classes
    top = picture.shape[0] - height
    above = picture[:top, -width:]
    for column in range(3):  # a class label above each column
        assert np.all(above[:, column * 33 : column * 33 + 32] < 128, axis=-1).sum() > 5


def test_a_resumed_fit_draws_the_whole_history_with_its_epoch_numbers(tmp_path, x, monkeypatch):
    from kgen import plotting

    drawn = []  # the epoch numbers of each curves.png
    plot_curves = plotting.plot_curves

    def recording_plot_curves(*args, **kwargs):
        drawn.append(kwargs["epochs"])
        return plot_curves(*args, **kwargs)

    monkeypatch.setattr(plotting, "plot_curves", recording_plot_curves)
    model = FakeGenerator(latent_dim=3)  # no manifold to draw
    first = GenerativePictures(tmp_path, num_samples=4, every=9, curves="metrics")
    _fit(model, x, first, epochs=2)
    # A new process resumes after epoch 2 (AtomicBackupAndRestore sets the
    # initial epoch as `initial_epoch` does): a new callback, the same folder.
    resumed = GenerativePictures(tmp_path, num_samples=4, every=9, curves="metrics")
    model.fit(x, x, validation_data=(x, x), epochs=3, initial_epoch=2, batch_size=16, verbose=0,
              callbacks=[resumed])
    assert resumed.epochs == [1, 2, 3]
    assert len(resumed.history["loss"]) == len(resumed.history["val_loss"]) == 3
    assert resumed.history["loss"][:2] == first.history["loss"]
    assert drawn[-1] == [1, 2, 3]
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved == {"epoch": [1, 2, 3], "history": resumed.history}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_samples": 0}, r"^`num_samples` must be an int >= 1\. Received: num_samples=0$"),
        ({"every": 1.5}, r"^`every` must be an int >= 1\. Received: every=1\.5$"),
        ({"every": True}, r"^`every` must be an int >= 1\. Received: every=True$"),
        ({"num_reconstructions": -1}, r"^`num_reconstructions` must be an int >= 1\. Received: num_reconstructions=-1$"),
        ({"manifold_size": 0}, r"^`manifold_size` must be an int >= 1\. Received: manifold_size=0$"),
        ({"scale": 0}, r"^`scale` must be None or an int >= 1\. Received: scale=0$"),
        ({"seed": 0.5}, r"^`seed` must be None or an int\. Received: seed=0\.5$"),
        ({"curves": "loss"}, r"^`curves` must be None or one of \('elbo', 'metrics'\)\. Received: curves='loss'$"),
        (
            {"value_range": (1, -1)},
            r"^`value_range` must be a pair \(low, high\) of finite numbers with low < high\. "
            r"Received: value_range=\(1, -1\)$",
        ),
        ({"value_range": 1}, r"`value_range` must be a pair .* Received: value_range=1$"),
        ({"value_range": (0, float("nan"))}, r"`value_range` must be a pair .* Received: value_range=\(0, nan\)$"),
    ],
)
def test_rejects_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        GenerativePictures(tmp_path, **kwargs)


def test_numpy_and_tensor_arguments_are_stored_as_python_numbers(tmp_path):
    callback = GenerativePictures(
        tmp_path, num_samples=np.int64(4), every=np.array(2), manifold_size=tf.constant(3),
        scale=np.int32(2), seed=np.int64(5), value_range=np.array([-1.0, 1.0]),
    )
    stored = (callback.num_samples, callback.every, callback.manifold_size, callback.scale, callback.seed)
    assert stored == (4, 2, 3, 2, 5) and all(type(value) is int for value in stored)
    assert callback.value_range == (-1.0, 1.0)
    coverage = ModeCoverageCallback(toy_2d_centers("ring"), np.float32(0.5), num_samples=np.int64(10))
    assert (coverage.std, coverage.num_samples) == (0.5, 10) and type(coverage.num_samples) is int


def test_with_a_real_vae_and_keras_tensorboard(tmp_path):
    from kgen.datasets import load_digits
    from kgen.models import VAE

    x, _ = load_digits()
    x = x[:64]
    vae = VAE(input_shape=(8, 8, 1), latent_dim=2, hidden_units=(16,), seed=0)
    vae.compile(optimizer="adam")
    callback = GenerativePictures(
        tmp_path / "pictures", x_val=x[:8], num_samples=16, manifold_size=5, tensorboard_dir=tmp_path / "logs"
    )
    # Keras' own TensorBoard callback beside it: it writes scalars with
    # tf.summary.scalar, which needs the `tensorboard` package (a kgen
    # dependency; without it, fit raises TBNotInstalledError).
    keras_tensorboard = keras.callbacks.TensorBoard(tmp_path / "keras_logs")
    vae.fit(x, validation_data=(x[:16],), epochs=1, batch_size=32, verbose=0, callbacks=[callback, keras_tensorboard])
    assert sorted(os.listdir(tmp_path / "pictures")) == [
        "curves.png",
        "history.json",
        "manifold_epoch001.png",
        "reconstructions_epoch001.png",
        "samples_epoch001.png",
    ]
    with Image.open(tmp_path / "pictures" / "manifold_epoch001.png") as image:
        # 8x8 digits enlarged 8 times, as the samples: 4 columns >= 256 pixels.
        assert image.size == (5 * 64 + 4, 5 * 64 + 4)
    assert [tag for tag, _, _ in _summaries(tmp_path / "logs", "images")] == [
        "manifold",
        "reconstructions",
        "samples",
    ]
    # The ELBO curve is -loss.
    assert callback.history["loss"][0] > 0
    assert "epoch_loss" in [tag for tag, _, _ in _summaries(tmp_path / "keras_logs" / "train", "scalars")]


# ModeCoverageCallback


class FakeRingGenerator(keras.Model):
    """Samples the first `num_modes` centres of the ring exactly, in turn.

    `_GrowModes` sets `num_modes` to the 1-based epoch, so the coverage logged
    at the end of epoch `e` is `e` modes.
    """

    def __init__(self, num_modes=1):
        super().__init__()
        self.num_modes = num_modes
        self.dense = keras.layers.Dense(1)
        self.seeds = []

    def call(self, x):
        return self.dense(x)

    def sample(self, n, seed=None):
        self.seeds.append(seed)
        centers = toy_2d_centers("ring")[: self.num_modes]
        return keras.ops.convert_to_tensor(centers[np.arange(n) % self.num_modes])


class _GrowModes(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.model.num_modes = epoch + 1


def test_mode_coverage_is_logged_for_history_and_csv(tmp_path):
    model = FakeRingGenerator()
    model.compile(optimizer="sgd", loss="mse")
    coverage = ModeCoverageCallback(
        toy_2d_centers("ring"),
        TOY_2D_STD["ring"],
        num_samples=80,
        seed=7,
        out_dir=tmp_path / "coverage",
        tensorboard_dir=tmp_path / "logs",
    )
    csv = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    x = np.zeros((8, 2), "float32")
    history = model.fit(
        x, x[:, :1], epochs=3, batch_size=4, verbose=0, callbacks=[_GrowModes(), coverage, csv]
    )
    assert history.history["modes_covered"] == [1, 2, 3]
    assert history.history["high_quality_fraction"] == [1.0, 1.0, 1.0]
    assert model.seeds == [7, 7, 7]
    np.testing.assert_array_equal(coverage.last_coverage.per_mode_counts, [27, 27, 26, 0, 0, 0, 0, 0])
    lines = (tmp_path / "log.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert [float(row.split(",")[header.index("modes_covered")]) for row in lines[1:]] == [1, 2, 3]
    assert sorted(os.listdir(tmp_path / "coverage")) == [f"coverage_epoch00{i}.png" for i in (1, 2, 3)]
    with Image.open(tmp_path / "coverage" / "coverage_epoch003.png") as image:
        assert image.size == (400, 400) and image.mode == "RGB"
    images = _summaries(tmp_path / "logs", "images")
    assert [(tag, step) for tag, step, _ in images] == [("coverage", 1), ("coverage", 2), ("coverage", 3)]
    with Image.open(tmp_path / "coverage" / "coverage_epoch002.png") as image:
        np.testing.assert_array_equal(np.asarray(image), tf.io.decode_png(images[1][2][2]).numpy())


def test_mode_coverage_reaches_tensorboard_scalars_through_generative_pictures(tmp_path):
    model = FakeRingGenerator(num_modes=8)
    model.compile(optimizer="sgd", loss="mse")
    coverage = ModeCoverageCallback(toy_2d_centers("ring"), TOY_2D_STD["ring"], num_samples=80)
    pictures = GenerativePictures(
        tmp_path / "pictures", num_samples=16, tensorboard_dir=tmp_path / "logs", curves="metrics"
    )
    x = np.zeros((8, 2), "float32")
    model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0, callbacks=[coverage, pictures])
    scalars = {tag: float(value) for tag, _, value in _summaries(tmp_path / "logs", "scalars")}
    assert scalars["modes_covered"] == 8 and scalars["high_quality_fraction"] == 1.0
    assert pictures.history["modes_covered"] == [8.0]


def test_mode_coverage_without_out_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = FakeRingGenerator(num_modes=2)
    model.compile(optimizer="sgd", loss="mse")
    coverage = ModeCoverageCallback(toy_2d_centers("ring"), TOY_2D_STD["ring"], num_samples=100)
    x = np.zeros((8, 2), "float32")
    history = model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[coverage])
    assert history.history["modes_covered"] == [2]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"centers": np.zeros((8, 3))}, r"`centers` must be a non-empty array of shape \[K, 2\]"),
        ({"std": -1.0}, r"^`std` must be a positive number\. Received: std=-1\.0$"),
        ({"std": np.zeros(2)}, r"^`std` must be a positive number\. Received: std=array"),
        ({"num_samples": 0}, r"^`num_samples` must be an int >= 1\. Received: num_samples=0$"),
        ({"num_samples": 2.5}, r"^`num_samples` must be an int >= 1\. Received: num_samples=2\.5$"),
        ({"min_count": 0}, r"^`min_count` must be None or a positive number\. Received: min_count=0$"),
        ({"real_points": np.zeros(5)}, r"`real_points` must have shape \[N, 2\]"),
    ],
)
def test_mode_coverage_rejects_bad_arguments(kwargs, match):
    arguments = {"centers": toy_2d_centers("ring"), "std": 0.02, **kwargs}
    with pytest.raises(ValueError, match=match):
        ModeCoverageCallback(**arguments)
