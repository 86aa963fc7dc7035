"""Tests for kgen.layers: hand-set parameters against the density formulas,
and the `tfp.layers` habits (signatures, `convert_to_tensor_fn`, Sequential and
functional models, NLL losses in `fit`, saving) against distributions built
with TFP itself from the same parameters. `tfp.layers` cannot be imported
(Keras 2 only), so the reference is its documented construction:
`Independent(Normal(loc, softplus(raw_scale)))` and
`Independent(Bernoulli(logits, dtype=logits.dtype))`.
"""

import inspect
import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.layers import IndependentBernoulli
from kgen.layers import IndependentGaussian
from kgen.layers import IndependentNormal

RNG = np.random.default_rng(0)
tfd = tfp.distributions


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
    "make_layer",
    [
        lambda: IndependentNormal((2, 3), epsilon=1e-3, name="n"),
        lambda: IndependentNormal(3, "mean", True, epsilon=0.0),
        lambda: IndependentBernoulli(4, name="b"),
        lambda: IndependentBernoulli(4, tfd.Bernoulli.logits, "float64", dtype="float64"),
        lambda: IndependentGaussian((4,), scale=0.3, name="g"),
        lambda: IndependentGaussian(4, scale="learned", initial_scale=0.7, epsilon=1e-4),
        lambda: IndependentGaussian(4, convert_to_tensor_fn=tfd.Distribution.mode),
    ],
    ids=[
        "normal", "normal-mean-validate", "bernoulli", "bernoulli-logits-f64",
        "gaussian-fixed", "gaussian-learned", "gaussian-mode",
    ],
)
def test_config_round_trip(make_layer):
    layer = make_layer()
    params_size = layer.params_size(layer.event_shape)
    params = RNG.normal(size=(2, params_size)).astype(layer.compute_dtype)
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


# The `tfp.layers` habits (issue 14, point 9).


def tfp_independent_normal(params, event_shape):
    """What `tfp.layers.IndependentNormal(event_shape)` builds from `params`."""
    loc, raw_scale = np.split(params, 2, axis=-1)
    shape = (*params.shape[:-1], *event_shape)
    return tfd.Independent(
        tfd.Normal(loc.reshape(shape), tf.math.softplus(raw_scale.reshape(shape))),
        reinterpreted_batch_ndims=len(event_shape),
    )


def tfp_independent_normal_tf(params, event_shape):
    """`tfp_independent_normal` on a tensor, differentiable."""
    loc, raw_scale = tf.split(params, 2, axis=-1)
    shape = (*params.shape[:-1], *event_shape)
    return tfd.Independent(
        tfd.Normal(tf.reshape(loc, shape), tf.math.softplus(tf.reshape(raw_scale, shape))),
        reinterpreted_batch_ndims=len(event_shape),
    )


def tfp_independent_bernoulli(logits, event_shape):
    """What `tfp.layers.IndependentBernoulli(event_shape)` builds from `logits`."""
    shape = (*logits.shape[:-1], *event_shape)
    return tfd.Independent(
        tfd.Bernoulli(logits=logits.reshape(shape), dtype=logits.dtype),
        reinterpreted_batch_ndims=len(event_shape),
    )


def test_signatures_follow_tfp_layers_order():
    # `tfp.layers` (TFP 0.25) positional order; kgen's own arguments come after.
    def names(layer_class):
        return list(inspect.signature(layer_class).parameters)

    assert names(IndependentNormal)[:3] == ["event_shape", "convert_to_tensor_fn", "validate_args"]
    assert names(IndependentBernoulli)[:4] == [
        "event_shape", "convert_to_tensor_fn", "sample_dtype", "validate_args",
    ]
    # Failed before: "'>=' not supported between instances of 'function' and 'int'".
    layer = IndependentNormal(8, tfd.Distribution.sample)
    assert layer.convert_to_tensor_fn is tfd.Distribution.sample
    assert layer.epsilon == 1e-5
    layer = IndependentBernoulli(4, tfd.Distribution.mode, "int32", True)
    assert (layer.sample_dtype, layer.validate_args) == ("int32", True)
    assert layer(np.zeros((2, 4), "float32")).dtype == tf.int32


def test_independent_normal_with_epsilon_zero_is_tfp_independent_normal():
    # Two leading batch axes and a rank-2 event, as TFP's tests do.
    event_shape = (2, 3)
    params = RNG.normal(size=(3, 4, 12)).astype("float32")
    x = RNG.normal(size=(3, 4, 2, 3)).astype("float32")
    dist = IndependentNormal(event_shape, epsilon=0)(params)
    reference = tfp_independent_normal(params, event_shape)

    assert dist.batch_shape == (3, 4) and dist.event_shape == event_shape
    # The same float32 operations on the same numbers: equal up to rounding.
    np.testing.assert_allclose(dist.log_prob(x), reference.log_prob(x), rtol=1e-6)
    np.testing.assert_allclose(dist.mean(), reference.mean(), rtol=1e-6)
    np.testing.assert_allclose(dist.stddev(), reference.stddev(), rtol=1e-6)
    np.testing.assert_allclose(
        dist.sample(2, seed=(5, 6)), reference.sample(2, seed=(5, 6)), rtol=1e-6
    )


def test_default_epsilon_moves_log_prob_by_the_documented_amount():
    # At x = loc the floor lowers log N by log((s + eps) / s) per dimension,
    # s = softplus(raw_scale): log 2 at s = eps, about eps / s for s >> eps.
    eps = 1e-5
    scales = np.array([[eps, 10 * eps, 0.1, 1.0]])
    raw_scale = np.log(np.expm1(scales)).astype("float32")
    loc = RNG.normal(size=(1, 4)).astype("float32")
    params = np.concatenate([loc, raw_scale], axis=-1)
    gap = IndependentNormal(4)(params).log_prob(loc) - tfp_independent_normal(
        params, (4,)
    ).log_prob(loc)

    s = tf.math.softplus(raw_scale).numpy().astype("float64")  # TFP's scales
    expected = -np.log((s + eps) / s).sum(axis=-1)
    assert expected[0] < -math.log(2)
    # float32 log-densities near 4 * 11.5 nats: rounding ~ 1e-5.
    np.testing.assert_allclose(gap, expected, atol=1e-4)


def test_independent_bernoulli_is_tfp_independent_bernoulli():
    logits = RNG.normal(size=(5, 6)).astype("float32")
    x = (RNG.uniform(size=(5, 2, 3)) < 0.5).astype("float32")
    dist = IndependentBernoulli((2, 3))(logits)
    reference = tfp_independent_bernoulli(logits, (2, 3))

    assert dist.batch_shape == (5,) and dist.event_shape == (2, 3)
    assert dist.dtype == tf.float32
    np.testing.assert_allclose(dist.log_prob(x), reference.log_prob(x), rtol=1e-6)
    np.testing.assert_allclose(dist.mean(), reference.mean(), rtol=1e-6)
    np.testing.assert_array_equal(dist.sample(3, seed=(7, 8)), reference.sample(3, seed=(7, 8)))


def test_float64_independent_bernoulli_computes_in_float64():
    # Failed before: the samples were float32 whatever the layer's dtype, so
    # `log_prob` rounded x to float32 (relative error ~1e-8 here).
    layer = IndependentBernoulli(3, dtype="float64")
    logits = np.array([[-30.0, 0.3, 25.0]])
    x = np.array([[0.1, 1 / 3, 0.7]])
    dist = layer(logits)

    log_p, log_not_p = -np.logaddexp(0, -logits), -np.logaddexp(0, logits)
    expected = (x * log_p + (1 - x) * log_not_p).sum(axis=-1)
    assert dist.dtype == tf.float64
    assert dist.sample(seed=(1, 2)).dtype == tf.float64
    # float64 throughout: agreement to a few ulps of the ~21-nat sum.
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-13)


@pytest.mark.parametrize(
    "convert_to_tensor_fn, expected",
    [
        ("mean", lambda logits, d: 1 / (1 + np.exp(-logits))),
        (tfd.Distribution.mode, lambda logits, d: (logits > 0).astype("float32")),
        ("stddev", lambda logits, d: d.stddev()),
        (tfd.Bernoulli.logits, lambda logits, d: logits),
        ("probs", lambda logits, d: 1 / (1 + np.exp(-logits))),
        (lambda d: d.sample(2, seed=(1, 2)), lambda logits, d: d.sample(2, seed=(1, 2))),
    ],
    ids=["mean", "mode", "stddev", "Bernoulli.logits", "probs", "callable"],
)
def test_convert_to_tensor_fn_gives_the_tensor(convert_to_tensor_fn, expected):
    logits = RNG.normal(size=(4, 3)).astype("float32")
    dist = IndependentBernoulli(3, convert_to_tensor_fn)(logits)

    value = tf.convert_to_tensor(dist)
    np.testing.assert_allclose(value, expected(logits, dist), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(dist), value)
    assert tf.is_tensor(dist) and tuple(dist.shape) == tuple(value.shape)


def test_default_conversion_is_one_sample_reused():
    logits = np.array([[-1.0, 0.0, 1.0, 2.0]] * 500, "float32")
    dist = IndependentBernoulli(4)(logits)

    value = tf.convert_to_tensor(dist)
    np.testing.assert_array_equal(tf.convert_to_tensor(dist), value)
    p = 1 / (1 + np.exp(-logits[0]))
    # A draw, not the mean: column means within 5 standard errors sqrt(p(1-p)/n).
    assert set(np.unique(value)) == {0.0, 1.0}
    np.testing.assert_array_less(
        np.abs(value.numpy().mean(axis=0) - p), 5 * np.sqrt(p * (1 - p) / 500)
    )


def test_sequential_and_functional_models_output_distributions():
    x = RNG.normal(size=(5, 3)).astype("float32")
    y = RNG.normal(size=(5, 8)).astype("float32")
    dense = keras.layers.Dense(IndependentNormal.params_size(8))
    # Failed before, even eagerly, with "cannot be the output of a functional".
    model = keras.Sequential([dense, IndependentNormal(8, epsilon=0)])
    dist = model(x)

    assert isinstance(dist, tfd.Independent) and isinstance(dist.distribution, tfd.Normal)
    assert dist.batch_shape == (5,) and dist.event_shape == (8,)
    reference = tfp_independent_normal(dense(x).numpy(), (8,))
    np.testing.assert_allclose(dist.log_prob(y), reference.log_prob(y), rtol=1e-6)

    inputs = keras.Input((3,))
    dense = keras.layers.Dense(4)
    outputs = IndependentBernoulli((2, 2), "mean")(dense(inputs))
    functional = keras.Model(inputs, outputs)
    assert tuple(functional.output.shape) == (None, 2, 2)
    dist = functional(x)
    assert dist.event_shape == (2, 2)
    np.testing.assert_allclose(
        dist.mean(), tf.sigmoid(tf.reshape(dense(x), (5, 2, 2))), rtol=1e-6
    )


def test_fit_with_negative_log_likelihood_loss():
    # `fit` with `lambda y, rv: -rv.log_prob(y)` must take the same steps as a
    # hand-written loop on TFP's distribution from the same weights and batches.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 2)).astype("float32")
    w = np.array([[1.0, -2.0], [0.5, 1.5]], "float32")
    y = (x @ w + 0.5 * rng.normal(size=(256, 2))).astype("float32")
    dense = keras.layers.Dense(IndependentNormal.params_size(2))
    model = keras.Sequential([keras.Input((2,)), dense, IndependentNormal(2, "mean", epsilon=0)])
    reference = keras.layers.Dense(4)
    reference.build((None, 2))
    reference.set_weights(dense.get_weights())
    model.compile(keras.optimizers.Adam(0.05), loss=lambda y, rv: -rv.log_prob(y))

    history = model.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)

    optimizer = keras.optimizers.Adam(0.05)
    for _ in range(3):
        for start in range(0, 256, 64):
            batch = slice(start, start + 64)
            with tf.GradientTape() as tape:
                rv = tfp_independent_normal_tf(reference(x[batch]), (2,))
                loss = -tf.reduce_mean(rv.log_prob(y[batch]))
            grads = tape.gradient(loss, reference.trainable_variables)
            optimizer.apply(grads, reference.trainable_variables)
    # 12 float32 Adam steps on the same numbers: equal up to rounding.
    for fitted, expected in zip(dense.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(fitted, expected, rtol=1e-4, atol=1e-6)
    assert history.history["loss"][-1] < history.history["loss"][0] - 0.5
    # `evaluate` reports the mean NLL of TFP's distribution; `predict` the means.
    expected = -tfp_independent_normal(dense(x).numpy(), (2,)).log_prob(y).numpy().mean()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), dense(x)[:, :2], rtol=1e-6)


def test_a_following_layer_gets_the_converted_tensor():
    x = RNG.normal(size=(4, 3)).astype("float32")
    first, last = keras.layers.Dense(4), keras.layers.Dense(1)
    model = keras.Sequential([keras.Input((3,)), first, IndependentNormal(2, "mean"), last])

    np.testing.assert_allclose(model(x), last(first(x)[:, :2]), rtol=1e-6)


def test_model_with_a_distribution_output_round_trips_through_keras_file(tmp_path):
    x = RNG.normal(size=(4, 3)).astype("float32")
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(4),
        IndependentBernoulli((2, 2), tfd.Bernoulli.logits, validate_args=True),
    ])
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras")

    assert restored.layers[-1].get_config() == model.layers[-1].get_config()
    np.testing.assert_allclose(restored.predict(x, verbose=0), model(x).distribution.logits, rtol=1e-6)


@keras.saving.register_keras_serializable(package="kgen_tests")
def two_samples(distribution):
    return distribution.sample(2, seed=(3, 4))


def test_custom_convert_to_tensor_fn_is_saved_by_keras():
    layer = IndependentGaussian(3, convert_to_tensor_fn=two_samples)
    config = layer.get_config()
    restored = IndependentGaussian.from_config(config)

    assert isinstance(config["convert_to_tensor_fn"], dict)
    assert restored.convert_to_tensor_fn is two_samples
    assert tuple(tf.convert_to_tensor(restored(np.zeros((5, 3), "float32"))).shape) == (2, 5, 3)


def test_configs_saved_before_convert_to_tensor_fn_still_load():
    # Configs of kgen layers before the `tfp.layers` arguments (no
    # `convert_to_tensor_fn`, `validate_args`, `sample_dtype` keys).
    normal = IndependentNormal.from_config(
        {"name": "posterior", "trainable": True, "dtype": "float32", "event_shape": (2,), "epsilon": 1e-5}
    )
    bernoulli = IndependentBernoulli.from_config({"name": "likelihood", "event_shape": (2, 2)})
    assert normal.convert_to_tensor_fn is tfd.Distribution.sample
    assert (normal.epsilon, normal.validate_args) == (1e-5, False)
    assert bernoulli.sample_dtype is None
    assert bernoulli(np.zeros((1, 4), "float32")).dtype == tf.float32

    # The former positional `epsilon` still works, with a warning.
    with pytest.warns(DeprecationWarning, match="second argument is now `convert_to_tensor_fn`"):
        layer = IndependentNormal(3, 1e-3)
    assert layer.epsilon == 1e-3 and layer.convert_to_tensor_fn is tfd.Distribution.sample


def test_bad_tfp_layers_arguments():
    match = r"^`convert_to_tensor_fn` must be a callable .* or a property of `tfd\.Bernoulli`\. Received: convert_to_tensor_fn="
    with pytest.raises(ValueError, match=match + "'median'$"):
        IndependentBernoulli(3, "median")
    with pytest.raises(ValueError, match=match + "3$"):
        IndependentBernoulli(3, 3)
    with pytest.raises(ValueError, match=r"property of `tfd\.Normal`\. Received: convert_to_tensor_fn='logits'$"):
        IndependentNormal(3, "logits")
    with pytest.raises(ValueError, match=r"^`sample_dtype` must be None or a dtype name\. Received: sample_dtype='int33'$"):
        IndependentBernoulli(3, sample_dtype="int33")
    with pytest.raises(ValueError, match=r"^`validate_args` must be a bool\. Received: validate_args='yes'$"):
        IndependentGaussian(3, validate_args="yes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # `epsilon=0` is allowed (TFP's numbers) and warns about nothing.
        assert IndependentNormal(3, epsilon=0).epsilon == 0.0
