"""Diagnostics of generative models: how many modes of a toy mixture a model covers.

A GAN trained on a mixture of well-separated Gaussians (`kgen.datasets.toy_2d`)
shows mode collapse directly: its samples pile up on a few of the modes and
ignore the others. `mode_coverage` measures that with the two numbers used
in the literature since VEEGAN (Srivastava et al., 2017, arXiv:1705.07761,
section 5.1), after the unrolled-GAN experiments of Metz et al. (2017,
arXiv:1611.02163):

- the fraction of *high-quality* samples: those within 3 standard
  deviations of their nearest mode centre;
- the number of modes *covered*: modes that receive at least `min_count`
  high-quality samples.

Example:

>>> from kgen import datasets, diagnostics
>>> x, _ = datasets.toy_2d("ring", n=2500, seed=0)
>>> coverage = diagnostics.mode_coverage(x, datasets.toy_2d_centers("ring"), std=0.02)
>>> coverage.modes_covered, coverage.high_quality_fraction > 0.98
(8, True)
"""

import typing

import numpy as np

from kgen import _validation

_HIGH_QUALITY_STDS = 3.0
_MIN_FRACTION_OF_EXPECTED = 0.2  # PacGAN's rule: 20 of the expected 100 per mode


class ModeCoverage(typing.NamedTuple):
    """The result of `mode_coverage`.

    Attributes:
        modes_covered: int, the number of modes with at least `min_count`
            high-quality samples.
        high_quality_fraction: float in [0, 1], the fraction of all samples
            that lie within 3 standard deviations of their nearest centre.
        per_mode_counts: int64 array `[K]`, the high-quality samples whose
            nearest centre is each mode.
        min_count: float, the threshold used: a mode is covered when its
            count is `>= min_count`.
    """

    modes_covered: int
    high_quality_fraction: float
    per_mode_counts: np.ndarray
    min_count: float


def mode_coverage(samples, centers, std, min_count=None):
    """Counts the modes of a Gaussian mixture that samples cover, and their quality.

    Each sample is assigned to its nearest centre (Euclidean distance). It is
    *high quality* when that distance is at most `3 * std` (the boundary
    counts as inside), as in VEEGAN (Srivastava et al., 2017,
    arXiv:1705.07761) and PacGAN (Lin et al., 2018, arXiv:1712.04086). A mode
    is *covered* when at least `min_count` high-quality samples are assigned
    to it.

    The default `min_count` is PacGAN's rule: a mode is lost when it gets
    fewer than a fifth of the `n / K` samples a perfect generator would put
    there (20 of 2,500 samples on the 25-mode grid), so
    `min_count = max(1, 0.2 * n / K)`, compared without rounding. It is
    stricter than VEEGAN's "at least one high-quality sample"
    (`min_count=1`), which a collapsed generator passes with a handful of
    stray points.

    Cost: O(n K) time and memory (all sample-centre distances).

    Args:
        samples: array-like `[n, 2]` (any `[n, d]`), generated points, `n >= 1`.
        centers: array-like `[K, d]`, the mode centres, `K >= 1`.
        std: positive float, the per-coordinate standard deviation of each
            mode of the data.
        min_count: positive number, the high-quality samples a mode needs to
            count as covered; `None` for `max(1, 0.2 * n / K)`.

    Returns:
        A `ModeCoverage(modes_covered, high_quality_fraction, per_mode_counts,
        min_count)`.

    Raises:
        ValueError: if the shapes do not match, an array is empty, or `std`
            or `min_count` is not positive.
    """
    samples = np.asarray(samples, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError(
            f"`samples` must be a non-empty array of shape [n, d]. Received: samples.shape={samples.shape}"
        )
    if centers.ndim != 2 or centers.shape[0] == 0 or centers.shape[1] != samples.shape[1]:
        raise ValueError(
            f"`centers` must be a non-empty array of shape [K, {samples.shape[1]}] "
            f"(the dimension of `samples`). Received: centers.shape={centers.shape}"
        )
    std = _validation.positive_number("std", std)
    min_count = _validation.optional_number("min_count", min_count, minimum=0, exclusive_minimum=True)
    num_samples, num_modes = samples.shape[0], centers.shape[0]
    if min_count is None:
        min_count = max(1.0, _MIN_FRACTION_OF_EXPECTED * num_samples / num_modes)

    # Squared distances [n, K]; comparing squares avoids a square root at the
    # boundary, so a point exactly 3 std away (e.g. 1.5 from a centre with
    # std 0.5) is inside.
    squared = np.sum((samples[:, None, :] - centers[None, :, :]) ** 2, axis=-1)
    nearest = np.argmin(squared, axis=1)
    nearest_squared = squared[np.arange(num_samples), nearest]
    high_quality = nearest_squared <= (_HIGH_QUALITY_STDS * std) ** 2
    per_mode_counts = np.bincount(nearest[high_quality], minlength=num_modes).astype(np.int64)
    return ModeCoverage(
        modes_covered=int(np.sum(per_mode_counts >= min_count)),
        high_quality_fraction=float(np.mean(high_quality)),
        per_mode_counts=per_mode_counts,
        min_count=float(min_count),
    )
