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
from matplotlib.transforms import IdentityTransform

from kgen import _validation


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
    scale = _validation.positive_int("scale", scale)
    ncols = None if ncols is None else _validation.positive_int("ncols", ncols)
    pad = _validation.non_negative_int("pad", pad)
    pad_value = _validation.number("pad_value", pad_value, minimum=0, maximum=1)
    images = np.repeat(np.repeat(images, scale, axis=1), scale, axis=2)
    n, height, width, channels = images.shape
    if channels not in (1, 3, 4):
        raise ValueError(
            "`images` must have 1, 3 or 4 channels. "
            f"Received: images.shape={images.shape}"
        )
    if ncols is None:
        ncols = math.ceil(math.sqrt(n))
    ncols = min(ncols, n)
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


def reconstruction_grid(originals, reconstructions, ncols=8, pad=1, scale=1, labels=False):
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
        labels: if True, each row is labelled "original" or
            "reconstructed" in a margin on the left (`annotate_grid`).

    Returns:
        `uint8` array, as from `image_grid`; with `labels`, as from
        `annotate_grid` (RGB, the grid in its bottom-right corner).
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
    ncols = min(_validation.positive_int("ncols", ncols), n)
    nrows = math.ceil(n / ncols)
    blank = np.ones_like(originals[:1])
    tiles = []
    for r in range(nrows):
        for source in (originals, reconstructions):
            row = list(source[r * ncols : (r + 1) * ncols])
            row += [blank[0]] * (ncols - len(row))
            tiles.extend(row)
    grid = image_grid(np.stack(tiles), ncols=ncols, pad=pad, scale=scale)
    if not labels:
        return grid
    scale = _validation.positive_int("scale", scale)
    tile_shape = (originals.shape[1] * scale, originals.shape[2] * scale)
    return annotate_grid(grid, tile_shape, pad=pad, row_labels=["original", "reconstructed"] * nrows)


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
    n = _validation.positive_int("n", n)
    low = _validation.number("low", low, minimum=0, maximum=1, exclusive_minimum=True, exclusive_maximum=True)
    high = _validation.number("high", high, minimum=low, maximum=1, exclusive_minimum=True, exclusive_maximum=True)
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
    limits = None if limits is None else _validation.interval("limits", limits)
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


def plot_curves(history, path, title="", ylabel="value", xlabel="epoch", epochs=None):
    """Training and validation curves, one panel per metric, saved as PNG.

    Each key `name` gets its own panel (metrics of different scales, a
    GAN's `d_loss` and `d_real`, stay readable), with the training values
    as a solid line and its `val_name` partner, if present, as a dashed
    line of the same colour. Every value is marked, so a single epoch shows
    as a dot, and the last value of each curve is written beside it.

    Args:
        history: dict mapping a metric name to per-epoch values, e.g.
            `{"elbo": [...], "val_elbo": [...]}` (as in `History.history`).
            NaN values (epochs a metric was not computed) are not drawn.
        path: PNG file to write.
        title: figure title.
        ylabel: y-axis label, with units, e.g. `"ELBO (nats)"`: one string
            for every panel, or a dict mapping a metric name to its label
            (panels without an entry get none).
        xlabel: x-axis label.
        epochs: optional list of the 1-based epoch numbers of the values
            (e.g. `[4, 5, 6]`, or `range(1, n + 1)` for a whole run); the
            values of each key are the last ones of this list. Default:
            `1, 2, ...`.

    Returns:
        `path`.
    """
    figure, canvas = _curves_figure(history, title, ylabel, xlabel, epochs)
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    canvas.print_png(os.fspath(path))
    return path


def _curves_figure(history, title="", ylabel="value", xlabel="epoch", epochs=None):
    """The figure of `plot_curves`: `(figure, canvas)`, one `Axes` per metric in `figure.axes`."""
    if not history:
        raise ValueError(f"`history` must name at least one curve. Received: history={history!r}")
    names = [k for k in history if not k.startswith("val_")]
    names += [k[4:] for k in history if k.startswith("val_") and k[4:] not in history]
    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    size = (6.0, 4.0) if len(names) == 1 else (4.0 * ncols, 3.0 * nrows + 0.4)
    figure = Figure(figsize=size, dpi=100)
    canvas = FigureCanvasAgg(figure)
    for index, name in enumerate(names):
        axes = figure.add_subplot(nrows, ncols, index + 1)
        color = f"C{index % 10}"
        longest = 0
        lines = ((name, "-", "train"), (f"val_{name}", "--", "validation"))
        for key, style, label in lines:
            values = np.asarray(history.get(key, []), dtype=np.float64)
            if values.size == 0:
                continue
            steps = _epoch_numbers(epochs, len(values))
            longest = max(longest, len(values))
            axes.plot(steps, values, style, color=color, marker="o", markersize=5, label=label)
            finite = np.flatnonzero(np.isfinite(values))
            if finite.size:
                last = finite[-1]
                axes.annotate(f"{values[last]:.4g}", (steps[last], values[last]), textcoords="offset points",
                              xytext=(4, 4 if style == "-" else -10), fontsize=7, color=color)
        axes.margins(y=0.15)  # room for the values written beside the highest and lowest points
        first = _epoch_numbers(epochs, longest)[0] if longest else 1
        axes.set_xlim(first - 0.5, first + max(longest, 1) - 0.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        axes.set_xlabel(xlabel)
        label = ylabel.get(name) if isinstance(ylabel, dict) else ylabel
        if label:
            axes.set_ylabel(label)
        if len(names) > 1:
            axes.set_title(name, fontsize=10)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure, canvas


def _epoch_numbers(epochs, count):
    """The epoch numbers of the last `count` values: the end of `epochs`, or `1..count`."""
    if epochs is None:
        return np.arange(1, count + 1)
    epochs = np.asarray(list(epochs))
    if len(epochs) < count:
        raise ValueError(
            f"`epochs` must number every value ({count} values). Received: epochs={epochs.tolist()!r}"
        )
    return epochs[len(epochs) - count:]


def auto_scale(image_height, min_height=28):
    """The smallest integer enlargement making a tile at least `min_height` pixels tall.

    E.g. 4 for 8x8 digits, 1 for 28x28 MNIST.
    """
    return max(1, math.ceil(min_height / image_height))


MIN_PICTURE_WIDTH = 256  # pixels: the narrowest grid `legible_scale` draws


def legible_scale(image_shape, num_images, ncols=None, pad=1, min_height=28, min_width=MIN_PICTURE_WIDTH):
    """The smallest integer enlargement that makes a grid of images legible.

    Tiles are at least `min_height` pixels tall (`auto_scale`) and the
    grid of `image_grid(images, ncols, pad, scale)` at least `min_width`
    pixels wide: 16 MNIST digits (4 columns of 28 pixels, 115 pixels
    unscaled) are enlarged 3 times, to 339 pixels; 64 of them twice.

    Args:
        image_shape: `(H, W)` or `(H, W, C)` of one image, in pixels.
        num_images: int >= 1, the images in the grid.
        ncols: the grid's columns (default `ceil(sqrt(num_images))`, as
            `image_grid`).
        pad: pixels between tiles.
        min_height: pixels, the smallest tile height.
        min_width: pixels, the smallest grid width.

    Returns:
        An int >= 1.
    """
    height, width = (_validation.positive_int("image_shape", d) for d in tuple(image_shape)[:2])
    num_images = _validation.positive_int("num_images", num_images)
    ncols = math.ceil(math.sqrt(num_images)) if ncols is None else _validation.positive_int("ncols", ncols)
    ncols = min(ncols, num_images)
    pad = _validation.non_negative_int("pad", pad)
    wide_enough = math.ceil((min_width - (ncols - 1) * pad) / (ncols * width))
    return max(auto_scale(height, min_height), wide_enough, 1)


# Text around a grid: the labels are drawn by Matplotlib into white margins,
# and the grid's pixels copied in unchanged (no resampling).

_LABEL_FONT_PIXELS = 12
_LABEL_GAP = 4  # pixels between a label and the grid
_DPI = 100


def translation_grid(inputs, translations, cycled, pad=1, scale=1, names=("A", "B")):
    """Three labelled rows: images, their translations, and the translations translated back.

    Column `k` follows one image: `inputs[k]` (domain `names[0]`), its
    translation into `names[1]` below it, and the round trip back to
    `names[0]` at the bottom (what the cycle loss compares with the
    input). Grey images are drawn in grey on RGB tiles, so the domains
    may differ in channels (grey digits -> colour digits).

    Args:
        inputs: `[N, H, W, C]` in [0, 1].
        translations: `[N, H', W', C']` in [0, 1], the same `N`.
        cycled: `[N, H, W, C]` in [0, 1].
        pad: pixels between tiles.
        scale: enlargement factor (see `image_grid`).
        names: the two domains' names, for the row labels.

    Returns:
        `uint8` RGB array, as from `annotate_grid`.
    """
    rows = [np.asarray(r, dtype=np.float32) for r in (inputs, translations, cycled)]
    if not (len(rows[0]) == len(rows[1]) == len(rows[2]) > 0) or rows[0].shape != rows[2].shape:
        raise ValueError(
            "`inputs`, `translations` and `cycled` must hold the same number N >= 1 of images, "
            "`cycled` of the shape of `inputs`. Received: shapes "
            f"{rows[0].shape}, {rows[1].shape}, {rows[2].shape}"
        )
    height = max(r.shape[1] for r in rows)
    width = max(r.shape[2] for r in rows)
    tiles = []
    for row in rows:
        if row.ndim == 3:
            row = row[..., None]
        row = np.repeat(row, 3, axis=-1) if row.shape[-1] == 1 else row[..., :3]
        padded = np.ones((len(row), height, width, 3), np.float32)
        padded[:, : row.shape[1], : row.shape[2]] = row
        tiles.append(padded)
    n = len(rows[0])
    grid = image_grid(np.concatenate(tiles), ncols=n, pad=pad, scale=scale)
    source, target = names
    labels = [f"input ({source})", f"translated ({target})", f"cycled back ({source})"]
    return annotate_grid(grid, (height * scale, width * scale), pad=pad, row_labels=labels)


def annotate_grid(grid, tile_shape, pad=1, row_labels=None, column_labels=None, title=None):
    """A grid of `image_grid` with row labels on its left, column labels and a title above.

    The grid's pixels are copied unchanged into the bottom-right corner of
    the picture; the labels are written in black into white margins on
    the left (right-aligned, centred on each row) and at the top (centred
    on each column, the title above them).

    Args:
        grid: `uint8` array `[H, W, C]` from `image_grid` (`C` = 1, 3 or 4;
            an alpha channel is dropped).
        tile_shape: `(h, w)`, the size of one tile in the grid in pixels
            (after enlargement).
        pad: pixels between tiles, as given to `image_grid`.
        row_labels: optional list of strings, one per row from the top
            (fewer: the remaining rows are unlabelled).
        column_labels: optional list of strings, one per column from the left.
        title: optional string.

    Returns:
        `uint8` RGB array `[top + H, left + W, 3]`, `top` and `left` the
        margins the text needs (0 where there is none).

    Raises:
        ValueError: if `grid` is not `[H, W, C]`, or there are more labels
            than rows or columns.
    """
    _, canvas, (top, left) = _annotation_figure(grid, tile_shape, pad, row_labels, column_labels, title)
    grid = _rgb(grid)
    if top == 0 and left == 0:
        return grid
    canvas.draw()
    picture = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    picture[top:, left:] = grid
    return picture


def _rgb(grid):
    """`uint8` `[H, W, 3]` of a grid with 1, 3 or 4 channels."""
    if grid.shape[-1] == 1:
        return np.repeat(grid, 3, axis=-1)
    return grid[..., :3]


def _annotation_figure(grid, tile_shape, pad, row_labels, column_labels, title):
    """The Matplotlib figure of `annotate_grid` (its texts placed, the grid not yet pasted).

    Returns:
        `(figure, canvas, (top, left))`: the margins in pixels.
    """
    grid = np.asarray(grid)
    if grid.ndim != 3 or grid.shape[-1] not in (1, 3, 4):
        raise ValueError(f"`grid` must have shape [H, W, C], C in (1, 3, 4). Received: grid.shape={grid.shape}")
    tile_height, tile_width = (_validation.positive_int("tile_shape", d) for d in tile_shape)
    pad = _validation.non_negative_int("pad", pad)
    height, width = grid.shape[:2]
    nrows = (height + pad) // (tile_height + pad)
    ncols = (width + pad) // (tile_width + pad)
    row_labels = [str(label) for label in (row_labels or [])]
    column_labels = [str(label) for label in (column_labels or [])]
    if len(row_labels) > nrows:
        _validation.fail("row_labels", f"at most one label per row ({nrows} rows)", row_labels)
    if len(column_labels) > ncols:
        _validation.fail("column_labels", f"at most one label per column ({ncols} columns)", column_labels)
    # Text sizes in pixels, measured with the renderer that draws them.
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    font = FontProperties(size=_LABEL_FONT_PIXELS * 72 / _DPI)
    renderer = RendererAgg(1, 1, _DPI)

    def text_width(text):
        return math.ceil(renderer.get_text_width_height_descent(text, font, ismath=False)[0])

    line = math.ceil(_LABEL_FONT_PIXELS * 1.3)
    left = max((text_width(t) for t in row_labels), default=0)
    left = left + 2 * _LABEL_GAP if left else 0
    if title:  # wide enough for the title
        left = max(left, text_width(title) + 2 * _LABEL_GAP - width)
    top = (line + _LABEL_GAP if column_labels else 0) + (line + _LABEL_GAP if title else 0)
    total_height, total_width = top + height, left + width
    # A quarter pixel more, so that rounding the figure size keeps it.
    figure = Figure(figsize=((total_width + 0.25) / _DPI, (total_height + 0.25) / _DPI), dpi=_DPI)
    canvas = FigureCanvasAgg(figure)
    pixels = IdentityTransform()  # display coordinates: pixels from the bottom left

    def y_of(row_from_top):
        return total_height - row_from_top

    for r, text in enumerate(row_labels):
        centre = top + r * (tile_height + pad) + tile_height / 2
        figure.text(left - _LABEL_GAP, y_of(centre), text, transform=pixels, fontproperties=font,
                    ha="right", va="center")
    for c, text in enumerate(column_labels):
        centre = left + c * (tile_width + pad) + tile_width / 2
        figure.text(centre, y_of(top - _LABEL_GAP), text, transform=pixels, fontproperties=font,
                    ha="center", va="bottom")
    if title:
        figure.text(total_width / 2, y_of(_LABEL_GAP / 2), title, transform=pixels, fontproperties=font,
                    ha="center", va="top")
    return figure, canvas, (top, left)


def _to_uint8(array):
    """Maps [0, 1] floats to 0..255, clipping and rounding to nearest."""
    return np.round(np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0) * 255.0).astype(np.uint8)


# Canvas sequences (DRAW): one tile per example and step, attention windows
# drawn as coloured rectangles on the RGB tiles (NumPy only).

_WINDOW_COLORS = ((1.0, 0.0, 0.0), (0.0, 0.8, 0.0), (0.0, 0.4, 1.0), (1.0, 0.6, 0.0))
_WINDOW_MIN_TILE = 96  # pixels: the default tile height when windows are drawn
_WINDOW_LINE_PER_PIXELS = 48  # one pixel of outline per 48 pixels of tile height


def canvas_sequence_grid(canvases, windows=None, colors=None, pad=1, scale=None):
    """The canvases of a step-by-step generator: examples in rows, steps in columns.

    Tile `(i, t)` is example `i`'s canvas after step `t + 1`, with, when
    `windows` are given, each window of that step drawn as a rectangle
    outline (the part inside the tile), `max(1, h // 48)` pixels thick.

    Args:
        canvases: array-like `[T, n, H, W, C]` (or `[T, n, H, W]`) in [0, 1],
            e.g. `DRAW.generate(n)` or `DRAW.reconstruct_sequence(x)["canvases"]`.
        windows: optional array `[T, n, 4]` of boxes `(x_min, y_min, x_max,
            y_max)` in pixels (pixel row `r`, column `c` covers `[c, c + 1) x
            [r, r + 1)`), or a list of such arrays (entries may be `None`,
            skipped), e.g. `[read_windows, write_windows]`.
        colors: optional list of RGB triples in [0, 1], one per array of
            `windows`. Default: red, green, blue, orange (read in red and
            write in green for `[read_windows, write_windows]`).
        pad: pixels between tiles.
        scale: positive int, enlargement of each tile; `None`: tiles at
            least 96 pixels tall when windows are drawn (a 28x28 canvas
            4 times, 8x8 digits 12 times), so that the boxes stand out from
            the pixels, else `auto_scale(H)`.

    Returns:
        `uint8` array `[n * h + (n - 1) * pad, T * w + (T - 1) * pad, 3]`
        (`C` channels instead of 3 for grey or RGB canvases without
        windows), with `h, w = H * scale, W * scale`.

    Raises:
        ValueError: if `canvases` is not `[T, n, H, W(, C)]`, or a window
            array is not `[T, n, 4]`.
    """
    tiles = _sequence_tiles(canvases, windows, colors, scale)  # [T, n, h, w, c]
    steps, n = tiles.shape[:2]
    by_example = np.swapaxes(tiles, 0, 1).reshape(n * steps, *tiles.shape[2:])
    return image_grid(by_example, ncols=steps, pad=pad)


def save_canvas_gif(
    path, canvases, windows=None, colors=None, ncols=None, pad=1, scale=None,
    frame_ms=150, final_ms=1500, loop=0,
):
    """An animated GIF of a step-by-step generator painting its canvases.

    Frame `t` is the grid (`image_grid`) of every example's canvas after
    step `t + 1`, with that step's windows drawn as in
    `canvas_sequence_grid`. The last frame is held for `final_ms`.

    Args:
        path: the `.gif` file to write (str or path-like); parent folders
            are created.
        canvases, windows, colors, pad, scale: as in `canvas_sequence_grid`.
        ncols: examples per row of each frame; default `ceil(sqrt(n))`.
        frame_ms: positive int, milliseconds per frame.
        final_ms: positive int, milliseconds the last frame is shown.
        loop: int >= 0, times the animation repeats; 0 repeats forever.

    Returns:
        `path`.
    """
    frame_ms = _validation.positive_int("frame_ms", frame_ms)
    final_ms = _validation.positive_int("final_ms", final_ms)
    loop = _validation.non_negative_int("loop", loop)
    tiles = _sequence_tiles(canvases, windows, colors, scale)
    frames = [image_grid(step, ncols=ncols, pad=pad) for step in tiles]
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    from PIL import Image

    mode = "L" if frames[0].shape[-1] == 1 else None
    images = [Image.fromarray(f[..., 0] if mode == "L" else f) for f in frames]
    images[0].save(
        os.fspath(path),
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=[frame_ms] * (len(images) - 1) + [final_ms],
        loop=loop,
    )
    return path


def _sequence_tiles(canvases, windows, colors, scale):
    """Enlarged tiles `[T, n, h, w, c]` in [0, 1], windows drawn (then `c = 3`)."""
    canvases = np.asarray(canvases, dtype=np.float32)
    if canvases.ndim == 4:
        canvases = canvases[..., None]
    if canvases.ndim != 5 or 0 in canvases.shape[:2]:
        raise ValueError(
            "`canvases` must be a non-empty array of shape [T, n, H, W, C] or "
            f"[T, n, H, W]. Received: canvases.shape={canvases.shape}"
        )
    steps, n, height = canvases.shape[:3]
    if windows is not None and not isinstance(windows, (list, tuple)):
        windows = [windows]
    has_windows = windows is not None and any(array is not None for array in windows)
    if scale is None:
        scale = auto_scale(height, _WINDOW_MIN_TILE if has_windows else 28)
    scale = _validation.positive_int("scale", scale)
    tiles = np.repeat(np.repeat(canvases, scale, axis=2), scale, axis=3)
    if not has_windows:
        return tiles
    line_width = max(1, height * scale // _WINDOW_LINE_PER_PIXELS)
    colors = _WINDOW_COLORS if colors is None else colors
    boxes = []
    for k, array in enumerate(windows):
        if array is None:
            continue
        array = np.asarray(array, dtype=np.float32)
        if array.shape != (steps, n, 4):
            raise ValueError(
                f"`windows` must be arrays of shape [T, n, 4] = [{steps}, {n}, 4]. "
                f"Received: windows[{k}].shape={array.shape}"
            )
        boxes.append((array * scale, np.asarray(colors[k % len(colors)], dtype=np.float32)))
    if not boxes:
        return tiles
    if tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)
    tiles = np.clip(tiles[..., :3], 0.0, 1.0)
    for t in range(steps):
        for i in range(n):
            for array, color in boxes:
                _draw_box(tiles[t, i], array[t, i], color, line_width)
    return tiles


def _draw_box(image, box, color, line_width=1):
    """Draws the outline of `box` `(x_min, y_min, x_max, y_max)` on `image` `[h, w, 3]`, in place.

    The outline runs along the `line_width` pixels just inside the box's
    edges (fewer where the box is thinner); edges outside the image are
    not drawn, the rest is clipped to the image.
    """
    height, width = image.shape[:2]
    if not np.all(np.isfinite(box)):
        return
    left, top = int(np.floor(box[0] + 0.5)), int(np.floor(box[1] + 0.5))
    right, bottom = int(np.floor(box[2] + 0.5)) - 1, int(np.floor(box[3] + 0.5)) - 1
    if right < left or bottom < top:  # Less than a pixel: mark the centre pixel.
        left = right = int(np.floor((box[0] + box[2]) / 2))
        top = bottom = int(np.floor((box[1] + box[3]) / 2))
    x0, x1 = max(left, 0), min(right, width - 1)
    y0, y1 = max(top, 0), min(bottom, height - 1)
    if x0 > x1 or y0 > y1:
        return  # Entirely outside the image.
    for k in range(line_width):
        for row in (top + k, bottom - k):
            if top <= row <= bottom and 0 <= row < height:
                image[row, x0 : x1 + 1] = color
        for column in (left + k, right - k):
            if left <= column <= right and 0 <= column < width:
                image[y0 : y1 + 1, column] = color


# Densities of 2D models (RealNVP on the toy data): a heat map over a grid.


def density_image(log_density_fn, limits=(-4.0, 4.0), resolution=200, points=None, title=None, size=4.0, dpi=100):
    """A heat map of a 2D density `p(x)`, rendered to an RGB array.

    The density is evaluated at the centres of a `resolution x resolution`
    grid of cells over `limits^2` and drawn linearly (dark: 0); `points`,
    if given, are overlaid as small white dots (e.g. data).

    Args:
        log_density_fn: callable mapping float32 points `[N, 2]` to their
            log densities `[N]` (array-like), e.g. `RealNVP.log_prob`.
        limits: `(low, high)` for both axes, `low < high`.
        resolution: int >= 2, grid cells per axis.
        points: optional array-like `[M, 2]` to overlay.
        title: optional figure title.
        size: figure side in inches.
        dpi: dots per inch; the picture is `size * dpi` pixels square.

    Returns:
        `uint8` array `[size * dpi, size * dpi, 3]`.
    """
    low, high = _validation.interval("limits", limits)
    resolution = _validation.integer("resolution", resolution, minimum=2)
    step = (high - low) / resolution
    centres = low + step * (np.arange(resolution, dtype=np.float32) + 0.5)
    grid_x, grid_y = np.meshgrid(centres, centres)  # row r has y = centres[r]
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=-1).astype(np.float32)
    log_density = np.asarray(log_density_fn(grid), dtype=np.float64).reshape(resolution, resolution)
    figure = Figure(figsize=(size, size), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(np.exp(log_density), origin="lower", extent=(low, high, low, high), cmap="magma")
    if points is not None:
        points = np.asarray(points, dtype=np.float32)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"`points` must have shape [M, 2]. Received: points.shape={points.shape}")
        axes.scatter(points[:, 0], points[:, 1], s=1, c="white", alpha=0.5)
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    if title:
        axes.set_title(title)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
