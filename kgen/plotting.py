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
    ncols = min(_validation.positive_int("ncols", ncols), n)
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


# Canvas sequences (DRAW): one tile per example and step, attention windows
# drawn as coloured rectangles on the RGB tiles (NumPy only).

_WINDOW_COLORS = ((1.0, 0.0, 0.0), (0.0, 0.8, 0.0), (0.0, 0.4, 1.0), (1.0, 0.6, 0.0))


def canvas_sequence_grid(canvases, windows=None, colors=None, pad=1, scale=None):
    """The canvases of a step-by-step generator: examples in rows, steps in columns.

    Tile `(i, t)` is example `i`'s canvas after step `t + 1`, with, when
    `windows` are given, each window of that step drawn as a one-pixel
    rectangle outline (the part inside the tile).

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
        scale: positive int, enlargement of each tile; `None`: `auto_scale(H)`.

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
    scale = auto_scale(height) if scale is None else _validation.positive_int("scale", scale)
    tiles = np.repeat(np.repeat(canvases, scale, axis=2), scale, axis=3)
    if windows is None:
        return tiles
    if not isinstance(windows, (list, tuple)):
        windows = [windows]
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
                _draw_box(tiles[t, i], array[t, i], color)
    return tiles


def _draw_box(image, box, color):
    """Draws the outline of `box` `(x_min, y_min, x_max, y_max)` on `image` `[h, w, 3]`, in place.

    The outline runs along the pixels just inside the box's edges; edges
    outside the image are not drawn, the rest is clipped to the image.
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
    for row in (top, bottom):
        if 0 <= row < height:
            image[row, x0 : x1 + 1] = color
    for column in (left, right):
        if 0 <= column < width:
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
