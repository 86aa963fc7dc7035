"""Tests for kgen.callbacks.GenerativePictures: PNG files and TensorBoard images."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen.callbacks import GenerativePictures


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
    # 4x4 tiles are enlarged 7 times, to 28x28.
    assert callback.pictures()["samples"].shape == (3 * 28 + 2, 3 * 28 + 2, 1)


def test_every_skips_epochs_but_draws_the_last(tmp_path, x):
    callback = GenerativePictures(tmp_path, num_samples=4, every=2, curves=None)
    _fit(FakeGenerator(latent_dim=3), x, callback, epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["samples_epoch002.png", "samples_epoch003.png"]


def test_point_samples_are_drawn_as_a_scatter_plot(tmp_path, x):
    callback = GenerativePictures(tmp_path, x_val=x, num_samples=50, curves="metrics")
    _fit(FakeGenerator(points=True), x, callback, epochs=1)
    assert sorted(os.listdir(tmp_path)) == ["curves.png", "samples_epoch001.png"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_samples": 0}, "`num_samples` must be a positive integer"),
        ({"every": 1.5}, "`every` must be a positive integer"),
        ({"scale": 0}, "`scale` must be a positive integer"),
        ({"curves": "loss"}, "`curves` must be one of"),
    ],
)
def test_rejects_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        GenerativePictures(tmp_path, **kwargs)


def test_with_a_real_vae(tmp_path):
    from kgen.datasets import load_digits
    from kgen.models import VAE

    x, _ = load_digits()
    x = x[:64]
    vae = VAE(input_shape=(8, 8, 1), latent_dim=2, hidden_units=(16,), seed=0)
    vae.compile(optimizer="adam")
    callback = GenerativePictures(
        tmp_path / "pictures", x_val=x[:8], num_samples=16, manifold_size=5, tensorboard_dir=tmp_path / "logs"
    )
    vae.fit(x, validation_data=(x[:16],), epochs=1, batch_size=32, verbose=0, callbacks=[callback])
    assert sorted(os.listdir(tmp_path / "pictures")) == [
        "curves.png",
        "manifold_epoch001.png",
        "reconstructions_epoch001.png",
        "samples_epoch001.png",
    ]
    with Image.open(tmp_path / "pictures" / "manifold_epoch001.png") as image:
        assert image.size == (5 * 32 + 4, 5 * 32 + 4)  # 8x8 digits enlarged 4 times
    assert [tag for tag, _, _ in _summaries(tmp_path / "logs", "images")] == [
        "manifold",
        "reconstructions",
        "samples",
    ]
    # The ELBO curve is -loss.
    assert callback.history["loss"][0] > 0
