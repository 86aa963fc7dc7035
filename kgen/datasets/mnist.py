"""MNIST from a local path: a Keras-layout `.npz` or the four IDX `.gz` files.

kgen never downloads data. Point `load_mnist` at either

- a `.npz` archive in the layout of Keras' `mnist.npz` (arrays `x_train`,
  `y_train`, `x_test`, `y_test`; images uint8 of shape `(N, 28, 28)`), or
- a folder holding the original files from Yann LeCun's page:
  `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
  `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`.

The IDX format: a big-endian int32 magic number `0x0000TTDD` (type `TT` = 0x08
for unsigned bytes, `DD` dimensions; 2051 for images, 2049 for labels), then
`DD` big-endian int32 sizes, then the bytes in row-major order.
"""

import gzip
import pathlib
import zipfile

import numpy as np

IMAGE_SIZE = 28
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
_IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions.
_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension.


def load_mnist(path, normalize=True):
    """Loads MNIST from a `.npz` archive or a folder of IDX `.gz` files.

    Args:
        path: str or path-like; a Keras-layout `.npz` file or a folder holding
            the four MNIST IDX `.gz` files (see the module docstring).
        normalize: bool. `True` (default) returns float32 images in [0, 1]
            (raw value / 255); `False` returns the raw uint8 values 0..255.
            For the usual fixed binarisation "raw > 127", apply
            `binarize(x, threshold=0.5)` to normalised images: since
            127/255 < 0.5 < 128/255 it selects exactly the same pixels.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images of shape
        `(N, 28, 28, 1)` (float32 in [0, 1], or uint8 if `normalize=False`)
        and int64 labels of shape `(N,)`. The official files give 60,000
        training and 10,000 test images.

    Raises:
        ValueError: if `path` does not exist, or the data are malformed: not a
            zip archive, missing arrays or files, bad gzip stream, wrong IDX
            magic number, truncated or oversized IDX data, images that are not
            uint8 `(N, 28, 28)`, or different numbers of images and labels. The
            message names what was expected and what was found.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = load_mnist("mnist.npz")
    ... # doctest: +SKIP
    """
    path = pathlib.Path(path)
    if path.is_dir():
        arrays = _read_idx_folder(path)
    elif path.is_file():
        arrays = _read_npz(path)
    else:
        raise ValueError(
            "`path` must be an existing .npz file or a folder holding the four "
            f"MNIST IDX .gz files. Received: path={str(path)!r} (does not exist)"
        )
    splits = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        _check_split(x, y, split, path)
        x = x[..., np.newaxis]
        if normalize:
            x = x.astype("float32") / 255.0
        splits.append((x, y.astype("int64")))
    return tuple(splits)


def _read_npz(path):
    """Reads the four arrays of a Keras-layout `mnist.npz`."""
    if not zipfile.is_zipfile(path):
        raise ValueError(
            "`path` must be a .npz (zip) archive or a folder holding the four "
            f"MNIST IDX .gz files. Received: path={str(path)!r} "
            "(a file that is not a zip archive)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = sorted(archive.files)
            missing = [key for key in _NPZ_KEYS if key not in found]
            if missing:
                raise ValueError(
                    f"MNIST archive {str(path)!r} must hold the arrays "
                    f"{list(_NPZ_KEYS)}. Received: arrays {found} "
                    f"(missing {missing})"
                )
            return {key: archive[key] for key in _NPZ_KEYS}
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"MNIST archive {str(path)!r} must be a readable .npz file. "
            f"Received: a file numpy cannot read ({error})"
        ) from error


def _read_idx_folder(folder):
    """Reads the four IDX `.gz` files of the original MNIST distribution."""
    missing = [name for name in _IDX_FILES.values() if not (folder / name).is_file()]
    if missing:
        found = sorted(entry.name for entry in folder.iterdir())
        raise ValueError(
            f"MNIST folder {str(folder)!r} must hold the files "
            f"{list(_IDX_FILES.values())}. Received: files {found} "
            f"(missing {missing})"
        )
    return {
        key: _read_idx(
            folder / name, _IMAGES_MAGIC if key.startswith("x") else _LABELS_MAGIC
        )
        for key, name in _IDX_FILES.items()
    }


def _read_idx(file, magic):
    """Parses one gzip-compressed IDX file of unsigned bytes.

    Args:
        file: `pathlib.Path` of the `.gz` file.
        magic: the expected magic number, 2051 (images) or 2049 (labels); its
            low byte is the number of dimensions.

    Returns:
        uint8 array whose shape is the one declared in the header.
    """
    kind = "images" if magic == _IMAGES_MAGIC else "labels"
    try:
        with gzip.open(file, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as error:
        raise ValueError(
            f"MNIST file {str(file)!r} must be a complete gzip stream. "
            f"Received: a file gzip cannot read ({error})"
        ) from error
    if len(data) < 4:
        raise ValueError(
            f"MNIST file {str(file)!r} must start with a 4-byte IDX magic "
            f"number. Received: {len(data)} bytes in all"
        )
    found_magic = int.from_bytes(data[:4], "big")
    if found_magic != magic:
        raise ValueError(
            f"MNIST file {str(file)!r} must start with the IDX magic number "
            f"{magic} ({kind}: unsigned bytes, {magic & 0xFF} dimensions). "
            f"Received: magic number {found_magic}"
        )
    num_dims = magic & 0xFF
    header_size = 4 + 4 * num_dims
    if len(data) < header_size:
        raise ValueError(
            f"MNIST file {str(file)!r} must have a {header_size}-byte IDX "
            f"header. Received: {len(data)} bytes in all (truncated header)"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", num_dims, offset=4))
    expected_bytes = int(np.prod(shape))
    found_bytes = len(data) - header_size
    if found_bytes != expected_bytes:
        state = "truncated" if found_bytes < expected_bytes else "trailing bytes"
        raise ValueError(
            f"MNIST file {str(file)!r} must hold {expected_bytes} data bytes "
            f"after its header (shape {shape}). Received: {found_bytes} bytes "
            f"({state})"
        )
    return np.frombuffer(data, np.uint8, offset=header_size).reshape(shape)


def _check_split(x, y, split, path):
    """Checks one split: uint8 images `(N, 28, 28)` and `N` rank-1 labels."""
    expected = f"uint8 images of shape (N, {IMAGE_SIZE}, {IMAGE_SIZE})"
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE,) * 2:
        raise ValueError(
            f"MNIST data at {str(path)!r} must hold {expected} in `x_{split}`. "
            f"Received: x_{split} of dtype {x.dtype} and shape {x.shape}"
        )
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(
            f"MNIST data at {str(path)!r} must hold one label per image in "
            f"`y_{split}`, shape ({len(x)},). Received: y_{split} of shape "
            f"{y.shape} for {len(x)} images"
        )
