"""CycleGAN on real MNIST: translated into colour, a digit keeps its label (issue 16).

Domain A is grey MNIST training digits, domain B `colour_digits` (MNIST-M
recipe) of other training digits; a digit classifier trained on colour
training digits reads `G(a)` for MNIST test digits `a`. Skipped where the
shared MNIST subset (`../shared`, fixture `mnist_npz_path`) is absent.
"""

import keras
import numpy as np

from kgen import datasets
from kgen import metrics
from kgen.models import CycleGAN

# 2,400 images of each domain at batch 16: one epoch is 150 steps.
DOMAIN_SIZE = 2400
BATCH_SIZE = 16
# 5x the paper's 2e-4 (for both optimizers): at 2e-4 a ResNet generator
# read 0.21 after 150 steps; at 1e-3 150 steps suffice (numbers below).
LEARNING_RATE = 1e-3
TEST_DIGITS = 500


def _accuracy(classifier, images, labels):
    """The fraction of `images` `(n, 28, 28, 3)` in [0, 1] that `classifier` gives their label."""
    probabilities = classifier.predict(images, batch_size=TEST_DIGITS, verbose=0)
    return float(np.mean(np.asarray(probabilities).argmax(axis=1) == labels))


def label_preservation(mnist_npz_path, seed, cycle_weight=10.0):
    """Trains a small CycleGAN grey -> colour MNIST for 150 steps; scores `G` on test digits.

    Args:
        mnist_npz_path: the MNIST `.npz` (6,000 training, 2,000 test digits).
        seed: the CycleGAN's seed (weights, pools, shuffling).
        cycle_weight: the CycleGAN's `cycle_weight` (the paper's 10; 0 for
            the ablation quoted in the test).

    Returns:
        A dict: `steps` trained, and accuracies in [0, 1] on the first
        `TEST_DIGITS` test digits of a digit classifier trained on colour
        training digits (one epoch of `kgen.metrics.train_feature_extractor`):
        `ceiling` on real colour test digits, `untrained` on their
        translations `G(a)` before training, `trained` after.
    """
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(mnist_npz_path)
    x_test, y_test = x_test[:TEST_DIGITS], y_test[:TEST_DIGITS]
    classifier = metrics.train_feature_extractor(
        datasets.colour_digits(x_train, seed=1), y_train, epochs=1, seed=0)
    scores = {"ceiling": _accuracy(classifier, datasets.colour_digits(x_test, seed=2), y_test)}

    half = len(x_train) // 2  # A and B from disjoint training digits: no pairs
    a = datasets.to_tanh_range(x_train[:DOMAIN_SIZE])
    b = datasets.to_tanh_range(datasets.colour_digits(x_train[half:half + DOMAIN_SIZE], seed=3))
    model = CycleGAN((28, 28, 1), (28, 28, 3), generator="unet", identity_weight=0.0, filters=8,
                     cycle_weight=cycle_weight, seed=seed)
    model.compile(g_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5),
                  d_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5))

    def translations():
        colour = np.asarray(model.translate_a_to_b(datasets.to_tanh_range(x_test)))
        return np.clip((colour + 1.0) / 2.0, 0.0, 1.0)

    scores["untrained"] = _accuracy(classifier, translations(), y_test)
    model.fit(a, b, batch_size=BATCH_SIZE, epochs=1, verbose=0)
    scores["steps"] = int(model.g_optimizer.iterations)
    scores["trained"] = _accuracy(classifier, translations(), y_test)
    return scores


def test_cyclegan_translations_of_mnist_test_digits_keep_their_labels(mnist_npz_path):
    # Measured with `label_preservation(path, seed)` (and `cycle_weight=0`
    # for the ablation), run from `tests/` on the shared MNIST subset (2 CPU
    # cores, n = 500 test digits): the classifier reads 0.85
    # of real colour test digits (its ceiling). An untrained U-Net
    # gives 0.102 for every seed: chance, one class for all. After 150
    # steps, seeds 0..4 gave 0.656, 0.874, 0.810, 0.862, 0.734 (mean 0.79,
    # standard deviation 0.09 across seeds); without the cycle loss
    # (cycle_weight=0), seeds 0 and 1 gave 0.070 and 0.314. The binomial
    # standard error sqrt(p (1 - p) / n) is at most 0.022 here (0.021 at
    # p = 0.66, 0.013 at p = 0.10), so the spread between seeds (GAN
    # training, which also shifts with the platform's floating-point order)
    # dominates. Thresholds: trained >= 0.5, about midway between the best
    # run without the cycle loss (0.314, 9 SEs below) and the worst with it
    # (seed 0's 0.656, 7 SEs above; 1.7 seed SDs), five times chance;
    # untrained < 0.2, 7 SEs above the untrained 0.102: the check that the
    # pipeline can fail (a generator that has learnt nothing does not pass).
    scores = label_preservation(mnist_npz_path, seed=0)
    assert scores["steps"] == DOMAIN_SIZE // BATCH_SIZE
    assert scores["untrained"] < 0.2, scores
    assert scores["trained"] >= 0.5, scores
