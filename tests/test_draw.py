"""Tests for kgen.models.DRAW and its Gaussian attention.

The filterbank is checked against a NumPy transcription of the paper's
formulas; the loss terms against closed forms recomputed in NumPy from the
model's own posterior parameters; the bounds statistically, with fixed seeds
and tolerances of a few paired standard errors. Models are tiny (8x8
digits, T = 4) so that the file runs in about a minute on 2 CPU cores.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen import plotting
from kgen.datasets import load_digits
from kgen.models import DRAW
from kgen.models import _draw_attention
import zoo

TIME_STEPS = 4
LATENT_DIM = 4
UNITS = 32


def load_digits_split():
    """scikit-learn's 8x8 digits in [0, 1], (N, 8, 8, 1): 1280 to train, 300 held out."""
    x, _ = load_digits()
    order = np.random.default_rng(0).permutation(len(x))
    # 1280 = 20 batches of 64: one batch shape, so the train step is traced
    # (and, with XLA, compiled) once.
    return x[order[300:1580]], x[order[:300]]


def small_draw(image_shape=(8, 8, 1), **kwargs):
    kwargs = {
        "time_steps": TIME_STEPS,
        "latent_dim": LATENT_DIM,
        "encoder_units": UNITS,
        "decoder_units": UNITS,
        "read_n": 3,
        "write_n": 3,
        "seed": 0,
        **kwargs,
    }
    return DRAW(image_shape, **kwargs)


def paired_standard_error(differences):
    differences = np.asarray(differences, dtype="float64")
    return differences.std(ddof=1) / np.sqrt(len(differences))


def as_json(config):
    return json.loads(json.dumps(config))


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


@pytest.fixture(scope="module")
def trained(digits):
    """A tiny attentive DRAW trained for 4 epochs, and its held-out ELBO before."""
    x_train, x_test = digits
    draw = small_draw()
    draw.compile(optimizer=keras.optimizers.Adam(3e-3, global_clipnorm=100.0))
    elbo_before = draw.elbo(x_test, seed=1).numpy()
    history = draw.fit(x_train, epochs=4, batch_size=64, verbose=0)
    return draw, elbo_before, history


# The Gaussian filterbank.


def numpy_filterbank(gx, sigma2, delta, n, size):
    """The paper's F_X for one grid, 1-based filter index i and pixel a."""
    i = np.arange(1, n + 1)[:, None]
    a = np.arange(1, size + 1)[None, :]
    mu = gx + (i - n / 2 - 0.5) * delta
    f = np.exp(-((a - mu) ** 2) / (2 * sigma2))
    return f / f.sum(axis=1, keepdims=True)


def test_filterbank_rows_sum_to_one_and_match_the_paper():
    rng = np.random.default_rng(0)
    batch, n, width, height = 64, 5, 12, 9
    # Centres well outside the image and filters from far sharper than a
    # pixel to wider than the image: every row must still sum to 1.
    params = np.stack(
        [
            rng.uniform(-3, 3, batch),
            rng.uniform(-3, 3, batch),
            rng.uniform(-12, 5, batch),
            rng.uniform(-3, 2, batch),
            rng.uniform(-2, 2, batch),
        ],
        axis=-1,
    ).astype("float32")
    gx, gy, sigma2, delta, gamma = _draw_attention.attention_params(params, n, width, height)
    fx, fy = _draw_attention.filterbank(gx, gy, sigma2, delta, n, width, height)
    fx, fy = fx.numpy(), fy.numpy()
    assert fx.shape == (batch, n, width) and fy.shape == (batch, n, height)
    assert np.all(fx >= 0) and np.all(fy >= 0) and np.all(np.isfinite(fx))
    np.testing.assert_allclose(fx.sum(axis=-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(fy.sum(axis=-1), 1.0, atol=1e-5)

    # The grid's parameters and the matrices themselves, row by row where
    # the paper's exp / Z does not underflow in float64 (0 / 0 for filters
    # far outside the image, where the softmax puts all weight on the edge).
    np.testing.assert_allclose(gx, (width + 1) / 2 * (params[:, 0] + 1), rtol=1e-6)
    np.testing.assert_allclose(gy, (height + 1) / 2 * (params[:, 1] + 1), rtol=1e-6)
    np.testing.assert_allclose(delta, (width - 1) / (n - 1) * np.exp(params[:, 3]), rtol=1e-6)
    np.testing.assert_allclose(gamma, np.exp(params[:, 4]), rtol=1e-6)
    compared = 0
    for b in range(batch):
        args = (float(sigma2[b]), float(delta[b]), n)
        for f, centre, size in ((fx, gx, width), (fy, gy, height)):
            with np.errstate(invalid="ignore"):
                expected = numpy_filterbank(float(centre[b]), *args, size)
            rows = np.all(np.isfinite(expected), axis=1)
            np.testing.assert_allclose(f[b][rows], expected[rows], atol=1e-5)
            compared += rows.sum()
    assert compared > batch * n  # more than half of the 2 * batch * n rows


def test_read_through_a_full_sharp_window_is_the_image():
    # N = image side, centred (g~ = 0), stride 1 (delta~ = 1), sigma^2 =
    # e^-10: the filters are one-hot on the pixels up to exp(-1 / (2 *
    # 4.5e-5)), which is 0 in float32, so read and write are exact but for
    # rounding (atol 1e-6).
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(3, 8, 8, 3)).astype("float32")
    params = np.tile(np.array([0.0, 0.0, -10.0, 0.0, 0.0], "float32"), (3, 1))
    gx, gy, sigma2, delta, gamma = _draw_attention.attention_params(params, 8, 8, 8)
    np.testing.assert_allclose(delta, 1.0, rtol=1e-6)
    fx, fy = _draw_attention.filterbank(gx, gy, sigma2, delta, 8, 8, 8)
    np.testing.assert_allclose(fx, np.broadcast_to(np.eye(8), (3, 8, 8)), atol=1e-6)
    glimpse = _draw_attention.read(images, fx, fy, gamma)
    np.testing.assert_allclose(glimpse, images, atol=1e-6)
    np.testing.assert_allclose(_draw_attention.write(images, fx, fy, gamma), images, atol=1e-6)
    # gamma scales the read up and the write down.
    np.testing.assert_allclose(
        _draw_attention.read(images, fx, fy, 2 * gamma), 2 * images, atol=1e-6
    )
    np.testing.assert_allclose(
        _draw_attention.write(images, fx, fy, 2 * gamma), images / 2, atol=1e-6
    )
    # The window drawn for it is the whole image.
    boxes = _draw_attention.window_boxes(gx, gy, delta, 8)
    np.testing.assert_allclose(boxes, np.tile([0.0, 0.0, 8.0, 8.0], (3, 1)), atol=1e-5)


def test_read_and_write_apply_one_window_to_each_channel():
    # A colour image read (and a colour patch written) through a blurred,
    # off-centre window equals the three channels taken one at a time.
    rng = np.random.default_rng(2)
    images = rng.uniform(size=(2, 8, 6, 3)).astype("float32")
    patches = rng.uniform(size=(2, 3, 3, 3)).astype("float32")
    params = np.array([[0.3, -0.2, 0.5, -0.4, 0.2], [-0.5, 0.1, -1.0, 0.0, -0.3]], "float32")
    gx, gy, sigma2, delta, gamma = _draw_attention.attention_params(params, 3, 6, 8)
    fx, fy = _draw_attention.filterbank(gx, gy, sigma2, delta, 3, 6, 8)
    glimpse = _draw_attention.read(images, fx, fy, gamma).numpy()
    update = _draw_attention.write(patches, fx, fy, gamma).numpy()
    assert glimpse.shape == (2, 3, 3, 3) and update.shape == (2, 8, 6, 3)
    for c in range(3):
        # gamma F_Y x_c F_X^T and F_Y^T w_c F_X / gamma, by NumPy.
        expected_read = gamma.numpy()[:, None, None] * np.einsum(
            "bjy,byx,bix->bji", fy, images[..., c], fx
        )
        expected_write = np.einsum(
            "bjy,bji,bix->byx", fy, patches[..., c], fx
        ) / gamma.numpy()[:, None, None]
        np.testing.assert_allclose(glimpse[..., c], expected_read, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(update[..., c], expected_write, rtol=1e-5, atol=1e-6)


def test_read_of_a_small_window_averages_its_pixels():
    # A 1x1 grid with a wide filter centred on pixel (row 3, column 5),
    # 1-based, reads the Gaussian-weighted mean around that pixel.
    image = np.zeros((1, 8, 8, 1), "float32")
    image[0, 2, 4, 0] = 1.0  # 0-based (2, 4) is 1-based (3, 5)
    gx, gy = np.array([5.0], "float32"), np.array([3.0], "float32")
    sigma2, delta, gamma = (np.array([v], "float32") for v in (1.0, 1.0, 1.0))
    fx, fy = _draw_attention.filterbank(gx, gy, sigma2, delta, 1, 8, 8)
    expected = 1.0 / (
        np.exp(-((np.arange(1, 9) - 5.0) ** 2) / 2).sum()
        * np.exp(-((np.arange(1, 9) - 3.0) ** 2) / 2).sum()
    )
    read = _draw_attention.read(image, fx, fy, gamma).numpy()
    np.testing.assert_allclose(read[0, 0, 0, 0], expected, rtol=1e-5)


# One step by hand.


@pytest.mark.parametrize("attention", [True, False])
def test_first_step_matches_the_equations(attention):
    """Step 1 recomputed from the model's layers: read, encode, sample, decode, write."""
    draw = small_draw(attention=attention)
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(5, 8, 8, 1)).astype("float32")
    eps = rng.normal(size=(TIME_STEPS, 5, LATENT_DIM)).astype("float32")
    # Learned initial canvas and states that are not zero.
    draw.initial_canvas.assign(rng.normal(size=(8, 8, 1)))
    draw.initial_encoder_h.assign(rng.uniform(-0.5, 0.5, size=UNITS))
    draw.initial_decoder_h.assign(rng.uniform(-0.5, 0.5, size=UNITS))

    c_0 = np.broadcast_to(draw.initial_canvas.numpy(), x.shape)
    h_enc_0 = np.broadcast_to(draw.initial_encoder_h.numpy(), (5, UNITS))
    h_dec_0 = np.broadcast_to(draw.initial_decoder_h.numpy(), (5, UNITS))
    zeros = np.zeros((5, UNITS), "float32")
    x_hat = x - 1 / (1 + np.exp(-c_0))  # the error image
    both = np.concatenate([x, x_hat], axis=-1)
    if attention:
        params = draw.read_attention(h_dec_0)
        gx, gy, sigma2, delta, gamma = _draw_attention.attention_params(params, 3, 8, 8)
        fx, fy = _draw_attention.filterbank(gx, gy, sigma2, delta, 3, 8, 8)
        both = _draw_attention.read(both, fx, fy, gamma)
    r = np.reshape(both, (5, -1))
    h_enc, _ = draw.encoder_cell(np.concatenate([r, h_dec_0], axis=-1), [h_enc_0, zeros])
    mu, raw_sigma = np.split(draw.posterior_params(h_enc).numpy(), 2, axis=-1)
    sigma = np.log1p(np.exp(raw_sigma)) + 1e-5  # softplus + epsilon
    h_dec, _ = draw.decoder_cell(mu + sigma * eps[0], [h_dec_0, zeros])
    update, _ = draw._write(h_dec)
    canvas_1 = 1 / (1 + np.exp(-(c_0 + update.numpy())))

    result = draw._infer(x, eps, keep_sequence=True)
    np.testing.assert_allclose(result["mu"][0], mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result["sigma"][0], sigma, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result["canvases"][0], canvas_1, rtol=1e-5, atol=1e-6)


# The loss.


def numpy_log_sigmoid(v):
    return -np.logaddexp(0.0, -v)


@pytest.mark.parametrize("attention", [True, False])
def test_loss_terms_match_closed_forms(digits, attention):
    draw = small_draw(attention=attention)
    x = digits[1][:16]
    eps = np.random.default_rng(2).normal(size=(TIME_STEPS, 16, LATENT_DIM)).astype("float32")
    result = {k: np.asarray(v, "float64") for k, v in draw._infer(x, eps).items()}
    reconstruction, kl = (v.numpy() for v in draw._elbo_terms(x, eps))

    # KL(N(mu, sigma^2) || N(0, 1)) per step, summed over latents, then steps.
    mu, sigma = result["mu"], result["sigma"]
    assert mu.shape == sigma.shape == (TIME_STEPS, 16, LATENT_DIM)
    kl_per_step = ((sigma**2 + mu**2 - 1) / 2 - np.log(sigma)).sum(axis=-1)
    np.testing.assert_allclose(result["kl"], kl_per_step, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(kl, kl_per_step.sum(axis=0), rtol=1e-4, atol=1e-5)
    assert np.all(kl_per_step > 0)
    # The Monte Carlo log-ratio at z = mu + sigma * eps.
    z = mu + sigma * eps
    log_ratio = (0.5 * z**2 - 0.5 * eps**2 - np.log(sigma)).sum(axis=-1)
    np.testing.assert_allclose(result["log_ratio"], log_ratio, rtol=1e-4, atol=1e-4)

    # -log p(x | c_T): Bernoulli cross-entropy summed over the 64 pixels.
    logits = result["logits"]
    xd = x.astype("float64")
    expected = -(xd * numpy_log_sigmoid(logits) + (1 - xd) * numpy_log_sigmoid(-logits))
    np.testing.assert_allclose(reconstruction, expected.sum(axis=(1, 2, 3)), rtol=1e-5)

    # The metrics: evaluate draws its eps from the model's seed generator;
    # rewound, the generator gives the same eps here, so the `kl` metric is
    # the NumPy KL of that draw.
    draw.compile(jit_compile=False, steps_per_execution=1)
    state = draw.seed_generator.state.numpy()
    results = draw.evaluate(x, batch_size=16, verbose=0, return_dict=True)
    draw.seed_generator.state.assign(state)
    again = {k: np.asarray(v, "float64") for k, v in draw._infer(x, draw._posterior_noise(16)).items()}
    mu, sigma = again["mu"], again["sigma"]
    kl_per_step = ((sigma**2 + mu**2 - 1) / 2 - np.log(sigma)).sum(axis=-1)
    assert set(results) == {"loss", "reconstruction", "kl"}
    np.testing.assert_allclose(results["kl"], kl_per_step.sum(axis=0).mean(), rtol=1e-4)
    np.testing.assert_allclose(
        results["loss"], results["reconstruction"] + results["kl"], rtol=1e-5
    )


# Training.


def test_training_raises_held_out_elbo(trained, digits):
    draw, elbo_before, history = trained
    elbo_after = draw.elbo(digits[1], seed=1).numpy()
    d = elbo_after - elbo_before
    # Measured: from about -47 to about -28 nats (8x8 grey digits).
    assert d.mean() > 5 * paired_standard_error(d)
    assert d.mean() > 10
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert [m.name for m in draw.metrics] == ["loss", "reconstruction", "kl"]


def test_iwae_bound_is_above_elbo_and_below_zero(trained, digits):
    draw, _, _ = trained
    x = digits[1][:100]
    # Five one-sample ELBOs per example, averaged: less Monte Carlo noise.
    elbo = np.mean([draw.elbo(x).numpy() for _ in range(5)], axis=0)
    iwae = draw.log_likelihood(x, num_samples=50, batch_size=40, chunk_size=16).numpy()
    assert iwae.shape == (100,) and np.all(np.isfinite(iwae))
    assert np.all(iwae < 0)
    d = iwae - elbo
    # L_50 >= ELBO in expectation: no mean drop beyond 3 paired standard errors.
    assert d.mean() > -3 * paired_standard_error(d)


def test_attention_free_draw_trains(digits):
    draw = small_draw(attention=False)
    draw.compile(jit_compile=False)
    x_train, x_test = digits
    before = draw.elbo(x_test[:100], seed=0).numpy()
    draw.fit(x_train[:512], epochs=2, batch_size=64, verbose=0)
    after = draw.elbo(x_test[:100], seed=0).numpy()
    d = after - before
    assert d.mean() > 5 * paired_standard_error(d)


# Generation and inference.


@pytest.mark.parametrize("attention", [True, False])
def test_generate_and_sequences_shapes_and_ranges(digits, attention):
    draw = small_draw(attention=attention)
    canvases = draw.generate(5, seed=3).numpy()
    assert canvases.shape == (TIME_STEPS, 5, 8, 8, 1)
    assert np.all((canvases >= 0) & (canvases <= 1))
    final = draw.generate(5, seed=3, return_canvases=False).numpy()
    np.testing.assert_allclose(final, canvases[-1], atol=1e-6)
    np.testing.assert_allclose(draw.sample(5, seed=3), final, atol=1e-6)
    assert not np.allclose(draw.sample(5, seed=4), final)
    # Given noise z (n, T, latent_dim), as the export takes it.
    z = np.random.default_rng(0).normal(size=(2, TIME_STEPS, LATENT_DIM)).astype("float32")
    np.testing.assert_allclose(
        draw.generate(z)[:, 1], draw.generate(z[1:])[:, 0], atol=1e-6
    )

    sequence = draw.canvas_sequence(5, seed=3)
    np.testing.assert_allclose(sequence["canvases"], canvases, atol=1e-6)
    x = digits[1][:6]
    seen = draw.reconstruct_sequence(x, seed=7)
    assert seen["canvases"].shape == (TIME_STEPS, 6, 8, 8, 1)
    np.testing.assert_allclose(seen["canvases"][-1], draw.reconstruct(x, seed=7), atol=1e-6)
    assert draw.predict(x, verbose=0).shape == (6, 8, 8, 1)
    if attention:
        assert sequence["write_windows"].shape == (TIME_STEPS, 5, 4)
        assert seen["read_windows"].shape == seen["write_windows"].shape == (TIME_STEPS, 6, 4)
        boxes = seen["read_windows"].numpy()
        assert np.all(boxes[..., 2] > boxes[..., 0]) and np.all(boxes[..., 3] > boxes[..., 1])
    else:
        assert sequence["write_windows"] is None
        assert seen["read_windows"] is None and seen["write_windows"] is None


def test_multichannel_non_square_images():
    draw = DRAW(
        (6, 10, 3), time_steps=2, latent_dim=3, encoder_units=8, decoder_units=8,
        read_n=2, write_n=6, seed=1,
    )
    x = np.random.default_rng(0).uniform(size=(4, 6, 10, 3)).astype("float32")
    assert draw.generate(3).shape == (2, 3, 6, 10, 3)
    assert draw.reconstruct(x).shape == (4, 6, 10, 3)
    assert draw.elbo(x).shape == (4,)
    # XLA compiles the attentive train step (the default with a GPU).
    draw.compile(jit_compile=True)
    logs = draw.train_on_batch(x, return_dict=True)
    assert np.isfinite(logs["loss"])


# Saving and export.


def test_keras_round_trip_and_same_seed_same_model(trained, digits, tmp_path):
    draw, _, _ = trained
    x = digits[1][:50]
    path = tmp_path / "draw.keras"
    draw.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is DRAW
    assert as_json(restored.get_config()) == as_json(draw.get_config())
    for a, b in zip(restored.get_weights(), draw.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(restored.elbo(x, seed=11), draw.elbo(x, seed=11))
    np.testing.assert_array_equal(restored.sample(4, seed=2), draw.sample(4, seed=2))
    # The optimizer's state came along: training resumes where it stopped.
    assert restored.optimizer.iterations.numpy() == draw.optimizer.iterations.numpy() > 0

    a, b = small_draw(seed=3), small_draw(seed=3)
    np.testing.assert_array_equal(a.elbo(x), b.elbo(x))
    assert not np.array_equal(a.elbo(x), small_draw(seed=4).elbo(x))


def test_export_serves_with_stock_tensorflow(trained, tmp_path):
    draw, _, _ = trained
    path = draw.export(tmp_path / "draw" / "1")
    with pytest.raises(FileExistsError):
        draw.export(path)
    z = np.random.default_rng(3).normal(size=(5, TIME_STEPS, LATENT_DIM)).astype("float32")
    report = zoo.serve_in_process(  # fresh process: test_zoo
        path, {"generate": {"z": z}, "serving_default": {"z": z}})

    assert report.non_stock_ops == []
    assert not any(op.startswith("Kgen>") for op in report.op_types)
    assert report.signature_names == ["generate", "serving_default"]
    assert report.signature_inputs["generate"] == {
        "z": ([None, TIME_STEPS, LATENT_DIM], "float32")
    }
    assert report.signature_outputs["generate"] == {
        "samples": ([None, 8, 8, 1], "float32"),
        "canvases": ([None, TIME_STEPS, 8, 8, 1], "float32"),
    }
    out = report.outputs["generate"]
    expected = draw.generate(z).numpy()  # (T, n, ...)
    close = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["canvases"], expected.transpose(1, 0, 2, 3, 4), **close)
    np.testing.assert_allclose(out["samples"], expected[-1], **close)
    np.testing.assert_allclose(report.outputs["serving_default"]["samples"], expected[-1], **close)


# Pictures.


def test_canvas_sequence_grid_and_gif(tmp_path):
    canvases = np.full((3, 2, 8, 8, 1), 0.5, "float32")
    canvases[:, :, 7, 7] = np.arange(3)[:, None, None] / 4  # frames differ
    windows = np.tile(np.array([0.0, 0.0, 4.0, 4.0], "float32"), (3, 2, 1))
    grid = plotting.canvas_sequence_grid(canvases, windows=[windows, None], scale=2)
    # 2 examples in rows, 3 steps in columns, 16-pixel tiles, 1-pixel pads.
    assert grid.shape == (2 * 16 + 1, 3 * 16 + 2, 3) and grid.dtype == np.uint8
    tile = grid[17:33, 17:33]  # example 1, step 2
    red = np.array([255, 0, 0], np.uint8)
    # The window's outline: pixels 0..7 of the tile (4 image pixels, scale 2).
    for row, column in ((0, 0), (0, 7), (7, 0), (7, 7), (3, 0), (0, 3)):
        np.testing.assert_array_equal(tile[row, column], red)
    np.testing.assert_array_equal(tile[3, 3], [128, 128, 128])
    np.testing.assert_array_equal(tile[8, 8], [128, 128, 128])
    assert plotting.canvas_sequence_grid(canvases, scale=1).shape == (17, 26, 1)

    path = plotting.save_canvas_gif(tmp_path / "gif" / "draw.gif", canvases, windows=windows)
    with Image.open(path) as image:
        assert image.n_frames == 3
        assert image.size == (2 * 96 + 1, 96)  # with windows, tiles of 96 pixels: 12 times, two examples

    with pytest.raises(ValueError, match=r"`canvases` must be .* Received: canvases.shape=\(2, 8, 8\)"):
        plotting.canvas_sequence_grid(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"Received: windows\[0\].shape=\(3, 2\)"):
        plotting.canvas_sequence_grid(canvases, windows=np.zeros((3, 2)))


# Errors.


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"time_steps": 0}, r"`time_steps` must be an int >= 1. Received: time_steps=0"),
        ({"latent_dim": -1}, r"`latent_dim` must be an int >= 1. Received: latent_dim=-1"),
        ({"encoder_units": 0}, r"`encoder_units` must be an int >= 1"),
        ({"read_n": 9}, r"`read_n` must be an int in \[1, 8\]. Received: read_n=9"),
        (
            {"image_shape": (8, 4, 1), "write_n": 5},
            r"`write_n` must be an int in \[1, 4\]. Received: write_n=5",
        ),
        ({"read_n": 0}, r"`read_n` must be an int in \[1, 8\]. Received: read_n=0"),
        (
            {"image_shape": (8, 8)},
            r"`image_shape` must be a tuple of 3 ints >= 1. Received: image_shape=\(8, 8\)",
        ),
        ({"image_shape": (8, 0, 1)}, r"Received: image_shape=\(8, 0, 1\)"),
        ({"attention": "yes"}, r"`attention` must be a bool. Received: attention='yes'"),
    ],
    ids=[
        "time_steps", "latent_dim", "units", "read_n_too_big", "write_n_too_big",
        "read_n_zero", "image_rank", "image_zero", "attention",
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_draw(**kwargs)


def test_big_grids_are_fine_without_attention():
    draw = small_draw(attention=False, read_n=20, write_n=20)
    assert draw.generate(1).shape == (TIME_STEPS, 1, 8, 8, 1)


def test_bad_inputs_to_methods(digits):
    draw = small_draw()
    flat = digits[1][:4].reshape(4, 64)
    match = r"`x` must have shape \(batch_size, 8, 8, 1\). Received: x.shape=\(4, 64\)"
    for method in (draw.elbo, draw.reconstruct, draw.reconstruct_sequence):
        with pytest.raises(ValueError, match=match):
            method(flat)
    with pytest.raises(ValueError, match=match):
        draw.log_likelihood(flat, num_samples=2)
    draw.compile(jit_compile=False)
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch_size, 8, 8, 1\)"):
        draw.fit(flat, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`num_samples` must be an int >= 1. Received: num_samples=0"):
        draw.log_likelihood(digits[1][:2], num_samples=0)
    with pytest.raises(ValueError, match=r"`num_samples` must be an int >= 1"):
        draw.sample(0)
    match = (
        r"`z` must have shape \(n, time_steps, latent_dim\) = \(n, 4, 4\). "
        r"Received: z.shape=\(2, 3, 4\)"
    )
    with pytest.raises(ValueError, match=match):
        draw.generate(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"`n` must be an int >= 1 or an array z"):
        draw.generate(0)


def test_compile_defaults():
    draw = small_draw()
    draw.compile()
    # "auto": XLA only where there is a GPU.
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    assert draw.jit_compile is has_gpu and draw.steps_per_execution == 8
    assert isinstance(draw.optimizer, keras.optimizers.Adam)
    assert draw.optimizer.global_clipnorm == 100.0
    draw.compile(optimizer="sgd", jit_compile=False, steps_per_execution=1)
    assert draw.jit_compile is False and draw.steps_per_execution == 1
    assert isinstance(draw.optimizer, keras.optimizers.SGD)
    assert tf.is_tensor(draw.generate(1))
