"""Mixtures of 2D Gaussians for checking that a generator covers every mode.

- `"ring"`: 8 modes evenly spaced on a circle of radius 2, standard deviation
  0.02 (Metz et al., 2017, "Unrolled GANs", arXiv:1611.02163).
- `"grid"`: 25 modes on the 5x5 grid {-4, -2, 0, 2, 4}^2, standard deviation
  0.05 (Srivastava et al., 2017, "VEEGAN", arXiv:1705.07761).

Mode-coverage metrics count a sample as belonging to its nearest centre when
it lies within a few standard deviations of it; `toy_2d_centers` gives the
centres and `TOY_2D_STD` the default standard deviations.
"""

import numpy as np

from kgen import _validation

_RING_MODES = 8
_RING_RADIUS = 2.0
_GRID_COORDINATES = (-4.0, -2.0, 0.0, 2.0, 4.0)

TOY_2D_STD = {"ring": 0.02, "grid": 0.05}
"""Default per-coordinate standard deviation of each mode, by name."""


def toy_2d_centers(name="ring"):
    """Returns the mode centres of a 2D toy mixture.

    Args:
        name: `"ring"` (8 modes, radius 2, the first at angle 0, then
            counter-clockwise) or `"grid"` (25 modes, row-major with x varying
            slowest: (-4, -4), (-4, -2), ..., (4, 4)).

    Returns:
        float32 array of shape `(num_modes, 2)`.

    Raises:
        ValueError: if `name` is unknown.
    """
    name = _validation.choice("name", name, tuple(TOY_2D_STD))
    if name == "ring":
        angles = 2 * np.pi * np.arange(_RING_MODES) / _RING_MODES
        centers = _RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], 1)
    else:
        centers = np.array(
            [(a, b) for a in _GRID_COORDINATES for b in _GRID_COORDINATES]
        )
    return centers.astype("float32")


def toy_2d(name="ring", n=1000, std=None, seed=0):
    """Samples an equal-weight mixture of isotropic 2D Gaussians.

    `m ~ Uniform{0, ..., K-1}`, then `x ~ Normal(centers[m], std^2 I)`.

    Args:
        name: `"ring"` or `"grid"`; see `toy_2d_centers` for the centres.
        n: positive int, number of points.
        std: positive float, per-coordinate standard deviation of each mode;
            `None` uses the classic value `TOY_2D_STD[name]` (0.02 for the
            ring, 0.05 for the grid).
        seed: int or `None`; seeds `numpy.random.default_rng`. The same seed
            gives the same points.

    Returns:
        `(x, modes)`: `x` float32 of shape `(n, 2)`, and `modes` int64 of
        shape `(n,)`, the index into `toy_2d_centers(name)` of each point's
        mode.

    Raises:
        ValueError: if `name` is unknown, `n` is not a positive int, `std`
            is not a positive number or `seed` is not None or an int.

    Example:

    >>> x, modes = toy_2d("grid", n=500, seed=0)
    >>> x.shape, int(modes.max()) <= 24
    ((500, 2), True)
    """
    centers = toy_2d_centers(name)
    n = _validation.positive_int("n", n)
    std = _validation.positive_number("std", TOY_2D_STD[name] if std is None else std)
    seed = _validation.seed(seed)
    rng = np.random.default_rng(seed)
    modes = rng.integers(len(centers), size=n)
    x = centers[modes] + std * rng.standard_normal((n, 2))
    return x.astype("float32"), modes.astype("int64")
