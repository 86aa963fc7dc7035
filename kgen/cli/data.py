"""The data of `kgen train`: loading `--data`, and preparing it as a model's `DataSpec` says.

- `digits`: scikit-learn's 8x8 digits, 10% held out (`_VALIDATION_FRACTION`).
- `mnist:PATH`: a Keras `.npz` or a folder of IDX files; its test split is
  held out.
- `toy2d[:ring|grid]`: 2,000 points of a 2-D Gaussian mixture, 10% held
  out; the labels are each point's mode.
- `images:DIR`: `kgen.datasets.load_images`, 10% held out; labels from
  class sub-folders, else none.
- `npz:PATH[:KEY[:LABEL_KEY]]`: `kgen.datasets.load_npz`; its `x_test`,
  else 10% held out; labels when the archive has them, else none.

`--image-size` and `--color-mode` go to the last two. Images are in [0, 1];
`prepare` binarises them (`DataSpec.binary`) or scales them to a tanh
generator's [-1, 1] (`DataSpec.tanh_range`).
"""

import numpy as np

from kgen.cli.parser import UsageError

_VALIDATION_FRACTION = 0.1  # of digits, toy2d, images and npz without x_test
_TOY_POINTS = 2000


def load(kind, argument, seed, image_size=None, color_mode=None, prog="kgen train"):
    """Returns `(x_train, y_train), (x_val, y_val)`; malformed data files are usage errors.

    `kind` and `argument` come from `parser.parse_data_spec`. The labels `y`
    are the digit classes, for toy2d the index of each point's mode, for
    images the class sub-folder; `None` for images or arrays without labels.
    `image_size` (`(height, width)`) and `color_mode` apply to images and npz.
    """
    from kgen import datasets

    if kind == "digits":
        return datasets.load_digits(test_fraction=_VALIDATION_FRACTION, seed=seed)
    if kind == "toy2d":
        x, modes = datasets.toy_2d(argument, n=_TOY_POINTS, seed=seed)
        num_val = int(round(_VALIDATION_FRACTION * len(x)))
        return (x[num_val:], modes[num_val:]), (x[:num_val], modes[:num_val])
    own = {"image_size": image_size, "color_mode": color_mode,
           "validation_fraction": _VALIDATION_FRACTION, "seed": seed}
    try:
        if kind == "mnist":
            return datasets.load_mnist(argument)
        if kind == "images":
            return datasets.load_images(argument, **own)
        path, key, label_key = argument
        return datasets.load_npz(path, key=key, label_key=label_key, **own)
    except ValueError as error:
        raise UsageError(f"{prog}: error: {error}") from error


def check_not_empty(spec, **arrays):
    """Raises `UsageError` if an array (`training=x_train`, ...) holds no example."""
    for name, array in arrays.items():
        if len(array) == 0:
            raise UsageError(
                f"kgen train: error: the {name} data must hold at least one example. "
                f"Received: an array of shape {tuple(np.shape(array))} from --data={spec!r}"
            )


def check_labels(entry, spec, y_train):
    """Raises `UsageError` if the model trains on labels and the data has none."""
    if entry.data.labelled and y_train is None:
        raise UsageError(
            f"kgen train: error: `MODEL` {entry.name} needs labelled data (digits, mnist:PATH, "
            "class sub-folders of images:DIR, or labels in npz:PATH). "
            f"Received: --data={spec!r} (no labels)"
        )


def check_finite(spec, **arrays):
    """Raises `UsageError` if an array (`training=x_train`, ...) holds NaN or infinite values."""
    for name, array in arrays.items():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        if bad:
            raise UsageError(
                f"kgen train: error: the {name} data must be finite numbers. "
                f"Received: {bad} NaN or infinite values in --data={spec!r}"
            )


def prepare(data_spec, x):
    """`x` as the model trains on it: binarised (`pixel > 0.5`) or scaled to [-1, 1] if images.

    Args:
        data_spec: the model's `registry.DataSpec`.
        x: images `(n, H, W, C)` in [0, 1], or points `(n, d)` (kept as they are
            for a tanh generator: on points the GANs have a linear output).

    Returns:
        The prepared array, and the range of its values for the pictures.
    """
    if data_spec.binary:
        from kgen.datasets import binarize

        x = binarize(x)
    if data_spec.tanh_range and x.ndim == 4:
        from kgen.datasets import to_tanh_range

        return to_tanh_range(x), (-1.0, 1.0)
    return x, (0.0, 1.0)
