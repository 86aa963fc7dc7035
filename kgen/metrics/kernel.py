"""The kernel distance between two sets of features (KID with Inception features).

The squared maximum mean discrepancy with the cubic polynomial kernel
(Binkowski et al., 2018, arXiv:1801.01401):

```
k(a, b) = (a . b / d + 1)^3
MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y)
```

estimated without bias (the U-statistic: the diagonals `k(x_i, x_i)` are
left out of the within-set means) on `num_subsets` random subsets of
`subset_size` examples of each set; the mean and the standard deviation
over subsets are reported. Unlike FID, the estimate is unbiased, so its
value on few samples is comparable with its value on many.
"""

import collections

import keras
import numpy as np

from kgen import _validation
from kgen.metrics import _base

KernelDistanceResult = collections.namedtuple("KernelDistanceResult", ["mean", "std"])


def polynomial_kernel(a, b):
    """`k(a, b) = (a . b / d + 1)^3` for all pairs of rows: `[n, d], [m, d] -> [n, m]`."""
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """The unbiased estimate of `MMD^2` of two sets `[n, d]`, `[m, d]` (n, m >= 2), polynomial kernel.

    `sum_{i != j} k(x_i, x_j) / (n (n - 1)) + sum_{i != j} k(y_i, y_j) / (m (m - 1))
    - 2 sum_{i, j} k(x_i, y_j) / (n m)`.
    """
    n, m = len(x), len(y)
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (n * (n - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within_x + within_y - 2.0 * polynomial_kernel(x, y).mean())


def kernel_distance(x_features, y_features, num_subsets=100, subset_size=1000, seed=0):
    """KID: the unbiased `MMD^2` of two sets of features, mean and std over random subsets.

    Args:
        x_features, y_features: arrays `[n, d]` and `[m, d]`, n, m >= 2.
        num_subsets: int >= 1, subsets drawn (Binkowski et al.: 100).
        subset_size: int >= 2, examples per subset from each set (1,000);
            the smaller set's size if larger than it. With one subset of the
            whole sets the estimate uses every example.
        seed: int, the NumPy seed of the subsets (no hidden randomness).

    Returns:
        `KernelDistanceResult(mean, std)`, floats (squared feature units);
        `std` is the standard deviation over subsets (0 for one subset).
    """
    x, y = _base.check_pair(x_features, y_features)
    num_subsets = _validation.positive_int("num_subsets", num_subsets)
    subset_size = _validation.integer("subset_size", subset_size, minimum=2)
    seed = _validation.seed(seed)
    size = min(subset_size, len(x), len(y))
    if size < 2:
        _validation.fail("x_features", "two sets of at least 2 examples each",
                         (len(x), len(y)))
    rng = np.random.default_rng(seed)
    estimates = np.array([
        mmd2_unbiased(x[rng.choice(len(x), size, replace=False)],
                      y[rng.choice(len(y), size, replace=False)])
        for _ in range(num_subsets)
    ])
    return KernelDistanceResult(float(estimates.mean()), float(estimates.std()))


@keras.saving.register_keras_serializable(package="kgen")
class KernelDistance(_base.StoredFeatureMetric):
    """KID as a streaming Keras metric: `result()` is `{name: mean, name + "_std": std}`.

    `update_state(real, generated)` stores the features of both batches
    (float64); `result()` runs `kernel_distance` on everything stored.
    Memory: at most `max_samples` rows of each set, `2 * max_samples * d * 8`
    bytes (164 MB for 5,000 Inception features of each set); more raises.

    Args:
        features: a Keras model or callable mapping examples to features;
            None: the inputs are features.
        num_subsets, subset_size, seed: as in `kernel_distance`.
        max_samples: int >= 2, the most examples of each set stored.
        batch_size: examples per call of `features`.
        name: the key in `fit`'s logs.
    """

    def __init__(self, features=None, num_subsets=100, subset_size=1000, seed=0,
                 max_samples=5000, batch_size=256, name="kernel_distance", dtype="float64"):
        super().__init__(features=features, max_samples=max_samples, batch_size=batch_size,
                         name=name, dtype=dtype)
        self.num_subsets = _validation.positive_int("num_subsets", num_subsets)
        self.subset_size = _validation.integer("subset_size", subset_size, minimum=2)
        self.seed = _validation.seed(seed)

    def result(self):
        mean, std = kernel_distance(*self.stored(), self.num_subsets, self.subset_size, self.seed)
        return {self.name: mean, f"{self.name}_std": std}

    def get_config(self):
        return {**super().get_config(), "num_subsets": self.num_subsets,
                "subset_size": self.subset_size, "seed": self.seed}
