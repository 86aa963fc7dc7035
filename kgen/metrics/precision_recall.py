"""Improved precision and recall of a generative model (Kynkaanniemi et al., 2019, arXiv:1904.06991).

Each set of features defines a manifold: the union of balls centred on its
points, each of radius the distance to the point's `k`-th nearest
neighbour within its own set. Then

```
precision = share of generated points inside the real manifold   (are the samples realistic?)
recall    = share of real points inside the generated manifold   (is the data covered?)
```

Distances are Euclidean, computed in float64 blocks of `batch_size` rows
against the whole other set: time `O(n m d)`, memory `O(batch_size * m)`.
"""

import collections

import keras
import numpy as np

from kgen import _validation
from kgen.metrics import _base

PrecisionRecallResult = collections.namedtuple("PrecisionRecallResult", ["precision", "recall"])


def _squared_distances(a, b):
    """`|a_i - b_j|^2` for all pairs, `[n, m]`, clipped at 0 against rounding."""
    squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.clip(squared, 0.0, None)


def manifold_radii(x, k, batch_size=1024):
    """The squared distance of each row of `x` to its `k`-th nearest other row, `[n]`.

    A point is its own nearest neighbour at distance 0, so the `k`-th other
    point sits at index `k` of the sorted row (duplicates count as neighbours).
    """
    return np.concatenate([
        np.partition(_squared_distances(x[i:i + batch_size], x), k, axis=1)[:, k]
        for i in range(0, len(x), batch_size)
    ])


def manifold_share(points, manifold, squared_radii, batch_size=1024):
    """The share of `points` within `radius_j` of some `manifold` row `j`."""
    inside = np.concatenate([
        (_squared_distances(points[i:i + batch_size], manifold) <= squared_radii).any(axis=1)
        for i in range(0, len(points), batch_size)
    ])
    return float(inside.mean())


def precision_recall(real_features, generated_features, k=3, batch_size=1024):
    """Improved precision and recall of generated features against real ones.

    Args:
        real_features, generated_features: arrays `[n, d]` and `[m, d]`,
            n, m > k.
        k: int >= 1, the neighbour that sets each ball's radius (the
            paper's default 3).
        batch_size: int >= 1, rows per block of distances.

    Returns:
        `PrecisionRecallResult(precision, recall)`, floats in [0, 1].
    """
    real, generated = _base.check_pair(real_features, generated_features,
                                       "real_features", "generated_features")
    k = _validation.positive_int("k", k)
    batch_size = _validation.positive_int("batch_size", batch_size)
    if min(len(real), len(generated)) <= k:
        _validation.fail("k", "smaller than the number of examples of each set", k)
    real_radii = manifold_radii(real, k, batch_size)
    generated_radii = manifold_radii(generated, k, batch_size)
    return PrecisionRecallResult(
        precision=manifold_share(generated, real, real_radii, batch_size),
        recall=manifold_share(real, generated, generated_radii, batch_size),
    )


@keras.saving.register_keras_serializable(package="kgen")
class PrecisionRecall(_base.StoredFeatureMetric):
    """Improved precision and recall as a streaming metric: `result()` is `{"precision", "recall"}`.

    `update_state(real, generated)` stores the features of both batches
    (float64, at most `max_samples` of each set: `2 * max_samples * d * 8`
    bytes); `result()` runs `precision_recall` on everything stored
    (`O(n m d)` time).

    Args:
        features: a Keras model or callable mapping examples to features;
            None: the inputs are features.
        k: the neighbour that sets the radii (3).
        max_samples: int >= 2, the most examples of each set stored.
        batch_size: examples per call of `features`, and rows per block of
            distances.
        name: the metric's name.
    """

    def __init__(self, features=None, k=3, max_samples=5000, batch_size=256,
                 name="precision_recall", dtype="float64"):
        super().__init__(features=features, max_samples=max_samples, batch_size=batch_size,
                         name=name, dtype=dtype)
        self.k = _validation.positive_int("k", k)

    def result(self):
        return precision_recall(*self.stored(), k=self.k, batch_size=self.batch_size)._asdict()

    def get_config(self):
        return {**super().get_config(), "k": self.k}
