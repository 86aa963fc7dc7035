"""The classifier score of generated examples (the Inception Score with any classifier).

Salimans et al., 2016 (arXiv:1606.03498), with `p(y | x)` from a classifier:

```
score = exp(E_x KL(p(y | x) || p(y)))
      = exp(E_x sum_y p(y|x) log p(y|x) - sum_y p(y) log p(y)),   p(y) = E_x p(y | x)
```

It runs from 1 (every sample classified alike, or the classifier unsure)
to the number of classes (confident, and balanced over the classes). The
two sums of the second line are the whole state of a stream. kgen reports
one score over all the samples, not the mean over 10 splits of the
original paper (which is biased lower for small splits).
"""

import keras
import numpy as np

from kgen import _validation
from kgen.metrics import _base


def _p_log_p(p):
    """`p log p` elementwise, with `0 log 0 = 0`."""
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


class ScoreSums:
    """The count, `sum_x p(y|x)` `[C]` and `sum_x sum_y p(y|x) log p(y|x)` of a stream."""

    def __init__(self):
        self.count = 0
        self.probability_sum = 0.0
        self.negative_entropy_sum = 0.0

    def update(self, probabilities):
        self.count += len(probabilities)
        self.probability_sum = self.probability_sum + probabilities.sum(axis=0)
        self.negative_entropy_sum += _p_log_p(probabilities).sum()

    def score(self):
        if self.count == 0:
            raise ValueError("No probabilities yet: call `update_state` first.")
        marginal = self.probability_sum / self.count
        return float(np.exp(self.negative_entropy_sum / self.count - _p_log_p(marginal).sum()))


def classifier_score(probabilities):
    """The classifier (Inception) score of class probabilities `[n, C]` (rows summing to 1).

    Returns:
        A float in `[1, C]`.
    """
    probabilities = _base.as_feature_matrix("probabilities", probabilities)
    if np.any(probabilities < 0) or not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4):
        _validation.fail("probabilities", "an array [n, C] of rows of probabilities summing to 1",
                         probabilities.shape)
    sums = ScoreSums()
    sums.update(probabilities)
    return sums.score()


@keras.saving.register_keras_serializable(package="kgen")
class ClassifierScore(_base.FeatureMetric):
    """The classifier score as a streaming Keras metric.

    `update_state(real, generated)` takes the same two arguments as the
    other sample-quality metrics and scores `generated` only (`real` may be
    None); the state is two sums (`ScoreSums`), `C + 1` floats.

    Args:
        classifier: a Keras model or callable mapping examples to class
            probabilities `[batch, C]` (a softmax output, e.g. a classifier
            from `kgen.metrics.train_feature_extractor`); None: the inputs
            are probabilities.
        batch_size: examples per call of `classifier`.
        name: the key in `fit`'s logs.
    """

    def __init__(self, classifier=None, batch_size=256, name="classifier_score",
                 dtype="float64"):
        super().__init__(features=classifier, batch_size=batch_size, name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, real, generated):
        del real  # the score needs the generated examples only
        self._sums.update(self.features_of("generated", generated))

    def result(self):
        return self._sums.score()

    def reset_state(self):
        self._sums = ScoreSums()

    def get_config(self):
        config = super().get_config()
        config["classifier"] = config.pop("features")
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classifier"] = keras.saving.deserialize_keras_object(config.pop("classifier"))
        return cls(**config)
