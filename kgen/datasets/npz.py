"""Images from any NumPy `.npz` archive: uint8 0..255 or floats in [0, 1], labels optional.

Which arrays are read, in this order:

1. `key` given: that array, and the `label_key` array as labels if given;
   a fraction is held out for validation.
2. The archive holds `x_train` (Keras' layout): `x_train`, and `x_test`
   as the validation set when present (else a fraction of `x_train` is
   held out); `y_train` / `y_test` are the labels when present.
3. The archive holds a single array: that array, without labels; a
   fraction is held out.

Images are `(n, H, W)` (grey) or `(n, H, W, C)` with `C` = 1 or 3.
"""

import pathlib
import zipfile

import numpy as np

from kgen import _validation
from kgen.datasets import _arrays


def load_npz(path, key=None, label_key=None, image_size=None, color_mode=None,
             validation_fraction=0.1, seed=0):
    """Loads images (and optional labels) from a `.npz` archive as float32 arrays in [0, 1].

    Integer images (uint8, or any integer type with values in 0..255) are
    divided by 255; boolean images become 0.0 and 1.0; floating-point
    images must already be finite values in [0, 1]. Then, if asked, they
    are converted to a colour mode and resized as `load_images` does.

    Args:
        path: str or path-like; a `.npz` archive (`numpy.savez`).
        key: `None` (default: `x_train`/`x_test`, or the archive's single
            array; see the module docstring) or the name of the images array.
        label_key: `None` or, with `key`, the name of an array of integer
            labels `(n,)` (e.g. `"labels"`).
        image_size: `None` (default: keep the size), an int `n` for `n` x
            `n`, or `(height, width)`: resized, bilinear with antialiasing.
        color_mode: `None` (default: keep the channels), `"grayscale"` (1
            channel, the luma of RGB) or `"rgb"` (3 channels, grey repeated).
        validation_fraction: float in [0, 1); the fraction held out (at
            least one image when positive) when the archive has no `x_test`,
            chosen by a permutation drawn from `seed` as in `load_digits`.
        seed: int, seeds the permutation.

    Returns:
        `(x_train, y_train), (x_val, y_val)`: float32 images `(n, H, W, C)`
        with values in [0, 1], `C` = 1 or 3, and int64 labels `(n,)` or
        `None` when the archive has none.

    Raises:
        ValueError: if `path` is not a readable `.npz` archive, the arrays
            named are missing, images are not `(n, H, W)` or `(n, H, W, C)`
            with `C` in {1, 3}, hold no image, hold values out of range or
            NaN, labels are not one non-negative integer per image, or an
            argument is invalid. The message names what was expected and
            what was found.

    Example:

    >>> (x_train, y_train), (x_val, y_val) = load_npz(
    ...     "patches.npz", key="images", label_key="labels")  # doctest: +SKIP
    """
    for name, value in (("key", key), ("label_key", label_key)):
        if value is not None and not (isinstance(value, str) and value):
            _validation.fail(name, "None or the name of an array in the archive", value)
    if label_key is not None and key is None:
        _validation.fail("label_key", "None when `key` is None (the labels of the `key` array)",
                         label_key)
    size = _arrays.image_size(image_size)
    mode = _arrays.color_mode(color_mode)
    fraction = _arrays.holdout_fraction(validation_fraction)
    seed = _validation.seed(seed)
    source = f"{str(path)!r}"
    arrays = _read(path, key, label_key)
    channels = None if mode is None else (1 if mode == "grayscale" else 3)
    x_train = _images(arrays["x_train"], arrays["names"][0], source, size, channels)
    y_train = _labels(arrays["y_train"], len(x_train), arrays["names"][1], source)
    if arrays["x_test"] is None:
        return _arrays.split(x_train, y_train, fraction, seed, f"The images of {source}")
    x_test = _images(arrays["x_test"], "x_test", source, size, channels)
    if x_test.shape[1:] != x_train.shape[1:]:
        raise ValueError(
            f"`x_test` of {source} must have the image shape of `x_train`, "
            f"{x_train.shape[1:]}, or pass `image_size`. Received: x_test of shape {x_test.shape}"
        )
    y_test = _labels(arrays["y_test"], len(x_test), "y_test", source)
    return (x_train, y_train), (x_test, y_test)


def _read(path, key, label_key):
    """The arrays to use: a dict of `x_train`, `y_train`, `x_test`, `y_test` (or None) and `names`."""
    file = pathlib.Path(path)
    if not file.is_file():
        state = "a folder" if file.is_dir() else "does not exist"
        raise ValueError(f"`path` must be an existing .npz file. Received: path={str(path)!r} ({state})")
    if not zipfile.is_zipfile(file):
        raise ValueError(
            f"`path` must be a .npz (zip) archive. Received: path={str(path)!r} "
            "(a file that is not a zip archive)"
        )
    try:
        with np.load(file, allow_pickle=False) as archive:
            found = sorted(archive.files)

            def get(name, what):
                if name not in found:
                    raise ValueError(
                        f"`{what}` must name an array of {str(path)!r}. Received: {what}={name!r} "
                        f"(the archive holds {_arrays.some_names(found) or 'no arrays'})"
                    )
                return archive[name]

            if key is not None:
                labels = None if label_key is None else get(label_key, "label_key")
                return {"x_train": get(key, "key"), "y_train": labels, "x_test": None,
                        "y_test": None, "names": (key, label_key)}
            if "x_train" in found:
                return _keras_layout(archive, found, path)
            if len(found) == 1:
                return {"x_train": archive[found[0]], "y_train": None, "x_test": None,
                        "y_test": None, "names": (found[0], None)}
            raise ValueError(
                f"`key` must name the images array of {str(path)!r}, which holds "
                f"{len(found)} arrays and no `x_train`. Received: key=None "
                f"(arrays {_arrays.some_names(found) or 'none'})"
            )
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"`path` must be a readable .npz file. Received: path={str(path)!r} "
            f"(numpy cannot read it: {error})"
        ) from error


def _keras_layout(archive, found, path):
    """`x_train`, optional `x_test`, and `y_train`/`y_test` when every split has them."""
    splits = ("train", "test") if "x_test" in found else ("train",)
    with_labels = [f"y_{split}" for split in splits if f"y_{split}" in found]
    if with_labels and len(with_labels) != len(splits):
        missing = sorted({f"y_{split}" for split in splits} - set(with_labels))
        raise ValueError(
            f"The archive {str(path)!r} must hold labels for every split it has, or none. "
            f"Received: arrays {found} (missing {missing})"
        )
    arrays = {name: archive[name] if name in found else None
              for name in ("x_train", "y_train", "x_test", "y_test")}
    arrays["names"] = ("x_train", "y_train")
    return arrays


def _images(x, name, source, size, channels):
    """`x` as float32 `(n, H, W, C)` in [0, 1], converted to `channels` and resized."""
    expected = "images of shape (n, H, W) or (n, H, W, C) with C = 1 or 3"
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3)):
        hint = ""
        if x.ndim == 4 and x.shape[1] in (1, 3):
            hint = "; channels first? move them last with numpy.moveaxis(x, 1, -1)"
        raise ValueError(f"`{name}` of {source} must be {expected}. Received: shape {x.shape}{hint}")
    if x.size == 0:
        raise ValueError(
            f"`{name}` of {source} must hold at least one image. Received: shape {x.shape}"
        )
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.dtype == bool:
        x = x.astype(np.float32)
    elif np.issubdtype(x.dtype, np.integer):
        low, high = int(x.min()), int(x.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"`{name}` of {source} must hold integer pixel values in 0..255. "
                f"Received: values in [{low}, {high}] (dtype {x.dtype})"
            )
        x = x.astype(np.float32) / 255.0
    elif np.issubdtype(x.dtype, np.floating):
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        if bad:
            raise ValueError(
                f"`{name}` of {source} must hold finite numbers. "
                f"Received: {bad} NaN or infinite values"
            )
        low, high = float(x.min()), float(x.max())
        if low < 0 or high > 1:
            raise ValueError(
                f"`{name}` of {source} must hold floats in [0, 1] (or uint8 0..255). "
                f"Received: values in [{low:g}, {high:g}] (dtype {x.dtype}; divide 0..255 "
                "values by 255)"
            )
        x = x.astype(np.float32)
    else:
        raise ValueError(f"`{name}` of {source} must be {expected} of numbers. Received: dtype {x.dtype}")
    if channels is not None:
        x = _arrays.to_channels(x, channels)
    return _arrays.resize(x, size)


def _labels(y, n, name, source):
    """`y` as int64 `(n,)`, or None; non-negative integers, one per image."""
    if y is None:
        return None
    if y.shape != (n,) or not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool):
        raise ValueError(
            f"`{name}` of {source} must hold one integer label per image, shape ({n},). "
            f"Received: {name} of dtype {y.dtype} and shape {y.shape}"
        )
    if n and int(y.min()) < 0:
        raise ValueError(
            f"`{name}` of {source} must hold labels >= 0. Received: a label {int(y.min())}"
        )
    return y.astype(np.int64)
