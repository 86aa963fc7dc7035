"""Colour digits by the MNIST-M recipe: grey digits blended with patches of colour photographs.

Ganin and Lempitsky (2015) made MNIST-M, their target domain for domain
adaptation, by blending each MNIST digit with a patch cut at random from a
colour photograph. Here the photographs are the two that ship with
scikit-learn (`sklearn.datasets.load_sample_images`: china.jpg and
flower.jpg, 427x640 RGB), so nothing is downloaded. Grey digits and their
coloured twins make two domains for unpaired image-to-image translation
(CycleGAN, DiscoGAN).
"""

import functools

import numpy as np
from sklearn import datasets as _sklearn_datasets

from kgen import _validation


@functools.lru_cache(maxsize=None)
def _photographs(downscale):
    """scikit-learn's sample photographs as one read-only float32 array `(2, h, w, 3)` in [0, 1].

    Each photograph is shrunk by the integer factor `downscale`: a pixel of
    the result is the mean of a `downscale` x `downscale` block (rows and
    columns beyond the last whole block are dropped), so `h = 427 // downscale`
    and `w = 640 // downscale`.
    """
    photos = np.stack(_sklearn_datasets.load_sample_images().images).astype(np.float32) / 255.0
    count, height, width, channels = photos.shape
    h, w = height // downscale, width // downscale
    blocks = photos[:, : h * downscale, : w * downscale].reshape(
        count, h, downscale, w, downscale, channels
    )
    photos = blocks.mean(axis=(2, 4), dtype=np.float32)
    photos.setflags(write=False)
    return photos


def _patch_positions(n, height, width, seed, downscale):
    """Where the `n` patches of `height` x `width` pixels are cut: `(photo, top, left)`.

    Three int64 arrays of shape `(n,)`, drawn in this order with one
    `numpy.random.default_rng(seed)`: the photograph of each patch (uniform
    over the photographs), its top row (uniform over `0..h - height`), its
    left column (uniform over `0..w - width`), for photographs of `h` x `w`
    pixels after shrinking by `downscale`.
    """
    count, h, w, _ = _photographs(downscale).shape
    rng = np.random.default_rng(seed)
    photo = rng.integers(count, size=n)
    top = rng.integers(h - height + 1, size=n)
    left = rng.integers(w - width + 1, size=n)
    return photo, top, left


def colour_digits(x, seed=0, downscale=1):
    """Colours grey digits as MNIST-M does: `|patch - digit|` with a random photograph patch.

    For each image `x[i]` of `H` x `W` pixels, a patch of `H` x `W` pixels is
    cut at a random position of a random photograph (scikit-learn's china.jpg
    and flower.jpg), and the two are blended by their absolute difference,
    channel by channel:

    ```
    out[i, r, c, k] = |patch_i[r, c, k] - x[i, r, c]|,   k = R, G, B
    ```

    Where the digit is black (0) the output is the photograph; where it is
    white (1) it is the photograph's negative, so the stroke stays visible
    on any background. This is the recipe of Ganin and Lempitsky (2015,
    section 5), which blends MNIST digits with patches of BSDS500 photographs.

    With `downscale=1` (the recipe) a patch is `H` x `W` pixels of a 427x640
    photograph, which for 8x8 digits is nearly one flat colour, for 28x28
    MNIST digits a little texture: the digit sits on a random background
    colour. A `downscale` of `d` first shrinks the photographs `d` times
    (the mean of each `d` x `d` block), so that a patch covers `d` times
    more of the scene in each direction and shows more of its edges and
    texture (e.g. `downscale=8` for 8x8 digits).

    Randomness: the photograph, top row and left column of every patch are
    drawn, in that order, with `numpy.random.default_rng(seed)`; the same
    seed gives the same images.

    Args:
        x: grey images with values in [0, 1], of shape `(n, H, W)` or
            `(n, H, W, 1)`, e.g. `load_digits()[0]` (8x8) or MNIST scaled by
            1/255 (28x28). `H` and `W` at most the shrunk photographs' size,
            `427 // downscale` and `640 // downscale`.
        seed: int or `None`; seeds the patches' positions (`None` draws
            fresh entropy).
        downscale: int >= 1; the factor by which the photographs are shrunk
            before the patches are cut. 1 (default) is the MNIST-M recipe.

    Returns:
        float32 array of shape `(n, H, W, 3)` with values in [0, 1]: the
        coloured digits, in the order of `x` (labels of `x` still apply).

    Raises:
        ValueError: if `x` is not an array of numbers of shape `(n, H, W)` or
            `(n, H, W, 1)`, has non-finite values or values outside [0, 1], or
            its images are larger than the shrunk photographs; if `seed` is
            not None or an int, or `downscale` not an int >= 1.

    Example:

    >>> x, y = load_digits()
    >>> colour = colour_digits(x, seed=0, downscale=8)
    >>> colour.shape, colour.dtype
    ((1797, 8, 8, 3), dtype('float32'))

    References:
        Ganin, Y. and Lempitsky, V. (2015). Unsupervised domain adaptation
        by backpropagation. ICML. arXiv:1409.7495.
    """
    seed = _validation.seed(seed)
    downscale = _validation.positive_int("downscale", downscale)
    x = _grey_images(x)
    n, height, width = x.shape
    _, h, w, _ = _photographs(1).shape
    if height > h or width > w:
        raise ValueError(
            f"`x` must hold images of at most {h}x{w} pixels, the photographs' size. "
            f"Received: x with shape {x.shape}"
        )
    largest = min(h // height, w // width)
    if downscale > largest:
        _validation.fail("downscale", f"an int in [1, {largest}] for {height}x{width} images",
                         downscale)
    photos = _photographs(downscale)
    photo, top, left = _patch_positions(n, height, width, seed, downscale)
    # Slice copies in a loop are faster here than one fancy-indexing gather,
    # and the blend is done in place: MNIST-sized inputs make large arrays.
    out = np.empty((n, height, width, 3), dtype=np.float32)
    for i in range(n):
        out[i] = photos[photo[i], top[i]:top[i] + height, left[i]:left[i] + width]
    out -= x[..., np.newaxis]
    return np.abs(out, out=out)


def _grey_images(x):
    """`x` checked as grey images in [0, 1] and returned as float32 `(n, H, W)`."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(
            f"`x` must be an array of numbers. Received: x of dtype {x.dtype} ({type(x).__name__})"
        )
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or min(x.shape[1:]) < 1:
        raise ValueError(
            "`x` must be grey images of shape (n, H, W) or (n, H, W, 1). "
            f"Received: x with shape {x.shape}"
        )
    if x.size:
        finite = np.isfinite(x)
        if not finite.all():
            bad = int(x.size - finite.sum())
            raise ValueError(
                "`x` must have finite values in [0, 1]. "
                f"Received: x with {bad} NaN or infinite value{'' if bad == 1 else 's'}"
            )
        low, high = float(x.min()), float(x.max())
        if low < 0 or high > 1:
            raise ValueError(
                "`x` must have values in [0, 1] (divide bytes by 255). "
                f"Received: x with values in [{low:g}, {high:g}]"
            )
    return x.astype(np.float32)
