"""A VAE export runs in a process that has only TensorFlow (as TF Serving).

One fresh process loads the export, checks its ops against a pristine
TensorFlow and calls every signature; the outputs are compared with the
in-process model.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.models import VAE
import zoo

INPUT_SHAPE = (8, 8, 1)
LATENT_DIM = 2
SIGNATURES = ["decode", "encode", "reconstruct", "sample", "serving_default"]


@pytest.fixture(scope="module")
def trained_vae():
    rng = np.random.default_rng(0)
    x = (rng.random((16, *INPUT_SHAPE)) > 0.5).astype("float32")
    vae = VAE(
        input_shape=INPUT_SHAPE, latent_dim=LATENT_DIM, hidden_units=(16,), seed=0
    )
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    vae.fit(x, epochs=1, batch_size=16, verbose=0)  # one step: weights moved
    return vae, x


def test_vae_export_serves_with_stock_tensorflow(trained_vae, tmp_path):
    vae, x = trained_vae
    path = tmp_path / "vae" / "1"
    vae.export(path)
    with pytest.raises(FileExistsError):
        vae.export(path)

    z = np.linspace(-2.0, 2.0, 3 * LATENT_DIM, dtype="float32").reshape(3, LATENT_DIM)
    seed = np.array([7, 11], dtype="int64")
    report = zoo.serve_in_process(  # fresh process: test_zoo
        path,
        {
            "encode": {"x": x},
            "decode": {"z": z},
            "reconstruct": {"x": x},
            "serving_default": {"x": x},
            "sample": [
                {"num_samples": np.int32(5), "seed": seed},
                {"num_samples": np.int32(5), "seed": seed},
                {"num_samples": np.int32(5), "seed": np.array([8, 11], "int64")},
            ],
        },
    )

    # TF Serving could run every op of the graph.
    assert report.non_stock_ops == []
    assert not any(op.startswith("Kgen>") for op in report.op_types)
    assert report.signature_names == SIGNATURES
    assert report.signature_inputs["encode"] == {"x": ([None, *INPUT_SHAPE], "float32")}
    assert report.signature_inputs["sample"] == {
        "num_samples": ([], "int32"),
        "seed": ([2], "int64"),
    }
    outputs = report.signature_outputs
    assert outputs["serving_default"] == outputs["reconstruct"]

    # The served model computes what the in-process model computes.
    close = dict(rtol=1e-5, atol=1e-6)
    posterior = vae.encode(x)
    out = report.outputs
    np.testing.assert_allclose(out["encode"]["mean"], posterior.mean(), **close)
    np.testing.assert_allclose(out["encode"]["stddev"], posterior.stddev(), **close)
    np.testing.assert_allclose(out["decode"]["mean"], vae.decode(z).mean(), **close)
    expected = keras.ops.convert_to_numpy(vae.reconstruct(x))
    assert out["reconstruct"]["reconstruction"].shape == (16, *INPUT_SHAPE)
    np.testing.assert_allclose(out["reconstruct"]["reconstruction"], expected, **close)
    np.testing.assert_allclose(
        out["serving_default"]["reconstruction"], expected, **close
    )

    # `sample` is stateless: the same seed twice gives the same draw, another
    # seed another draw, and z is TensorFlow's stateless normal for that seed.
    first, again, other = out["sample"]
    assert first["samples"].shape == (5, *INPUT_SHAPE)
    assert first["z"].shape == (5, LATENT_DIM)
    np.testing.assert_array_equal(first["samples"], again["samples"])
    np.testing.assert_array_equal(first["z"], again["z"])
    assert not np.allclose(first["z"], other["z"])
    expected_z = tf.random.stateless_normal((5, LATENT_DIM), seed=seed).numpy()
    np.testing.assert_allclose(first["z"], expected_z, **close)
    np.testing.assert_allclose(
        first["samples"], vae.decode(first["z"]).mean(), **close
    )
    assert ((first["samples"] >= 0) & (first["samples"] <= 1)).all()
