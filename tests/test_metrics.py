"""Tests for kgen.metrics: FID, KID, precision/recall, classifier score, feature maps.

Each statistical test states its tolerance: exact identities to rounding
(relative 1e-10 in float64), the independent SciPy computation to 1e-6
relative (its `sqrtm` works on a non-symmetric product), and unbiasedness
to 4 standard errors of the mean over independent draws (a two-sided
chance of 6e-5 of failing for a correct estimator, with a fixed seed).
"""

import math
import os

import keras
import numpy as np
import pytest
import scipy.linalg

from kgen import metrics
from kgen.callbacks import SampleQuality
from kgen.metrics import kernel


def _rng(seed=0):
    return np.random.default_rng(seed)


# Frechet distance


def test_frechet_distance_of_gaussians_equals_closed_form():
    # For commuting covariances Q diag(a) Q^T and Q diag(b) Q^T (non-diagonal
    # here), tr((S_x S_y)^(1/2)) = sum sqrt(a b), so
    # FD = |mu_x - mu_y|^2 + sum (sqrt(a) - sqrt(b))^2.
    rng = _rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    a, b = rng.uniform(0.5, 3.0, 5), rng.uniform(0.5, 3.0, 5)
    mean_x, mean_y = rng.standard_normal(5), rng.standard_normal(5)
    expected = np.sum((mean_x - mean_y) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    actual = metrics.frechet_distance_from_moments(mean_x, q @ np.diag(a) @ q.T,
                                                   mean_y, q @ np.diag(b) @ q.T)
    np.testing.assert_allclose(actual, expected, rtol=1e-10)


def test_frechet_distance_matches_scipy_sqrtm():
    # An independent computation: np.cov and scipy.linalg.sqrtm of S_x S_y.
    rng = _rng(2)
    x = rng.standard_normal((60, 16))
    y = rng.standard_normal((80, 16)) @ rng.standard_normal((16, 16)) * 0.3 + 0.5
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    expected = (np.sum((x.mean(0) - y.mean(0)) ** 2) + np.trace(cov_x) + np.trace(cov_y)
                - 2.0 * np.trace(scipy.linalg.sqrtm(cov_x @ cov_y)).real)
    np.testing.assert_allclose(metrics.frechet_distance(x, y), expected, rtol=1e-6)


def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = _rng(3).standard_normal((50, 10)) * 4.0 + 2.0
    # Rounding of the eigendecompositions: a few ulps of tr(S) (about 160 here).
    assert abs(metrics.frechet_distance(x, x)) < 1e-9 * np.trace(np.cov(x, rowvar=False))


def test_frechet_streaming_over_uneven_batches_equals_one_shot():
    rng = _rng(4)
    x, y = rng.standard_normal((103, 6)) + 3.0, rng.standard_normal((71, 6))
    metric = metrics.FrechetDistance()
    for (x0, x1), (y0, y1) in zip([(0, 1), (1, 40), (40, 103)], [(0, 30), (30, 32), (32, 71)]):
        metric.update_state(x[x0:x1], y[y0:y1])
    np.testing.assert_allclose(metric.result(), metrics.frechet_distance(x, y), rtol=1e-10)
    metric.reset_state()
    metric.update_state(x, x)
    assert abs(metric.result()) < 1e-9


def test_frechet_metric_with_keras_features_reloads_from_config():
    rng = _rng(5)
    features = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(3, activation="tanh")])
    x, y = rng.uniform(size=(20, 4, 4, 1)), rng.uniform(size=(30, 4, 4, 1)) ** 2
    metric = metrics.FrechetDistance(features=features, batch_size=7)
    metric.update_state(x, y)
    expected = metrics.frechet_distance(features(x), features(y))
    np.testing.assert_allclose(metric.result(), expected, rtol=1e-6)  # float32 features
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(restored, metrics.FrechetDistance) and restored.batch_size == 7
    restored.features.set_weights(features.get_weights())  # a config holds no weights
    restored.update_state(x, y)
    np.testing.assert_allclose(restored.result(), metric.result(), rtol=1e-12)


# Kernel distance


def _kernel_expectation(mean_a, std_a, mean_b, std_b):
    """E (a . b / d + 1)^3 for independent a ~ N(mean_a, std_a^2 I), b ~ N(mean_b, std_b^2 I).

    a . b = sum_i u_i with u_i = a_i b_i independent, E u_i^j = E a_i^j E b_i^j
    (Gaussian raw moments 1, m, m^2 + s^2, m^3 + 3 m s^2); the moments of the
    sum follow by the binomial theorem, then E (S / d + 1)^3 = sum_j C(3, j) E S^j / d^j.
    """
    def raw(m, s):
        return [1.0, m, m * m + s * s, m ** 3 + 3 * m * s * s]

    d = len(mean_a)
    sum_moments = [1.0, 0.0, 0.0, 0.0]
    for i in range(d):
        u = [p * q for p, q in zip(raw(mean_a[i], std_a), raw(mean_b[i], std_b))]
        sum_moments = [sum(math.comb(j, l) * sum_moments[l] * u[j - l] for l in range(j + 1))
                       for j in range(4)]
    return sum(math.comb(3, j) * sum_moments[j] / d ** j for j in range(4))


def _kid_draws(mean_x, std_x, mean_y, std_y, draws=400, n=30, seed=6):
    """Unbiased (U) and biased (V-statistic) MMD^2 estimates of `draws` independent pairs of sets."""
    rng = _rng(seed)
    unbiased, biased = [], []
    for _ in range(draws):
        x = mean_x + std_x * rng.standard_normal((n, len(mean_x)))
        y = mean_y + std_y * rng.standard_normal((n, len(mean_y)))
        unbiased.append(metrics.kernel_distance(x, y, num_subsets=1, subset_size=n).mean)
        k = kernel.polynomial_kernel
        biased.append(k(x, x).mean() + k(y, y).mean() - 2.0 * k(x, y).mean())
    return np.array(unbiased), np.array(biased)


def test_kernel_distance_is_unbiased_for_the_population_mmd():
    mean_x, std_x, mean_y, std_y = np.array([0.0, 0.0]), 1.0, np.array([0.5, 0.0]), 1.2
    population = (_kernel_expectation(mean_x, std_x, mean_x, std_x)
                  + _kernel_expectation(mean_y, std_y, mean_y, std_y)
                  - 2.0 * _kernel_expectation(mean_x, std_x, mean_y, std_y))  # 1.724
    unbiased, biased = _kid_draws(mean_x, std_x, mean_y, std_y)
    standard_error = unbiased.std(ddof=1) / np.sqrt(len(unbiased))
    assert abs(unbiased.mean() - population) < 4 * standard_error
    # The test has power: the V-statistic (diagonals kept) misses by > 10 SE.
    assert abs(biased.mean() - population) > 10 * standard_error


def test_kernel_distance_of_one_distribution_has_mean_zero():
    mean, std = np.array([1.0, -1.0]), 0.7
    unbiased, _ = _kid_draws(mean, std, mean, std, seed=7)
    assert abs(unbiased.mean()) < 4 * unbiased.std(ddof=1) / np.sqrt(len(unbiased))


def test_kernel_distance_metric_equals_function_and_reports_subset_spread():
    rng = _rng(8)
    x, y = rng.standard_normal((60, 3)), rng.standard_normal((50, 3)) + 0.5
    metric = metrics.KernelDistance(num_subsets=20, subset_size=25, seed=3, name="kid")
    metric.update_state(x[:13], y[:40])
    metric.update_state(x[13:], y[40:])
    mean, std = metrics.kernel_distance(x, y, num_subsets=20, subset_size=25, seed=3)
    assert metric.result() == {"kid": mean, "kid_std": std}
    assert std > 0
    config = metric.get_config()
    assert metrics.KernelDistance.from_config(config).get_config() == config


def test_stored_metrics_refuse_more_than_max_samples():
    metric = metrics.KernelDistance(max_samples=10)
    metric.update_state(np.zeros((6, 2)), np.zeros((6, 2)))
    with pytest.raises(ValueError, match=r"`real samples` must be at most max_samples=10 in all"):
        metric.update_state(np.zeros((5, 2)), np.zeros((5, 2)))


# Precision and recall


def _modes(centres, per_mode, seed):
    rng = _rng(seed)
    return np.concatenate([c + rng.standard_normal((per_mode, len(c))) for c in centres])


def test_precision_recall_of_identical_sets_is_one():
    x = _rng(9).standard_normal((100, 4))
    assert metrics.precision_recall(x, x) == (1.0, 1.0)


def test_precision_recall_of_far_apart_sets_is_zero():
    x = _rng(10).standard_normal((100, 4))
    assert metrics.precision_recall(x, x + 100.0) == (0.0, 0.0)


def test_recall_of_a_set_covering_half_the_modes_is_about_one_half():
    # Four unit Gaussians 20 apart in 4-D; the samples come from two of them.
    # Real points of the two missing modes are 15+ away from every generated
    # ball, so recall <= 1/2 exactly; within the covered modes two samples of
    # one distribution cover nearly all points (k = 3), so recall >= 0.45.
    centres = 20.0 * np.eye(4)
    real = _modes(centres, 200, seed=11)
    generated = _modes(centres[:2], 200, seed=12)
    precision, recall = metrics.precision_recall(real, generated, k=3)
    assert 0.45 <= recall <= 0.5
    assert precision >= 0.9


def test_precision_recall_metric_equals_function():
    rng = _rng(13)
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((30, 3)) * 1.5
    metric = metrics.PrecisionRecall(k=2, batch_size=8)
    metric.update_state(x[:25], y[:5])
    metric.update_state(x[25:], y[5:])
    assert metric.result() == metrics.precision_recall(x, y, k=2)._asdict()


def test_precision_recall_refuses_k_as_large_as_a_set():
    with pytest.raises(ValueError, match=r"`k` must be smaller than the number of examples"):
        metrics.precision_recall(np.zeros((3, 2)), np.ones((5, 2)), k=3)


# Classifier score


def test_classifier_score_of_a_uniform_classifier_is_one():
    assert metrics.classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1.0, rel=1e-12)


def test_classifier_score_of_a_perfect_classifier_on_balanced_classes_is_their_number():
    probabilities = np.eye(10)[np.repeat(np.arange(10), 7)]
    assert metrics.classifier_score(probabilities) == pytest.approx(10.0, rel=1e-12)


def test_classifier_score_metric_streams_with_a_keras_classifier():
    rng = _rng(14)
    classifier = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="softmax")])
    x = rng.standard_normal((37, 5))
    metric = metrics.ClassifierScore(classifier=classifier, batch_size=10)
    metric.update_state(None, x[:11])
    metric.update_state(None, x[11:])
    np.testing.assert_allclose(metric.result(), metrics.classifier_score(classifier(x)), rtol=1e-6)
    assert isinstance(metrics.ClassifierScore.from_config(metric.get_config()).features,
                      keras.Model)


def test_classifier_score_refuses_rows_that_are_not_probabilities():
    with pytest.raises(ValueError, match=r"`probabilities` must be an array \[n, C\] of rows"):
        metrics.classifier_score(np.ones((3, 4)))


def test_metrics_refuse_features_that_are_not_callable():
    with pytest.raises(ValueError, match=r"`features` must be None, a Keras model or a callable"):
        metrics.FrechetDistance(features="inception")


# Feature maps


def test_digit_classifier_trains_saves_and_gives_features(tmp_path):
    rng = _rng(15)
    x, y = rng.uniform(size=(64, 8, 8)), np.arange(64) % 3
    path = tmp_path / "digits.keras"
    classifier = metrics.train_feature_extractor(x, y, epochs=1, batch_size=32, path=path)
    assert classifier.output.shape[-1] == 3
    reloaded = keras.saving.load_model(path)
    features = metrics.feature_extractor(reloaded)
    np.testing.assert_allclose(features(x[:4, ..., None]),
                               metrics.feature_extractor(classifier)(x[:4, ..., None]), atol=1e-6)
    assert features.output.shape[-1] == 128
    assert metrics.digit_classifier((28, 28, 1)).output.shape[-1] == 10


def test_inception_preprocessing_resizes_repeats_and_scales():
    images = np.stack([np.zeros((8, 8)), np.ones((8, 8))])
    processed = keras.ops.convert_to_numpy(metrics.inception_preprocess(images))
    assert processed.shape == (2, 299, 299, 3)
    np.testing.assert_allclose(processed[0], -1.0)
    np.testing.assert_allclose(processed[1], 1.0)
    tanh = keras.ops.convert_to_numpy(metrics.inception_preprocess(images * 2 - 1, (-1, 1)))
    np.testing.assert_allclose(tanh, processed, atol=1e-6)


def test_inception_features_pipeline_with_random_weights():
    # weights=None: a randomly initialised network (built in about 1.5 s on
    # 2 cores); the pipeline, not the numbers, is under test.
    features = metrics.InceptionV3Features(None)
    output = keras.ops.convert_to_numpy(features(_rng(16).uniform(size=(2, 8, 8, 1))))
    assert output.shape == (2, 2048) and np.all(np.isfinite(output))


def test_inception_features_name_the_missing_weights_file(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match="inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        metrics.InceptionV3Features(tmp_path / "missing.h5")


# The callback


class NoiseSampler(keras.Model):
    """A fittable model whose `sample` maps seeded noise through its one layer."""

    sample_value_range = (0.0, 1.0)

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(x)

    def sample(self, num_samples, seed=None):
        return self.dense(keras.random.normal((num_samples, 3), seed=seed))


def test_sample_quality_logs_scores_every_n_epochs(tmp_path):
    rng = _rng(17)
    x = rng.standard_normal((32, 3)).astype("float32")
    model = NoiseSampler()
    model.compile(optimizer="sgd", loss="mse")
    quality = SampleQuality(x, [metrics.FrechetDistance(), metrics.PrecisionRecall()],
                            num_samples=40, every=3, tensorboard_dir=tmp_path / "tb")
    history = model.fit(x, x, epochs=4, batch_size=16, verbose=0, callbacks=[quality])
    fid = np.array(history.history["frechet_distance"])
    # Scored: the first epoch, every 3rd, and the last; NaN in between.
    assert np.isnan(fid[1]) and np.all(np.isfinite(fid[[0, 2, 3]]))
    assert len(history.history["precision"]) == len(history.history["recall"]) == 4
    assert os.listdir(tmp_path / "tb")


def test_digit_feature_extractor_reaches_98_percent_on_real_mnist(mnist_npz_path):
    # The bar for the feature map: >= 98% on the 2,000 test digits
    # after training on the 6,000 training digits of the shared subset, with
    # the defaults (15 epochs, batch 64, seed 0; 98.65% and about 30 s on 2
    # CPU cores, benchmarks/RESULTS.md). Skipped where ../shared is absent.
    from kgen import datasets

    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(mnist_npz_path)
    classifier = metrics.train_feature_extractor(x_train, y_train, seed=0)
    predicted = np.asarray(classifier.predict(x_test, batch_size=500, verbose=0)).argmax(axis=1)
    assert np.mean(predicted == y_test) >= 0.98
