"""kgen.datasets.colour_digits: the MNIST-M blend, recomputed independently with NumPy."""

import re

import numpy as np
import pytest
from sklearn import datasets as sklearn_datasets

from kgen import datasets


def mnist_m_reference(x, seed, downscale):
    """The documented recipe, in float64: `|patch - digit|` with patches drawn by `default_rng(seed)`.

    `x` is `(n, H, W)`. The photographs are shrunk by averaging each
    `downscale` x `downscale` block; then, in this order, the photograph,
    the top row and the left column of every patch are drawn.
    """
    photos = np.stack(sklearn_datasets.load_sample_images().images) / 255.0
    count, height, width, _ = photos.shape
    h, w = height // downscale, width // downscale
    shrunk = np.zeros((count, h, w, 3))
    for dr in range(downscale):
        for dc in range(downscale):
            shrunk += photos[:, dr:h * downscale:downscale, dc:w * downscale:downscale]
    shrunk /= downscale**2
    n, rows, cols = x.shape
    rng = np.random.default_rng(seed)
    photo = rng.integers(count, size=n)
    top = rng.integers(h - rows + 1, size=n)
    left = rng.integers(w - cols + 1, size=n)
    patches = np.stack([
        shrunk[p, t:t + rows, c:c + cols] for p, t, c in zip(photo, top, left)
    ])
    return np.abs(patches - x[..., np.newaxis]), patches


@pytest.mark.parametrize("downscale", [1, 8])
def test_colour_digits_is_the_mnist_m_blend_of_seeded_patches(downscale):
    x = datasets.load_digits()[0][:60]  # (60, 8, 8, 1)
    out = datasets.colour_digits(x, seed=3, downscale=downscale)
    expected, patches = mnist_m_reference(x[..., 0].astype(np.float64), 3, downscale)
    # float32 rounding of values in [0, 1] (and of 64-pixel block means): well under 1e-5.
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-5)
    black = x[..., 0] == 0  # where the digit is black the output is the photograph
    assert black.mean() > 0.3
    np.testing.assert_allclose(out[black], patches[black], rtol=0, atol=1e-5)


def test_colour_digits_reads_rank_3_non_square_images():
    x = np.random.default_rng(0).random((5, 28, 20)).astype(np.float32)  # MNIST-like, H != W
    out = datasets.colour_digits(x, seed=7, downscale=2)
    expected, _ = mnist_m_reference(x.astype(np.float64), 7, 2)
    assert out.shape == (5, 28, 20, 3)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-5)


def test_colour_digits_shape_range_dtype_and_seed():
    x = datasets.load_digits()[0][:40]
    before = x.copy()
    out = datasets.colour_digits(x)
    assert out.shape == (40, 8, 8, 3) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_array_equal(x, before)  # the input is left alone
    np.testing.assert_array_equal(out, datasets.colour_digits(x, seed=0))  # seed 0 by default
    assert not np.allclose(out, datasets.colour_digits(x, seed=1))
    assert datasets.colour_digits(x, seed=None).shape == (40, 8, 8, 3)
    assert datasets.colour_digits(x, seed=np.int64(1), downscale=np.int32(2)).shape == (40, 8, 8, 3)
    assert datasets.colour_digits(np.zeros((0, 8, 8))).shape == (0, 8, 8, 3)
    # The blend keeps the digit: on a background patch p, white strokes read 1 - p.
    assert np.abs(out - out.mean(axis=(1, 2), keepdims=True)).max() > 0.5


@pytest.mark.parametrize(
    "x, kwargs, message",
    [
        (np.zeros((2, 8, 8, 3)), {},
         "`x` must be grey images of shape (n, H, W) or (n, H, W, 1). Received: x with shape (2, 8, 8, 3)"),
        (np.zeros((8, 8)), {},
         "`x` must be grey images of shape (n, H, W) or (n, H, W, 1). Received: x with shape (8, 8)"),
        (np.full((2, 8, 8), 255.0), {},
         "`x` must have values in [0, 1] (divide bytes by 255). Received: x with values in [255, 255]"),
        (np.full((2, 8, 8), -0.5), {},
         "`x` must have values in [0, 1] (divide bytes by 255). Received: x with values in [-0.5, -0.5]"),
        (np.where(np.eye(8) > 0, np.nan, 0.5)[np.newaxis], {},
         "`x` must have finite values in [0, 1]. Received: x with 8 NaN or infinite values"),
        (np.full((2, 8, 8), "a"), {},
         "`x` must be an array of numbers. Received: x of dtype <U1 (ndarray)"),
        (np.zeros((1, 500, 8)), {},
         "`x` must hold images of at most 427x640 pixels, the photographs' size. "
         "Received: x with shape (1, 500, 8)"),
        (np.zeros((1, 28, 28)), {"downscale": 16},
         "`downscale` must be an int in [1, 15] for 28x28 images. Received: downscale=16"),
        (np.zeros((1, 8, 8)), {"downscale": 2.0},
         "`downscale` must be an int >= 1. Received: downscale=2.0"),
        (np.zeros((1, 8, 8)), {"seed": 1.5},
         "`seed` must be None or an int. Received: seed=1.5"),
    ],
)
def test_colour_digits_rejects_bad_input(x, kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        datasets.colour_digits(x, **kwargs)
