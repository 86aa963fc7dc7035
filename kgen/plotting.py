"""Pictures of generative models: image grids, PNG files, curves, manifolds.

Pure NumPy and Matplotlib. Figures are drawn on Matplotlib's Agg canvas
directly (`matplotlib.figure.Figure` + `FigureCanvasAgg`), never through
`pyplot`, so importing this module neither selects a global backend nor
keeps figures alive in a global registry.

Every function that makes a picture returns it as a `uint8` array of shape
`[height, width, channels]`; `save_png` writes such an array. The same
arrays go to TensorBoard (`tf.summary.image`) in `kgen.callbacks`.

Example:

>>> import numpy as np
>>> from kgen import plotting
>>> images = np.random.default_rng(0).uniform(size=(10, 8, 8, 1))
>>> grid = plotting.image_grid(images, ncols=5)
>>> grid.shape  # 2 rows of 8 pixels + 1 pad, 5 columns of 8 + 4 pads
(17, 44, 1)
"""

import math
import os
import statistics

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def image_grid(images, ncols=None, pad=1, pad_value=1.0, scale=1):
    """Tiles a batch of images into one picture.

    Tile `k` goes to row `k // ncols`, column `k % ncols`; its top-left
    pixel is at `(row * (H + pad), col * (W + pad))` (with `H`, `W` the
    tile size after enlarging by `scale`). Tiles are separated
    by `pad` pixels of `pad_value`; empty cells of the last row are filled
    with `pad_value` too.

    Args:
        images: array-like `[N, H, W, C]` (or `[N, H, W]`, read as `C = 1`)
            with values in [0, 1]; values outside are clipped.
            `C` is 1 (grey), 3 (RGB) or 4 (RGBA).
        ncols: number of columns. Defaults to `ceil(sqrt(N))`.
        pad: pixels between tiles, >= 0.
        pad_value: intensity of the padding, in [0, 1] (1 is white).
        scale: positive int; each image is enlarged `scale` times by pixel
            repetition (nearest neighbour), e.g. 4 for 8x8 digits.

    Returns:
        `uint8` array `[rows * H + (rows - 1) * pad,
        ncols * W + (ncols - 1) * pad, C]`, `rows = ceil(N / ncols)`.

    Raises:
        ValueError: if `images` is not rank 3 or 4, is empty, has an
            unsupported channel count, or if `ncols`, `pad` or `scale` is
            invalid.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(
            "`images` must be a non-empty array of shape [N, H, W, C] or "
            f"[N, H, W]. Received: images.shape={images.shape}"
        )
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"`scale` must be a positive integer. Received: scale={scale!r}")
    images = np.repeat(np.repeat(images, scale, axis=1), scale, axis=2)
    n, height, width, channels = images.shape
    if channels not in (1, 3, 4):
        raise ValueError(
            "`images` must have 1, 3 or 4 channels. "
            f"Received: images.shape={images.shape}"
        )
    if ncols is None:
        ncols = math.ceil(math.sqrt(n))
    if not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"`ncols` must be a positive integer. Received: ncols={ncols!r}")
    if not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"`pad` must be a non-negative integer. Received: pad={pad!r}")
    ncols = int(min(ncols, n))
    nrows = math.ceil(n / ncols)
    grid = np.full(
        (nrows * height + (nrows - 1) * pad, ncols * width + (ncols - 1) * pad, channels),
        pad_value,
        dtype=np.float32,
    )
    for k in range(n):
        top = (k // ncols) * (height + pad)
        left = (k % ncols) * (width + pad)
        grid[top : top + height, left : left + width] = images[k]
    return _to_uint8(grid)


def reconstruction_grid(originals, reconstructions, ncols=8, pad=1, scale=1):
    """Originals and their reconstructions in alternating rows.

    Row `2r` shows originals `r * ncols ... (r + 1) * ncols - 1` and row
    `2r + 1` their reconstructions, so each reconstruction sits directly
    below its original.

    Args:
        originals: `[N, H, W, C]` in [0, 1].
        reconstructions: same shape as `originals`.
        ncols: pairs per row.
        pad: pixels between tiles.
        scale: enlargement factor (see `image_grid`).

    Returns:
        `uint8` array, as from `image_grid`.
    """
    originals = np.asarray(originals, dtype=np.float32)
    reconstructions = np.asarray(reconstructions, dtype=np.float32)
    if originals.shape != reconstructions.shape:
        raise ValueError(
            "`reconstructions` must have the shape of `originals`. "
            f"Received: originals.shape={originals.shape}, "
            f"reconstructions.shape={reconstructions.shape}"
        )
    n = originals.shape[0]
    ncols = int(min(ncols, n))
    nrows = math.ceil(n / ncols)
    blank = np.ones_like(originals[:1])
    tiles = []
    for r in range(nrows):
        for source in (originals, reconstructions):
            row = list(source[r * ncols : (r + 1) * ncols])
            row += [blank[0]] * (ncols - len(row))
            tiles.extend(row)
    return image_grid(np.stack(tiles), ncols=ncols, pad=pad, scale=scale)


def gaussian_quantile_grid(n=15, low=0.05, high=0.95):
    """Points of a 2D latent space at standard-normal quantiles.

    As in Kingma & Welling (2013, fig. 4): linearly spaced probabilities
    `p` in `[low, high]` are mapped through the inverse CDF of N(0, 1), so
    the grid covers the prior evenly in probability mass.

    Args:
        n: points per axis.
        low, high: probability range, `0 < low < high < 1`.

    Returns:
        `float32` array `[n * n, 2]`, row-major for a picture: row `i`
        (top to bottom) has `z[1]` decreasing, column `j` has `z[0]`
        increasing.
    """
    if not 0.0 < low < high < 1.0:
        raise ValueError(
            "`low` and `high` must satisfy 0 < low < high < 1. "
            f"Received: low={low!r}, high={high!r}"
        )
    normal = statistics.NormalDist()
    values = np.array([normal.inv_cdf(p) for p in np.linspace(low, high, n)])
    z0, z1 = np.meshgrid(values, values[::-1])
    return np.stack([z0.ravel(), z1.ravel()], axis=-1).astype(np.float32)


def latent_manifold(decode_mean_fn, n=15, low=0.05, high=0.95, pad=1, scale=1):
    """The learned 2D manifold: decoder means over a grid of latent values.

    Args:
        decode_mean_fn: callable mapping `z` of shape `[n * n, 2]` (float32)
            to decoded means `[n * n, H, W, C]` in [0, 1] (array-like).
        n: grid points per axis; the picture has `n x n` tiles.
        low, high: probability range of the quantile grid
            (see `gaussian_quantile_grid`).
        pad: pixels between tiles.
        scale: enlargement factor (see `image_grid`).

    Returns:
        `uint8` array from `image_grid`, tile `(i, j)` decoded from
        `gaussian_quantile_grid(n, low, high)[i * n + j]`.
    """
    z = gaussian_quantile_grid(n, low, high)
    images = np.asarray(decode_mean_fn(z), dtype=np.float32)
    return image_grid(images, ncols=n, pad=pad, scale=scale)


def scatter_image(points, title=None, size=4.0, dpi=100, limits=None):
    """A scatter plot of 2D points rendered to an RGB array.

    Used for models of 2D toy data, whose samples are points, not images.

    Args:
        points: array-like `[N, 2]`.
        title: optional figure title.
        size: figure side in inches.
        dpi: dots per inch; the picture is `size * dpi` pixels square.
        limits: optional `(low, high)` for both axes.

    Returns:
        `uint8` array `[size * dpi, size * dpi, 3]`.
    """
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"`points` must have shape [N, 2]. Received: points.shape={points.shape}")
    figure = Figure(figsize=(size, size), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6)
    axes.set_aspect("equal", adjustable="datalim")
    if limits is not None:
        axes.set_xlim(*limits)
        axes.set_ylim(*limits)
    if title:
        axes.set_title(title)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_png(path, array):
    """Writes an image array to a PNG file, creating parent folders.

    Args:
        path: file path (str or `os.PathLike`).
        array: `[H, W]`, `[H, W, 1]`, `[H, W, 3]` or `[H, W, 4]`; `uint8`,
            or floating point in [0, 1] (clipped, then scaled to 0..255).

    Returns:
        `path`.
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        array = _to_uint8(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(
            "`array` must have shape [H, W], [H, W, 1], [H, W, 3] or [H, W, 4]. "
            f"Received: array.shape={array.shape}"
        )
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    from PIL import Image

    Image.fromarray(array).save(os.fspath(path), format="PNG")
    return path


def plot_curves(history, path, title="", ylabel="value", xlabel="epoch"):
    """Training and validation curves on one figure, saved as PNG.

    Each key `name` is drawn as a solid line and its `val_name` partner, if
    present, as a dashed line of the same colour. Epochs are numbered from 1.

    Args:
        history: dict mapping a metric name to per-epoch values, e.g.
            `{"elbo": [...], "val_elbo": [...]}` (as in `History.history`).
        path: PNG file to write.
        title: figure title.
        ylabel: y-axis label, with units, e.g. `"ELBO (nats)"`.
        xlabel: x-axis label.

    Returns:
        `path`.
    """
    if not history:
        raise ValueError(f"`history` must name at least one curve. Received: history={history!r}")
    figure = Figure(figsize=(6, 4), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    names = [k for k in history if not k.startswith("val_")]
    names += [k[4:] for k in history if k.startswith("val_") and k[4:] not in history]
    for index, name in enumerate(names):
        color = f"C{index % 10}"
        lines = ((name, "-", f"train {name}"), (f"val_{name}", "--", f"validation {name}"))
        for key, style, label in lines:
            values = history.get(key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                axes.plot(epochs, values, style, color=color, marker="o", markersize=3, label=label)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    canvas.print_png(os.fspath(path))
    return path


def auto_scale(image_height, min_height=28):
    """The smallest integer enlargement making a tile at least `min_height` pixels tall.

    E.g. 4 for 8x8 digits, 1 for 28x28 MNIST.
    """
    return max(1, math.ceil(min_height / image_height))


def _to_uint8(array):
    """Maps [0, 1] floats to 0..255, clipping and rounding to nearest."""
    return np.round(np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0) * 255.0).astype(np.uint8)
