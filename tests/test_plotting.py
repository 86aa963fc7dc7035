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
        assert image.size == (600, 400)  # figsize (6, 4) inches at 100 dpi
        pixels = np.asarray(image.convert("RGB"))
    # White background, and both curves' colours (the train and validation
    # ELBO share blue; the KL is orange), each a line of many pixels.
    assert np.mean(_near(pixels, (255, 255, 255), 0)) > 0.5
    assert np.sum(_near(pixels, BLUE)) > 300
    assert np.sum(_near(pixels, ORANGE)) > 150
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
