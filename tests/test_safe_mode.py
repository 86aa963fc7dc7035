"""Every model's `.keras` file loads with `safe_mode=True`: no Lambda layers, no pickled code.

Keras refuses to deserialise Python lambdas (and `Lambda` layers) in safe
mode, raising instead of running code from the file; these tests save each
model family after one training step and load it back with
`safe_mode=True` explicitly. The archive's `config.json` is also scanned for
the markers of serialised code (`"Lambda"` layers, `__lambda__` functions),
so a model that only loads because of some fallback still fails here.
"""

import json
import zipfile

import keras
import numpy as np
import pytest

from kgen import datasets
from kgen import models

_CODE_MARKERS = ('"class_name": "Lambda"', "__lambda__", '"module": "builtins"')


def _digits():
    (x, y), _ = datasets.load_digits(test_fraction=0.1, seed=0)
    return x[:64], y[:64]


def _fit_one_step(model, x, y=None):
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    return model


def _build(name):
    x, y = _digits()
    tanh = 2.0 * x - 1.0
    if name == "vae":
        model = models.VAE((8, 8, 1), latent_dim=2, hidden_units=(16,))
        model.compile()
        return _fit_one_step(model, x), x
    if name == "rbm":
        model = models.RBM(64, 8, persistent=True, num_chains=8)
        model.compile()
        return _fit_one_step(model, datasets.binarize(x)), datasets.binarize(x)
    if name == "gan":
        model = models.GAN.mlp((8, 8, 1), latent_dim=4)
    elif name == "dcgan":
        model = models.DCGAN((8, 8, 1), latent_dim=4)
    elif name == "cgan":
        model = models.ConditionalGAN((8, 8, 1), 10, latent_dim=4)
        model.compile()
        return _fit_one_step(model, tanh, y), tanh
    elif name == "wgan":
        model = models.WGANGP((8, 8, 1), latent_dim=4)
        model.compile()
        return _fit_one_step(model, tanh[:60]), tanh
    elif name == "draw":
        model = models.DRAW((8, 8, 1), time_steps=2, latent_dim=2, encoder_units=8, decoder_units=8,
                            read_n=2, write_n=3)
        model.compile()
        return _fit_one_step(model, datasets.binarize(x)), datasets.binarize(x)
    elif name == "flow":
        model = models.RealNVP((8, 8, 1), num_coupling_layers=2, filters=(8,), num_bins=17)
        model.compile()
        return _fit_one_step(model, x), x
    model.compile()
    return _fit_one_step(model, tanh), tanh


@pytest.mark.parametrize("name", ["vae", "rbm", "gan", "dcgan", "cgan", "wgan", "draw", "flow"])
def test_keras_file_loads_in_safe_mode_with_the_same_weights(name, tmp_path):
    model, _ = _build(name)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = archive.read("config.json").decode()
    json.loads(config)
    for marker in _CODE_MARKERS:
        assert marker not in config, f"{name}: {marker} in config.json"
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    assert len(loaded.weights) == len(model.weights)
    for got, want in zip(loaded.weights, model.weights):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want), err_msg=f"{name}: {want.path}")


@pytest.mark.parametrize("name", ["vae", "rbm", "dcgan", "draw", "flow"])
def test_loading_restores_the_optimizer_state(name, tmp_path):
    # The moments and the step counter come back, so training continues
    # where it stopped rather than restarting Adam from zero.
    model, _ = _build(name)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    optimizer_names = ["d_optimizer", "g_optimizer"] if name == "dcgan" else ["optimizer"]
    for attribute in optimizer_names:
        saved, restored = getattr(model, attribute), getattr(loaded, attribute)
        assert restored is not None and restored.built, f"{name}.{attribute} not restored"
        assert int(np.asarray(restored.iterations)) == int(np.asarray(saved.iterations)) >= 1
        for got, want in zip(restored.variables, saved.variables):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
