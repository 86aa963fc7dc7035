"""What every registered model must do, tested over the registry (`tests/zoo.py`).

Each test is parametrized over `kgen.registry.names()`, so a model with a
registry row is covered without editing this file:

- unless it needs images, its tiny model trains on 2-D points;
- its `.keras` file loads with `safe_mode=True` (no `Lambda` layers, no
  pickled code: `config.json` is scanned for their markers) with the same
  weights, the same optimizer state and the same seeded samples;
- its SavedModel loads in a fresh process that has TensorFlow only (as TF
  Serving), uses stock ops only, and every signature gives what it gives
  in this process;
- `kgen train NAME` writes a complete run folder after one epoch;
- the command line refuses bad training arguments with one line and exit
  status 2, and the model class refuses a seed that is not an int.

The mirrored- and multi-worker-strategy tests over the registry are in
`tests/test_distribute.py` (fresh processes).
"""

import json
import os
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from kgen import cli
from kgen import serving

_CODE_MARKERS = ('"class_name": "Lambda"', "__lambda__", '"module": "builtins"')

pytestmark = pytest.mark.parametrize("name", zoo.MODEL_NAMES)


# --- the .keras round trip -------------------------------------------------


def test_keras_file_round_trip_in_safe_mode(name, tmp_path):
    model, data = zoo.trained(name)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = archive.read("config.json").decode()
    json.loads(config)
    for marker in _CODE_MARKERS:
        assert marker not in config, f"{name}: {marker} in config.json"

    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model) is zoo.entry(name).model_class()
    assert len(loaded.weights) == len(model.weights)
    for got, want in zip(loaded.weights, model.weights):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want), err_msg=f"{name}: {want.path}")

    # The optimizers' moments and step counters come back, so training
    # continues where it stopped rather than restarting from zero.
    optimizer_names = zoo.optimizer_names(model)
    assert optimizer_names and zoo.optimizer_names(loaded) == optimizer_names
    for attribute in optimizer_names:
        saved, restored = getattr(model, attribute), getattr(loaded, attribute)
        assert restored is not None and restored.built, f"{name}.{attribute} not restored"
        assert int(np.asarray(restored.iterations)) == int(np.asarray(saved.iterations)) >= 1
        assert len(restored.variables) == len(saved.variables)
        for got, want in zip(restored.variables, saved.variables):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want), err_msg=f"{name}.{attribute}")

    # A seeded method (a translation) computes the same after the reload.
    np.testing.assert_array_equal(zoo.seeded_output(loaded, data), zoo.seeded_output(model, data))


def test_tiny_model_trains_on_points_unless_images_only(name):
    row = zoo.entry(name)
    if row.data.images_only:
        pytest.skip(f"{name} trains on images only")
    (x,) = zoo.points(row, 64)
    model = row.tiny(x.shape[1:], 0)
    history = model.fit(x, epochs=1, batch_size=32, verbose=0).history
    assert history and all(np.isfinite(values[-1]) for values in history.values()), history
    assert keras.ops.convert_to_numpy(model.sample(3, seed=1)).shape == (3, 2)


# --- export and serving -----------------------------------------------------


def _signature_inputs(specs, x):
    """Inputs for a signature's named `TensorSpec`s, from what they look like.

    Examples `(None, *example_shape)` get the training data; other float
    batches (codes, noise) standard normals; an int batch `(None,)` the
    labels; an int scalar (a count: samples, sweeps) 2; an int `(2,)` a seed.
    """
    rng = np.random.default_rng(0)
    inputs = {}
    for input_name, spec in specs.items():
        shape = tuple(spec.shape)
        if spec.dtype.is_floating and shape[1:] == x.shape[1:]:
            value = x[:4]
        elif spec.dtype.is_floating and shape[:1] == (None,) and None not in shape[1:]:
            value = rng.standard_normal((4, *shape[1:])).astype(spec.dtype.as_numpy_dtype)
        elif spec.dtype.is_integer and shape == (None,):
            value = np.arange(4, dtype=spec.dtype.as_numpy_dtype) % 2
        elif spec.dtype.is_integer and shape == ():
            value = np.asarray(2, spec.dtype.as_numpy_dtype)
        elif spec.dtype.is_integer and shape == (2,):
            value = np.asarray([1, 2], spec.dtype.as_numpy_dtype)
        else:
            raise AssertionError(f"no test input for {input_name}: {spec}; teach _signature_inputs")
        inputs[input_name] = value
    return inputs


def test_export_serves_with_stock_tensorflow(name, tmp_path):
    model, data = zoo.trained(name)
    path = model.export(tmp_path / name / "1")

    loaded = tf.saved_model.load(path)
    assert loaded.signatures, f"{name}: no signatures"
    inputs, expected = {}, {}
    for signature, function in loaded.signatures.items():
        _, specs = function.structured_input_signature
        inputs[signature] = _signature_inputs(specs, data[0])
        expected[signature] = {k: v.numpy() for k, v in function(**inputs[signature]).items()}

    report = serving.check_serving(path, inputs)
    assert report.non_stock_ops == []
    assert not any(op.startswith("Kgen>") for op in report.op_types)
    assert report.signature_names == sorted(loaded.signatures)
    for signature, outputs in expected.items():
        assert sorted(report.outputs[signature]) == sorted(outputs), signature
        for output, want in outputs.items():
            got = report.outputs[signature][output]
            assert np.all(np.isfinite(got)), f"{name}: {signature}/{output} not finite"
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{name}: {signature}/{output}")


# --- the command line -------------------------------------------------------


def test_cli_trains_one_epoch_into_a_complete_run(name, cli_run):
    run_dir = cli_run(name)
    if zoo.entry(name).data.two_domains:
        _check_translation_run(name, run_dir)
        return
    assert sorted(os.listdir(run_dir)) == [
        "feature_extractor.keras", "logs", "metrics.json", "model.keras", "pictures", "saved_model"]
    assert os.listdir(run_dir.parent) == [name]  # nothing partial beside the run
    assert {"curves.png", "samples_epoch001.png"} <= set(os.listdir(run_dir / "pictures"))
    assert (run_dir / "saved_model" / "saved_model.pb").is_file()
    assert any(n.startswith("events.out.tfevents") for n in os.listdir(run_dir / "logs"))

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["model"] == name and metrics["data"] == "digits" and metrics["epochs"] == 1
    assert metrics["num_train"] == metrics["num_validation"] == 128
    assert isinstance(metrics["units"], str) and metrics["units"]
    assert metrics["train"] and set(metrics["validation"]) == set(metrics["train"])
    assert metrics["held_out"], f"{name}: no held-out numbers"
    for key, value in [*metrics["train"].items(), *metrics["held_out"].items()]:
        if not isinstance(value, str):
            assert np.isfinite(value), f"{name}: {key}={value}"

    # Every model samples images here: scored through the digit classifier.
    quality = metrics["sample_quality"]
    assert quality["num_samples"] == quality["num_real"] == 128
    assert sum(quality["predicted_classes"]) == 128 and quality["num_classes"] == 10
    assert 1 <= quality["classes_covered"] <= 10 and 0.0 <= quality["class_entropy"] <= 1.0
    assert 0.0 <= quality["precision"] <= 1.0 and 0.0 <= quality["recall"] <= 1.0
    assert quality["classifier_accuracy"] > 0.5, f"{name}: the digit classifier did not learn"
    for key in ("frechet_distance", "kernel_distance", "kernel_distance_std", "classifier_score"):
        assert np.isfinite(quality[key]), f"{name}: {key}={quality[key]}"

    loaded = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    assert type(loaded) is zoo.entry(name).model_class()


def _check_translation_run(name, run_dir):
    """A CycleGAN or DiscoGAN run: grey digits -> colour digits, translations drawn and scored."""
    assert sorted(os.listdir(run_dir)) == [
        "feature_extractor_a.keras", "feature_extractor_b.keras", "logs", "metrics.json",
        "model.keras", "pictures", "saved_model"]
    pictures = set(os.listdir(run_dir / "pictures"))
    assert {"curves.png", "translations_a_to_b_epoch001.png", "translations_b_to_a_epoch001.png"} <= pictures
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["model"] == name and metrics["data"] == "digits"
    assert metrics["data_b"] == "colour(digits)" and metrics["epochs"] == 1
    assert metrics["num_train"] == metrics["num_train_b"] == 128
    assert set(metrics["validation"]) == set(metrics["train"]) >= {"cycle_a", "cycle_b", "g_loss"}
    for key in ("cycle_error_a", "cycle_error_b"):
        assert 0.0 <= metrics["held_out"][key] <= 2.0, metrics["held_out"]
    quality = metrics["translation_quality"]
    for key in ("label_preservation_a_to_b", "label_preservation_b_to_a",
                "classifier_accuracy_a", "classifier_accuracy_b"):
        assert 0.0 <= quality[key] <= 1.0, (key, quality)
    assert quality["classifier_accuracy_a"] > 0.5, "the grey digit classifier did not learn"
    assert np.isfinite(quality["frechet_distance_a_to_b"])
    loaded = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    assert type(loaded) is zoo.entry(name).model_class()
    assert loaded.image_shape_a == (8, 8, 1) and loaded.image_shape_b == (8, 8, 3)


@pytest.mark.parametrize(
    "flag, value", [("--epochs", "0"), ("--batch-size", "0"), ("--learning-rate", "-1")]
)
def test_cli_refuses_bad_training_arguments(name, flag, value, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["train", name, "--out", str(tmp_path / "run"), flag, value]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kgen"), err
    assert f"`{flag}` must be" in err and value in err, err
    assert os.listdir(tmp_path) == []


# --- argument checks of the model class -------------------------------------


def test_model_refuses_a_seed_that_is_not_an_int(name):
    row = zoo.entry(name)
    config = zoo.tiny(row).get_config()
    with pytest.raises(ValueError, match=r"`seed` must be None or an int. Received: seed=1.5"):
        row.model_class().from_config({**config, "seed": 1.5})
