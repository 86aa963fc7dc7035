"""Preparing images with values in [0, 1]: binarisation, and the tanh range of the GANs."""

import numpy as np

from kgen import _validation

_METHODS = ("threshold", "stochastic")


def binarize(x, method="threshold", seed=None, threshold=0.5):
    """Turns intensities in [0, 1] into binary {0, 1} pixels.

    - `"threshold"`: `b = 1[x > threshold]`, deterministic. On MNIST scaled by
      1/255, the default threshold 0.5 gives exactly the usual fixed
      binarisation "raw value > 127", because 127/255 < 0.5 < 128/255.
    - `"stochastic"`: `b ~ Bernoulli(x)` independently per pixel (Salakhutdinov
      and Murray, 2008), drawn with `numpy.random.default_rng(seed)`, so
      `E[b] = x` and the same seed gives the same draw.

    Args:
        x: array-like of any shape with values in [0, 1].
        method: `"threshold"` or `"stochastic"`.
        seed: int or `None`; seeds the Bernoulli draws of `"stochastic"`
            (`None` draws fresh entropy). Unused by `"threshold"`.
        threshold: float; the cut of `"threshold"` (strictly greater is 1).

    Returns:
        float32 array of the shape of `x` holding 0.0 and 1.0.

    Raises:
        ValueError: if `method` is unknown, `x` is not numeric, `threshold`
            is not a finite number, `seed` is not None or an int, or, for
            `"stochastic"`, if `x` has values outside [0, 1].
    """
    method = _validation.choice("method", method, _METHODS)
    threshold = _validation.number("threshold", threshold)
    seed = _validation.seed(seed)
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(
            f"`x` must be an array of numbers. Received: x of dtype {x.dtype} ({type(x).__name__})"
        )
    if method == "threshold":
        return (x > threshold).astype("float32")
    low, high = float(np.min(x)), float(np.max(x))
    if low < 0 or high > 1:
        raise ValueError(
            "`x` must have values in [0, 1] for stochastic binarisation. "
            f"Received: x with values in [{low}, {high}]"
        )
    uniform = np.random.default_rng(seed).random(x.shape)
    return (uniform < x).astype("float32")


def to_tanh_range(x):
    """Maps data in [0, 1] (e.g. `load_digits`) to [-1, 1]: `2x - 1`.

    kgen's image generators end in `tanh`, whose outputs lie in (-1, 1):
    train them on `to_tanh_range(x)` so that real and generated data share
    a range. Works on NumPy arrays and tensors alike (returns the same
    kind); also importable as `kgen.models.gan.to_tanh_range`.
    """
    return 2.0 * x - 1.0


def from_tanh_range(x):
    """The inverse of `to_tanh_range`: `(x + 1) / 2`, e.g. to draw a GAN's samples."""
    return (x + 1.0) / 2.0
