"""The Frechet distance between two sets of features (FID with Inception features).

The Frechet (2-Wasserstein) distance between the Gaussians fitted to the
two sets (Heusel et al., 2017, arXiv:1706.08500):

```
FD = |mu_x - mu_y|^2 + tr(S_x) + tr(S_y) - 2 tr((S_x S_y)^(1/2))
```

`tr((S_x S_y)^(1/2))` is computed as the sum of the square roots of the
eigenvalues of the symmetric `S_x^(1/2) S_y S_x^(1/2)`, which has the same
eigenvalues as `S_x S_y`; no non-symmetric matrix square root (and no
SciPy) is needed, and rounding cannot make the trace complex.
"""

import keras
import numpy as np

from kgen.metrics import _base


class Moments:
    """The running count, mean and scatter matrix of a stream of feature batches, in float64.

    Batches are merged with Chan et al.'s pairwise update: with `delta` the
    difference of the two means, `M2 = M2_a + M2_b + delta delta^T n_a n_b / n`,
    so the moments of a stream equal those of its concatenation up to
    rounding, whatever the batch sizes.
    """

    def __init__(self):
        self.count = 0
        self.mean = None
        self.scatter = None

    def update(self, x):
        """Adds the rows of `x` (float64 `[n, d]`)."""
        n = len(x)
        mean = x.mean(axis=0)
        centred = x - mean
        scatter = centred.T @ centred
        if self.count == 0:
            self.count, self.mean, self.scatter = n, mean, scatter
            return
        total = self.count + n
        delta = mean - self.mean
        self.scatter = self.scatter + scatter + np.outer(delta, delta) * (self.count * n / total)
        self.mean = self.mean + delta * (n / total)
        self.count = total

    def covariance(self):
        """The unbiased covariance `M2 / (n - 1)`, `[d, d]`."""
        if self.count < 2:
            raise ValueError(
                f"The covariance needs at least 2 examples. Received: count={self.count}")
        return self.scatter / (self.count - 1)


def frechet_distance_from_moments(mean_x, cov_x, mean_y, cov_y):
    """The Frechet distance between `N(mean_x, cov_x)` and `N(mean_y, cov_y)`.

    Args:
        mean_x, mean_y: arrays `[d]`.
        cov_x, cov_y: symmetric positive semi-definite arrays `[d, d]`.

    Returns:
        A float (squared feature units). Rounding can leave it a little
        below 0 for two equal sets (about `1e-12 tr(S)`); it is not clipped.
    """
    mean_x, mean_y, cov_x, cov_y = (np.asarray(a, dtype=np.float64)
                                    for a in (mean_x, mean_y, cov_x, cov_y))
    eigenvalues, eigenvectors = np.linalg.eigh(cov_x)
    sqrt_cov_x = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    middle = sqrt_cov_x @ cov_y @ sqrt_cov_x
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    difference = mean_x - mean_y
    return float(difference @ difference + np.trace(cov_x) + np.trace(cov_y) - 2.0 * trace_sqrt)


def frechet_distance(x_features, y_features):
    """The Frechet distance between the Gaussians fitted to two sets of features.

    Args:
        x_features, y_features: arrays `[n, d]` and `[m, d]`, n, m >= 2.

    Returns:
        A float; FID when the features are Inception's 2,048 pool features.

    Example:

    ```python
    frechet_distance(real_features, generated_features)
    ```
    """
    x, y = _base.check_pair(x_features, y_features)
    moments = [Moments(), Moments()]
    moments[0].update(x)
    moments[1].update(y)
    return _distance(*moments)


def _distance(x_moments, y_moments):
    return frechet_distance_from_moments(x_moments.mean, x_moments.covariance(),
                                         y_moments.mean, y_moments.covariance())


@keras.saving.register_keras_serializable(package="kgen")
class FrechetDistance(_base.FeatureMetric):
    """The Frechet distance (FID with Inception features) as a streaming Keras metric.

    `update_state(real, generated)` adds a batch of each set; the state is
    the count, mean and scatter matrix of each set's features in float64
    (`Moments`), so streaming equals one shot up to rounding and memory is
    `2 d^2` floats whatever the number of examples.

    Args:
        features: a Keras model or callable mapping examples to features
            `[batch, d]` (e.g. `kgen.metrics.feature_extractor(classifier)`);
            None: the inputs are features.
        batch_size: examples per call of `features`.
        name: the key in `fit`'s logs.

    Example:

    ```python
    fid = FrechetDistance(features=extractor)
    for real, fake in batches:
        fid.update_state(real, fake)
    fid.result()
    ```
    """

    def __init__(self, features=None, batch_size=256, name="frechet_distance", dtype="float64"):
        super().__init__(features=features, batch_size=batch_size, name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, real, generated):
        real, generated = self.pair_features(real, generated)
        self._real.update(real)
        self._generated.update(generated)

    def result(self):
        return _distance(self._real, self._generated)

    def reset_state(self):
        self._real = Moments()
        self._generated = Moments()
