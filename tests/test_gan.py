"""Tests for kgen.models.GAN: the value function, the two generator losses,
Algorithm 1's updates, the fully connected pair, saving and serving.

Statistical checks use fixed seeds; each tolerance is derived in a comment
(from a standard error, or from a stated bound and the algebra that carries
it to the quantity compared), and each check fails by a wide margin when
the loss it tests is wrong.
"""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.models.gan
from kgen import datasets
from kgen import serving
from kgen.datasets import from_tanh_range
from kgen.datasets import to_tanh_range
from kgen.datasets import toy_2d
from kgen.datasets import toy_2d_centers
from kgen.models import _protocols
from kgen.models.gan import GAN
from kgen.models.gan import discriminator_loss
from kgen.models.gan import generator_loss
import zoo

LOG4 = math.log(4.0)


def as_json(config):
    return json.loads(json.dumps(config))


def small_mlp_gan(data_shape=(2,), latent_dim=3, **kwargs):
    kwargs = {"generator_units": (16, 32), "discriminator_units": (32, 16), **kwargs}
    return GAN.mlp(data_shape, latent_dim, output_activation=None, seed=0, **kwargs)


def identity_generator(dim=1):
    """`G(z) = z`: with `z ~ N(0, I)`, `p_g` is exactly N(0, I)."""
    z = keras.Input((dim,), name="z")
    return keras.Model(z, keras.layers.Identity()(z), name="generator")


def linear_discriminator(dim=1, kernel=1.0, bias=0.0):
    """`l(x) = kernel * sum(x) + bias`, hand-set."""
    x = keras.Input((dim,), name="x")
    logit = keras.layers.Dense(
        1,
        kernel_initializer=keras.initializers.Constant(kernel),
        bias_initializer=keras.initializers.Constant(bias),
    )(x)
    return keras.Model(x, logit, name="discriminator")


# The losses.


def test_losses_match_the_value_function_on_hand_computed_logits():
    real = np.array([0.0, 2.0, -1.0], "float32")
    fake = np.array([0.0, -3.0, 1.5], "float32")
    sigmoid = lambda l: 1.0 / (1.0 + np.exp(-l.astype("float64")))  # noqa: E731
    value = np.mean(np.log(sigmoid(real))) + np.mean(np.log(1.0 - sigmoid(fake)))
    np.testing.assert_allclose(discriminator_loss(real, fake), -value, rtol=1e-6)
    np.testing.assert_allclose(
        generator_loss(fake, "minimax"), np.mean(np.log(1.0 - sigmoid(fake))), rtol=1e-6
    )
    np.testing.assert_allclose(
        generator_loss(fake, "non_saturating"), -np.mean(np.log(sigmoid(fake))), rtol=1e-6
    )
    # At D = 1/2 everywhere (all logits 0) the value is exactly -log 4.
    zeros = np.zeros(5, "float32")
    np.testing.assert_allclose(discriminator_loss(zeros, zeros), LOG4, rtol=1e-6)
    with pytest.raises(ValueError, match="`kind` must be one of"):
        generator_loss(fake, "wasserstein")


def test_tanh_range_helpers_are_inverse():
    x = np.array([0.0, 0.25, 1.0], "float32")
    np.testing.assert_allclose(to_tanh_range(x), [-1.0, -0.5, 1.0])
    np.testing.assert_allclose(from_tanh_range(to_tanh_range(x)), x)
    # They live with the data and stay importable from kgen.models.gan.
    assert kgen.models.gan.to_tanh_range is datasets.to_tanh_range
    assert kgen.models.gan.from_tanh_range is datasets.from_tanh_range


def test_minimax_generator_gradient_saturates_and_non_saturating_does_not():
    # D rejects the fakes: l(x) = x - 20, so at x = G(z) = z ~ N(0, 1),
    # D(G(z)) = sigmoid(z - 20) ~ 2e-9. Per example (n of them), the
    # gradients of the losses with respect to the generator's output are
    #   minimax:        d/dx [-softplus(l)] / n = -sigmoid(l) / n  ~ -2e-9 / n
    #   non-saturating: d/dx [softplus(-l)] / n = -sigmoid(-l) / n ~ -1 / n
    # a ratio of about 1 / sigmoid(-20) ~ 5e8; the test asks for > 100.
    z = np.random.default_rng(0).normal(size=(64, 1)).astype("float32")
    norms = {}
    for kind in ("minimax", "non_saturating"):
        gan = GAN(
            identity_generator(),
            linear_discriminator(kernel=1.0, bias=-20.0),
            latent_dim=1,
            generator_loss=kind,
        )
        x_fake = tf.constant(z)
        with tf.GradientTape() as tape:
            tape.watch(x_fake)
            loss = gan._generator_loss(gan._discriminate(x_fake))
        gradient = tape.gradient(loss, x_fake).numpy()
        logits = z[:, 0] - 20.0
        sign = -1.0
        expected = sign * (
            1.0 / (1.0 + np.exp(-logits)) if kind == "minimax" else 1.0 / (1.0 + np.exp(logits))
        ) / len(z)
        np.testing.assert_allclose(gradient[:, 0], expected, rtol=1e-4)
        norms[kind] = np.linalg.norm(gradient)
    assert norms["non_saturating"] > 100 * norms["minimax"]
    assert norms["non_saturating"] / norms["minimax"] > 1e8


@pytest.mark.parametrize("logit", [-1e4, -100.0, -30.0, 30.0, 100.0, 1e4])
def test_losses_and_gradients_stay_finite_at_extreme_logits(logit):
    # The naive forms overflow here: in float32, sigmoid(100) == 1 exactly,
    # so log(1 - D) = log(0) = -inf; softplus never forms log(0).
    logits = tf.constant([logit, 0.0], "float32")
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        losses = [
            discriminator_loss(logits, logits),
            generator_loss(logits, "minimax"),
            generator_loss(logits, "non_saturating"),
        ]
    for loss in losses:
        assert np.isfinite(loss.numpy())
        assert np.all(np.isfinite(tape.gradient(loss, logits).numpy()))
    if logit >= 100:
        with np.errstate(divide="ignore"):
            naive = np.log(1.0 - keras.ops.sigmoid(logits).numpy()[0])
        assert not np.isfinite(naive)  # what the softplus form avoids


# The equilibrium.


def test_discriminator_reaches_one_half_and_value_minus_log_4_when_p_g_equals_p_data():
    # p_data = N(0, 1) and G(z) = z with z ~ N(0, 1): p_g == p_data exactly,
    # so the optimal discriminator is D* = p_data / (p_data + p_g) = 1/2 and
    # V(D*, G) = -log 4. D starts far from it (output bias 2: D ~ 0.88,
    # V ~ -2.25) and must be trained there.
    rng = np.random.default_rng(0)
    x = keras.Input((1,), name="x")
    h = keras.layers.Dense(
        16, activation="tanh", kernel_initializer=keras.initializers.GlorotUniform(0)
    )(x)
    logit = keras.layers.Dense(
        1,
        kernel_initializer=keras.initializers.GlorotUniform(1),
        bias_initializer=keras.initializers.Constant(2.0),
    )(h)
    gan = GAN(identity_generator(), keras.Model(x, logit), latent_dim=1, seed=0)
    # 20 epochs of 16 batches: 320 steps, the rate annealed from 2e-2 to 2e-4
    # so that D first reaches 1/2, then stops jittering around it.
    schedule = keras.optimizers.schedules.CosineDecay(2e-2, decay_steps=320, alpha=0.01)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(schedule),
        g_optimizer=keras.optimizers.Adam(1e-3),  # G has no weights
        jit_compile=False,
    )
    x_eval = rng.normal(size=(20000, 1)).astype("float32")
    assert gan.value(x_eval, seed=1).numpy() < -LOG4 - 0.5  # far from it before

    gan.fit(rng.normal(size=(4096, 1)).astype("float32"), epochs=20, batch_size=256, verbose=0)

    d_real = keras.ops.sigmoid(gan._discriminate(x_eval)).numpy().astype("float64")
    d_fake = keras.ops.sigmoid(gan._discriminate(gan.generate(20000, seed=1))).numpy()
    d_fake = d_fake.astype("float64")
    # "About 1/2": |D - 1/2| < 0.05 (a logit within +-0.2) for 99% of points.
    # What is left is the fit to the noise of 4096 + 4096 training points
    # (D's ~50 weights can tilt it by ~sqrt(50 / 4096) ~ 0.1 in logit at the
    # tails) and Adam's last steps (rate 2e-4): about 0.02 in D when the
    # test was written. The mean of D over 20000 points is 1/2 within 0.01.
    for d in (d_real, d_fake):
        assert np.quantile(np.abs(d - 0.5), 0.99) < 0.05
        assert abs(d.mean() - 0.5) < 0.01
    # With D = 1/2 + delta, log D + log(1 - D) = -log 4 + log(1 - 4 delta^2),
    # so the population value is -log 4 - 4 E[delta^2] <= -log 4, and with
    # |delta| < 0.05 it lies in [-log 4 - 0.01, -log 4]. The estimate adds
    # Monte Carlo noise: 4 standard errors of the two sample means.
    value = gan.value(x_eval, seed=1).numpy()
    np.testing.assert_allclose(
        value, np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake)), rtol=1e-4
    )
    standard_error = math.sqrt(
        np.var(np.log(d_real)) / len(d_real) + np.var(np.log(1 - d_fake)) / len(d_fake)
    )
    assert -LOG4 - 0.01 - 4 * standard_error <= value <= -LOG4 + 4 * standard_error


# Training: Algorithm 1.


def test_train_step_updates_d_then_g_with_their_own_optimizers():
    x, _ = toy_2d("ring", n=8, seed=0)
    gan = small_mlp_gan(d_steps=2)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3),
        g_optimizer=keras.optimizers.Adam(1e-3),
        jit_compile=False,
        steps_per_execution=1,
    )
    history = gan.fit(x, epochs=1, batch_size=8, verbose=0).history
    assert sorted(history) == ["d_fake", "d_loss", "d_real", "g_loss"]
    # d_steps = 2 discriminator updates, then one generator update, per batch.
    assert int(gan.d_optimizer.iterations) == 2
    assert int(gan.g_optimizer.iterations) == 1

    # Each phase moves only its own network: freeze one by a zero rate.
    for frozen in ("generator", "discriminator"):
        gan = small_mlp_gan(d_steps=2)
        rates = {"generator": (1e-2, 0.0), "discriminator": (0.0, 1e-2)}[frozen]
        gan.compile(
            d_optimizer=keras.optimizers.Adam(rates[0]),
            g_optimizer=keras.optimizers.Adam(rates[1]),
            jit_compile=False,
            steps_per_execution=1,
        )
        before = {
            name: [w.numpy().copy() for w in getattr(gan, name).trainable_weights]
            for name in ("generator", "discriminator")
        }
        gan.fit(x, epochs=1, batch_size=8, verbose=0)
        for name, weights in before.items():
            after = [w.numpy() for w in getattr(gan, name).trainable_weights]
            same = all(np.array_equal(a, b) for a, b in zip(weights, after))
            assert same == (name == frozen), (frozen, name)


def test_d_steps_cut_the_batch_into_consecutive_minibatches():
    gan = small_mlp_gan(d_steps=3)
    x = tf.reshape(tf.range(20, dtype="float32"), (10, 2))
    minibatches, m = gan._minibatches(x, None)
    assert int(m) == 3  # 10 // 3, the remainder (row 9) unused
    rows = [x_k.numpy()[:, 0] / 2 for x_k, _ in minibatches]
    np.testing.assert_array_equal(rows, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    # A batch smaller than d_steps wraps around with m = 1.
    minibatches, m = gan._minibatches(x[:2], None)
    assert [x_k.numpy()[0, 0] / 2 for x_k, _ in minibatches] == [0, 1, 0]


def test_mlp_with_linear_output_learns_the_ring_with_default_compile():
    # The toy ring has radius 2: a tanh output could not reach it. With the
    # default compile (XLA, 8 steps per execution) 40 epochs of 2048 points
    # bring the samples from ~1.4 to within ~0.3 of the ring on average.
    x, _ = toy_2d("ring", n=2048, seed=0)
    gan = GAN.mlp(
        (2,),
        4,
        output_activation=None,
        generator_units=(64, 64),
        discriminator_units=(64, 64),
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        jit_compile=True,  # the XLA path, which is the default with a GPU
    )
    assert gan.jit_compile is True

    def distance_to_ring(samples):
        centers = toy_2d_centers("ring")
        d = np.linalg.norm(samples[:, None, :] - centers[None], axis=-1)
        return d.min(axis=1).mean()

    before = distance_to_ring(gan.generate(1000, seed=1).numpy())
    history = gan.fit(x, epochs=40, batch_size=128, verbose=0).history
    after = distance_to_ring(gan.generate(1000, seed=1).numpy())
    assert all(np.all(np.isfinite(v)) for v in history.values())
    assert before > 1.0
    assert after < 0.5 * before


# Methods.


def test_generate_sample_interpolate_shapes_and_determinism():
    gan = small_mlp_gan(latent_dim=3)
    assert tuple(gan.generate(5).shape) == (5, 2)
    np.testing.assert_array_equal(gan.generate(4, seed=3), gan.generate(4, seed=3))
    np.testing.assert_array_equal(gan.sample(4, seed=3), gan.generate(4, seed=3))
    assert not np.array_equal(gan.generate(4, seed=3), gan.generate(4, seed=4))
    z = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(gan.generate(z), gan.generator(z, training=False), rtol=1e-6)
    np.testing.assert_allclose(gan.predict(z, verbose=0), gan.generate(z), rtol=1e-6)
    path = gan.interpolate(z[0], z[1], steps=5)
    assert tuple(path.shape) == (5, 2)
    np.testing.assert_allclose(path[0], gan.generate(z[:1])[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(path[-1], gan.generate(z[1:2])[0], rtol=1e-5, atol=1e-6)


def test_mlp_architecture():
    gan = GAN.mlp((8, 8, 1), latent_dim=10, seed=0)
    dense = [l for l in gan.generator.layers if isinstance(l, keras.layers.Dense)]
    assert [l.units for l in dense] == [128, 256, 512, 1024, 64]
    assert dense[-1].activation is keras.activations.tanh
    batch_norms = [
        l for l in gan.generator.layers if isinstance(l, keras.layers.BatchNormalization)
    ]
    assert len(batch_norms) == 3
    d_dense = [l for l in gan.discriminator.layers if isinstance(l, keras.layers.Dense)]
    assert [l.units for l in d_dense] == [512, 256, 1]
    dropouts = [l.rate for l in gan.discriminator.layers if isinstance(l, keras.layers.Dropout)]
    assert dropouts == [0.3, 0.3]
    assert tuple(gan.generate(2).shape) == (2, 8, 8, 1)
    assert np.all(np.abs(gan.generate(64).numpy()) <= 1.0)


def test_compile_defaults_and_overrides():
    gan = small_mlp_gan()
    gan.compile()
    # Keras' "auto" is kept (XLA with a GPU only) and 8 steps per execution.
    assert gan.get_compile_config()["jit_compile"] == "auto"
    assert gan.steps_per_execution == 8
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        np.testing.assert_allclose(float(optimizer.learning_rate), 2e-4)
        np.testing.assert_allclose(optimizer.beta_1, 0.5)
    assert gan.d_optimizer is not gan.g_optimizer
    gan.compile(d_optimizer="sgd", g_optimizer="adam", jit_compile=False, steps_per_execution=1)
    assert isinstance(gan.d_optimizer, keras.optimizers.SGD)
    assert gan.jit_compile is False and gan.steps_per_execution == 1


def test_compile_defaults_come_from_the_class_attributes():
    assert (GAN.default_jit_compile, GAN.default_steps_per_execution) == ("auto", 8)

    class OneStepGAN(GAN):
        default_jit_compile = False
        default_steps_per_execution = 1

    gan = OneStepGAN(identity_generator(2), linear_discriminator(dim=2), latent_dim=2)
    gan.compile()
    assert gan.jit_compile is False and gan.steps_per_execution == 1
    # A GAN has two optimizers and no Keras `optimizer` of its own.
    assert gan.optimizer is None


def test_gan_contract_protocols_and_attributes():
    gan = small_mlp_gan()
    assert isinstance(gan, _protocols.Sampler) and isinstance(gan, _protocols.AdversarialModel)
    assert (gan.value_name, gan.labelled, gan.d_steps) == ("value_nats", False, 1)
    assert gan.serving_default_signature == "generate"
    # A linear output reaches any value; a tanh one stays in (-1, 1).
    assert gan.sample_value_range == (-math.inf, math.inf)
    assert GAN.mlp((2,), 2, seed=0).sample_value_range == (-1.0, 1.0)


def test_mlp_layer_i_is_seeded_seed_plus_i_and_the_discriminator_from_1000():
    gan = GAN.mlp((2,), 2, generator_units=(4, 4), discriminator_units=(4, 4), seed=5)
    dense = [l for l in gan.generator.layers if isinstance(l, keras.layers.Dense)]
    assert [l.kernel_initializer.seed for l in dense] == [5, 6, 7]
    d_dense = [l for l in gan.discriminator.layers if isinstance(l, keras.layers.Dense)]
    assert [l.kernel_initializer.seed for l in d_dense] == [1005, 1006, 1007]
    dropouts = [l for l in gan.discriminator.layers if isinstance(l, keras.layers.Dropout)]
    assert [l.seed for l in dropouts] == [1005, 1006]
    # The same seed gives the same initial weights.
    again = GAN.mlp((2,), 2, generator_units=(4, 4), discriminator_units=(4, 4), seed=5)
    for a, b in zip(gan.weights, again.weights):
        np.testing.assert_array_equal(a, b)


def test_numpy_integers_are_integers_everywhere():
    gan = GAN.mlp(
        (np.int64(2),), np.int64(3), generator_units=(np.int64(4),),
        discriminator_units=(np.int32(4),), dropout=np.float32(0.25), seed=np.int64(0),
        d_steps=np.int64(2),
    )
    assert (gan.data_shape, gan.latent_dim, gan.d_steps, gan.seed) == ((2,), 3, 2, 0)
    assert all(type(v) is int for v in (gan.latent_dim, gan.d_steps, gan.seed))
    assert tuple(gan.generate(np.int64(4), seed=np.int64(1)).shape) == (4, 2)
    np.testing.assert_array_equal(gan.generate(4, seed=1), gan.generate(np.int64(4), seed=1))
    assert tuple(gan.sample(np.int32(2)).shape) == (2, 2)
    assert tuple(gan.interpolate(np.zeros(3), np.ones(3), steps=np.int64(3)).shape) == (3, 2)


# Errors.


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"d_steps": 0}, "`d_steps` must be an int >= 1. Received: d_steps=0"),
        ({"generator_loss": "wasserstein"}, "`generator_loss` must be one of"),
        ({"latent_dim": 0}, "`latent_dim` must be an int >= 1"),
        ({"seed": "zero"}, "`seed` must be None or an int"),
        ({"generator": "g"}, "`generator` must be a `keras.Model`"),
        ({"latent_dim": 4}, r"`generator` must accept inputs of shape \(None, 4\)"),
        ({"discriminator": linear_discriminator(dim=3)}, "`discriminator` must accept inputs"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    args = {
        "generator": identity_generator(2),
        "discriminator": linear_discriminator(dim=2),
        "latent_dim": 2,
        **kwargs,
    }
    with pytest.raises(ValueError, match=match):
        GAN(**args)


def test_discriminator_must_output_one_logit():
    x = keras.Input((2,))
    two_logits = keras.Model(x, keras.layers.Dense(2)(x))
    with pytest.raises(ValueError, match="`discriminator` must output one logit per example"):
        GAN(identity_generator(2), two_logits, latent_dim=2)


def test_bad_mlp_arguments():
    with pytest.raises(ValueError, match="`data_shape` must be a non-empty tuple"):
        GAN.mlp((0, 2), 2)
    with pytest.raises(ValueError, match=r"`dropout` must be a number in \[0, 1\)"):
        GAN.mlp((2,), 2, dropout=1.0)
    with pytest.raises(ValueError, match="`generator_units` must be"):
        GAN.mlp((2,), 2, generator_units=())


def test_bad_inputs_at_fit_generate_and_methods():
    gan = small_mlp_gan(latent_dim=3)
    gan.compile(jit_compile=False, steps_per_execution=1)
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch_size, 2\)"):
        gan.fit(np.zeros((8, 3), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`z` must have shape \(n, latent_dim\) = \(n, 3\)"):
        gan.generate(np.zeros((4, 5), "float32"))
    with pytest.raises(ValueError, match="`z` must be an int >= 1 or an array"):
        gan.generate(0)
    with pytest.raises(ValueError, match="`num_samples` must be an int >= 1"):
        gan.sample(0)
    with pytest.raises(ValueError, match=r"`z_a` must be one latent vector of shape \(3,\)"):
        gan.interpolate(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="`steps` must be an int >= 2"):
        gan.interpolate(np.zeros(3), np.zeros(3), steps=1)
    with pytest.raises(ValueError, match="`x` must have shape"):
        gan.value(np.zeros((4, 1, 2), "float32"))
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="`g_optimizer` must be a different optimizer"):
        gan.compile(d_optimizer=optimizer, g_optimizer=optimizer)


# Saving and serving.


def test_config_and_keras_round_trip_give_identical_samples(tmp_path):
    x, _ = toy_2d("ring", n=32, seed=0)
    gan = small_mlp_gan(generator_loss="minimax", d_steps=2)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3),
        g_optimizer=keras.optimizers.RMSprop(5e-4),
        jit_compile=False,
        steps_per_execution=2,
    )
    gan.fit(x, epochs=1, batch_size=16, verbose=0)

    clone = GAN.from_config(as_json(gan.get_config()))
    assert (clone.generator_loss, clone.d_steps, clone.latent_dim) == ("minimax", 2, 3)

    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is GAN
    z = np.random.default_rng(1).normal(size=(6, 3)).astype("float32")
    np.testing.assert_array_equal(loaded.generate(z), gan.generate(z))
    np.testing.assert_array_equal(
        loaded.discriminator(x, training=False), gan.discriminator(x, training=False)
    )
    # The two optimizers come back with their configs and their state.
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    assert int(loaded.d_optimizer.iterations) == int(gan.d_optimizer.iterations) == 4
    assert int(loaded.g_optimizer.iterations) == 2
    assert loaded.jit_compile is False and loaded.steps_per_execution == 2
    loaded.fit(x, epochs=1, batch_size=16, verbose=0)  # and it trains on


def test_export_serves_generate_with_stock_tensorflow(tmp_path):
    gan = small_mlp_gan(latent_dim=3)
    path = gan.export(tmp_path / "gan" / "1")
    with pytest.raises(FileExistsError):
        gan.export(tmp_path / "gan" / "1")
    z = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    report = zoo.serve_in_process(  # fresh process: test_zoo
        path, {"generate": {"z": z}, "serving_default": {"z": z}})
    assert report.non_stock_ops == []
    assert report.signature_names == ["generate", "serving_default"]
    assert report.signature_inputs["generate"] == {"z": ([None, 3], "float32")}
    assert report.signature_outputs["generate"] == {"samples": ([None, 2], "float32")}
    expected = gan.generate(z).numpy()
    for name in ("generate", "serving_default"):
        np.testing.assert_allclose(report.outputs[name]["samples"], expected, rtol=1e-5, atol=1e-6)
