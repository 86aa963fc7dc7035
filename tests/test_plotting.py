"""Tests for kgen.plotting: grid layout by pixel position, PNG files, curves.

Pictures drawn by Matplotlib are written to PNG, read back and checked for
content where it must be (the curves' colours, the points' place, the density's
peak, the windows' colours), so that a blank picture of the right size fails.
"""

import numpy as np
import pytest
from PIL import Image

from kgen import plotting


# Matplotlib's first two colours ("C0", "C1") as RGB.
BLUE = (31, 119, 180)
ORANGE = (255, 127, 14)


def _png_round_trip(tmp_path, array, name="picture.png"):
    """Writes `array` with `save_png`, reads it back, checks it is unchanged and returns it."""
    path = plotting.save_png(tmp_path / name, array)
    with Image.open(path) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image.convert("RGB"))
    np.testing.assert_array_equal(pixels, array)
    return pixels


def _near(pixels, color, tolerance=40):
    """Boolean mask `[H, W]` of the pixels within `tolerance` of `color` in every channel."""
    return np.all(np.abs(pixels.astype(int) - np.array(color)) <= tolerance, axis=-1)


def _constant_tiles(n, height=3, width=2, channels=1):
    """Tile k is filled with the value k / 255, so its pixels read back as k."""
    values = np.arange(n, dtype=np.float32) / 255.0
    return np.broadcast_to(values[:, None, None, None], (n, height, width, channels)).copy()


def test_image_grid_places_each_tile_at_its_row_and_column():
    images = _constant_tiles(7, height=3, width=2)
    grid = plotting.image_grid(images, ncols=3, pad=1, pad_value=1.0)
    # 3 rows (7 tiles / 3 columns), each 3 pixels + 1 pad between rows.
    assert grid.shape == (3 * 3 + 2, 3 * 2 + 2, 1)
    assert grid.dtype == np.uint8
    for k in range(7):
        top, left = (k // 3) * 4, (k % 3) * 3
        np.testing.assert_array_equal(grid[top : top + 3, left : left + 2], k)
    # Padding rows/columns and the two empty cells of the last row are white.
    assert np.all(grid[3, :] == 255) and np.all(grid[:, 2] == 255)
    assert np.all(grid[8:, 3:] == 255)


def test_image_grid_without_padding_is_a_plain_reshape():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 4, 5, 3)).astype(np.float32) / 255.0
    grid = plotting.image_grid(images, ncols=2, pad=0)
    expected = (images * 255).round().astype(np.uint8).reshape(3, 2, 4, 5, 3)
    expected = expected.transpose(0, 2, 1, 3, 4).reshape(12, 10, 3)
    np.testing.assert_array_equal(grid, expected)


def test_image_grid_scale_repeats_pixels():
    images = np.array([[[0.0, 1.0], [1.0, 0.0]]])  # one 2x2 checkerboard
    grid = plotting.image_grid(images, scale=3)
    assert grid.shape == (6, 6, 1)
    np.testing.assert_array_equal(grid[:3, :3], 0)
    np.testing.assert_array_equal(grid[:3, 3:], 255)
    assert plotting.auto_scale(8) == 4 and plotting.auto_scale(28) == 1


def test_image_grid_defaults_to_a_square_and_clips():
    images = np.full((9, 2, 2), 2.0)  # rank 3 means one channel; 2.0 is clipped
    grid = plotting.image_grid(images)
    assert grid.shape == (2 * 3 + 2, 2 * 3 + 2, 1)
    assert grid.max() == 255


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        (np.zeros((0, 2, 2, 1)), {}, "`images` must be a non-empty array"),
        (np.zeros((2, 2)), {}, "`images` must be a non-empty array"),
        (np.zeros((2, 2, 2, 2)), {}, "`images` must have 1, 3 or 4 channels"),
        (np.zeros((2, 2, 2, 1)), {"ncols": 0}, r"^`ncols` must be an int >= 1\. Received: ncols=0$"),
        (np.zeros((2, 2, 2, 1)), {"ncols": 2.0}, r"^`ncols` must be an int >= 1\. Received: ncols=2\.0$"),
        (np.zeros((2, 2, 2, 1)), {"pad": -1}, r"^`pad` must be an int >= 0\. Received: pad=-1$"),
        (np.zeros((2, 2, 2, 1)), {"scale": 0}, r"^`scale` must be an int >= 1\. Received: scale=0$"),
        (np.zeros((2, 2, 2, 1)), {"scale": True}, r"^`scale` must be an int >= 1\. Received: scale=True$"),
        (np.zeros((2, 2, 2, 1)), {"pad_value": 2}, r"^`pad_value` must be a number in \[0, 1\]\. Received: pad_value=2$"),
    ],
)
def test_image_grid_rejects_bad_arguments(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.image_grid(images, **kwargs)


def test_image_grid_reads_numpy_and_tensor_sizes():
    import tensorflow as tf

    images = _constant_tiles(4, height=2, width=2)
    expected = plotting.image_grid(images, ncols=2, pad=1, scale=2)
    np.testing.assert_array_equal(
        plotting.image_grid(images, ncols=np.int64(2), pad=np.array(1), scale=tf.constant(2)), expected
    )


def test_reconstruction_grid_puts_each_reconstruction_below_its_original():
    originals = _constant_tiles(5, height=2, width=2)
    reconstructions = originals + 100.0 / 255.0
    grid = plotting.reconstruction_grid(originals, reconstructions, ncols=3, pad=0)
    assert grid.shape == (4 * 2, 3 * 2, 1)
    for k in range(5):
        row, col = 2 * (k // 3), k % 3
        assert grid[row * 2, col * 2, 0] == k
        assert grid[(row + 1) * 2, col * 2, 0] == k + 100


def test_save_png_round_trip(tmp_path):
    grid = plotting.image_grid(_constant_tiles(4, height=5, width=7), ncols=2)
    path = plotting.save_png(tmp_path / "sub" / "grid.png", grid)
    with Image.open(path) as image:
        assert image.size == (grid.shape[1], grid.shape[0])  # PIL gives (width, height)
        np.testing.assert_array_equal(np.asarray(image), grid[..., 0])


def test_save_png_accepts_float_rgb(tmp_path):
    array = np.zeros((3, 4, 3))
    array[..., 1] = 1.0
    plotting.save_png(tmp_path / "rgb.png", array)
    with Image.open(tmp_path / "rgb.png") as image:
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image)[0, 0], [0, 255, 0])


def test_plot_curves_draws_each_curve_in_its_colour(tmp_path):
    history = {
        "elbo": [-90.0, -80.0, -75.0], "val_elbo": [-92.0, -83.0, -79.0],
        "kl": [5.0, 6.0, 7.0],
    }
    path = plotting.plot_curves(history, tmp_path / "curves.png", "VAE", ylabel="ELBO (nats)")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (800, 340)  # two panels of 4 x 3 inches (+ 0.4 for the title), 100 dpi
        pixels = np.asarray(image.convert("RGB"))
    # White background, and both curves' colours (the train and validation
    # ELBO share blue, in the left panel; the KL is orange, in the right
    # one), each a line of many pixels.
    assert np.mean(_near(pixels, (255, 255, 255), 0)) > 0.5
    assert np.sum(_near(pixels[:, :400], BLUE)) > 300 and np.sum(_near(pixels[:, 400:], BLUE)) == 0
    assert np.sum(_near(pixels[:, 400:], ORANGE)) > 150
    with pytest.raises(ValueError, match=r"^`history` must name at least one curve\. Received: history=\{\}$"):
        plotting.plot_curves({}, tmp_path / "empty.png")


def test_gaussian_quantile_grid_is_symmetric_and_ordered():
    z = plotting.gaussian_quantile_grid(n=5, low=0.05, high=0.95)
    assert z.shape == (25, 2)
    # Phi^-1 of the probabilities 0.05, 0.275, 0.5, 0.725, 0.95.
    np.testing.assert_allclose(z[:5, 0], [-1.6449, -0.5978, 0.0, 0.5978, 1.6449], atol=1e-4)
    # Top row has the largest z[1]; columns share z[0].
    np.testing.assert_allclose(z[:5, 1], 1.6449, atol=1e-4)
    np.testing.assert_allclose(z[::5, 0], -1.6449, atol=1e-4)


def test_latent_manifold_tiles_follow_the_latent_grid():
    def decode_mean_fn(z):
        # Tile brightness encodes z[0] so the layout can be checked.
        brightness = (z[:, 0] + 2.0) / 4.0
        return np.broadcast_to(brightness[:, None, None, None], (len(z), 4, 4, 1))

    grid = plotting.latent_manifold(decode_mean_fn, n=3, pad=0)
    assert grid.shape == (12, 12, 1)
    left, middle, right = grid[0, 0, 0], grid[0, 4, 0], grid[0, 8, 0]
    assert left < middle < right
    assert middle == round(0.5 * 255)
    np.testing.assert_array_equal(grid[:, :4], left)  # one column shares z[0]


def test_scatter_image_draws_the_points_where_they_are(tmp_path):
    # 50 points around (0.5, 0.5) with the axes over [-1, 1]^2: the dots sit
    # in the upper-right quarter of the plot.
    points = 0.5 + 0.05 * np.random.default_rng(0).normal(size=(50, 2))
    image = plotting.scatter_image(points, size=2, dpi=50, limits=(-1, 1))
    assert image.shape == (100, 100, 3) and image.dtype == np.uint8
    pixels = _png_round_trip(tmp_path, image)
    # Dots are blue at alpha 0.6 over white: clearly more blue than red.
    dots = pixels[..., 2].astype(int) - pixels[..., 0].astype(int) > 40
    assert dots.sum() > 20
    rows, columns = np.nonzero(dots)
    assert columns.mean() > 0.6 * 100 and rows.mean() < 0.4 * 100  # right and up (row 0 is the top)
    with pytest.raises(ValueError, match=r"^`limits` must be a pair .* Received: limits=\(1, -1\)$"):
        plotting.scatter_image(points, limits=(1, -1))
    with pytest.raises(ValueError, match=r"`points` must have shape \[N, 2\]. Received: points.shape=\(3,\)"):
        plotting.scatter_image(np.zeros(3))


def test_density_image_evaluates_the_cell_centres_and_is_rgb():
    seen = []

    def log_density(points):
        seen.append(points)
        return -0.5 * (points**2).sum(axis=1)

    image = plotting.density_image(
        log_density, limits=(-2, 2), resolution=4, points=np.zeros((3, 2)), size=2, dpi=50
    )
    assert image.shape == (100, 100, 3) and image.dtype == np.uint8
    (grid,) = seen
    assert grid.shape == (16, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[:4, 0], [-1.5, -0.5, 0.5, 1.5])  # x varies along a row
    np.testing.assert_allclose(grid[::4, 1], [-1.5, -0.5, 0.5, 1.5])
    with pytest.raises(
        ValueError,
        match=r"^`limits` must be a pair \(low, high\) of finite numbers with low < high\. Received: limits=\(1, 1\)$",
    ):
        plotting.density_image(log_density, limits=(1, 1))
    with pytest.raises(ValueError, match=r"^`resolution` must be an int >= 2\. Received: resolution=1$"):
        plotting.density_image(log_density, resolution=1)
    with pytest.raises(ValueError, match=r"^`resolution` must be an int >= 2\. Received: resolution=8\.0$"):
        plotting.density_image(log_density, resolution=8.0)


def test_density_image_is_bright_at_the_peak_and_dark_in_the_tails(tmp_path):
    # A standard normal over [-4, 4]^2 with magma: near white-yellow at the
    # mode (the axes' centre), black where the density is ~0 (the corners).
    image = plotting.density_image(
        lambda points: -0.5 * (points**2).sum(axis=1), limits=(-4, 4), resolution=40, size=4, dpi=50
    )
    pixels = _png_round_trip(tmp_path, image).astype(int)
    # The axes span 12.5%-90% of the width and 11%-88% of the height (from the bottom).
    left, right, top, bottom = 25, 180, 24, 178
    centre = pixels[(top + bottom) // 2, (left + right) // 2]
    corner = pixels[top + 3, left + 3]
    assert centre.sum() > 600 and corner.sum() < 60
    plot = pixels[top:bottom, left:right].reshape(-1, 3)
    assert len(np.unique(plot, axis=0)) > 50  # a gradient, not a flat fill


def test_canvas_windows_in_distinct_colours_survive_the_png(tmp_path):
    # One example, two steps, 8x8 grey canvases; a read window (red) over the
    # top-left quarter and a write window (green) over the bottom-right one.
    canvases = np.full((2, 1, 8, 8), 0.5, "float32")
    canvases[1] = 0.25
    reads = np.tile(np.array([0.0, 0.0, 4.0, 4.0], "float32"), (2, 1, 1))
    writes = np.tile(np.array([4.0, 4.0, 8.0, 8.0], "float32"), (2, 1, 1))
    grid = plotting.canvas_sequence_grid(canvases, windows=[reads, writes], scale=1, pad=0)
    pixels = _png_round_trip(tmp_path, grid)
    assert pixels.shape == (8, 16, 3)
    red, green = (255, 0, 0), (0, 204, 0)
    for step in range(2):
        tile = pixels[:, 8 * step : 8 * step + 8]
        np.testing.assert_array_equal(tile[0, :4], [red] * 4)  # read window's top edge
        np.testing.assert_array_equal(tile[:4, 3], [red] * 4)  # ... and its right edge
        np.testing.assert_array_equal(tile[7, 4:], [green] * 4)  # write window's bottom edge
        assert _near(tile, red, 0).sum() == 12 and _near(tile, green, 0).sum() == 12
    np.testing.assert_array_equal(pixels[5, 1], [128, 128, 128])  # step 1 canvas, inside no window
    np.testing.assert_array_equal(pixels[5, 9], [64, 64, 64])  # step 2 canvas


def test_save_canvas_gif_frames_show_each_step(tmp_path):
    canvases = np.zeros((3, 4, 2, 2), "float32")
    for step in range(3):
        canvases[step, :, 0, 0] = (step + 1) / 3  # one pixel brightens step by step
    path = plotting.save_canvas_gif(
        tmp_path / "gif" / "steps.gif", canvases, ncols=np.int64(2), pad=0, scale=1, frame_ms=np.int64(80),
        final_ms=500,
    )
    with Image.open(path) as image:
        assert image.n_frames == 3 and image.size == (4, 4)  # 2x2 tiles of 2x2 pixels
        frames, durations = [], []
        for index in range(3):
            image.seek(index)
            frames.append(np.asarray(image.convert("L")).astype(int))
            durations.append(image.info["duration"])
    assert durations == [80, 80, 500]
    for step, frame in enumerate(frames):
        # The top-left pixel of each 2x2 tile, the rest black.
        np.testing.assert_allclose(frame[::2, ::2], round((step + 1) / 3 * 255), atol=2)
        assert frame[1::2].max() == 0 and frame[:, 1::2].max() == 0
    for name, value in (("frame_ms", 0), ("final_ms", 2.5), ("loop", -1)):
        expectation = "an int >= 0" if name == "loop" else "an int >= 1"
        with pytest.raises(ValueError, match=rf"^`{name}` must be {expectation}\. Received: {name}={value}$"):
            plotting.save_canvas_gif(tmp_path / "bad.gif", canvases, **{name: value})
    with pytest.raises(ValueError, match=r"^`scale` must be an int >= 1\. Received: scale=0$"):
        plotting.canvas_sequence_grid(canvases, scale=0)


def test_gaussian_quantile_grid_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"^`n` must be an int >= 1\. Received: n=0$"):
        plotting.gaussian_quantile_grid(n=0)
    with pytest.raises(ValueError, match=r"^`low` must be a number in \(0, 1\)\. Received: low=0\.0$"):
        plotting.gaussian_quantile_grid(low=0.0)
    with pytest.raises(ValueError, match=r"^`high` must be a number in \(0\.5, 1\)\. Received: high=0\.5$"):
        plotting.gaussian_quantile_grid(low=0.5, high=0.5)
    with pytest.raises(ValueError, match=r"^`ncols` must be an int >= 1\. Received: ncols=0$"):
        plotting.reconstruction_grid(np.zeros((2, 2, 2, 1)), np.zeros((2, 2, 2, 1)), ncols=0)


# Legible pictures: a minimum size, labels, one panel per metric (issue 14, point 4).


def test_legible_scale_makes_tiles_and_grids_large_enough():
    # 16 MNIST digits: 4 columns of 28 pixels are 115 pixels wide; 3 times is
    # the first enlargement reaching 256 (4 * 84 + 3 = 339).
    assert plotting.legible_scale((28, 28, 1), 16) == 3
    assert plotting.image_grid(np.zeros((16, 28, 28, 1)), scale=3).shape == (339, 339, 1)
    assert plotting.legible_scale((28, 28), 64) == 2  # 8 * 28 + 7 = 231 < 256
    assert plotting.legible_scale((8, 8), 64) == 4  # 8 * 32 + 7 = 263
    assert plotting.legible_scale((8, 8), 100, ncols=10) == 4  # tiles of at least 28 pixels
    assert plotting.legible_scale((64, 64, 3), 64) == 1
    with pytest.raises(ValueError, match=r"^`num_images` must be an int >= 1\. Received: num_images=0$"):
        plotting.legible_scale((8, 8), 0)


def _dark(pixels):
    """Pixels of text: dark in every channel."""
    return np.all(pixels < 128, axis=-1)


def test_reconstruction_grid_labels_its_rows_and_keeps_the_pixels(tmp_path):
    rng = np.random.default_rng(0)
    originals = rng.uniform(size=(6, 8, 8, 3)).astype("float32")  # colour stays colour
    reconstructions = rng.uniform(size=(6, 8, 8, 3)).astype("float32")
    plain = plotting.reconstruction_grid(originals, reconstructions, ncols=3, scale=4)
    labelled = plotting.reconstruction_grid(originals, reconstructions, ncols=3, scale=4, labels=True)
    pixels = _png_round_trip(tmp_path, labelled)
    height, width = plain.shape[:2]
    assert pixels.shape[0] == height and pixels.shape[1] > width + 40  # a margin on the left
    np.testing.assert_array_equal(pixels[:, -width:], plain)  # the grid, unchanged, in colour
    margin = pixels[:, : -width]
    # Text in the margin beside each of the 4 rows (32 pixels + 1 pad each).
    for row in range(4):
        assert _dark(margin[row * 33 + 8 : row * 33 + 24]).sum() > 20
    figure, _, (top, left) = plotting._annotation_figure(
        plain, (32, 32), 1, ["original", "reconstructed"] * 2, None, None)
    assert [t.get_text() for t in figure.texts] == ["original", "reconstructed"] * 2
    assert top == 0 and left == pixels.shape[1] - width


def test_annotate_grid_labels_columns_and_a_title():
    grid = plotting.image_grid(np.full((20, 8, 8, 1), 0.5), ncols=10, scale=4)  # 10 classes, 2 rows
    picture = plotting.annotate_grid(grid, (32, 32), column_labels=range(10), title="samples by class")
    height, width = grid.shape[:2]
    top = picture.shape[0] - height
    assert top > 20 and picture.shape[1] == width
    np.testing.assert_array_equal(picture[top:], np.repeat(grid, 3, axis=-1))
    for column in range(10):  # a digit above every column
        assert _dark(picture[:top, column * 33 + 8 : column * 33 + 24]).sum() > 5
    figure, _, _ = plotting._annotation_figure(grid, (32, 32), 1, None, range(10), "samples by class")
    assert [t.get_text() for t in figure.texts] == [str(c) for c in range(10)] + ["samples by class"]
    with pytest.raises(ValueError, match=r"^`column_labels` must be at most one label per column \(10 columns\)"):
        plotting.annotate_grid(grid, (32, 32), column_labels=range(11))


def test_plot_curves_draws_one_panel_per_metric_and_marks_a_single_epoch(tmp_path):
    # One epoch of metrics six orders of magnitude apart, as an RBM's or a GAN's.
    history = {"loss": [2.0e6], "val_loss": [1.5e6], "kl": [0.01], "val_kl": [0.02], "d_real": [0.5]}
    figure, _ = plotting._curves_figure(history, title="training metrics")
    assert [axes.get_title() for axes in figure.axes] == ["loss", "kl", "d_real"]
    for axes, name in zip(figure.axes, ["loss", "kl", "d_real"]):
        low, high = axes.get_ylim()
        values = [history[k][0] for k in (name, f"val_{name}") if k in history]
        assert low < min(values) and max(values) < high < 10 * max(values) + 1  # its own scale
        assert axes.get_xlim()[0] < 1 < axes.get_xlim()[1]  # the point is inside, not on the edge
        assert all(line.get_marker() == "o" and line.get_markersize() >= 5 for line in axes.lines)
        assert [text.get_text() for text in axes.texts] == [f"{v:.4g}" for v in values]
    path = plotting.plot_curves(history, tmp_path / "curves.png", title="training metrics")
    with Image.open(path) as image:
        assert image.size == (1200, 340)  # three panels side by side
        pixels = np.asarray(image.convert("RGB"))
    # The single epoch's two loss values are two blue dots of 5 points (7 pixels).
    assert np.sum(_near(pixels[:, :400], BLUE, 20)) > 2 * 25


def test_plot_curves_numbers_the_epochs_it_is_given():
    history = {"elbo": [-90.0, -85.0, -80.0, -78.0], "val_elbo": [-84.0, -81.0]}
    figure, _ = plotting._curves_figure(history, epochs=[1, 2, 3, 4])
    (axes,) = figure.axes
    train, validation = axes.lines
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(validation.get_xdata(), [3, 4])  # the last values
    with pytest.raises(ValueError, match=r"^`epochs` must number every value \(4 values\)\. Received: epochs=\[1\]$"):
        plotting._curves_figure(history, epochs=[1])


def test_canvas_windows_are_thick_on_enlarged_28x28_canvases(tmp_path):
    # A 28x28 canvas with a read window of 10x10 image pixels: drawn on tiles
    # of 112 pixels (4 times), the outline 2 pixels thick.
    canvases = np.full((1, 1, 28, 28, 3), 0.5, "float32")
    canvases[..., 2] = 0.9  # colour canvases stay in colour
    reads = np.array([[[4.0, 4.0, 14.0, 14.0]]], "float32")
    grid = plotting.canvas_sequence_grid(canvases, windows=[reads])
    pixels = _png_round_trip(tmp_path, grid)
    assert pixels.shape == (112, 112, 3)
    red = _near(pixels, (255, 0, 0), 0)
    # A 40x40-pixel box whose outline is 2 pixels wide: 40^2 - 36^2 pixels.
    assert red.sum() == 40**2 - 36**2
    assert red[16:18, 16:56].all() and red[16:56, 54:56].all() and not red[18:54, 18:54].any()
    np.testing.assert_array_equal(pixels[100, 100], [128, 128, 230])
