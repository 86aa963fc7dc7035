"""Tests for `kgen.export.export_model` and the `kgen.serving` checker.

The fresh-process checks cost ~5 s each (a new Python importing
TensorFlow), so the module exports one small model once and runs three
child processes in all (two when kgen's op library is not built).
"""

import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from kgen import serving
from kgen.export import export_model

X = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(4, 3)
X_SPEC = tf.TensorSpec([None, 3], tf.float32, name="x")


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model(X)
    return model


def _signatures(model):
    @tf.function(input_signature=[X_SPEC])
    def predict(x):
        return {"y": model(x)}

    @tf.function(input_signature=[X_SPEC, tf.TensorSpec([], tf.int32, name="k")])
    def scaled_argmax(x, k):
        y = model(x) * tf.cast(k, tf.float32)
        return {"scaled": y, "label": tf.argmax(y, axis=-1, output_type=tf.int32)}

    return {"predict": predict, "scaled_argmax": scaled_argmax}


def _leftovers(parent):
    """Temporary folders export_model may have left beside its target."""
    return sorted(n for n in os.listdir(parent) if ".tmp-" in n or ".old-" in n)


def _predict_in_process(path):
    loaded = tf.saved_model.load(os.fspath(path))
    return loaded.signatures["predict"](x=tf.constant(X))["y"].numpy()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = _model()
    path = tmp_path_factory.mktemp("export") / "dense" / "1"
    written = export_model(
        model, path, _signatures(model), serving_default="predict"
    )
    return model, path, written


# --- the fresh-process check ---------------------------------------------


def test_fresh_process_outputs_match_in_process(exported):
    model, path, written = exported
    assert written == os.path.abspath(path)
    report = serving.check_serving(
        path,
        {
            "predict": {"x": X},
            "scaled_argmax": {"x": X, "k": np.int32(3)},
            "serving_default": {"x": X},
        },
    )
    assert report.non_stock_ops == []
    assert report.signature_names == ["predict", "scaled_argmax", "serving_default"]
    assert report.signature_inputs["scaled_argmax"] == {
        "x": ([None, 3], "float32"),
        "k": ([], "int32"),
    }
    assert report.signature_outputs["predict"] == {"y": ([None, 2], "float32")}
    inputs = report.signature_inputs
    assert inputs["serving_default"] == inputs["predict"]

    expected = keras.ops.convert_to_numpy(model(X))
    np.testing.assert_allclose(report.outputs["predict"]["y"], expected, rtol=1e-6)
    np.testing.assert_allclose(
        report.outputs["serving_default"]["y"], expected, rtol=1e-6
    )
    np.testing.assert_allclose(
        report.outputs["scaled_argmax"]["scaled"], 3 * expected, rtol=1e-6
    )
    np.testing.assert_array_equal(
        report.outputs["scaled_argmax"]["label"], np.argmax(expected, axis=-1)
    )
    assert {"MatMul", "BiasAdd", "ReadVariableOp"} <= report.op_types


def _rename_op(path, old, new):
    """Edit saved_model.pb so that every `old` node runs op type `new`.

    This is what an export that called a kgen custom op looks like on disk:
    a node whose op type only a process with the op library registers.
    """
    pb = os.path.join(path, "saved_model.pb")
    saved_model = saved_model_pb2.SavedModel()
    with open(pb, "rb") as f:
        saved_model.ParseFromString(f.read())
    renamed = 0
    for meta_graph in saved_model.meta_graphs:
        for function in meta_graph.graph_def.library.function:
            for node in function.node_def:
                if node.op == old:
                    node.op = new
                    renamed += 1
    assert renamed > 0
    with open(pb, "wb") as f:
        f.write(saved_model.SerializeToString())


def test_non_stock_op_is_detected(exported, tmp_path):
    _, path, _ = exported
    edited = tmp_path / "edited"
    shutil.copytree(path, edited)
    _rename_op(edited, "MatMul", "Kgen>Fake")

    assert "Kgen>Fake" in serving.graph_op_types(edited)
    assert "MatMul" not in serving.graph_op_types(edited)
    with pytest.raises(serving.ServingCheckError, match="Kgen>Fake") as info:
        serving.check_serving(edited, {"predict": {"x": X}})
    assert info.value.non_stock_ops == ["Kgen>Fake"]
    assert "Op type not registered" in str(info.value)


def test_real_kgen_op_is_detected(tmp_path):
    # This process has the op registered (it loaded the library), the fresh
    # one has not: exactly the situation of TF Serving.
    kgen_ops = pytest.importorskip("kgen_ops")
    if not kgen_ops.op_library_loaded():
        pytest.skip("kgen's op library is not built")
    model = _model()

    @tf.function(input_signature=[tf.TensorSpec([2], tf.int64, name="seed")])
    def noise(seed):
        return {"u": kgen_ops.philox_uniform([3], seed)}

    path = export_model(model, tmp_path / "1", {**_signatures(model), "noise": noise})
    custom = sorted(op for op in serving.graph_op_types(path) if op.startswith("Kgen>"))
    assert custom
    assert serving.non_stock_ops(path) == custom


def test_graph_op_types_requires_a_saved_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="`path` must be a SavedModel"):
        serving.graph_op_types(tmp_path)


def test_check_serving_validates_inputs(exported):
    _, path, _ = exported
    with pytest.raises(ValueError, match="`inputs` must be a dict"):
        serving.check_serving(path, {"predict": X})


# --- overwrite and atomicity ------------------------------------------------


def test_refuses_to_overwrite(exported):
    model, path, _ = exported
    before = _predict_in_process(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export_model(model, path, _signatures(model))
    np.testing.assert_array_equal(_predict_in_process(path), before)
    assert _leftovers(path.parent) == []


def test_overwrite_replaces(tmp_path):
    path = tmp_path / "1"
    first = _model(seed=0)
    export_model(first, path, _signatures(first))
    second = _model(seed=1)
    export_model(second, path, _signatures(second), overwrite=True)

    np.testing.assert_allclose(
        _predict_in_process(path), keras.ops.convert_to_numpy(second(X)), rtol=1e-6
    )
    assert _leftovers(tmp_path) == []


def test_failure_while_tracing_keeps_old_export(tmp_path):
    path = tmp_path / "1"
    model = _model()
    export_model(model, path, _signatures(model))
    before = _predict_in_process(path)

    @tf.function(input_signature=[X_SPEC])
    def broken(x):
        raise RuntimeError("boom while tracing")

    signatures = {**_signatures(model), "broken": broken}
    with pytest.raises(RuntimeError, match="boom while tracing"):
        export_model(model, path, signatures, overwrite=True)
    np.testing.assert_array_equal(_predict_in_process(path), before)
    assert _leftovers(tmp_path) == []


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    model = _model()
    real_save = tf.saved_model.save

    def save_then_fail(obj, export_dir, *args, **kwargs):
        real_save(obj, export_dir, *args, **kwargs)
        assert os.listdir(export_dir)  # something half-written is there
        raise OSError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        export_model(model, tmp_path / "1", _signatures(model))
    assert os.listdir(tmp_path) == []


def test_temp_folders_are_fresh_and_beside_the_target(tmp_path, monkeypatch):
    # A stale temp folder, as a killed export would leave it.
    stale = tmp_path / ".1.tmp-stale"
    stale.mkdir()
    (stale / "marker").write_text("keep me")

    import kgen.export

    created = []
    real_mkdtemp = kgen.export.tempfile.mkdtemp

    def spy(*args, **kwargs):
        folder = real_mkdtemp(*args, **kwargs)
        created.append(folder)
        return folder

    monkeypatch.setattr(kgen.export.tempfile, "mkdtemp", spy)
    model = _model()
    for _ in range(3):
        export_model(model, tmp_path / "1", _signatures(model), overwrite=True)

    # One temp folder per write, and one for the old export on each overwrite.
    assert len(created) == 5
    assert len(set(created)) == len(created)
    for folder in created:
        name = os.path.basename(folder)
        assert os.path.dirname(folder) == str(tmp_path)  # same filesystem
        assert name.startswith((".1.tmp-", ".1.old-"))
        assert not os.path.exists(folder)
    assert (stale / "marker").read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == [".1.tmp-stale", "1"]


def test_export_is_readable_by_others(tmp_path):
    model = _model()
    path = export_model(model, tmp_path / "1", _signatures(model))
    # mkdtemp makes private folders; the export must not stay private.
    assert os.stat(path).st_mode & 0o777 == 0o777 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- argument validation ----------------------------------------------------


def test_validation_messages(tmp_path):
    model = _model()
    signatures = _signatures(model)
    path = tmp_path / "1"

    with pytest.raises(ValueError, match="`model` must be a `keras.Layer`"):
        export_model("model", path, signatures)
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="`model` must be built"):
        export_model(unbuilt, path, signatures)
    with pytest.raises(ValueError, match="`path` must be a non-empty"):
        export_model(model, "", signatures)
    with pytest.raises(ValueError, match="`signatures` must be a non-empty dict"):
        export_model(model, path, {})
    with pytest.raises(ValueError, match="must be a Python identifier"):
        export_model(model, path, {"bad name": signatures["predict"]})
    with pytest.raises(ValueError, match=r"`signatures\['f'\]` must be a `tf\.function`"):
        export_model(model, path, {"f": lambda x: {"y": x}})

    @tf.function
    def no_spec(x):
        return {"y": x}

    with pytest.raises(ValueError, match="with an `input_signature`"):
        export_model(model, path, {"f": no_spec})
    with pytest.raises(ValueError, match=r"^`serving_default` must be None or one of \(.*\)\. Received: serving_default='nope'$"):
        export_model(model, path, signatures, serving_default="nope")
    with pytest.raises(ValueError, match="`serving_default` must be None when"):
        export_model(
            model,
            path,
            {"serving_default": signatures["predict"]},
            serving_default="serving_default",
        )
    with pytest.raises(ValueError, match=r"^`overwrite` must be a bool\. Received: overwrite='yes'$"):
        export_model(model, path, signatures, overwrite="yes")
    with pytest.raises(ValueError, match=r"^`overwrite` must be a bool\. Received: overwrite=1$"):
        export_model(model, path, signatures, overwrite=1)

    @tf.function(input_signature=[X_SPEC])
    def bare_tensor(x):
        return model(x)

    with pytest.raises(ValueError, match="must return a non-empty dict"):
        export_model(model, path, {"f": bare_tensor})
    assert os.listdir(tmp_path) == []
