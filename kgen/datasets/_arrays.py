"""What the loaders of your own images share: sizes, colours, a held-out split, short name lists.

`load_images` and `load_npz` both end with float32 images `(n, H, W, C)`
in [0, 1], `C` = 1 (grey) or 3 (RGB), resized and converted here, and
split here into training and validation sets as `load_digits` splits.
"""

import numpy as np

from kgen import _validation

COLOR_MODES = ("grayscale", "rgb")
# ITU-R BT.601 luma, the weights of `tf.image.rgb_to_grayscale`.
_LUMA = np.array([0.2989, 0.5870, 0.1140], dtype=np.float32)
_MAX_NAMES = 3  # example names in an error message
_RESIZE_CHUNK = 1024  # images resized per TensorFlow call


def image_size(value):
    """`None`, an int `n` (`n` x `n`) or `(height, width)` -> `None` or a tuple of two ints >= 1."""
    if value is None:
        return None
    size = _validation.as_int(value)
    if size is not None:
        result = (size, size)
    else:
        try:
            result = _validation.shape("image_size", value, rank=2)
        except ValueError:
            result = None
    if result is None or min(result) < 1:
        _validation.fail("image_size", "None, an int >= 1 or a tuple (height, width) of ints >= 1",
                         value)
    return result


def color_mode(value):
    """`None` (keep the images' own), `"grayscale"` or `"rgb"`."""
    return _validation.choice("color_mode", value, (None, *COLOR_MODES))


def holdout_fraction(value):
    """A fraction in [0, 1) of the images to hold out for validation, as a float."""
    return _validation.number("validation_fraction", value, minimum=0, maximum=1,
                              exclusive_maximum=True)


def some_names(names):
    """`"a.png, b.png, c.png and 297 more"`: at most `_MAX_NAMES` of `names`."""
    names = [str(name) for name in names]
    shown = ", ".join(names[:_MAX_NAMES])
    rest = len(names) - _MAX_NAMES
    return f"{shown} and {rest} more" if rest > 0 else shown


def count(n, noun):
    """`"1 image"`, `"300 images"`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def to_channels(x, channels):
    """Images `(..., C)` with `C` in 1..4 as `channels` (1 or 3) channels, alpha dropped.

    Grey to RGB repeats the channel; RGB to grey is the BT.601 luma
    `0.2989 R + 0.5870 G + 0.1140 B` (as `tf.image.rgb_to_grayscale`).
    Returns float32.
    """
    x = np.asarray(x, dtype=np.float32)
    have = x.shape[-1]
    if have in (2, 4):  # grey + alpha, RGB + alpha
        x = x[..., : have - 1]
        have -= 1
    if have == channels:
        return x
    if channels == 3:
        return np.repeat(x, 3, axis=-1)
    return (x @ _LUMA)[..., np.newaxis]


def resize(x, size):
    """Float images `(n, h, w, C)` in [0, 1] resized to `size = (H, W)`, bilinear with antialiasing.

    Antialiasing (`tf.image.resize(..., antialias=True)`) averages over the
    pixels a shrunk pixel covers, so that large photos shrink without
    aliasing; the aspect ratio is not kept. Values stay in [0, 1]. Images
    already of that size are returned as they are.
    """
    if size is None or tuple(x.shape[1:3]) == tuple(size):
        return x
    import tensorflow as tf

    chunks = [
        tf.image.resize(x[start:start + _RESIZE_CHUNK], size, method="bilinear", antialias=True)
        for start in range(0, len(x), _RESIZE_CHUNK)
    ]
    return np.clip(np.concatenate([np.asarray(c) for c in chunks]), 0.0, 1.0).astype(np.float32)


def split(x, y, fraction, seed, source):
    """`(x_train, y_train), (x_val, y_val)`: `fraction` of the images held out at random.

    The validation set has `max(1, round(fraction * n))` images (none when
    `fraction` is 0), the first of a permutation drawn with
    `numpy.random.default_rng(seed)`, as `load_digits` splits. `y` may be
    None; then both labels are None.

    Raises:
        ValueError: if fewer than 2 images would leave one on either side.
    """
    n = len(x)
    num_val = 0 if fraction == 0 else max(1, int(round(fraction * n)))
    if num_val >= n:
        raise ValueError(
            f"{source} must hold at least 2 images to hold out a validation fraction "
            f"(or pass validation_fraction=0). Received: {count(n, 'image')}"
        )
    order = np.random.default_rng(seed).permutation(n)
    val, train = order[:num_val], order[num_val:]
    if y is None:
        return (x[train], None), (x[val], None)
    return (x[train], y[train]), (x[val], y[val])
