"""`.keras` files and SavedModels written by earlier kgen code still load and agree.

`tests/data/legacy_models.tar.xz` holds, for each of the 8 model families,
a tiny model trained one step by the code of commit f9e259e (before the
model-contract refactor of issue 12): `<family>.keras`, its SavedModel
`<family>_export/`, and `<family>_outputs.npz` with the inputs fed to every
serving signature and the outputs it returned (`<signature>/in/<name>`,
`<signature>/out/<name>`; `tests/data/make_legacy_models.py` wrote them).

Each family is loaded by today's code in safe mode and exported again; the
new export must have the same signatures and give the recorded outputs for
the recorded inputs. The old SavedModel must also still load and give them.
"""

import os
import pathlib
import tarfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.models  # noqa: F401  (registers the kgen classes for loading)

ARCHIVE = pathlib.Path(__file__).parent / "data" / "legacy_models.tar.xz"
FAMILIES = ("vae", "rbm", "gan", "dcgan", "cgan", "wgan", "draw", "flow")


@pytest.fixture(scope="module")
def legacy_dir(tmp_path_factory):
    """The archive extracted to a temporary folder (its `legacy/` subfolder)."""
    root = tmp_path_factory.mktemp("legacy_models")
    with tarfile.open(ARCHIVE, "r:xz") as archive:
        archive.extractall(root, filter="data")
    return root / "legacy"


def _recorded(legacy_dir, family):
    """`{signature: (inputs, outputs)}` from `<family>_outputs.npz`."""
    recorded = {}
    with np.load(legacy_dir / f"{family}_outputs.npz") as arrays:
        for key in arrays.files:
            signature, direction, name = key.split("/")
            inputs, outputs = recorded.setdefault(signature, ({}, {}))
            (inputs if direction == "in" else outputs)[name] = arrays[key]
    return recorded


def _check_signatures(loaded, recorded):
    assert set(loaded.signatures) == set(recorded)
    for signature, (inputs, outputs) in recorded.items():
        got = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
        assert set(got) == set(outputs), signature
        for name, want in outputs.items():
            np.testing.assert_allclose(
                np.asarray(got[name]), want, rtol=1e-6, atol=1e-6,
                err_msg=f"{signature}/{name}",
            )


@pytest.mark.parametrize("family", FAMILIES)
def test_legacy_keras_file_loads_and_exports_the_same_outputs(legacy_dir, family, tmp_path):
    model = keras.saving.load_model(legacy_dir / f"{family}.keras", safe_mode=True)
    export_dir = tmp_path / "export"
    model.export(os.fspath(export_dir))
    _check_signatures(tf.saved_model.load(os.fspath(export_dir)), _recorded(legacy_dir, family))


@pytest.mark.parametrize("family", FAMILIES)
def test_legacy_saved_model_still_loads(legacy_dir, family):
    loaded = tf.saved_model.load(os.fspath(legacy_dir / f"{family}_export"))
    _check_signatures(loaded, _recorded(legacy_dir, family))
