"""CycleGAN and DiscoGAN (`kgen.models._translation_gan`): losses, data of two domains, methods.

The loss terms are checked against NumPy on fixed networks whose outputs
are known in closed form (`Rescaling` generators, a discriminator that
averages the image), so every number below is computed independently of
the model's code. The image pool has its own tests (`test_image_pool.py`),
the networks theirs (`test_translation_networks.py`); the registry-wide
round trip, export, CLI and distribution tests cover both models through
`tests/zoo.py`.
"""

import keras
import numpy as np
import pytest

import kgen
from kgen.models import CycleGAN
from kgen.models import DiscoGAN
from kgen.models import _replicas
from kgen.schedules import ConstantThenLinearDecay

SHAPE = (8, 8, 1)
COLOUR = (8, 8, 3)


def _rescaling(shape, scale, offset, channels=None, name=None):
    """`x -> scale * x + offset` (repeated to `channels` channels): a generator with known output."""
    x = keras.Input(shape)
    y = keras.layers.Rescaling(scale, offset)(x)
    if channels is not None and channels != shape[-1]:
        y = keras.layers.Concatenate()([y] * channels)
    return keras.Model(x, y, name=name)


def _mean_discriminator(shape, weight, bias, name=None):
    """`s(x) = weight * mean(x) + bias`, one score per image: a discriminator with known output."""
    x = keras.Input(shape)
    pooled = keras.layers.GlobalAveragePooling2D()(x)
    dense = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(weight / shape[-1]),
                               bias_initializer=keras.initializers.Constant(bias))
    return keras.Model(x, dense(pooled), name=name)


def _images(n, shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def _losses(model, a, b):
    one = _replicas.Share(a.shape[0])
    total, values, fakes, _ = model._generator_losses(a, b, one, _replicas.Share(b.shape[0]), training=False)
    return float(total), {k: float(v) for k, v in values.items()}, fakes


def test_identity_generators_give_zero_cycle_and_identity_losses():
    identity = (_rescaling(SHAPE, 1.0, 0.0), _rescaling(SHAPE, 1.0, 0.0))
    discriminators = (_mean_discriminator(SHAPE, 1.0, 0.0), _mean_discriminator(SHAPE, 1.0, 0.0))
    model = CycleGAN(SHAPE, generator=identity, discriminator=discriminators, seed=0)
    _, values, _ = _losses(model, _images(5, SHAPE, 0), _images(7, SHAPE, 1))
    assert values["cycle_a"] == values["cycle_b"] == 0.0
    assert values["identity_a"] == values["identity_b"] == 0.0


def test_cycle_identity_and_adversarial_terms_equal_hand_computed_values():
    # G(x) = 0.5 x + 0.1, F(x) = 2 x - 0.3; D(x) = w mean(x) + c.
    g, f = _rescaling(SHAPE, 0.5, 0.1), _rescaling(SHAPE, 2.0, -0.3)
    d_a, d_b = _mean_discriminator(SHAPE, 0.7, 0.2), _mean_discriminator(SHAPE, -0.4, 0.5)
    model = CycleGAN(SHAPE, generator=(g, f), discriminator=(d_a, d_b), cycle_weight=10.0,
                     identity_weight=0.5, gan_loss="lsgan", seed=0)
    a, b = _images(5, SHAPE, 2), _images(7, SHAPE, 3)
    total, values, (fake_a, fake_b) = _losses(model, a, b)

    G = lambda x: 0.5 * x + 0.1  # noqa: E731
    F = lambda x: 2.0 * x - 0.3  # noqa: E731
    score_a = lambda x: 0.7 * x.mean(axis=(1, 2, 3)) + 0.2  # noqa: E731
    score_b = lambda x: -0.4 * x.mean(axis=(1, 2, 3)) + 0.5  # noqa: E731
    cycle_a = np.abs(F(G(a)) - a).mean()
    cycle_b = np.abs(G(F(b)) - b).mean()
    identity_a, identity_b = np.abs(F(a) - a).mean(), np.abs(G(b) - b).mean()
    adversarial_a_to_b = ((score_b(G(a)) - 1.0) ** 2).mean()
    adversarial_b_to_a = ((score_a(F(b)) - 1.0) ** 2).mean()
    np.testing.assert_allclose(fake_b, G(a), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fake_a, F(b), rtol=1e-6, atol=1e-6)
    for name, want in (("cycle_a", cycle_a), ("cycle_b", cycle_b), ("identity_a", identity_a),
                       ("identity_b", identity_b), ("adversarial_a_to_b", adversarial_a_to_b),
                       ("adversarial_b_to_a", adversarial_b_to_a)):
        np.testing.assert_allclose(values[name], want, rtol=1e-5, err_msg=name)
    # lambda = 10 on the cycle terms, lambda * lambda_id = 5 on the identity terms.
    want_total = (adversarial_a_to_b + adversarial_b_to_a + 10.0 * (cycle_a + cycle_b)
                  + 5.0 * (identity_a + identity_b))
    np.testing.assert_allclose(total, want_total, rtol=1e-5)

    one_a, one_b = _replicas.Share(5), _replicas.Share(7)
    d_total, d_values = model._discriminator_losses(a, b, fake_a, fake_b, one_a, one_b, training=False)
    want_d = 0.5 * (((score_a(a) - 1) ** 2).mean() + (score_a(F(b)) ** 2).mean()
                    + ((score_b(b) - 1) ** 2).mean() + (score_b(G(a)) ** 2).mean())
    np.testing.assert_allclose(float(d_total), want_d, rtol=1e-5)


def test_discogan_uses_the_squared_distance_and_the_log_loss():
    g = _rescaling(SHAPE, 0.5, 0.1, channels=3)
    # F maps 3 channels to 1: the mean over channels (a 1x1 convolution), then a rescaling.
    x = keras.Input(COLOUR)
    mean = keras.layers.Conv2D(1, 1, kernel_initializer=keras.initializers.Constant(1 / 3))(x)
    f = keras.Model(x, keras.layers.Rescaling(2.0, -0.3)(mean))
    d_a, d_b = _mean_discriminator(SHAPE, 0.7, 0.2), _mean_discriminator(COLOUR, -0.4, 0.5)
    model = DiscoGAN(SHAPE, COLOUR, generator=(g, f), discriminator=(d_a, d_b), seed=0)
    a, b = _images(4, SHAPE, 4), _images(6, COLOUR, 5)
    _, values, _ = _losses(model, a, b)
    G = lambda x: np.repeat(0.5 * x + 0.1, 3, axis=-1)  # noqa: E731
    F = lambda x: 2.0 * x.mean(axis=-1, keepdims=True) - 0.3  # noqa: E731
    softplus = lambda t: np.logaddexp(0.0, t)  # noqa: E731
    score_b = lambda x: -0.4 * x.mean(axis=(1, 2, 3)) + 0.5  # noqa: E731
    np.testing.assert_allclose(values["cycle_a"], ((F(G(a)) - a) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(values["cycle_b"], ((G(F(b)) - b) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(values["adversarial_a_to_b"], softplus(-score_b(G(a))).mean(), rtol=1e-5)
    assert "identity_a" not in values and model.reconstruction_weight == 1.0


def test_identity_weight_must_be_zero_when_the_domains_differ_in_shape():
    with pytest.raises(ValueError, match=r"`identity_weight` must be 0 .*Received: identity_weight=0.5"):
        CycleGAN(SHAPE, COLOUR, filters=4, seed=0)
    model = CycleGAN(SHAPE, COLOUR, identity_weight=0.0, filters=4, seed=0)
    assert "identity_loss" not in [m.name for m in model.metrics]


@pytest.mark.parametrize("kwargs, message", [
    ({"generator": "vgg"}, r"`generator` must be one of \('resnet', 'unet'\) or a pair"),
    ({"discriminator": "big"}, r"`discriminator` must be one of \('patchgan',\)"),
    ({"gan_loss": "wasserstein"}, r"`gan_loss` must be one of \('lsgan', 'non_saturating'\)"),
    ({"pool_size": -1}, r"`pool_size` must be an int >= 0"),
    ({"cycle_weight": -1.0}, r"`cycle_weight` must be"),
])
def test_cyclegan_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CycleGAN(SHAPE, filters=4, **kwargs)


def test_fit_on_domains_of_different_lengths_and_the_translation_methods():
    model = CycleGAN(SHAPE, COLOUR, identity_weight=0.0, filters=4, pool_size=3, seed=0)
    model.compile(steps_per_execution=1)
    a, b = _images(20, SHAPE, 6), _images(9, COLOUR, 7)
    history = model.fit(a, b, validation_data=(a[:5], b[:3]), batch_size=8, epochs=1, verbose=0)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert {"g_loss", "cycle_a", "cycle_b", "d_a_loss", "d_b_loss", "val_cycle_a"} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values()), logs
    # An epoch is max(20, 9) = 20 images of each domain: ceil(20 / 8) = 3 steps.
    assert int(model.g_optimizer.iterations) == int(model.d_optimizer.iterations) == 3
    assert tuple(model.translate_a_to_b(a[:4]).shape) == (4, *COLOUR)
    assert tuple(model.translate_b_to_a(b[:2]).shape) == (2, *SHAPE)
    np.testing.assert_allclose(
        model.cycle(a[:4], "a_to_b"), model.translate_b_to_a(model.translate_a_to_b(a[:4])), atol=1e-6)
    assert tuple(model.cycle(b[:2], "b_to_a").shape) == (2, *COLOUR)
    np.testing.assert_allclose(model.predict(a[:4], verbose=0), model.translate_a_to_b(a[:4]), atol=1e-6)
    with pytest.raises(ValueError, match=r"`direction` must be one of \('a_to_b', 'b_to_a'\)"):
        model.cycle(a[:2], "sideways")
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch_size, 8, 8, 1\)"):
        model.translate_a_to_b(b[:2])


def test_fit_refuses_images_in_zero_one_and_a_validation_split():
    model = CycleGAN(SHAPE, COLOUR, identity_weight=0.0, filters=4, pool_size=0, seed=0)
    model.compile()
    a, b = _images(8, SHAPE, 8), _images(8, COLOUR, 9)
    with pytest.raises(ValueError, match=r"`x \(b\)` must be in \[-1, 1\].*to_tanh_range"):
        model.fit(a, (b + 1) / 2, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_split` must be 0 for two domains"):
        model.fit(a, b, validation_split=0.2, epochs=1, verbose=0)


def test_fit_takes_a_zipped_dataset_of_two_domains():
    import tensorflow as tf

    model = DiscoGAN(SHAPE, COLOUR, filters=4, seed=0)
    model.compile(steps_per_execution=1)
    a, b = _images(12, SHAPE, 10), _images(12, COLOUR, 11)
    dataset = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(a).batch(4),
                                   tf.data.Dataset.from_tensor_slices(b).batch(4)))
    model.fit(dataset, epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations) == 3


def test_paper_schedule_matches_the_authors_linear_policy():
    # The authors' `lambda_rule`: 1 - max(0, epoch + 1 - n_epochs) / (n_epochs_decay + 1),
    # epochs counted from 0 (their epoch_count = 1), applied per epoch.
    steps_per_epoch, constant, decay = 3, 4, 5
    schedule = ConstantThenLinearDecay.per_epoch(2e-4, steps_per_epoch, constant, decay)
    for step in range(steps_per_epoch * (constant + decay)):
        epoch = step // steps_per_epoch
        want = 2e-4 * (1.0 - max(0, epoch + 1 - constant) / (decay + 1))
        np.testing.assert_allclose(float(schedule(step)), want, rtol=1e-6, err_msg=f"step {step}")
    per_step = ConstantThenLinearDecay(1.0, constant_steps=10, decay_steps=4)
    assert [float(per_step(t)) for t in (0, 9, 10, 11, 12, 13, 20)] == [1, 1, 0.75, 0.5, 0.25, 0, 0]
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    assert isinstance(again, ConstantThenLinearDecay) and again.get_config() == schedule.get_config()


def test_model_compiled_with_the_schedule_reloads_it(tmp_path):
    model = CycleGAN(SHAPE, COLOUR, identity_weight=0.0, filters=4, pool_size=0, seed=0)
    schedule = ConstantThenLinearDecay.per_epoch(2e-4, 2, 1, 1)
    model.compile(g_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5),
                  d_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    for name in ("g_optimizer", "d_optimizer"):
        restored = getattr(loaded, name)._learning_rate  # Keras keeps the schedule object here
        assert isinstance(restored, ConstantThenLinearDecay), (name, restored)
        assert restored.get_config() == schedule.get_config()


def test_user_networks_are_saved_in_the_config(tmp_path):
    g, f = _rescaling(SHAPE, 0.5, 0.1, name="g"), _rescaling(SHAPE, 2.0, -0.3, name="f")
    d_a, d_b = _mean_discriminator(SHAPE, 0.7, 0.2), _mean_discriminator(SHAPE, -0.4, 0.5)
    model = CycleGAN(SHAPE, generator=(g, f), discriminator=(d_a, d_b), pool_size=0, seed=0)
    model.compile()
    config = model.get_config()
    assert isinstance(config["generator"], list) and len(config["generator"]) == 2
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = _images(3, SHAPE, 12)
    np.testing.assert_allclose(loaded.translate_b_to_a(x), 2.0 * x - 0.3, rtol=1e-6, atol=1e-6)
    assert kgen.models.CycleGAN(SHAPE, filters=4, seed=0).get_config()["generator"] == "resnet"


@pytest.mark.parametrize("pool_size", [0, 8])
def test_one_training_step_is_the_authors_two_updates_by_autodiff(pool_size):
    # The step computes both updates from one forward pass; here they are
    # recomputed as the authors' code does them, in two passes written out
    # in this test: the generators' loss (LSGAN, lambda = 10) and, with the
    # generators' translations of the same batch (a pool of 8, still filling
    # with these 6, returns them unchanged), the halved discriminators' loss. With SGD an
    # update is -lr * gradient: rounding-level agreement (float32).
    import tensorflow as tf

    model = CycleGAN(SHAPE, COLOUR, generator="unet", identity_weight=0.0, pool_size=pool_size,
                     filters=4, seed=0)
    model.compile(g_optimizer=keras.optimizers.SGD(0.01), d_optimizer=keras.optimizers.SGD(0.01),
                  steps_per_execution=1)
    a, b = _images(6, SHAPE, 13), _images(6, COLOUR, 14)
    g, f = model.generator_a_to_b, model.generator_b_to_a
    d_a, d_b = model.discriminator_a, model.discriminator_b
    g_weights = g.trainable_weights + f.trainable_weights
    d_weights = d_a.trainable_weights + d_b.trainable_weights
    before = [np.array(w) for w in g_weights + d_weights]
    with tf.GradientTape() as tape:
        fake_b, fake_a = g(a, training=True), f(b, training=True)
        g_loss = (tf.reduce_mean((d_b(fake_b) - 1.0) ** 2) + tf.reduce_mean((d_a(fake_a) - 1.0) ** 2)
                  + 10.0 * tf.reduce_mean(tf.abs(f(fake_b) - a))
                  + 10.0 * tf.reduce_mean(tf.abs(g(fake_a) - b)))
    g_gradients = tape.gradient(g_loss, g_weights)
    fake_a, fake_b = tf.stop_gradient(fake_a), tf.stop_gradient(fake_b)
    with tf.GradientTape() as tape:
        d_loss = 0.5 * (tf.reduce_mean((d_a(a) - 1.0) ** 2) + tf.reduce_mean(d_a(fake_a) ** 2)
                        + tf.reduce_mean((d_b(b) - 1.0) ** 2) + tf.reduce_mean(d_b(fake_b) ** 2))
    d_gradients = tape.gradient(d_loss, d_weights)
    model.fit(a, b, batch_size=6, epochs=1, shuffle=False, verbose=0)
    for w, w0, gradient in zip(g_weights + d_weights, before, g_gradients + d_gradients):
        np.testing.assert_allclose(np.array(w), w0 - 0.01 * np.array(gradient), atol=2e-6,
                                   err_msg=w.path)
