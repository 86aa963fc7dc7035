"""Tests for kgen.plotting: grid layout by pixel position, PNG files, curves."""

import numpy as np
import pytest
from PIL import Image

from kgen import plotting


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
        (np.zeros((2, 2, 2, 1)), {"ncols": 0}, "`ncols` must be a positive integer"),
        (np.zeros((2, 2, 2, 1)), {"pad": -1}, "`pad` must be a non-negative integer"),
        (np.zeros((2, 2, 2, 1)), {"scale": 0}, "`scale` must be a positive integer"),
    ],
)
def test_image_grid_rejects_bad_arguments(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.image_grid(images, **kwargs)


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


def test_plot_curves_writes_a_png(tmp_path):
    history = {"elbo": [-90.0, -80.0, -75.0], "val_elbo": [-92.0, -83.0, -79.0]}
    path = plotting.plot_curves(history, tmp_path / "curves.png", "VAE", ylabel="ELBO (nats)")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 100


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


def test_scatter_image_is_rgb():
    image = plotting.scatter_image(np.random.default_rng(0).normal(size=(50, 2)), size=2, dpi=50)
    assert image.shape == (100, 100, 3) and image.dtype == np.uint8


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
    with pytest.raises(ValueError, match=r"`limits` must be \(low, high\) with low < high"):
        plotting.density_image(log_density, limits=(1, 1))
    with pytest.raises(ValueError, match=r"`resolution` must be an int >= 2. Received: resolution=1"):
        plotting.density_image(log_density, resolution=1)
