"""Writes the legacy-model fixtures of `tests/test_legacy_files.py`.

Run once, with the code of commit f9e259e (the last main before the
model-contract refactor of issue 12), from the repository root:

    .venv/bin/python tests/data/make_legacy_models.py tests/data/legacy
    tar -cJf tests/data/legacy_models.tar.xz -C tests/data legacy

(the archive, 170 KB, is what is committed; the folder is 1.9 MB).

For each model family it trains a tiny model for one step on the embedded
digits and writes `<family>.keras`, a SavedModel `<family>_export/`, and
`<family>_outputs.npz`: for every serving signature, the inputs fed and the
outputs the SavedModel returned (keys `<signature>/in/<name>` and
`<signature>/out/<name>`). The test loads the `.keras` file with the new
code, exports it again and checks that every signature gives the same
outputs for the same inputs, and that the old SavedModel still loads.
"""

import os
import pathlib
import shutil
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kgen import datasets  # noqa: E402
from kgen import models  # noqa: E402

FAMILIES = ("vae", "rbm", "gan", "dcgan", "cgan", "wgan", "draw", "flow")


def build(name):
    """A tiny model of `name`, trained one step; its training data."""
    keras.utils.set_random_seed(0)
    (x, y), _ = datasets.load_digits(test_fraction=0.1, seed=0)
    x, y = x[:32], y[:32]
    binary = datasets.binarize(x)
    tanh = 2.0 * x - 1.0
    labels = None
    if name == "vae":
        model, data = models.VAE((8, 8, 1), latent_dim=2, hidden_units=(8,), seed=0), x
    elif name == "rbm":
        model, data = models.RBM(64, 6, persistent=True, num_chains=4, seed=0), binary
    elif name == "gan":
        model = models.GAN.mlp((8, 8, 1), latent_dim=3, generator_units=(8,),
                               discriminator_units=(8,), seed=0)
        data = tanh
    elif name == "dcgan":
        model, data = models.DCGAN((8, 8, 1), latent_dim=3, filters=4, seed=0), tanh
    elif name == "cgan":
        model, data = models.ConditionalGAN((8, 8, 1), 10, latent_dim=3, filters=4, seed=0), tanh
        labels = y
    elif name == "wgan":
        model, data = models.WGANGP((8, 8, 1), latent_dim=3, filters=4, seed=0), tanh[:30]
    elif name == "draw":
        model = models.DRAW((8, 8, 1), time_steps=2, latent_dim=2, encoder_units=6,
                            decoder_units=6, read_n=2, write_n=3, seed=0)
        data = binary
    elif name == "flow":
        model = models.RealNVP((8, 8, 1), num_coupling_layers=2, filters=(4,), num_bins=17, seed=0)
        data = x
    else:
        raise ValueError(name)
    model.compile()
    model.fit(data, labels, epochs=1, batch_size=len(data), verbose=0)
    return model, data


def signature_inputs(function, data, rng):
    """Fixed inputs for one serving signature, by input name."""
    _, specs = function.structured_input_signature
    inputs = {}
    for key, spec in specs.items():
        shape = [3 if d is None else d for d in spec.shape]
        if key in ("x",):
            value = np.asarray(data[:3], spec.dtype.as_numpy_dtype).reshape(shape)
        elif key == "num_samples":
            value = np.asarray(3, spec.dtype.as_numpy_dtype)
        elif key == "num_sweeps":
            value = np.asarray(2, spec.dtype.as_numpy_dtype)
        elif key == "seed":
            value = np.asarray([1, 2][: shape[0]] if shape else 1, spec.dtype.as_numpy_dtype)
        elif key == "labels":
            value = np.arange(shape[0], dtype=spec.dtype.as_numpy_dtype) % 10
        elif key in ("noise",):
            value = rng.uniform(size=shape).astype(spec.dtype.as_numpy_dtype)
        else:  # latent vectors
            value = rng.normal(size=shape).astype(spec.dtype.as_numpy_dtype)
        inputs[key] = value
    return inputs


def main(out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in FAMILIES:
        model, data = build(name)
        model.save(out / f"{name}.keras")
        export_dir = out / f"{name}_export"
        shutil.rmtree(export_dir, ignore_errors=True)
        model.export(os.fspath(export_dir))
        loaded = tf.saved_model.load(os.fspath(export_dir))
        rng = np.random.default_rng(0)
        arrays = {}
        for signature in sorted(loaded.signatures):
            function = loaded.signatures[signature]
            inputs = signature_inputs(function, data, rng)
            outputs = function(**{k: tf.constant(v) for k, v in inputs.items()})
            arrays.update({f"{signature}/in/{k}": v for k, v in inputs.items()})
            arrays.update({f"{signature}/out/{k}": np.asarray(v) for k, v in outputs.items()})
        np.savez(out / f"{name}_outputs.npz", **arrays)
        print(name, sorted(loaded.signatures))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/legacy")
