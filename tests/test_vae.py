"""Tests for kgen.models.VAE: the ELBO's pieces, the IWAE bound, training, saving.

Statistical checks use fixed seeds and tolerances of a few standard errors of
the quantity compared (a paired difference when two estimates share examples),
so a correct implementation fails with probability well under 1e-3 and a wrong
one fails by a margin.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.models import VAE

tfd = tfp.distributions

LATENT_DIM = 4
HIDDEN_UNITS = (64,)


def load_digits_split():
    """scikit-learn's 8x8 digits in [0, 1], shape (N, 8, 8, 1), split 1497 / 300."""
    from sklearn.datasets import load_digits

    x = (load_digits().images / 16.0).astype("float32")[..., None]
    order = np.random.default_rng(0).permutation(len(x))
    return x[order[300:]], x[order[:300]]


def small_vae(**kwargs):
    kwargs = {"latent_dim": LATENT_DIM, "hidden_units": HIDDEN_UNITS, **kwargs}
    vae = VAE((8, 8, 1), **{"seed": 0, **kwargs})
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    return vae


def as_json(config):
    return json.loads(json.dumps(config))


def paired_standard_error(differences):
    differences = np.asarray(differences, dtype="float64")
    return differences.std(ddof=1) / np.sqrt(len(differences))


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


@pytest.fixture(scope="module")
def trained(digits):
    """A small dense VAE trained for 4 epochs, and its held-out ELBO before."""
    x_train, x_test = digits
    vae = small_vae()
    elbo_before = vae.elbo(x_test).numpy()
    history = vae.fit(
        x_train, epochs=4, batch_size=64, validation_data=(x_test,), verbose=0
    )
    return vae, elbo_before, history


# The KL term.


def test_closed_form_kl_matches_tfp_and_monte_carlo():
    mu = np.array([0.0, 1.5, -0.7, 0.2], dtype="float32")
    sigma = np.array([1.0, 0.5, 2.0, 0.1], dtype="float32")
    q, p = tfd.Normal(mu, sigma), tfd.Normal(0.0, 1.0)
    closed_form = (sigma**2 + mu**2 - 1) / 2 - np.log(sigma)

    np.testing.assert_allclose(
        tfd.kl_divergence(q, p), closed_form, rtol=1e-5, atol=1e-6
    )

    n = 200_000
    z = q.sample(n, seed=(7, 8))
    log_ratio = (q.log_prob(z) - p.log_prob(z)).numpy().astype("float64")
    standard_error = log_ratio.std(axis=0, ddof=1) / np.sqrt(n)
    # Per dimension, the Monte Carlo mean lies within 5 standard errors (the
    # first dimension has q = p: every log-ratio is 0, so is its error).
    np.testing.assert_array_less(
        np.abs(log_ratio.mean(axis=0) - closed_form), 5 * standard_error + 1e-6
    )


def test_monte_carlo_kl_path_agrees_with_analytic_path(trained, digits):
    vae, _, _ = trained
    posterior = vae.encode(digits[1][:100])
    analytic = vae._kl_divergence(posterior, z=None).numpy()  # no z needed
    assert analytic.shape == (100,)

    monte_carlo_vae = small_vae(analytic_kl=False)
    num_draws = 200
    z = vae._reparameterized_sample(posterior, num_draws)  # (draws, 100, latent)
    monte_carlo = monte_carlo_vae._kl_divergence(posterior, z).numpy()
    assert monte_carlo.shape == (num_draws, 100)

    # Each Monte Carlo draw is unbiased for its example's KL: the mean of the
    # 20,000 (draw - exact) differences is within 5 standard errors of 0.
    differences = (monte_carlo - analytic).ravel()
    assert abs(differences.mean()) < 5 * paired_standard_error(differences)
    # ...and it is a different estimator (the test would pass trivially otherwise).
    assert differences.std() > 0.01


# Bounds on log p(x).


def test_iwae_bound_is_above_elbo_and_grows_with_k(trained, digits):
    vae, _, _ = trained
    x = digits[1]  # 300 held-out images
    # Ten one-sample ELBOs per example, averaged: less Monte Carlo noise.
    elbo = np.mean([vae.elbo(x).numpy() for _ in range(10)], axis=0)
    iwae = {
        k: vae.log_likelihood(x, num_samples=k, chunk_size=64).numpy()
        for k in (1, 10, 100)
    }
    assert iwae[100].shape == (300,)

    # E[L_1] = ELBO: equal within 5 paired standard errors.
    d = iwae[1] - elbo
    assert abs(d.mean()) < 5 * paired_standard_error(d)
    # ELBO <= L_1 <= L_10 <= L_100 in expectation: no mean drop beyond 3
    # paired standard errors...
    for lower, upper in ((elbo, iwae[1]), (iwae[1], iwae[10]), (iwae[10], iwae[100])):
        d = upper - lower
        assert d.mean() > -3 * paired_standard_error(d)
    # ...and, the posterior not being exact, a real gain over the ELBO: more
    # than 3 paired standard errors (measured: 5 to 10 across model seeds).
    for lower, upper in ((elbo, iwae[10]), (elbo, iwae[100]), (iwae[1], iwae[100])):
        d = upper - lower
        assert d.mean() > 3 * paired_standard_error(d)


def linear_gaussian_vae(analytic_kl=True):
    """A VAE whose encoder is the exact posterior of its linear-Gaussian decoder.

    `z ~ N(0, I_2)`, `x = W z + b + s * noise` in 3 dimensions, so
    `p(x) = N(b, W W^T + s^2 I)` and `p(z|x) = N(C W^T (x - b) / s^2, C)`
    with `C = (I + W^T W / s^2)^-1`, diagonal because W's columns are
    orthogonal. With `q(z|x) = p(z|x)` every importance weight
    `p(x, z) / q(z|x)` equals `p(x)`, so every bound is exact.
    """
    w = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    b = np.array([0.5, -1.0, 0.25])
    s = 0.5
    posterior_var = 1 / (1 + (w**2).sum(axis=0) / s**2)  # diagonal of C
    gain = w * posterior_var / s**2  # (3, 2): mean = (x - b) @ gain

    encoder = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    raw_scale = np.log(np.expm1(np.sqrt(posterior_var) - 1e-5))  # softplus^-1
    kernel = np.concatenate([gain, np.zeros((3, 2))], axis=1)
    encoder.layers[0].set_weights([kernel, np.concatenate([-b @ gain, raw_scale])])
    decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    decoder.layers[0].set_weights([w.T, b])
    vae = VAE(
        (3,), 2, likelihood="gaussian", encoder=encoder, decoder=decoder,
        analytic_kl=analytic_kl, seed=0,
    )
    likelihood = vae.likelihood_layer
    likelihood.raw_scale.assign(np.log(np.expm1(s - likelihood.epsilon)))

    def log_marginal(x):
        marginal = tfd.MultivariateNormalFullCovariance(b, w @ w.T + s**2 * np.eye(3))
        return marginal.log_prob(x.astype("float64")).numpy()

    return vae, log_marginal


def test_bounds_are_exact_when_the_posterior_is():
    vae, log_marginal = linear_gaussian_vae()
    x = np.random.default_rng(1).normal(size=(11, 3)).astype("float32")
    expected = log_marginal(x)
    # float32 arithmetic only: a few 1e-5 nats.
    for k, batch_size, chunk_size in ((1, 100, 100), (7, 4, 3), (50, 11, 16)):
        value = vae.log_likelihood(
            x, num_samples=k, batch_size=batch_size, chunk_size=chunk_size
        )
        np.testing.assert_allclose(value, expected, atol=1e-4)
    # The Monte Carlo KL path makes each ELBO sample exact as well...
    monte_carlo_vae, _ = linear_gaussian_vae(analytic_kl=False)
    np.testing.assert_allclose(monte_carlo_vae.elbo(x), expected, atol=1e-4)
    # ...while with the analytic KL only the expectation is: 400 draws per
    # example, within 5 standard errors.
    draws = np.stack([vae.elbo(x).numpy() for _ in range(400)])
    standard_error = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(standard_error > 0)
    np.testing.assert_array_less(
        np.abs(draws.mean(axis=0) - expected), 5 * standard_error
    )


def test_log_likelihood_batches_and_chunks(trained, digits):
    vae, _, _ = trained
    x = digits[1][:10]
    value = vae.log_likelihood(x, num_samples=1000, batch_size=3, chunk_size=128)
    value = value.numpy()
    assert value.shape == (10,) and np.all(np.isfinite(value))
    # log p(x) of a 64-pixel image under this model: tens of nats, below 0.
    assert np.all(value < 0) and np.all(value > -200)


# Training.


def test_training_raises_held_out_elbo(trained, digits):
    vae, elbo_before, history = trained
    elbo_after = vae.elbo(digits[1]).numpy()
    d = elbo_after - elbo_before
    assert d.mean() > 5 * paired_standard_error(d)
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]


def test_metric_names_and_loss_is_reconstruction_plus_beta_kl(digits):
    x_train, x_test = digits
    vae = small_vae(beta=2.5)
    history = vae.fit(
        x_train[:256], epochs=1, batch_size=64, validation_data=(x_test,), verbose=0
    )
    assert [m.name for m in vae.metrics] == ["loss", "reconstruction", "kl"]
    assert set(history.history) == {
        "loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"
    }
    results = vae.evaluate(x_test, batch_size=64, verbose=0, return_dict=True)
    np.testing.assert_allclose(
        results["loss"], results["reconstruction"] + 2.5 * results["kl"], rtol=1e-5
    )


def test_fit_on_tf_data(digits):
    x_train, x_test = digits
    vae = small_vae()
    train = tf.data.Dataset.from_tensor_slices(x_train[:256]).batch(64)
    test = tf.data.Dataset.from_tensor_slices(x_test).batch(100)
    history = vae.fit(train, epochs=3, validation_data=test, verbose=0)
    # Three epochs of 4 steps lower the held-out loss by far more than its
    # one-sample noise (about 1 nat on 100 digits).
    val_loss = history.history["val_loss"]
    assert np.all(np.isfinite(val_loss)) and val_loss[-1] < val_loss[0] - 2.0


def test_gaussian_likelihood_trains(digits):
    x_train, _ = digits
    vae = small_vae(likelihood="gaussian")
    raw_scale = vae.likelihood_layer.raw_scale
    initial = float(raw_scale.numpy())
    history = vae.fit(x_train, epochs=2, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert any(w is raw_scale for w in vae.trainable_weights)
    # The data's spread is far below the initial scale 1: it must shrink.
    assert float(raw_scale.numpy()) < initial


@pytest.mark.parametrize("input_shape", [(8, 8, 1), (28, 28, 1)])
def test_conv_architecture_one_step(input_shape):
    vae = VAE(input_shape, latent_dim=3, architecture="conv", seed=1)
    vae.compile(optimizer="adam")
    # 8 copies of one binary image (top half on): 30 Adam steps learn it, so
    # the loss (about log 2 nats per pixel at the start) falls by over 5%.
    x = np.zeros((8, *input_shape), "float32")
    x[:, : input_shape[0] // 2] = 1.0
    losses = [vae.train_on_batch(x, return_dict=True)["loss"] for _ in range(30)]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.95 * losses[0]
    assert vae.reconstruct(x).shape == (8, *input_shape)
    assert vae.sample(2).shape == (2, *input_shape)


# Inference and generation.


def test_method_shapes_and_determinism(trained, digits):
    vae, _, _ = trained
    x = digits[1][:5]
    posterior = vae.encode(x)
    assert posterior.batch_shape == (5,) and posterior.event_shape == (LATENT_DIM,)
    assert vae.decode(posterior.mean()).event_shape == (8, 8, 1)
    assert vae.reconstruct(x).shape == (5, 8, 8, 1)
    assert vae.predict(x, verbose=0).shape == (5, 8, 8, 1)
    assert vae.elbo(x).shape == (5,)

    np.testing.assert_array_equal(vae.sample(3, seed=4), vae.sample(3, seed=4))
    means = vae.sample(3, seed=4).numpy()
    assert means.shape == (3, 8, 8, 1) and 0 < means.min() and means.max() < 1
    draws = vae.sample(3, seed=4, mean=False).numpy()
    assert set(np.unique(draws)) <= {0.0, 1.0}

    path = vae.interpolate(x[0], x[1:2], steps=6).numpy()
    assert path.shape == (6, 8, 8, 1)
    ends = vae.reconstruct(x[:2]).numpy()
    np.testing.assert_allclose(path[[0, -1]], ends, atol=1e-6)


def test_same_seed_same_model(digits):
    x = digits[1][:8]
    a, b = small_vae(seed=3), small_vae(seed=3)
    np.testing.assert_array_equal(a.elbo(x), b.elbo(x))
    np.testing.assert_array_equal(a.sample(4), b.sample(4))
    assert not np.array_equal(a.elbo(x), small_vae(seed=4).elbo(x))


def test_custom_encoder_and_decoder(digits):
    encoder = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(2 * LATENT_DIM),
        ]
    )
    decoder = keras.Sequential(
        [
            keras.Input((LATENT_DIM,)),
            keras.layers.Dense(64),
            keras.layers.Reshape((8, 8, 1)),
        ]
    )
    vae = VAE((8, 8, 1), LATENT_DIM, encoder=encoder, decoder=decoder)
    vae.compile(optimizer="adam")
    vae.fit(digits[0][:128], epochs=1, batch_size=64, verbose=0)
    assert vae.encoder is encoder and vae.decoder is decoder
    assert vae.reconstruct(digits[1][:2]).shape == (2, 8, 8, 1)


# Saving and export.


def test_keras_round_trip_gives_identical_outputs(trained, digits, tmp_path):
    vae, _, _ = trained
    x = digits[1][:50]
    path = tmp_path / "vae.keras"
    vae.save(path)
    restored = keras.models.load_model(path)

    assert type(restored) is VAE
    # Equal up to tuples having become lists in the JSON file.
    assert as_json(restored.get_config()) == as_json(vae.get_config())
    np.testing.assert_array_equal(restored.encode(x).mean(), vae.encode(x).mean())
    np.testing.assert_array_equal(restored.encode(x).stddev(), vae.encode(x).stddev())
    np.testing.assert_array_equal(restored.reconstruct(x), vae.reconstruct(x))
    np.testing.assert_array_equal(restored.sample(5, seed=1), vae.sample(5, seed=1))


def test_keras_round_trip_gaussian_keeps_learned_scale(digits, tmp_path):
    vae = small_vae(likelihood="gaussian", architecture="conv")
    vae.train_on_batch(digits[0][:32])
    vae.likelihood_layer.raw_scale.assign(-0.75)
    path = tmp_path / "vae.keras"
    vae.save(path)
    restored = keras.models.load_model(path)
    z = np.zeros((2, LATENT_DIM), dtype="float32")
    np.testing.assert_array_equal(restored.decode(z).stddev(), vae.decode(z).stddev())
    x = digits[1][:4]
    np.testing.assert_array_equal(restored.reconstruct(x), vae.reconstruct(x))


def test_export_smoke(trained, digits, tmp_path):
    vae, _, _ = trained
    x = digits[1][:3]
    path = vae.export(tmp_path / "vae" / "1")
    loaded = tf.saved_model.load(path)
    assert set(loaded.signatures) == {
        "encode", "decode", "sample", "reconstruct", "serving_default"
    }
    served = loaded.signatures["serving_default"](x=tf.constant(x))["reconstruction"]
    np.testing.assert_allclose(served, vae.reconstruct(x), atol=1e-6)
    sample = loaded.signatures["sample"](
        num_samples=tf.constant(4), seed=tf.constant([1, 2], tf.int64)
    )
    assert sample["samples"].shape == (4, 8, 8, 1)
    assert sample["z"].shape == (4, LATENT_DIM)


# Errors.


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"latent_dim": 0},
            r"`latent_dim` must be an int >= 1. Received: latent_dim=0",
        ),
        (
            {"architecture": "mlp"},
            r"`architecture` must be one of .* Received: architecture='mlp'",
        ),
        (
            {"likelihood": "poisson"},
            r"`likelihood` must be one of .* Received: likelihood='poisson'",
        ),
        ({"beta": -1.0}, r"`beta` must be a number >= 0. Received: beta=-1.0"),
        ({"seed": 1.5}, r"`seed` must be None or an int. Received: seed=1.5"),
        ({"latent_dim": True}, r"`latent_dim` must be an int >= 1. Received: latent_dim=True"),
        (
            {"input_shape": (8, 0)},
            r"`input_shape` must be .* Received: input_shape=\(8, 0\)",
        ),
        (
            {"input_shape": (8, 8), "architecture": "conv"},
            r"`input_shape` must be \(height, width, channels\) for architecture=\"conv\". "
            r"Received: input_shape=\(8, 8\)",
        ),
        (
            {"encoder": keras.Sequential([keras.layers.Flatten()])},
            r"`encoder` must output 8 numbers per example. "
            r"Received: encoder output shape=\(None, 64\)",
        ),
    ],
    ids=[
        "latent_dim", "architecture", "likelihood", "beta", "seed", "bool", "input_shape",
        "conv", "encoder",
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    kwargs = {"input_shape": (8, 8, 1), "latent_dim": LATENT_DIM, **kwargs}
    with pytest.raises(ValueError, match=match):
        VAE(**kwargs)


def test_numpy_integers_are_integers():
    # np.int64 (e.g. from np.prod) and 0-d arrays mean the same as Python ints.
    vae = VAE((np.int64(8), 8, np.int32(1)), latent_dim=np.int64(2), hidden_units=(np.int64(4),),
              seed=np.int64(3))
    assert vae.input_shape == (8, 8, 1) and vae.latent_dim == 2 and vae.seed == 3
    assert all(type(v) is int for v in (*vae.input_shape, vae.latent_dim, vae.seed))
    assert vae.sample(np.array(2)).shape == (2, 8, 8, 1)


def test_bad_input_shape_at_fit_encode_and_methods(digits):
    vae = small_vae()
    flat = digits[1][:8].reshape(8, 64)
    match = r"`x` must have shape \(batch_size, 8, 8, 1\). Received: x.shape=\("
    with pytest.raises(ValueError, match=match):
        vae.fit(flat, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=match):
        vae.encode(flat)
    with pytest.raises(ValueError, match=match):
        vae.log_likelihood(flat, num_samples=2)
    match = r"`num_samples` must be an int >= 1. Received: num_samples=0"
    with pytest.raises(ValueError, match=match):
        vae.log_likelihood(digits[1][:2], num_samples=0)
    match = r"`steps` must be an int >= 2. Received: steps=1"
    with pytest.raises(ValueError, match=match):
        vae.interpolate(digits[1][0], digits[1][1], steps=1)
    match = r"`x_a` must be one example of shape \(8, 8, 1\)"
    with pytest.raises(ValueError, match=match):
        vae.interpolate(digits[1][:2], digits[1][1], steps=3)


def test_compile_defaults_to_xla_and_eight_steps_per_execution_and_keeps_overrides():
    model = VAE(input_shape=(8, 8, 1), latent_dim=2, seed=0)
    model.compile(optimizer="adam")
    assert model.jit_compile is True and model.steps_per_execution == 8
    model.compile(optimizer="adam", jit_compile=False, steps_per_execution=1)
    assert model.jit_compile is False and model.steps_per_execution == 1
