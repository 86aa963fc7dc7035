"""Tests for kgen.models.RealNVP: invertibility, log-determinants, densities, training.

Exact checks run on flows whose weights are perturbed away from the
identity they start as (every weight plus N(0, 0.1^2) or more), so a wrong
mask, squeeze or log-determinant shows. Tolerances:

- round trips in float32: 1e-4 absolute on data of order 1;
- log-determinants against the autodiff Jacobian: float64 models, 1e-8
  nats (measured differences below 1e-10);
- the density of a flow trained on the 2D ring (std 0.1) integrates to 1
  within 2% over [-8, 8]^2 with spacing 0.02 (measured: 1.00001; 0.002% of
  samples fall outside the grid), while the same sum without the
  log-determinant is off by far more; and its integrals over three rings
  (r < 1.5, 1.5 <= r < 2.5, r >= 2.5) match the shares of 20,000 samples
  within 4 standard errors + 0.005 (measured differences <= 0.001; a
  log-determinant halved in every layer was off by 0.06 and failed);
- training on the 8x8 digits lowers the held-out bits/dim by more than 10
  paired standard errors (measured: 5.37 -> about 3.1, standard error 0.02).

Every statistical check uses fixed seeds (conftest resets the global ones).
"""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.models import RealNVP
from kgen.models import _coupling
import zoo

DIGITS_SHAPE = (8, 8, 1)
DIGITS_BINS = 17  # load_digits gives k / 16, k = 0..16


def perturb(model, std=0.1, seed=0):
    """Adds N(0, std^2) to every weight, so the zero-initialised flow is not the identity."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        value = keras.ops.convert_to_numpy(weight)
        weight.assign(value + std * rng.standard_normal(value.shape))
    return model


def as_json(config):
    return json.loads(json.dumps(config))


def paired_standard_error(differences):
    differences = np.asarray(differences, dtype="float64")
    return differences.std(ddof=1) / np.sqrt(len(differences))


@pytest.fixture(scope="module")
def digits():
    (x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2, seed=0)
    return x_train, x_test


@pytest.fixture(scope="module")
def trained_digits(digits):
    """A 4-layer conv flow trained 2 epochs; its held-out bits/dim before training."""
    keras.utils.set_random_seed(0)
    x_train, x_test = digits
    flow = RealNVP(DIGITS_SHAPE, 4, filters=(16, 16), num_bins=DIGITS_BINS, seed=0)
    flow.compile(optimizer=keras.optimizers.Adam(2e-3))
    before = flow.bits_per_dim(x_test, seed=0).numpy()
    history = flow.fit(x_train, epochs=2, batch_size=64, verbose=0)
    return flow, before, history


# Invertibility and the log-determinant.


@pytest.mark.parametrize(
    "input_shape, kwargs",
    [
        ((2,), {}),
        ((5,), {"hidden_units": (16,)}),
        ((4, 4, 1), {"filters": (8,)}),
        ((8, 8, 1), {"filters": (8, 8), "num_bins": 17}),
        ((4, 6, 3), {"filters": (8,), "masks": "channel,checkerboard"}),
    ],
    ids=["2d", "5d-odd", "image", "digits-logit", "rgb"],
)
def test_forward_inverse_round_trip(input_shape, kwargs):
    flow = perturb(RealNVP(input_shape, 6, seed=0, **kwargs), std=0.1)
    rng = np.random.default_rng(1)
    if kwargs.get("num_bins"):
        x = rng.uniform(0.01, 0.99, size=(16, *input_shape)).astype("float32")
    else:
        x = rng.normal(size=(16, *input_shape)).astype("float32")
    z, log_det = flow.forward(x)
    x_back, inverse_log_det = flow.inverse(z)
    assert z.shape == x.shape and log_det.shape == (16,)
    # Not the identity: the round trip below is a real check.
    assert np.abs(z.numpy() - x).max() > 0.1
    np.testing.assert_allclose(x_back, x, atol=1e-4)
    np.testing.assert_allclose(inverse_log_det, -log_det, atol=1e-4, rtol=1e-5)
    # And z -> x -> z.
    z_again, _ = flow.forward(x_back)
    np.testing.assert_allclose(z_again, z, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize(
    "input_shape, kwargs",
    [
        ((2,), {}),
        ((3,), {"masks": "channel"}),
        ((4, 4, 1), {"masks": "checkerboard"}),
        ((4, 4, 1), {"masks": "channel"}),
        ((4, 4, 1), {"masks": "checkerboard,channel", "num_bins": 256}),
        ((2, 4, 2), {"masks": "channel,checkerboard"}),
        ((2, 4, 3), {"masks": "checkerboard,channel", "num_bins": 256}),
    ],
    ids=["2d", "3d-halves", "checkerboard", "channel", "both-logit", "2-channels", "rgb-logit"],
)
def test_log_det_matches_autodiff_jacobian(input_shape, kwargs):
    flow = RealNVP(input_shape, 4, dtype="float64", seed=0, **kwargs)
    perturb(flow, std=0.3, seed=2)
    d = math.prod(input_shape)
    rng = np.random.default_rng(3)
    x = tf.constant(rng.uniform(0.05, 0.95, size=(4, d)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        z, log_det = flow.forward(tf.reshape(x, (4, *input_shape)))
        z = tf.reshape(z, (4, d))
    jacobian = tape.batch_jacobian(z, x).numpy()  # (4, d, d)
    sign, expected = np.linalg.slogdet(jacobian)
    assert np.all(sign != 0)
    assert np.abs(expected).max() > 0.1  # a non-trivial volume change
    np.testing.assert_allclose(log_det.numpy(), expected, atol=1e-8)


def test_squeeze_is_space_to_depth_and_channel_masks_split_2x2_blocks():
    x = np.arange(2 * 4 * 6 * 3, dtype="float32").reshape(2, 4, 6, 3)
    squeezed = _coupling.squeeze(x)
    np.testing.assert_array_equal(squeezed, tf.nn.space_to_depth(x, 2))
    np.testing.assert_array_equal(_coupling.unsqueeze(squeezed), x)

    # A channel coupling of parity 0 on a 1-channel image transforms the
    # bottom row of every 2x2 block and leaves the top row alone; parity 1
    # the opposite. A checkerboard one alternates pixel by pixel.
    # The same holds for every channel of a colour image.
    for channels in (1, 3):
        x = np.random.default_rng(0).normal(size=(3, 4, 4, channels)).astype("float32")
        top_rows = np.zeros((4, 4, channels), bool)
        top_rows[0::2] = True
        rows, cols = np.indices((4, 4))
        even = np.broadcast_to(((rows + cols) % 2 == 0)[..., None], (4, 4, channels))
        for mask_type, parity, kept in (
            ("channel", 0, top_rows),
            ("channel", 1, ~top_rows),
            ("checkerboard", 0, even),
            ("checkerboard", 1, ~even),
        ):
            layer = _coupling.AffineCoupling(
                (4, 4, channels), mask_type, parity, filters=(8,), seed=0
            )
            layer.build((None, 4, 4, channels))
            perturb(layer, std=0.1)
            y, _ = layer.forward(x)
            changed = np.abs(y.numpy() - x) > 1e-6
            assert not changed[:, kept].any(), (channels, mask_type, parity)
            assert changed[:, ~kept].all(), (channels, mask_type, parity)


def test_colour_images_train_one_step_with_both_masks():
    flow = RealNVP((8, 8, 3), 4, filters=(4,), num_bins=17, seed=0)
    flow.compile(run_eagerly=True)  # no tracing: one step in well under a second
    x = np.random.default_rng(0).integers(0, 17, size=(8, 8, 8, 3)).astype("float32") / 16
    before = flow.log_prob(x, seed=1).numpy()
    logs = flow.train_on_batch(x, return_dict=True)
    assert np.isfinite(logs["loss"])
    after = flow.log_prob(x, seed=1).numpy()
    assert after.shape == (8,) and np.all(np.isfinite(after)) and np.any(after != before)
    assert flow.sample(2, seed=0).shape == (2, 8, 8, 3)


def test_mask_pairs_cycle_through_the_mask_types():
    flow = RealNVP((4, 4, 1), 6, masks="checkerboard,channel")
    assert [(c.mask_type, c.parity) for c in flow.couplings] == [
        ("checkerboard", 0), ("checkerboard", 1), ("channel", 0),
        ("channel", 1), ("checkerboard", 0), ("checkerboard", 1),
    ]
    assert [c.squeezes for c in flow.couplings] == [False, False, True, True, False, False]
    vector_flow = RealNVP((4,), 2, masks=["channel"])
    assert [c.mask.tolist() for c in vector_flow.couplings] == [
        [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0],
    ]


# Densities.


def test_density_on_the_2d_ring_integrates_to_one():
    keras.utils.set_random_seed(0)
    x, _ = kgen.datasets.toy_2d("ring", n=2048, std=0.1, seed=0)
    held_out, _ = kgen.datasets.toy_2d("ring", n=1000, std=0.1, seed=1)
    flow = RealNVP((2,), 6, hidden_units=(32, 32), seed=0)
    flow.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = flow.log_prob(held_out).numpy()
    flow.fit(x, epochs=12, batch_size=128, verbose=0)
    after = flow.log_prob(held_out).numpy()
    # Training moved the density well away from the N(0, I) it starts as.
    assert after.mean() > before.mean() + 1.0

    # Riemann sum over [-8, 8]^2 with spacing 0.02 (801 x 801 points): the
    # ring (radius 2, std 0.1) lies well inside, each mode 5 grid steps wide.
    grid = np.linspace(-8.0, 8.0, 801, dtype="float32")
    cell = float(grid[1] - grid[0]) ** 2
    points = np.stack([a.ravel() for a in np.meshgrid(grid, grid)], axis=-1)
    z, log_det = flow.forward(points)
    log_density = flow.prior().log_prob(z).numpy() + log_det.numpy()
    np.testing.assert_allclose(
        log_density[:1000], flow.log_prob(points[:1000]), atol=1e-5
    )
    integral = np.exp(log_density.astype("float64")).sum() * cell
    assert abs(integral - 1.0) < 0.02, integral
    # The check has teeth: without the log-determinant the sum is far off.
    without_log_det = np.exp(flow.prior().log_prob(z).numpy().astype("float64")).sum()
    assert abs(without_log_det * cell - 1.0) > 0.1
    # The grid holds the mass: of 20,000 samples at most 0.1% fall outside
    # (measured: 0.002% outside [-8, 8]^2, 0.2% outside [-5, 5]^2).
    samples = flow.sample(20000, seed=0).numpy()
    assert np.mean(np.abs(samples).max(axis=1) > 8.0) < 1e-3
    # Where the mass is, too: the density's integral over the ring's hole,
    # the ring and the outside matches the share of samples there (drawn
    # through the inverse, which needs no log-determinant), within 4
    # standard errors of the share plus 0.005 for the grid.
    radius = np.linalg.norm(points, axis=1)
    sample_radius = np.linalg.norm(samples, axis=1)
    for low, high in ((0.0, 1.5), (1.5, 2.5), (2.5, np.inf)):
        inside = (radius >= low) & (radius < high)
        mass = np.exp(log_density[inside].astype("float64")).sum() * cell
        share = np.mean((sample_radius >= low) & (sample_radius < high))
        standard_error = np.sqrt(share * (1 - share) / len(samples))
        assert abs(mass - share) < 4 * standard_error + 0.005, (low, high, mass, share)


def test_bits_per_dim_is_log_prob_rescaled(trained_digits, digits):
    flow, _, _ = trained_digits
    x = digits[1][:20]
    log_prob = flow.log_prob(x, seed=5).numpy().astype("float64")
    d = math.prod(DIGITS_SHAPE)
    expected = -(log_prob - d * math.log(DIGITS_BINS)) / (d * math.log(2))
    np.testing.assert_allclose(flow.bits_per_dim(x, seed=5), expected, rtol=1e-5)
    # The dequantisation noise matters: another seed, another value...
    assert not np.allclose(flow.log_prob(x, seed=6), log_prob)
    # ...and `seed=None` advances the model's generator.
    assert not np.allclose(flow.log_prob(x), flow.log_prob(x))

    # Continuous data: no num_bins term, no noise.
    continuous = RealNVP((2,), 2, seed=0)
    points = np.ones((3, 2), "float32")
    np.testing.assert_allclose(
        continuous.bits_per_dim(points),
        -continuous.log_prob(points).numpy() / (2 * math.log(2)),
        rtol=1e-6,
    )
    # An identity flow: log p = log N(x; 0, I).
    np.testing.assert_allclose(
        continuous.log_prob(points), np.full(3, -1.0 - math.log(2 * math.pi)), rtol=1e-6
    )


def test_dequantize_maps_levels_to_their_bins():
    flow = RealNVP(DIGITS_SHAPE, 1, num_bins=DIGITS_BINS)
    levels = np.arange(17, dtype="float32") / 16
    x = np.broadcast_to(levels[:, None, None, None], (17, *DIGITS_SHAPE))
    low = flow.dequantize(x, np.zeros_like(x)).numpy()
    high = flow.dequantize(x, np.full_like(x, 0.999)).numpy()
    np.testing.assert_allclose(low[:, 0, 0, 0], np.arange(17) / 17, atol=1e-7)
    np.testing.assert_allclose(high[:, 0, 0, 0], (np.arange(17) + 0.999) / 17, atol=1e-7)
    # Sampling's quantisation is the inverse.
    quantized = flow._quantize(flow.dequantize(x, np.full_like(x, 0.5))).numpy()
    np.testing.assert_allclose(quantized, x, atol=1e-7)


# Training.


def test_training_lowers_held_out_bits_per_dim(trained_digits, digits):
    flow, before, history = trained_digits
    after = flow.bits_per_dim(digits[1], seed=0).numpy()
    d = after - before
    assert d.mean() < -10 * paired_standard_error(d), (before.mean(), after.mean())
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_metrics_are_loss_in_nats_and_bits_per_dim(trained_digits, digits):
    flow, _, history = trained_digits
    assert [m.name for m in flow.metrics] == ["loss", "bits_per_dim"]
    assert set(history.history) == {"loss", "bits_per_dim"}
    results = flow.evaluate(digits[1], batch_size=360, verbose=0, return_dict=True)
    d = math.prod(DIGITS_SHAPE)
    np.testing.assert_allclose(
        results["bits_per_dim"],
        (results["loss"] + d * math.log(DIGITS_BINS)) / (d * math.log(2)),
        rtol=1e-5,
    )


def test_sample_shapes_determinism_and_finite_log_prob(trained_digits):
    flow, _, _ = trained_digits
    samples = flow.sample(6, seed=3).numpy()
    assert samples.shape == (6, *DIGITS_SHAPE)
    np.testing.assert_array_equal(flow.sample(6, seed=3), samples)
    quantized = flow.sample(6, seed=3, quantize=True).numpy()
    assert set(np.unique(quantized * 16).round(4)) <= set(np.arange(17.0))
    assert np.all(np.isfinite(flow.log_prob(quantized, seed=0)))
    assert flow.predict(quantized, verbose=0).shape == (6,)

    ring = RealNVP((2,), 4, seed=0)
    assert ring.sample(7).shape == (7, 2)
    assert np.all(np.isfinite(ring.log_prob(ring.sample(7, seed=0))))


def test_same_seed_same_model():
    x = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    a, b, c = (perturb(RealNVP((2,), 4, seed=s), seed=0) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.log_prob(x), b.log_prob(x))
    np.testing.assert_array_equal(a.sample(4), b.sample(4))
    assert not np.array_equal(a.log_prob(x), c.log_prob(x))


def test_compile_defaults_and_overrides():
    flow = RealNVP((2,), 2)
    flow.compile()
    assert flow.jit_compile is False and flow.steps_per_execution == 8
    flow.compile(optimizer="sgd", jit_compile=True, steps_per_execution=1)
    assert flow.jit_compile is True and flow.steps_per_execution == 1


# Saving and export.


def test_keras_round_trip_gives_identical_log_prob(trained_digits, digits, tmp_path):
    flow, _, _ = trained_digits
    x = digits[1][:50]
    path = tmp_path / "realnvp.keras"
    flow.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is RealNVP
    assert as_json(restored.get_config()) == as_json(flow.get_config())
    np.testing.assert_array_equal(restored.log_prob(x, seed=1), flow.log_prob(x, seed=1))
    np.testing.assert_array_equal(restored.sample(5, seed=2), flow.sample(5, seed=2))

    vector_flow = perturb(RealNVP((3,), 3, hidden_units=(8,), seed=1))
    vector_flow.save(tmp_path / "vector.keras")
    points = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    restored = keras.models.load_model(tmp_path / "vector.keras")
    np.testing.assert_array_equal(restored.log_prob(points), vector_flow.log_prob(points))


def test_export_serves_sample_and_log_prob_with_stock_tensorflow(trained_digits, digits, tmp_path):
    flow, _, _ = trained_digits
    x = digits[1][:8]
    path = tmp_path / "realnvp" / "1"
    flow.export(path)
    with pytest.raises(FileExistsError):
        flow.export(path)
    seed = np.array([7, 11], dtype="int64")
    report = zoo.serve_in_process(  # fresh process: test_zoo
        path,
        {
            "log_prob": {"x": x, "seed": seed},
            "serving_default": {"x": x, "seed": seed},
            "sample": [
                {"num_samples": np.int32(4), "seed": seed},
                {"num_samples": np.int32(4), "seed": seed},
            ],
        },
    )
    assert report.non_stock_ops == []
    assert not any(op.startswith("Kgen>") for op in report.op_types)
    assert report.signature_names == ["log_prob", "sample", "serving_default"]
    assert report.signature_inputs["log_prob"] == {
        "x": ([None, *DIGITS_SHAPE], "float32"),
        "seed": ([2], "int64"),
    }

    # The served model computes what the in-process model computes, with
    # TensorFlow's stateless noise for the seed.
    close = dict(rtol=1e-5, atol=1e-4)
    out = report.outputs
    noise = tf.random.stateless_uniform(x.shape, seed=seed)
    expected = flow._log_prob(tf.constant(x), noise).numpy()
    np.testing.assert_allclose(out["log_prob"]["log_prob"], expected, **close)
    np.testing.assert_allclose(out["serving_default"]["log_prob"], expected, **close)
    np.testing.assert_allclose(
        out["log_prob"]["bits_per_dim"], flow._bits_per_dim(expected), **close
    )
    first, again = out["sample"]
    assert first["samples"].shape == (4, *DIGITS_SHAPE)
    np.testing.assert_array_equal(first["samples"], again["samples"])
    z = tf.random.stateless_normal((4, *DIGITS_SHAPE), seed=seed).numpy()
    np.testing.assert_allclose(first["z"], z, **close)
    np.testing.assert_allclose(first["samples"], flow.inverse(z)[0], **close)
    np.testing.assert_allclose(first["quantized"], flow._quantize(first["samples"]), atol=1e-6)


# Errors.


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"num_coupling_layers": 0},
            r"`num_coupling_layers` must be an int >= 1. Received: num_coupling_layers=0",
        ),
        (
            {"masks": "checkerboard,diagonal"},
            r"`masks` must be .* mask names from \('checkerboard', 'channel'\).* "
            r"Received: masks='checkerboard,diagonal'",
        ),
        ({"masks": ""}, r"`masks` must be .* Received: masks=''"),
        (
            {"input_shape": (7, 8, 1)},
            r"`input_shape` must have even height and width for 'channel' masks .* "
            r"Received: input_shape=\(7, 8, 1\)",
        ),
        (
            {"input_shape": (8, 8)},
            r"`input_shape` must be a tuple of 1 or 3 ints >= 1. Received: input_shape=\(8, 8\)",
        ),
        (
            {"input_shape": (1,)},
            r"`input_shape` must be \(dim,\) with dim >= 2 .* Received: input_shape=\(1,\)",
        ),
        (
            {"input_shape": (2,), "filters": (8,)},
            r"`filters` must be None for vector inputs .* Received: filters=\(8,\)",
        ),
        (
            {"hidden_units": (8,)},
            r"`hidden_units` must be None for image inputs .* Received: hidden_units=\(8,\)",
        ),
        (
            {"filters": (8, 0)},
            r"`filters` must be a non-empty tuple of ints >= 1. Received: filters=\(8, 0\)",
        ),
        ({"num_bins": 1}, r"`num_bins` must be None or an int >= 2. Received: num_bins=1"),
        ({"alpha": 0.5}, r"`alpha` must be a number in \[0, 0.5\). Received: alpha=0.5"),
        ({"seed": "0"}, r"`seed` must be None or an int. Received: seed='0'"),
    ],
    ids=[
        "layers", "mask-name", "mask-empty", "odd-size", "rank-2", "dim-1",
        "filters-for-vectors", "units-for-images", "filters", "num_bins", "alpha", "seed",
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    kwargs = {"input_shape": (8, 8, 1), "num_coupling_layers": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        RealNVP(**kwargs)


def test_odd_sizes_are_fine_without_channel_masks():
    flow = RealNVP((7, 5, 1), 2, filters=(4,), masks="checkerboard")
    assert flow.sample(2, seed=0).shape == (2, 7, 5, 1)


def test_bad_inputs_at_fit_and_methods(digits):
    flow = RealNVP(DIGITS_SHAPE, 2, filters=(4,), num_bins=DIGITS_BINS, seed=0)
    flow.compile()
    flat = digits[1][:8].reshape(8, 64)
    match = r"`x` must have shape \(batch_size, 8, 8, 1\). Received: x.shape=\(8, 64\)"
    for method in (flow.log_prob, flow.bits_per_dim, flow.forward):
        with pytest.raises(ValueError, match=match):
            method(flat)
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch_size, 8, 8, 1\)"):
        flow.fit(flat, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`z` must have shape \(batch_size, 8, 8, 1\). "):
        flow.inverse(np.zeros((2, 8, 8, 2), "float32"))
    match = r"`num_samples` must be an int >= 1. Received: num_samples=0"
    with pytest.raises(ValueError, match=match):
        flow.sample(0)
    with pytest.raises(ValueError, match=r"`seed` must be None or an int. Received: seed=1.5"):
        flow.log_prob(digits[1][:2], seed=1.5)
    with pytest.raises(ValueError, match=r"`quantize=True` needs a model with `num_bins`"):
        RealNVP((2,), 2).sample(3, quantize=True)
