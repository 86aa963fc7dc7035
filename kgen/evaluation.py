"""Held-out evaluation of a trained model: the numbers `kgen train` writes in metrics.json.

What a model is scored by depends on what it offers, asked through the
protocols of `kgen.models._protocols`:

- `AdversarialModel` (gan, dcgan, cgan): `value_nats`, the game's value
  `V(D, G) = E log D(x) + E log(1 - D(G(z)))` on `x` and as many samples,
  in nats (`-log 4 = -1.386` at the equilibrium); wgan: `wasserstein`, the
  critic's `mean D(x) - mean D(G(z))`, in critic units.
- `DensityModel` (flow): `log_prob_nats` (nats per example) and
  `bits_per_dim` (`-log2 p(x) / D`).
- `LowerBoundModel` (vae, draw): `elbo_nats` and `log_likelihood_nats`, the
  importance-weighted bound with `K = log_likelihood_num_samples` (nats per
  example).
- `LikelihoodModel` (rbm): `log_likelihood_nats`, exact or with an AIS
  estimate of log Z (nats per example).
- `Translator` (cyclegan, discogan): `cycle_error_a` and `cycle_error_b`,
  the mean absolute error of a round trip, `mean|F(G(a)) - a|` and
  `mean|G(F(b)) - b|`, in the model's pixel units ([-1, 1] images: 2 is
  the whole range). `x` is then the pair `(a, b)`.

Every number is a mean over the held-out examples; GANs have no likelihood.

`mode_coverage_metrics` scores a sampler on a 2-D Gaussian mixture
(`kgen.datasets.toy_2d`) by the modes its samples cover (`kgen.diagnostics`);
`sample_quality_metrics` scores a sampler of images against real ones
through a classifier's features (`kgen.metrics`: FID, KID,
precision/recall, the classifier score) and counts the classes it predicts
for the samples (mode coverage on images). `translation_quality_metrics`
scores a translator: whether a translated digit keeps its class (a
classifier of the target domain reads it) and the FID of the translations
against real images of the target domain.

Example:

```python
from kgen import datasets, evaluation

(x, _), (x_val, _) = datasets.load_digits(test_fraction=0.1, seed=0)
model.fit(x, epochs=30)                       # a kgen VAE
evaluation.held_out_metrics(model, x_val)     # {'elbo_nats': ..., 'log_likelihood_nats': ..., ...}
```
"""

import math

import numpy as np

from kgen import _validation
from kgen.models import _protocols


def units(model):
    """What the numbers of `held_out_metrics` (and the training metrics) of `model` measure, in words."""
    if isinstance(model, _protocols.DensityModel):
        return "log_prob: nats per example; bits_per_dim: bits per pixel (or coordinate)"
    if isinstance(model, (_protocols.LowerBoundModel, _protocols.LikelihoodModel)):
        return "nats per example"
    if isinstance(model, _protocols.AdversarialModel) and (
        model.value_name == "wasserstein"
    ):
        return "critic units (d_loss, g_loss, wasserstein: the critic's outputs)"
    if isinstance(model, _protocols.Translator):
        return ("pixel units of images in [-1, 1] (cycle_*, cycle_error_*: mean absolute or "
                "squared error); adversarial and d_* losses: squared scores (lsgan) or nats")
    return "nats (d_loss, g_loss, value: batch means of log-losses)"


def held_out_metrics(model, x, y=None, batch_size=64, seed=0, num_importance_samples=100, verbose=0):
    """Scores `model` on held-out examples `x` (and labels `y` for a conditional GAN).

    Args:
        model: a trained kgen model (or any model implementing the protocols).
        x: array `(n, *example_shape)`, prepared as for training (binarised,
            or scaled to `[-1, 1]` for a tanh generator).
        y: int array `(n,)`, the labels of a conditional model, or None.
        batch_size: int >= 1, examples per call of `elbo`, `log_prob` and
            `bits_per_dim`.
        seed: int, the seed of a GAN's samples and of a flow's
            dequantisation noise (the same seed gives the same numbers).
        num_importance_samples: int >= 1, `K` of the importance-weighted
            bound of a `LowerBoundModel` (`K = 1` is the ELBO in expectation).
            Its cost grows linearly with `K`: about `K` ELBO passes over `x`.
        verbose: 0 (silent), 1 or 2: print a line as each number is
            started (with its number of examples and samples), and with 1
            a Keras progress bar over the examples of the importance-
            weighted bound, the slow one (passed to `log_likelihood` as
            `verbose`).

    Returns:
        A dict of floats (see the module docstring for the keys and units),
        empty if `model` implements none of the protocols scored here.

    Raises:
        ValueError: "`batch_size` must be an int >= 1. Received: ..." (and
            alike for `num_importance_samples` and `seed`).
    """
    batch_size = _validation.positive_int("batch_size", batch_size)
    num_importance_samples = _validation.positive_int(
        "num_importance_samples", num_importance_samples
    )
    seed = _validation.seed(seed)
    verbose = _validation.choice("verbose", verbose, (0, 1, 2))

    # A translator's x is the pair (a, b): count the images of A.
    num_examples = len(x[0]) if isinstance(model, _protocols.Translator) else len(x)

    def stage(what):
        if verbose:
            print(f"held-out evaluation: {what} of {num_examples} examples", flush=True)

    metrics = {}
    if isinstance(model, _protocols.Translator):
        a, b = x
        stage("cycle_error_a and cycle_error_b")
        for name, images, direction in (("cycle_error_a", a, "a_to_b"), ("cycle_error_b", b, "b_to_a")):
            metrics[name] = _batched_mean(
                lambda batch, d=direction: np.abs(np.asarray(model.cycle(batch, d)) - batch).reshape(
                    len(batch), -1).mean(axis=1),
                np.asarray(images, dtype=np.float32), batch_size)
    if isinstance(model, _protocols.AdversarialModel):
        stage(f"{model.value_name}")
        labels = () if y is None else (y,)
        value = model.value(x, *labels, seed=seed)
        metrics[model.value_name] = float(np.asarray(value))
    if isinstance(model, _protocols.DensityModel):
        # A flow's exact density (of the dequantised data, for discrete pixels).
        stage("log_prob_nats and bits_per_dim")
        metrics["log_prob_nats"] = _batched_mean(lambda b: model.log_prob(b, seed=seed), x, batch_size)
        metrics["bits_per_dim"] = _batched_mean(
            lambda b: model.bits_per_dim(b, seed=seed), x, batch_size
        )
    if isinstance(model, _protocols.LowerBoundModel):
        stage("elbo_nats")
        metrics["elbo_nats"] = _batched_mean(model.elbo, x, batch_size)
        stage(f"log_likelihood_nats (importance-weighted, K={num_importance_samples} samples each)")
        # `verbose` only when asked: a user's LowerBoundModel may not take it.
        progress = {"verbose": verbose} if verbose else {}
        log_likelihood = model.log_likelihood(x, num_samples=num_importance_samples, **progress)
        metrics["log_likelihood_num_samples"] = num_importance_samples
        metrics["log_likelihood_nats"] = float(np.mean(np.asarray(log_likelihood)))
    elif isinstance(model, _protocols.LikelihoodModel):
        stage("log_likelihood_nats")
        metrics["log_likelihood_nats"] = float(np.mean(np.asarray(model.log_likelihood(x))))
    return metrics


def _batched_mean(per_example, x, batch_size):
    """The mean of `per_example(x[i : i + batch_size])` over all examples of `x`."""
    values = [np.asarray(per_example(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return float(np.mean(np.concatenate(values)))


def mode_coverage_metrics(model, centers, std, num_samples=2500, seed=0):
    """Modes of a 2-D Gaussian mixture covered by `num_samples` samples of `model`.

    The rules of `kgen.diagnostics.mode_coverage`: a sample is of high
    quality within 3 standard deviations of its nearest centre; a mode is
    covered by at least a fifth of the `num_samples / K` high-quality
    samples a perfect sampler would put there (PacGAN).

    Args:
        model: a `Sampler` of points `(d,)`.
        centers: array `(K, d)`, the mixture's centres
            (`kgen.datasets.toy_2d_centers(name)`).
        std: positive float, the per-coordinate standard deviation of each
            mode (`kgen.datasets.TOY_2D_STD[name]`).
        num_samples: int >= 1, the samples drawn (2,500 as in VEEGAN and PacGAN).
        seed: int, the sampling seed.

    Returns:
        A dict: `modes_covered` (int), `num_modes` (K), `high_quality_fraction`
        (in [0, 1]), `coverage_num_samples` and `coverage_rule` (in words).
    """
    from kgen import diagnostics

    num_samples = _validation.positive_int("num_samples", num_samples)
    samples = np.asarray(model.sample(num_samples, seed=_validation.seed(seed)), dtype=np.float32)
    coverage = diagnostics.mode_coverage(samples, centers, std)
    return {
        "modes_covered": coverage.modes_covered,
        "num_modes": int(len(centers)),
        "high_quality_fraction": coverage.high_quality_fraction,
        "coverage_num_samples": num_samples,
        "coverage_rule": (
            "high quality: within 3 std of the nearest centre; covered: at least "
            f"{coverage.min_count:g} high-quality samples (a fifth of n / K, PacGAN)"
        ),
    }


_KID_SUBSETS = 10  # few small subsets: cheap, and KID is unbiased at any size
_KID_SUBSET_SIZE = 500


def sample_quality_metrics(model, x_real, classifier, y_real=None, num_samples=1000, seed=0,
                           min_class_fraction=0.2, batch_size=500):
    """Scores `num_samples` images of `model` against real images through `classifier`.

    The samples are mapped from `model.sample_value_range` onto [0, 1],
    the range of `x_real`. FID, KID, precision/recall use the classifier's
    `"features"` layer, the classifier score and the class histogram its
    softmax (`kgen.metrics`). The histogram is mode coverage on images: the
    samples' predicted classes (argmax), the classes that receive at least
    `min_class_fraction` of the `num_samples / C` samples a uniform sampler
    would give each (as `mode_coverage_metrics` counts modes), and the
    normalised entropy `-sum p_c log p_c / log C` (1: all classes equally
    often; 0: one class). Numbers from different classifiers are not
    comparable.

    Args:
        model: a `Sampler` of images `(H, W, C)`, the shape of `x_real`'s.
        x_real: array `(n, H, W, C)` of held-out real images in [0, 1], n >= 2.
        classifier: a trained `kgen.metrics.digit_classifier`
            (`kgen.metrics.train_feature_extractor`).
        y_real: optional int labels `(n,)` of `x_real`: adds the
            classifier's accuracy on them (how far to trust the numbers).
        num_samples: int >= 4, samples drawn with `model.sample(num_samples, seed=seed)`.
        seed: int, the seed of the samples and of KID's subsets.
        min_class_fraction: float in (0, 1], see above (a fifth, as PacGAN's rule).
        batch_size: int >= 1, images per call of the classifier.

    Returns:
        A dict: `frechet_distance`, `kernel_distance`, `kernel_distance_std`
        (squared feature units), `precision`, `recall` (in [0, 1]),
        `classifier_score` (in [1, C]), `predicted_classes` (C counts),
        `classes_covered`, `num_classes`, `class_entropy` (in [0, 1]),
        `classifier_accuracy` (with `y_real`), `num_samples`, `num_real`,
        and `units`, a description in words.

    Raises:
        ValueError: "`num_samples` must be an int >= 4. Received: ..." (and
            alike for `x_real`, the samples' shape and `min_class_fraction`).
    """
    import keras

    from kgen import metrics
    from kgen.metrics import feature_extractors

    num_samples = _validation.integer("num_samples", num_samples, minimum=4)
    seed = _validation.seed(seed)
    batch_size = _validation.positive_int("batch_size", batch_size)
    if not 0.0 < min_class_fraction <= 1.0:
        _validation.fail("min_class_fraction", "a number in (0, 1]", min_class_fraction)
    x_real = np.asarray(x_real, dtype=np.float32)
    if x_real.ndim != 4 or len(x_real) < 2:
        _validation.fail("x_real", "images (n, H, W, C) with n >= 2", x_real.shape)
    samples = np.asarray(keras.ops.convert_to_numpy(model.sample(num_samples, seed=seed)),
                         dtype=np.float32)
    if samples.shape[1:] != x_real.shape[1:]:
        _validation.fail("model", f"a sampler of images of shape {x_real.shape[1:]}",
                         samples.shape[1:])
    low, high = model.sample_value_range
    if np.isfinite(low) and np.isfinite(high):
        samples = (samples - low) / (high - low)
    # One pass of the classifier gives both its features and its softmax.
    both = keras.Model(classifier.input, [
        classifier.get_layer(feature_extractors.FEATURES_LAYER).output, classifier.output])
    real_features, real_probabilities = both.predict(x_real, batch_size=batch_size, verbose=0)
    features, probabilities = both.predict(samples, batch_size=batch_size, verbose=0)
    kid = metrics.kernel_distance(real_features, features, num_subsets=_KID_SUBSETS,
                                  subset_size=_KID_SUBSET_SIZE, seed=seed)
    precision, recall = metrics.precision_recall(real_features, features)
    num_classes = probabilities.shape[1]
    counts = np.bincount(probabilities.argmax(axis=1), minlength=num_classes)
    share = counts / num_samples
    min_count = min_class_fraction * num_samples / num_classes
    quality = {
        "frechet_distance": float(metrics.frechet_distance(real_features, features)),
        "kernel_distance": kid.mean,
        "kernel_distance_std": kid.std,
        "precision": float(precision),
        "recall": float(recall),
        "classifier_score": float(metrics.classifier_score(probabilities)),
        "predicted_classes": [int(c) for c in counts],
        "classes_covered": int(np.sum(counts >= min_count)),
        "num_classes": int(num_classes),
        "class_entropy": float(-np.sum(share[share > 0] * np.log(share[share > 0]))
                               / math.log(num_classes)),
    }
    if y_real is not None:
        quality["classifier_accuracy"] = float(
            np.mean(real_probabilities.argmax(axis=1) == np.asarray(y_real)))
    quality.update({
        "num_samples": num_samples,
        "num_real": int(len(x_real)),
        "units": (
            "samples against real images through a digit classifier's features (not comparable "
            "across classifiers): frechet_distance, kernel_distance (KID, mean and std over "
            f"{_KID_SUBSETS} subsets of up to {_KID_SUBSET_SIZE}): squared feature units; "
            "precision, recall, class_entropy (normalised, 1 = uniform), classifier_accuracy "
            "(on the real images): in [0, 1]; classifier_score: in [1, num_classes]; "
            "predicted_classes: samples per predicted class; classes_covered: classes with at "
            f"least {min_class_fraction:g} of num_samples / num_classes samples ({min_count:g})"
        ),
    })
    return quality


def translation_quality_metrics(model, a_real, b_real, classifier_a, classifier_b, y_a, y_b,
                                batch_size=500):
    """Scores a `Translator` on held-out images of both domains through a classifier of each.

    Each image of A is translated into B (`translate_a_to_b`) and read by
    `classifier_b`, trained on real images of B: `label_preservation_a_to_b`
    is the fraction it classifies as the image's own label (a translation
    that keeps the digit). Likewise B -> A with `classifier_a`.
    `frechet_distance_a_to_b` is the FID of the translations `G(a)`
    against the real images of B in `classifier_b`'s features (squared
    feature units; not comparable across classifiers), and `_b_to_a` the
    reverse. `classifier_accuracy_a` and `_b` are each classifier's
    accuracy on the real images of its own domain: the ceiling of the
    preservation numbers.

    Args:
        model: a `Translator` whose domains are images in its
            `data_value_range` (images in [0, 1] are mapped onto it here).
        a_real, b_real: held-out images `(n, H, W, C)` of A and of B, in [0, 1].
        classifier_a, classifier_b: trained `kgen.metrics.digit_classifier`s
            of each domain (`kgen.metrics.train_feature_extractor`).
        y_a, y_b: int labels `(n_a,)`, `(n_b,)` of `a_real` and `b_real`.
        batch_size: int >= 1, images per call.

    Returns:
        A dict of floats and ints: `label_preservation_a_to_b`,
        `label_preservation_b_to_a`, `classifier_accuracy_a`,
        `classifier_accuracy_b` (in [0, 1]), `frechet_distance_a_to_b`,
        `frechet_distance_b_to_a`, `num_a`, `num_b`, and `units`.
    """
    import keras

    from kgen import metrics
    from kgen.metrics import feature_extractors

    batch_size = _validation.positive_int("batch_size", batch_size)
    low, high = model.data_value_range
    scores = {}
    for source, target, x, y_source, x_target, y_target, translate, classifier in (
        ("a", "b", a_real, y_a, b_real, y_b, model.translate_a_to_b, classifier_b),
        ("b", "a", b_real, y_b, a_real, y_a, model.translate_b_to_a, classifier_a),
    ):
        x = np.asarray(x, dtype=np.float32)
        translations = np.concatenate([
            np.asarray(keras.ops.convert_to_numpy(translate(low + (high - low) * x[i : i + batch_size])))
            for i in range(0, len(x), batch_size)])
        translations = np.clip((translations - low) / (high - low), 0.0, 1.0)
        both = keras.Model(classifier.input, [
            classifier.get_layer(feature_extractors.FEATURES_LAYER).output, classifier.output])
        features, probabilities = both.predict(translations, batch_size=batch_size, verbose=0)
        real_features, real_probabilities = both.predict(
            np.asarray(x_target, dtype=np.float32), batch_size=batch_size, verbose=0)
        direction = f"{source}_to_{target}"
        scores[f"label_preservation_{direction}"] = float(
            np.mean(probabilities.argmax(axis=1) == np.asarray(y_source)))
        scores[f"frechet_distance_{direction}"] = float(metrics.frechet_distance(real_features, features))
        scores[f"classifier_accuracy_{target}"] = float(
            np.mean(real_probabilities.argmax(axis=1) == np.asarray(y_target)))
    scores.update({
        "num_a": int(len(a_real)),
        "num_b": int(len(b_real)),
        "units": (
            "label_preservation_*: the fraction of translations the target domain's digit "
            "classifier gives the source image's label; classifier_accuracy_*: that classifier "
            "on real images of its domain; frechet_distance_*: translations against real images "
            "of the target domain in the classifier's features, squared feature units"),
    })
    return scores
