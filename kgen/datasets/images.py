"""A folder of image files (PNG, JPEG, BMP, GIF), with class sub-folders as labels when present.

Two layouts, as `keras.utils.image_dataset_from_directory` reads them:

```
flowers/                      photos/
  daisy/001.jpg ...             001.png
  tulip/001.jpg ...             002.png ...
```

On the left, each sub-folder holding images is a class; the labels are
the folders' indices in sorted order (`daisy` 0, `tulip` 1), and the
images may sit deeper inside them. On the right there are no labels.
Files decode with TensorFlow's `tf.io.decode_image` (the first frame of
an animated GIF); other files (a `labels.csv`, `.DS_Store`) are skipped.
"""

import pathlib
import re

import numpy as np

from kgen import _validation
from kgen.datasets import _arrays

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def load_images(directory, image_size=None, color_mode=None, validation_fraction=0.1, seed=0):
    """Loads a folder of images as float32 arrays in [0, 1], split into training and validation.

    Every image is decoded to 8-bit values, converted to the colour mode,
    resized to `image_size` (bilinear with antialiasing; the aspect ratio
    is not kept) and divided by 255. The whole set is held in memory:
    `n * H * W * C * 4` bytes.

    Args:
        directory: str or path-like; a folder of image files, or of class
            sub-folders of image files (see the module docstring).
        image_size: `None` (default: the images must all have one size), an
            int `n` for `n` x `n`, or `(height, width)` in pixels.
        color_mode: `None` (default: `"grayscale"` if every image is stored
            grey, else `"rgb"`), `"grayscale"` (1 channel; colour images
            become their luma `0.2989 R + 0.5870 G + 0.1140 B`) or `"rgb"`
            (3 channels; grey images are repeated). An alpha channel is
            dropped.
        validation_fraction: float in [0, 1); the fraction of the images
            held out (at least one when positive), chosen by a permutation
            drawn from `seed` as in `load_digits`. 0 gives an empty
            validation set.
        seed: int, seeds the permutation. The same seed gives the same split.

    Returns:
        `(x_train, y_train), (x_val, y_val)`: float32 images of shape
        `(n, H, W, C)` with values in [0, 1], and int64 labels of shape
        `(n,)` (the index of each image's class sub-folder in sorted order)
        or `None` when the images are not in class sub-folders.

    Raises:
        ValueError: if `directory` is not a folder or holds no image files,
            images lie both beside and inside class sub-folders, a file
            cannot be decoded, the images have several sizes and no
            `image_size` is given, fewer than 2 images are there to split,
            or an argument is invalid. The message names what was expected
            and what was found, with at most three example file names.

    Example:

    >>> (x_train, y_train), (x_val, y_val) = load_images(
    ...     "flowers", image_size=64, color_mode="rgb")  # doctest: +SKIP
    >>> x_train.shape                                    # doctest: +SKIP
    (2936, 64, 64, 3)
    """
    size = _arrays.image_size(image_size)
    mode = _arrays.color_mode(color_mode)
    fraction = _arrays.holdout_fraction(validation_fraction)
    seed = _validation.seed(seed)
    if not isinstance(directory, (str, pathlib.PurePath)):
        _validation.fail("directory", "a path (str or path-like) of a folder", directory)
    folder = pathlib.Path(directory)
    if not folder.is_dir():
        state = "a file" if folder.exists() else "does not exist"
        raise ValueError(
            "`directory` must be an existing folder of images. "
            f"Received: directory={str(directory)!r} ({state})"
        )
    files, labels = _list_images(folder)
    images = [_decode(folder, file) for file in files]
    if mode is None:
        mode = "grayscale" if all(image.shape[-1] <= 2 for image in images) else "rgb"
    channels = 1 if mode == "grayscale" else 3
    if size is None:
        size = _one_size(folder, files, images)
    x = np.empty((len(images), *size, channels), dtype=np.float32)
    for i, image in enumerate(images):
        image = _arrays.to_channels(image[np.newaxis], channels) / 255.0
        x[i] = _arrays.resize(image, size)[0]
    y = None if labels is None else np.asarray(labels, dtype=np.int64)
    return _arrays.split(x, y, fraction, seed, f"`directory` {str(directory)!r}")


def _is_image(path):
    return path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file()


def _list_images(folder):
    """`(files, labels)`: image paths in sorted order, and their class indices or None."""
    entries = sorted(folder.iterdir())
    loose = [entry for entry in entries if _is_image(entry)]
    classes = []
    for entry in entries:
        if entry.is_dir() and not entry.name.startswith("."):
            inside = sorted(path for path in entry.rglob("*") if _is_image(path))
            if inside:
                classes.append(inside)
    if loose and classes:
        class_names = [files[0].relative_to(folder).parts[0] for files in classes]
        raise ValueError(
            f"`directory` {str(folder)!r} must hold its images either directly or in class "
            f"sub-folders, not both. Received: {_arrays.count(len(loose), 'image')} beside the sub-folders "
            f"({_arrays.some_names(entry.name for entry in loose)}) and sub-folders with images "
            f"({_arrays.some_names(class_names)})"
        )
    if classes:
        files = [path for inside in classes for path in inside]
        labels = [label for label, inside in enumerate(classes) for _ in inside]
        return files, labels
    if not loose:
        others = [entry.name for entry in entries if not entry.name.startswith(".")]
        entries_word = "entry" if len(others) == 1 else "entries"
        found = f"{len(others)} other {entries_word}: {_arrays.some_names(others)}" if others else "empty"
        raise ValueError(
            f"`directory` must hold image files ({', '.join(IMAGE_EXTENSIONS)}), directly or in "
            f"class sub-folders. Received: directory={str(folder)!r} (no image files; {found})"
        )
    return loose, None


def _decode(folder, file):
    """The image in `file` as uint8 `(height, width, channels)`, channels as stored (1 to 4)."""
    import tensorflow as tf

    name = str(file.relative_to(folder))
    try:
        contents = file.read_bytes()
        image = tf.io.decode_image(contents, channels=0, dtype=tf.uint8, expand_animations=False)
    except (OSError, tf.errors.OpError) as error:
        # TensorFlow's message without its `{{function_node ...}}` and `[Op:...]` wrapping.
        reason = re.sub(r"\{\{.*?\}\}|\[Op:\w+\]", "", str(getattr(error, "message", error)))
        reason = " ".join(reason.split())
        raise ValueError(
            f"Image file {name!r} in {str(folder)!r} must be a readable BMP, GIF, JPEG or PNG "
            f"image. Received: a file that cannot be decoded ({reason})"
        ) from error
    return image.numpy()


def _one_size(folder, files, images):
    """The `(height, width)` the images share; raises if they have several."""
    sizes = {}
    for file, image in zip(files, images):
        sizes.setdefault(image.shape[:2], []).append(file.relative_to(folder))
    if len(sizes) == 1:
        return next(iter(sizes))
    ranked = sorted(sizes.items(), key=lambda item: -len(item[1]))
    found = "; ".join(
        f"{h}x{w}: {_arrays.count(len(names), 'image')} "
        f"({_arrays.some_names(names)})"
        for (h, w), names in ranked[:3]
    )
    more = f"; and {len(ranked) - 3} more sizes" if len(ranked) > 3 else ""
    raise ValueError(
        f"The images in {str(folder)!r} must all have one size, or pass `image_size` "
        f"(the CLI's --image-size) to resize them. Received: {len(sizes)} sizes, {found}{more}"
    )
