"""Tests for the GAN family built on kgen.models.GAN: DCGAN, ConditionalGAN, WGANGP.

The training rules they share with `GAN` (Algorithm 1, the losses) are
tested in test_gan.py; here: the architectures, conditioning (a classifier
trained on real digits recognises the class of each generated digit), the
gradient penalty against hand-computed values and its uniform interpolation
weights, errors, `.keras` round trips and TF Serving exports.
"""

import json
import math

import keras
import numpy as np
import pytest

from kgen.callbacks import GenerativePictures
from kgen.datasets import load_digits
from kgen.datasets import to_tanh_range
from kgen.datasets import toy_2d
from kgen.models import _protocols
from kgen.models.conditional_gan import ConditionalGAN
from kgen.models.dcgan import DCGAN
from kgen.models.wgan_gp import WGANGP
import zoo


def as_json(config):
    return json.loads(json.dumps(config))


def fast_compile(model, d_rate=2e-4, g_rate=2e-4, **kwargs):
    """Small tests run eagerly-traced (no XLA compile: seconds saved per model)."""
    model.compile(
        d_optimizer=keras.optimizers.Adam(d_rate, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(g_rate, beta_1=0.5),
        **{"jit_compile": False, **kwargs},
    )
    return model


def layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    return to_tanh_range(x), y


# DCGAN.


@pytest.mark.parametrize(
    "image_shape, start",
    [((8, 8, 1), (2, 2)), ((28, 28, 1), (7, 7)), ((30, 30, 3), (8, 8))],
)
def test_dcgan_architecture_follows_radford_et_al(image_shape, start):
    dcgan = DCGAN(image_shape, latent_dim=16, filters=8, seed=0)
    generator, discriminator = dcgan.generator, dcgan.discriminator
    # The upsampling path starts at ceil(H/4) x ceil(W/4), then crops.
    reshape = layers_of(generator, keras.layers.Reshape)[0]
    assert tuple(reshape.output.shape[1:3]) == start
    assert tuple(generator.output.shape[1:]) == image_shape
    assert tuple(dcgan.generate(2).shape) == (2, *image_shape)
    # Strided (transposed) convolutions, no pooling.
    for network in (generator, discriminator):
        assert not any("Pooling" in type(layer).__name__ for layer in network.layers)
    assert [l.strides for l in layers_of(generator, keras.layers.Conv2DTranspose)] == [(2, 2)] * 2
    assert [l.strides for l in layers_of(discriminator, keras.layers.Conv2D)] == [(2, 2)] * 2
    # Batch normalisation everywhere but G's output and D's input layer.
    assert len(layers_of(generator, keras.layers.BatchNormalization)) == 2
    assert len(layers_of(discriminator, keras.layers.BatchNormalization)) == 1
    first_conv = layers_of(discriminator, keras.layers.Conv2D)[0]
    after_first = discriminator.layers[discriminator.layers.index(first_conv) + 1]
    assert isinstance(after_first, keras.layers.LeakyReLU)
    # ReLU in G with tanh at the output, LeakyReLU(0.2) in D.
    assert len(layers_of(generator, keras.layers.ReLU)) == 2
    output = layers_of(generator, keras.layers.Conv2DTranspose)[-1]
    assert output.activation is keras.activations.tanh
    slopes = [l.negative_slope for l in layers_of(discriminator, keras.layers.LeakyReLU)]
    assert slopes == [0.2, 0.2]
    # N(0, 0.02^2) initial weights.
    assert first_conv.kernel_initializer.stddev == 0.02


def test_dcgan_trains_on_digits_and_keeps_samples_in_tanh_range(digits):
    x, _ = digits
    dcgan = fast_compile(DCGAN((8, 8, 1), latent_dim=8, filters=8, seed=0))
    history = dcgan.fit(x[:256], epochs=1, batch_size=64, verbose=0).history
    assert sorted(history) == ["d_fake", "d_loss", "d_real", "g_loss"]
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert int(dcgan.d_optimizer.iterations) == int(dcgan.g_optimizer.iterations) == 4
    samples = dcgan.sample(16, seed=0).numpy()
    assert samples.shape == (16, 8, 8, 1) and np.all(np.abs(samples) <= 1.0)


def test_dcgan_errors(digits):
    with pytest.raises(ValueError, match="`image_shape` must be a tuple of 3 ints >= 1"):
        DCGAN((8, 8), latent_dim=4)
    with pytest.raises(ValueError, match="`filters` must be an int >= 1"):
        DCGAN((8, 8, 1), latent_dim=4, filters=0)
    with pytest.raises(ValueError, match="`d_steps` must be an int >= 1"):
        DCGAN((8, 8, 1), latent_dim=4, d_steps=0)
    with pytest.raises(ValueError, match="`generator_loss` must be one of"):
        DCGAN((8, 8, 1), latent_dim=4, generator_loss="hinge")
    dcgan = fast_compile(DCGAN((8, 8, 1), latent_dim=4, filters=4, seed=0))
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch_size, 8, 8, 1\)"):
        dcgan.fit(np.zeros((8, 28, 28, 1), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`z` must have shape \(n, latent_dim\) = \(n, 4\)"):
        dcgan.generate(np.zeros((2, 5), "float32"))


# ConditionalGAN.


@pytest.fixture(scope="module")
def trained_cgan(digits):
    """A conditional DCGAN trained 25 epochs on all 1797 digits (~10 s)."""
    x, y = digits
    cgan = ConditionalGAN((8, 8, 1), num_classes=10, latent_dim=32, filters=32, seed=0)
    fast_compile(cgan, steps_per_execution=8)
    cgan.fit(x, y, epochs=25, batch_size=64, verbose=0)
    return cgan


def test_conditional_samples_are_recognised_as_their_class(digits, trained_cgan):
    from sklearn.linear_model import LogisticRegression

    x, y = digits
    classifier = LogisticRegression(max_iter=1000).fit(x.reshape(len(x), -1), y)
    labels = np.repeat(np.arange(10), 100)
    samples = trained_cgan.generate(labels, seed=1).numpy()
    predicted = classifier.predict(samples.reshape(len(samples), -1))
    per_class = [np.mean(predicted[labels == k] == k) for k in range(10)]
    # About 0.96 overall and >= 0.9 for every class when the test was written;
    # with 100 samples a class the standard error at p = 0.9 is
    # sqrt(0.9 * 0.1 / 100) = 0.03, so 0.8 sits more than 3 of them below.
    # A generator ignoring its labels would score ~0.1.
    assert np.mean(predicted == labels) >= 0.8
    assert min(per_class) >= 0.8, per_class
    # Same z, other labels: the class follows the label, not the noise.
    z = np.random.default_rng(0).normal(size=(10, 32)).astype("float32")
    for label in (3, 7):
        images = trained_cgan.generate(np.full(10, label), z=z).numpy()
        assert np.mean(classifier.predict(images.reshape(10, -1)) == label) >= 0.7


def test_conditional_methods(trained_cgan, tmp_path):
    cgan = trained_cgan
    labels = np.array([0, 1, 2, 9])
    np.testing.assert_array_equal(cgan.generate(labels, seed=3), cgan.generate(labels, seed=3))
    z = np.random.default_rng(0).normal(size=(4, 32)).astype("float32")
    np.testing.assert_allclose(
        cgan.predict((z, labels.astype("int32")), verbose=0), cgan.generate(labels, z=z), rtol=1e-5
    )
    # `sample` cycles through the classes, for GenerativePictures' grids.
    np.testing.assert_array_equal(
        cgan.sample(12, seed=5), cgan.generate(np.arange(12) % 10, seed=5)
    )
    path = cgan.interpolate(z[0], z[1], label=4, steps=3)
    assert tuple(path.shape) == (3, 8, 8, 1)
    np.testing.assert_allclose(path[0], cgan.generate([4], z=z[:1])[0], rtol=1e-5, atol=1e-6)
    callback = GenerativePictures(tmp_path, num_samples=20, seed=0, curves=None)
    callback.set_model(cgan)
    assert callback.pictures()["samples"].dtype == np.uint8


def test_conditional_label_errors(digits, trained_cgan):
    x, y = digits
    cgan = trained_cgan
    with pytest.raises(ValueError, match=r"`labels` must lie in \[0, num_classes\) = \[0, 10\)"):
        cgan.generate(np.array([0, 10]))
    with pytest.raises(ValueError, match="`labels` must lie in"):
        cgan.generate(np.array([-1]))
    with pytest.raises(ValueError, match="`labels` must be a non-empty 1-D array of ints"):
        cgan.generate(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="`label` must lie in"):
        cgan.interpolate(np.zeros(32), np.zeros(32), label=11)
    with pytest.raises(ValueError, match=r"`z` must have one row per label \(2\)"):
        cgan.generate([1, 2], z=np.zeros((3, 32), "float32"))
    with pytest.raises(ValueError, match=r"`z` must have shape \(n, latent_dim\) = \(n, 32\)"):
        cgan.generate([1, 2], z=np.zeros((2, 8), "float32"))
    with pytest.raises(ValueError, match=r"`y` must lie in \[0, num_classes\) = \[0, 10\)"):
        cgan.fit(x[:8], y[:8] + 10, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="must be fit on `\\(x, y\\)` with integer labels"):
        cgan.fit(x[:8], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch_size, 8, 8, 1\)"):
        cgan.fit(np.zeros((8, 64), "float32"), y[:8], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`num_classes` must be an int >= 2"):
        ConditionalGAN((8, 8, 1), num_classes=1, latent_dim=4)


# WGANGP.


def linear_critic(kernel):
    """`D(x) = kernel . x`, hand-set: its gradient is `kernel` everywhere."""
    x = keras.Input((len(kernel),))
    value = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(np.array(kernel)[:, None])
    )(x)
    return keras.Model(x, value, name="critic")


def square_critic():
    """`D(x) = x^2 / 2` on scalars: its gradient at `x` is `x` itself."""
    x = keras.Input((1,))
    squared = keras.layers.Multiply()([x, x])
    value = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(0.5), bias_initializer="zeros"
    )(squared)
    return keras.Model(x, value, name="critic")


def test_gradient_penalty_and_critic_loss_on_a_linear_critic():
    # D(x) = w.x with w = (3, 4): ||grad D|| = 5 everywhere, so the penalty
    # is (5 - 1)^2 = 16 whatever the interpolation weights, and
    # L_D = mean(w.x_fake) - mean(w.x_real) + gp_weight * 16.
    wgan = WGANGP((2,), latent_dim=2, gp_weight=2.5, critic=linear_critic([3.0, 4.0]), seed=0)
    rng = np.random.default_rng(0)
    x_real = rng.normal(size=(8, 2)).astype("float32")
    x_fake = rng.normal(size=(8, 2)).astype("float32")
    np.testing.assert_allclose(wgan.gradient_penalty(x_real, x_fake), 16.0, rtol=1e-5)
    loss, outputs = wgan._discriminator_loss(x_real, x_fake, None, training=False)
    w = np.array([3.0, 4.0])
    expected = np.mean(x_fake @ w) - np.mean(x_real @ w) + 2.5 * 16.0
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    np.testing.assert_allclose(
        wgan._generator_loss(outputs["fake"]), -np.mean(x_fake @ w), rtol=1e-5
    )


def test_gradient_penalty_interpolates_uniformly_per_example():
    # D(x) = x^2 / 2 with x_real = 1, x_fake = 0: x_hat = eps, the gradient
    # is eps, the penalty mean (eps - 1)^2. For eps ~ U[0, 1] per example
    # E[(1 - eps)^2] = 1/3, with variance 1/5 - 1/9 = 4/45 per example: over
    # n = 20000 a standard error of sqrt(4/45/n) = 0.0021; we allow 5 of them.
    # (A normal eps would give E = 2; one eps per batch would scatter each
    # call's value uniformly-ish over [0, 1].)
    n = 20000
    wgan = WGANGP((1,), latent_dim=1, critic=square_critic(), seed=0)
    x_real, x_fake = np.ones((n, 1), "float32"), np.zeros((n, 1), "float32")
    tolerance = 5 * math.sqrt(4 / 45 / n)
    values = [float(wgan.gradient_penalty(x_real, x_fake)) for _ in range(3)]
    for value in values:
        assert abs(value - 1 / 3) < tolerance, values
    assert len(set(values)) == 3  # fresh eps each call, from the seed generator


def test_wgan_gp_trains_on_the_2d_ring_with_n_critic_critic_steps():
    x, _ = toy_2d("ring", n=2000, seed=0)
    wgan = WGANGP((2,), latent_dim=2, hidden_units=(64, 64), seed=0)
    fast_compile(wgan, d_rate=1e-3, g_rate=1e-3, steps_per_execution=8)
    radius = lambda s: np.linalg.norm(s, axis=1).mean()  # noqa: E731
    before = radius(wgan.generate(1000, seed=1).numpy())
    history = wgan.fit(x, epochs=15, batch_size=5 * 64, verbose=0).history
    assert sorted(history) == ["d_loss", "g_loss", "gradient_penalty", "wasserstein"]
    # 2000 // 320 = 7 batches (the last one of 80 makes 5 minibatches of 16).
    assert int(wgan.d_optimizer.iterations) == 5 * int(wgan.g_optimizer.iterations) == 5 * 7 * 15
    # The ring has radius 2; the untrained generator's samples sit near 0.
    after = radius(wgan.generate(1000, seed=1).numpy())
    assert before < 1.0
    assert abs(after - 2.0) < 0.5
    assert all(np.all(np.isfinite(v)) for v in history.values())


def test_wgan_gp_images_critic_has_no_batch_norm_and_trains(digits):
    x, _ = digits
    wgan = WGANGP((8, 8, 1), latent_dim=8, n_critic=2, filters=8, seed=0)
    assert not layers_of(wgan.critic, keras.layers.BatchNormalization)
    assert wgan.critic is wgan.discriminator
    fast_compile(wgan)
    wgan.fit(x[:128], epochs=1, batch_size=64, verbose=0)
    assert int(wgan.d_optimizer.iterations) == 4 and int(wgan.g_optimizer.iterations) == 2


def test_wgan_gp_compile_defaults_are_the_papers():
    wgan = WGANGP((2,), latent_dim=2, hidden_units=(8,))
    assert (wgan.n_critic, wgan.gp_weight, wgan.d_steps) == (5, 10.0, 5)
    wgan.compile()
    assert wgan.get_compile_config()["jit_compile"] == "auto" and wgan.steps_per_execution == 8
    for optimizer in (wgan.d_optimizer, wgan.g_optimizer):
        np.testing.assert_allclose(float(optimizer.learning_rate), 1e-4)
        assert (optimizer.beta_1, optimizer.beta_2) == (0.0, 0.9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_critic": 0}, "`n_critic` must be an int >= 1. Received: n_critic=0"),
        ({"gp_weight": -1.0}, "`gp_weight` must be a number >= 0. Received: gp_weight=-1.0"),
        ({"image_shape": (8, 8)}, "`image_shape` must be a tuple of 1 or 3 ints >= 1"),
        ({"hidden_units": ()}, "`hidden_units` must be a non-empty tuple"),
        ({"critic": linear_critic([1.0, 1.0, 1.0])}, "`critic` must accept inputs"),
    ],
)
def test_wgan_gp_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WGANGP(**{"image_shape": (2,), "latent_dim": 2, **kwargs})


# Saving and serving, one fresh process per model.


def small_models():
    return {
        "dcgan": DCGAN((8, 8, 1), latent_dim=4, filters=4, d_steps=2, seed=0),
        "cgan": ConditionalGAN((8, 8, 1), num_classes=3, latent_dim=4, filters=4, seed=0),
        "wgan": WGANGP((2,), latent_dim=3, n_critic=2, gp_weight=5.0, hidden_units=(8,), seed=0),
    }


@pytest.mark.parametrize("name", ["dcgan", "cgan", "wgan"])
def test_keras_round_trip_and_export(name, tmp_path):
    model = small_models()[name]
    fast_compile(model, steps_per_execution=2)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (16, *model.data_shape)).astype("float32")
    labels = rng.integers(0, 3, 16).astype("int32")
    z = rng.normal(size=(5, model.latent_dim)).astype("float32")
    if name == "cgan":
        model.fit(x, labels, epochs=1, batch_size=8, verbose=0)
        generate = lambda m: m.generate(labels[:5], z=z)  # noqa: E731
        inputs = {"z": z, "labels": labels[:5]}
    else:
        model.fit(x, epochs=1, batch_size=8, verbose=0)
        generate = lambda m: m.generate(z)  # noqa: E731
        inputs = {"z": z}

    # `evaluate` runs the matching test step: the same metrics, no updates.
    iterations = int(model.d_optimizer.iterations)
    data = (x, labels) if name == "cgan" else (x,)
    metrics = model.evaluate(*data, batch_size=8, verbose=0, return_dict=True)
    assert sorted(metrics) == sorted(m.name for m in model.metrics)
    assert all(np.isfinite(v) for v in metrics.values())
    assert int(model.d_optimizer.iterations) == iterations

    config = as_json(model.get_config())
    clone_config = as_json(type(model).from_config(config).get_config())
    networks = ("generator", "discriminator", "critic")
    assert {k: v for k, v in clone_config.items() if k not in networks} == {
        k: v for k, v in config.items() if k not in networks
    }

    model.save(tmp_path / f"{name}.keras")
    loaded = keras.saving.load_model(tmp_path / f"{name}.keras")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(generate(loaded), generate(model))
    for optimizer in ("d_optimizer", "g_optimizer"):
        before, after = getattr(model, optimizer), getattr(loaded, optimizer)
        assert int(after.iterations) == int(before.iterations) > 0
        for a, b in zip(before.variables, after.variables):
            np.testing.assert_array_equal(a, b)

    path = model.export(tmp_path / name / "1")
    report = zoo.serve_in_process(  # fresh process: test_zoo
        path, {"generate": inputs})
    assert report.non_stock_ops == []
    assert report.signature_names == ["generate", "serving_default"]
    expected_inputs = {"z": ([None, model.latent_dim], "float32")}
    if name == "cgan":
        expected_inputs["labels"] = ([None], "int32")
    assert report.signature_inputs["generate"] == expected_inputs
    assert report.signature_outputs["generate"] == {
        "samples": ([None, *model.data_shape], "float32")
    }
    np.testing.assert_allclose(
        report.outputs["generate"]["samples"], generate(model), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("name", ["dcgan", "cgan", "wgan"])
def test_contract_attributes(name):
    model = small_models()[name]
    assert isinstance(model, _protocols.Sampler)
    assert isinstance(model, _protocols.AdversarialModel)
    assert model.labelled is (name == "cgan")
    assert model.value_name == ("wasserstein" if name == "wgan" else "value_nats")
    assert model.d_steps == (1 if name == "cgan" else 2)
    assert model.serving_default_signature == "generate"
    # The WGAN-GP on points has a linear generator; the image generators end in tanh.
    assert model.sample_value_range == ((-math.inf, math.inf) if name == "wgan" else (-1.0, 1.0))


def test_conv_layer_i_is_seeded_seed_plus_i_and_the_discriminator_from_1000():
    for model in (DCGAN((8, 8, 1), 4, filters=4, seed=3),
                  ConditionalGAN((8, 8, 1), 3, latent_dim=4, filters=4, seed=3),
                  WGANGP((8, 8, 1), 4, filters=4, seed=3)):
        for network, first in ((model.generator, 3), (model.discriminator, 1003)):
            seeds = [l.kernel_initializer.seed for l in network.layers if hasattr(l, "kernel")]
            assert seeds == [first, first + 1, first + 2], type(model).__name__
    wgan = WGANGP((2,), 2, hidden_units=(4, 4), seed=3)
    for network, first in ((wgan.generator, 3), (wgan.critic, 1003)):
        seeds = [l.kernel_initializer.seed for l in network.layers if hasattr(l, "kernel")]
        assert seeds == [first, first + 1, first + 2]


def test_numpy_integers_are_integers_in_the_subclasses():
    i = np.int64
    dcgan = DCGAN((i(8), i(8), i(1)), i(4), filters=i(4), d_steps=i(2), seed=i(0))
    cgan = ConditionalGAN((8, 8, 1), i(3), latent_dim=i(4), filters=i(4), seed=i(0))
    wgan = WGANGP((i(2),), i(3), n_critic=i(2), gp_weight=i(5), hidden_units=(i(8),), seed=i(0))
    assert (dcgan.image_shape, dcgan.filters, dcgan.d_steps) == ((8, 8, 1), 4, 2)
    assert (cgan.num_classes, cgan.latent_dim) == (3, 4)
    assert (wgan.n_critic, wgan.gp_weight, wgan.hidden_units) == (2, 5.0, (8,))
    for model in (dcgan, cgan, wgan):
        assert json.loads(json.dumps(model.get_config()))  # plain Python values
    assert tuple(cgan.sample(i(3)).shape) == (3, 8, 8, 1)


def test_a_generator_of_the_wrong_shape_is_refused():
    # Both custom networks agree on 4x4 images, but the model was asked for 8x8.
    z = keras.Input((4,))
    wrong = keras.Model(z, keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(z)))
    x = keras.Input((4, 4, 1))
    critic = keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    with pytest.raises(ValueError, match=r"`generator` must output examples of shape \(8, 8, 1\)\. "
                                         r"Received: generator output shape=\(None, \*\(4, 4, 1\)\)"):
        DCGAN((8, 8, 1), latent_dim=4, filters=4, generator=wrong, discriminator=critic, seed=0)
