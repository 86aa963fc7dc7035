"""Tests for kgen.evaluation: held-out metrics against independent computations on tiny models."""

import itertools

import numpy as np
import pytest

from kgen import datasets
from kgen import evaluation
from kgen import registry


@pytest.fixture(scope="module")
def digits():
    """200 held-out digits in [0, 1], shape (200, 8, 8, 1), and their labels."""
    _, (x, y) = datasets.load_digits(test_fraction=0.2, seed=0)
    return x[:200], y[:200]


def _tiny(name, shape=(8, 8, 1)):
    return registry.get(name).tiny(shape, seed=0)


def _log_sigmoid(logits):
    """log(1 / (1 + exp(-l))), stable for large |l|."""
    return -np.logaddexp(0.0, -logits)


def test_elbo_nats_is_the_mean_of_elbo_over_batches(digits):
    model = _tiny("vae")
    x = datasets.binarize(digits[0])
    state = model.seed_generator.state.numpy()  # the ELBO draws z from the model's generator
    metrics = evaluation.held_out_metrics(model, x, batch_size=64, num_importance_samples=2)
    model.seed_generator.state.assign(state)
    by_hand = np.concatenate([np.asarray(model.elbo(x[i : i + 64])) for i in range(0, len(x), 64)])
    np.testing.assert_allclose(metrics["elbo_nats"], by_hand.mean(), rtol=1e-6)
    assert metrics["log_likelihood_num_samples"] == 2
    assert set(metrics) == {"elbo_nats", "log_likelihood_nats", "log_likelihood_num_samples"}


def test_verbose_announces_each_stage_and_shows_the_importance_sampling_progress(digits, capsys):
    model = _tiny("vae")  # DRAW's log_likelihood is the same ELBOModel method
    x = datasets.binarize(digits[0][:40])
    metrics = evaluation.held_out_metrics(model, x, num_importance_samples=3, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith(
        "held-out evaluation: elbo_nats of 40 examples\n"
        "held-out evaluation: log_likelihood_nats (importance-weighted, K=3 samples each) of 40 examples\n"
    )
    assert "40/40" in out  # Keras' progress bar over the examples
    assert metrics["log_likelihood_num_samples"] == 3


def test_iwae_with_one_sample_has_the_expectation_of_the_elbo(digits):
    model = _tiny("vae")
    x = np.tile(datasets.binarize(digits[0]), (5, 1, 1, 1))  # 1,000 examples
    metrics = evaluation.held_out_metrics(model, x, batch_size=250, num_importance_samples=1)
    # Both are means of n independent one-sample ELBO estimates: their
    # difference has standard error sqrt(2 var / n); 4 of them is a 6e-5 chance.
    spread = np.std(np.asarray(model.elbo(x)))
    tolerance = 4 * spread * np.sqrt(2 / len(x))
    assert abs(metrics["log_likelihood_nats"] - metrics["elbo_nats"]) < tolerance


def test_gan_value_is_minus_the_discriminator_loss(digits):
    model = _tiny("gan")
    x = 2.0 * digits[0] - 1.0
    metrics = evaluation.held_out_metrics(model, x, seed=3)
    real = np.asarray(model.discriminator(x, training=False)).reshape(-1)
    fake_images = model.generate(len(x), seed=3)
    fake = np.asarray(model.discriminator(fake_images, training=False)).reshape(-1)
    # V(D, G) = mean log D(x) + mean log(1 - D(G(z))), D = sigmoid(logit).
    by_hand = _log_sigmoid(real).mean() + _log_sigmoid(-fake).mean()
    assert set(metrics) == {"value_nats"}
    np.testing.assert_allclose(metrics["value_nats"], by_hand, rtol=1e-5)
    assert evaluation.units(model).startswith("nats (")


def test_wgan_value_is_the_critics_mean_difference(digits):
    model = _tiny("wgan")
    x = 2.0 * digits[0] - 1.0
    metrics = evaluation.held_out_metrics(model, x, seed=5)
    real = np.asarray(model.discriminator(x, training=False))
    fake = np.asarray(model.discriminator(model.generate(len(x), seed=5), training=False))
    assert set(metrics) == {"wasserstein"}
    np.testing.assert_allclose(metrics["wasserstein"], real.mean() - fake.mean(), rtol=1e-5, atol=1e-6)
    assert evaluation.units(model).startswith("critic units")


def test_cgan_value_takes_the_labels(digits):
    model = _tiny("cgan")
    x, y = 2.0 * digits[0] - 1.0, digits[1]
    metrics = evaluation.held_out_metrics(model, x, y, seed=1)
    np.testing.assert_allclose(metrics["value_nats"], float(np.asarray(model.value(x, y, seed=1))), rtol=1e-6)


def test_rbm_log_likelihood_against_an_exact_sum_over_hidden_states(digits):
    model = _tiny("rbm")
    v = datasets.binarize(digits[0]).reshape(len(digits[0]), -1).astype(np.float64)
    w, b, c = (np.asarray(p, np.float64) for p in (model.w, model.b_vis, model.b_hid))
    # F(v) = -b.v - sum_j softplus(c_j + (vW)_j); log Z = logsumexp_h [c.h + sum_i softplus(b_i + (Wh)_i)].
    free_energy = -v @ b - np.logaddexp(0.0, c + v @ w).sum(axis=1)
    hidden = np.array(list(itertools.product([0.0, 1.0], repeat=w.shape[1])))
    log_z = np.logaddexp.reduce(hidden @ c + np.logaddexp(0.0, b + hidden @ w.T).sum(axis=1))
    metrics = evaluation.held_out_metrics(model, v.astype(np.float32))
    assert set(metrics) == {"log_likelihood_nats"}
    np.testing.assert_allclose(metrics["log_likelihood_nats"], np.mean(-free_energy - log_z), rtol=1e-5)
    assert evaluation.units(model) == "nats per example"


def test_flow_bits_per_dim_of_points_is_minus_log_prob_over_2_log_2():
    model = _tiny("flow", shape=(2,))
    x, _ = datasets.toy_2d("ring", n=300, seed=0)
    metrics = evaluation.held_out_metrics(model, x, batch_size=128)
    by_hand = np.concatenate([np.asarray(model.log_prob(x[i : i + 128])) for i in range(0, 300, 128)])
    np.testing.assert_allclose(metrics["log_prob_nats"], by_hand.mean(), rtol=1e-5)
    np.testing.assert_allclose(metrics["bits_per_dim"], -by_hand.mean() / (2 * np.log(2)), rtol=1e-5)
    assert evaluation.units(model).startswith("log_prob: nats per example")


class _PointSampler:
    """A `Sampler` that returns fixed points (cycled), ignoring the seed."""

    sample_value_range = (0.0, 1.0)

    def __init__(self, points):
        self.points = np.asarray(points, np.float32)

    def sample(self, num_samples, seed=None):
        return np.resize(self.points, (num_samples, self.points.shape[1]))


def test_mode_coverage_metrics_counts_covered_modes():
    centers, std = datasets.toy_2d_centers("ring"), datasets.TOY_2D_STD["ring"]
    data, _ = datasets.toy_2d("ring", n=2500, seed=0)
    metrics = evaluation.mode_coverage_metrics(_PointSampler(data), centers, std, num_samples=2500)
    assert metrics["modes_covered"] == metrics["num_modes"] == 8
    assert metrics["high_quality_fraction"] > 0.98 and metrics["coverage_num_samples"] == 2500
    collapsed = evaluation.mode_coverage_metrics(_PointSampler(centers[:1]), centers, std, num_samples=400)
    assert collapsed["modes_covered"] == 1 and collapsed["high_quality_fraction"] == 1.0


def test_a_model_with_no_scored_protocol_gets_no_metrics():
    assert evaluation.held_out_metrics(_PointSampler([[0.0, 0.0]]), np.zeros((4, 2), np.float32)) == {}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, r"`batch_size` must be an int >= 1. Received: batch_size=0"),
        ({"num_importance_samples": 1.5}, r"`num_importance_samples` must be an int >= 1"),
        ({"seed": "0"}, r"`seed` must be None or an int. Received: seed='0'"),
        ({"verbose": 3}, r"^`verbose` must be one of \(0, 1, 2\)\. Received: verbose=3$"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluation.held_out_metrics(_PointSampler([[0.0, 0.0]]), np.zeros((4, 2), np.float32), **kwargs)


# --- sample quality ---------------------------------------------------------


class _StubSampler:
    """A `Sampler` that returns fixed images (in `value_range`), whatever the seed."""

    def __init__(self, images, value_range=(0.0, 1.0)):
        self.images = np.asarray(images, dtype=np.float32)
        self.sample_value_range = value_range

    def sample(self, num_samples, seed=None):
        return self.images[np.arange(num_samples) % len(self.images)]


@pytest.fixture(scope="module")
def digit_classifier():
    """A digit classifier trained on the digits outside the held-out 200 (~1 s)."""
    from kgen import metrics

    (x, y), _ = datasets.load_digits(test_fraction=0.2, seed=0)
    return metrics.train_feature_extractor(x, y, epochs=3, seed=0)


def test_sample_quality_of_the_real_images_themselves(digits, digit_classifier):
    x, y = digits
    # Samples in a tanh generator's range are mapped back onto [0, 1].
    model = _StubSampler(2.0 * x - 1.0, value_range=(-1.0, 1.0))
    quality = evaluation.sample_quality_metrics(model, x, digit_classifier, y_real=y,
                                                num_samples=len(x), seed=0)
    # The same features on both sides: FID is 0 up to float32 round-off of
    # the covariances' square root (feature variances are O(1)).
    assert abs(quality["frechet_distance"]) < 1e-2
    assert quality["precision"] == quality["recall"] == 1.0  # every point lies in its own ball
    # Identical sets: the unbiased MMD^2 is not 0 but -2 (mean k(x_i, x_i) -
    # mean k(x_i, x_j)) / (n - 1), O(1 / n), small against a repeated image's.
    assert abs(quality["kernel_distance"]) < 0.01
    assert sum(quality["predicted_classes"]) == len(x) and quality["num_classes"] == 10
    assert quality["classes_covered"] == 10 and quality["class_entropy"] > 0.95
    assert quality["classifier_accuracy"] > 0.8
    assert 1.0 <= quality["classifier_score"] <= 10.0
    assert quality["num_samples"] == quality["num_real"] == len(x)
    assert isinstance(quality["units"], str)


def test_sample_quality_of_one_repeated_image_covers_one_class(digits, digit_classifier):
    x, _ = digits
    quality = evaluation.sample_quality_metrics(_StubSampler(x[:1]), x, digit_classifier,
                                                num_samples=100, seed=0)
    assert quality["classes_covered"] == 1 and quality["class_entropy"] == 0.0
    assert max(quality["predicted_classes"]) == 100
    assert quality["recall"] < 0.2  # one point's ball holds few real digits
    assert quality["frechet_distance"] > 1.0 and quality["kernel_distance"] > 0.1
    assert "classifier_accuracy" not in quality


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_samples": 3}, "`num_samples` must be"),
        ({"min_class_fraction": 0.0}, "`min_class_fraction` must be a number in"),
        ({"x_real": np.zeros((5, 8, 8))}, "`x_real` must be images"),
    ],
)
def test_sample_quality_bad_arguments(digits, digit_classifier, kwargs, match):
    x, _ = digits
    arguments = {"x_real": x, "num_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        evaluation.sample_quality_metrics(_StubSampler(x), classifier=digit_classifier, **arguments)
