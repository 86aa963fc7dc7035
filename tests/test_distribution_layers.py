"""Tests for kgen.layers: hand-set parameters against the density formulas."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.layers import IndependentBernoulli
from kgen.layers import IndependentGaussian
from kgen.layers import IndependentNormal

RNG = np.random.default_rng(0)


def softplus(x):
    return np.log1p(np.exp(x))


def normal_log_prob(x, loc, scale):
    """Sum over the event of log N(x; loc, scale), in float64."""
    z = (x - loc) / scale
    log_density = -0.5 * z**2 - np.log(scale) - 0.5 * np.log(2 * np.pi)
    return log_density.reshape(len(x), -1).sum(axis=1)


def test_params_size():
    assert IndependentNormal.params_size(3) == 6
    assert IndependentNormal.params_size((8, 8, 1)) == 128
    assert IndependentBernoulli.params_size((2, 3)) == 6
    assert IndependentGaussian.params_size(5) == 5


def test_independent_normal_log_prob_matches_formula():
    event_shape = (2, 3)
    loc = RNG.normal(size=(4, 6)).astype("float32")
    raw_scale = RNG.normal(size=(4, 6)).astype("float32")
    x = RNG.normal(size=(4, 2, 3)).astype("float32")
    layer = IndependentNormal(event_shape, epsilon=1e-5)

    dist = layer(np.concatenate([loc, raw_scale], axis=-1))

    scale = softplus(raw_scale.astype("float64")) + 1e-5
    # Row-major: params[:, i] is event element (i // 3, i % 3).
    expected = normal_log_prob(x, loc.reshape(4, 2, 3), scale.reshape(4, 2, 3))
    assert dist.batch_shape == (4,)
    assert dist.event_shape == event_shape
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-5)
    np.testing.assert_allclose(dist.mean(), loc.reshape(4, 2, 3), rtol=1e-6)
    np.testing.assert_allclose(dist.stddev(), scale.reshape(4, 2, 3), rtol=1e-5)


def test_independent_bernoulli_log_prob_matches_formula():
    logits = RNG.normal(size=(5, 4)).astype("float32")
    # Grey values as well as 0 and 1: log_prob is the (negative) cross-entropy.
    x = np.array([0.0, 1.0, 0.25, 0.5] * 5, dtype="float32").reshape(5, 4)
    dist = IndependentBernoulli(4)(logits)

    p = 1 / (1 + np.exp(-logits.astype("float64")))
    expected = (x * np.log(p) + (1 - x) * np.log1p(-p)).sum(axis=1)
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-5)
    np.testing.assert_allclose(dist.mean(), p, rtol=1e-5)


def test_independent_bernoulli_samples_are_float_zeros_and_ones_with_right_mean():
    n = 20000
    logits = np.array([[-2.0, 0.0, 1.0]], dtype="float32")
    dist = IndependentBernoulli(3)(logits)
    samples = dist.sample(n, seed=(1, 2)).numpy()

    assert samples.dtype == np.float32
    assert set(np.unique(samples)) <= {0.0, 1.0}
    p = 1 / (1 + np.exp(-logits[0]))
    # 5 standard errors sqrt(p(1-p)/n): a false alarm has probability ~1e-6.
    np.testing.assert_array_less(
        np.abs(samples.mean(axis=(0, 1)) - p), 5 * np.sqrt(p * (1 - p) / n)
    )


def test_independent_gaussian_fixed_scale_matches_formula():
    loc = RNG.normal(size=(3, 4)).astype("float32")
    x = RNG.normal(size=(3, 4)).astype("float32")
    dist = IndependentGaussian(4, scale=0.5)(loc)

    expected = normal_log_prob(x, loc, 0.5)
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-5)
    np.testing.assert_allclose(dist.stddev(), np.full((3, 4), 0.5), rtol=1e-6)


def test_independent_gaussian_learned_scale_is_a_trainable_weight():
    layer = IndependentGaussian((2, 2), scale="learned", initial_scale=2.0)
    loc = np.zeros((3, 4), dtype="float32")
    x = RNG.normal(size=(3, 2, 2)).astype("float32")

    with tf.GradientTape() as tape:
        log_prob = layer(loc).log_prob(x)
    (gradient,) = tape.gradient(log_prob, layer.trainable_weights)

    assert [w.name for w in layer.trainable_weights] == ["raw_scale"]
    assert layer.trainable_weights[0].shape == ()
    np.testing.assert_allclose(layer(loc).stddev(), np.full((3, 2, 2), 2.0), rtol=1e-5)
    np.testing.assert_allclose(log_prob, normal_log_prob(x, 0.0, 2.0), rtol=1e-5)
    assert float(gradient) != 0.0

    layer.raw_scale.assign(0.0)
    expected_scale = softplus(0.0) + layer.epsilon
    np.testing.assert_allclose(
        layer(loc).stddev(), np.full((3, 2, 2), expected_scale), rtol=1e-6
    )


@pytest.mark.parametrize(
    "layer",
    [
        IndependentNormal((2, 3), epsilon=1e-3, name="n"),
        IndependentBernoulli(4, name="b"),
        IndependentGaussian((4,), scale=0.3, name="g"),
        IndependentGaussian(4, scale="learned", initial_scale=0.7, epsilon=1e-4),
    ],
    ids=["normal", "bernoulli", "gaussian-fixed", "gaussian-learned"],
)
def test_config_round_trip(layer):
    params_size = layer.params_size(layer.event_shape)
    params = RNG.normal(size=(2, params_size)).astype("float32")
    expected = layer(params)

    config = layer.get_config()
    restored = type(layer).from_config(config)
    # Also through Keras' own (de)serialisation, which needs the registration.
    serialized = keras.saving.serialize_keras_object(layer)
    revived = keras.saving.deserialize_keras_object(serialized)

    assert restored.get_config() == config
    assert type(revived) is type(layer) and revived.get_config() == config
    x = expected.sample(seed=(3, 4))
    np.testing.assert_allclose(
        restored(params).log_prob(x), expected.log_prob(x), rtol=1e-6
    )


def test_works_inside_tf_function():
    layer = IndependentNormal(3)

    @tf.function
    def log_prob(params, x):
        return layer(params).log_prob(x)

    params = np.zeros((2, 6), dtype="float32")
    x = np.zeros((2, 3), dtype="float32")
    expected = 3 * (-0.5 * math.log(2 * math.pi) - math.log(softplus(0.0) + 1e-5))
    np.testing.assert_allclose(log_prob(params, x), [expected, expected], rtol=1e-5)


def test_symbolic_input_gets_a_clear_error():
    with pytest.raises(TypeError, match="cannot be the output of a functional"):
        IndependentBernoulli(3)(keras.Input((3,)))


@pytest.mark.parametrize(
    "event_size",
    [np.prod((28, 28)), np.int32(784), np.array(784), tf.constant(784), (np.int64(28), 28), np.array([28, 28])],
    ids=["np.prod", "np.int32", "0-d array", "scalar tensor", "tuple of np.int64", "1-d array"],
)
def test_event_shape_accepts_what_tfp_accepts(event_size):
    # `tfd.Independent` and `tfd.Bernoulli` take NumPy integers, 0-d arrays and
    # scalar tensors as sizes; the layers read them as plain ints so that the
    # config stays JSON-serialisable.
    for layer_class in (IndependentBernoulli, IndependentNormal, IndependentGaussian):
        layer = layer_class(event_size)
        assert layer.event_shape in ((784,), (28, 28))
        assert all(type(d) is int for d in layer.event_shape)
        assert layer_class.params_size(event_size) == layer_class.params_size(layer.event_shape)
        assert keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(layer)
        ).event_shape == layer.event_shape
    dist = IndependentBernoulli(np.prod((2, 3)))(np.zeros((4, 6), "float32"))
    assert dist.event_shape == (6,)


def test_bad_arguments():
    match = (
        r"^`event_shape` must be a positive int or a non-empty tuple of positive ints\. "
        r"Received: event_shape="
    )
    with pytest.raises(ValueError, match=match + "0$"):
        IndependentNormal(0)
    with pytest.raises(ValueError, match=match + r"\(\)$"):
        IndependentBernoulli(())
    with pytest.raises(ValueError, match=match + r"True$"):
        IndependentBernoulli(True)
    with pytest.raises(ValueError, match=match + r"4\.0$"):
        IndependentBernoulli.params_size(4.0)
    with pytest.raises(ValueError, match=r'^`scale` must be a positive number or "learned"\. Received: scale=-1\.0$'):
        IndependentGaussian(3, scale=-1.0)
    with pytest.raises(ValueError, match=r'^`scale` must be a positive number or "learned"\. Received: scale=\'fixed\'$'):
        IndependentGaussian(3, scale="fixed")
    with pytest.raises(ValueError, match=r'`scale` must be .* Received: scale=nan$'):
        IndependentGaussian(3, scale=float("nan"))
    with pytest.raises(ValueError, match=r"^`epsilon` must be a number >= 0\. Received: epsilon=-1e-05$"):
        IndependentNormal(3, epsilon=-1e-5)
    with pytest.raises(ValueError, match=r"^`epsilon` must be a number >= 0\. Received: epsilon=nan$"):
        IndependentGaussian(3, epsilon=float("nan"))
    with pytest.raises(ValueError, match=r"^`initial_scale` must be a number > 0\.01\. Received: initial_scale=0\.01$"):
        IndependentGaussian(3, scale="learned", initial_scale=0.01, epsilon=0.01)
    assert IndependentGaussian(3, scale=np.float32(0.5)).scale == 0.5
    assert type(IndependentGaussian(3, scale=tf.constant(2)).scale) is float
    match = "expected axis -1 of input shape to have value 6"
    with pytest.raises(ValueError, match=match):
        IndependentNormal(3)(np.zeros((2, 5), dtype="float32"))
