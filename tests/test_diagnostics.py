"""Tests for kgen.diagnostics.mode_coverage on hand-built sample sets."""

import numpy as np
import pytest

from kgen import datasets
from kgen.diagnostics import ModeCoverage
from kgen.diagnostics import mode_coverage

# Four modes on the corners of a square, std 0.5: 3 std = 1.5 (exact in binary).
CENTERS = np.array([[-4.0, -4.0], [-4.0, 4.0], [4.0, -4.0], [4.0, 4.0]])
STD = 0.5


def test_all_samples_in_one_mode_cover_one_mode():
    samples = np.tile(CENTERS[2], (100, 1))
    coverage = mode_coverage(samples, CENTERS, STD)
    assert isinstance(coverage, ModeCoverage)
    assert coverage.modes_covered == 1
    assert coverage.high_quality_fraction == 1.0
    np.testing.assert_array_equal(coverage.per_mode_counts, [0, 0, 100, 0])


def test_samples_spread_evenly_cover_every_mode():
    offsets = np.random.default_rng(0).uniform(-0.5, 0.5, size=(100, 2))  # all within 1.5
    samples = CENTERS[np.arange(100) % 4] + offsets
    coverage = mode_coverage(samples, CENTERS, STD)
    assert coverage.modes_covered == 4
    assert coverage.high_quality_fraction == 1.0
    np.testing.assert_array_equal(coverage.per_mode_counts, [25, 25, 25, 25])


def test_far_away_points_are_not_high_quality():
    samples = np.array([[0.0, 0.0], [100.0, 100.0], [-4.0, 10.0], [1.0, 1.0]])
    coverage = mode_coverage(samples, CENTERS, STD)
    assert coverage.modes_covered == 0
    assert coverage.high_quality_fraction == 0.0
    np.testing.assert_array_equal(coverage.per_mode_counts, [0, 0, 0, 0])


def test_the_3_std_boundary_is_inside():
    # A centre at the origin keeps coordinates exact. Distances of 1.5
    # (= 3 std, exactly representable) are inside; the next float beyond 1.5
    # is outside.
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    outside = np.nextafter(1.5, 2.0)
    samples = np.array([[1.5, 0.0], [0.0, -1.5], [outside, 0.0], [0.0, -outside]])
    coverage = mode_coverage(samples, centers, STD, min_count=1)
    np.testing.assert_array_equal(coverage.per_mode_counts, [2, 0])
    assert coverage.high_quality_fraction == 0.5
    assert coverage.modes_covered == 1
    # Off the axes: with std 0.625 (3 std = 1.875 = 15/8) the 9-12-15 triangle
    # scaled by 1/8 has dyadic legs, so the distance is exactly 3 std.
    diagonal = np.array([[1.125, 1.5], [1.125, outside]])
    np.testing.assert_array_equal(mode_coverage(diagonal, centers, 0.625).per_mode_counts, [1, 0])


def test_default_min_count_is_a_fifth_of_the_expected_share():
    # 100 samples over 4 modes: a perfect generator puts 25 in each, so a mode
    # needs 0.2 * 25 = 5 high-quality samples.
    counts = [5, 4, 91, 0]
    samples = np.concatenate([np.tile(c, (k, 1)) for c, k in zip(CENTERS, counts)])
    coverage = mode_coverage(samples, CENTERS, STD)
    assert coverage.min_count == 5.0
    assert coverage.modes_covered == 2  # 4 samples are not enough
    assert mode_coverage(samples, CENTERS, STD, min_count=1).modes_covered == 3  # VEEGAN's rule
    # With few samples the threshold never drops below one sample.
    assert mode_coverage(CENTERS[:1], CENTERS, STD).min_count == 1.0


def test_high_quality_samples_count_for_their_nearest_mode_only():
    # Two centres 1 apart with std 1: a point between them belongs to the nearer.
    centers = np.array([[0.0, 0.0], [1.0, 0.0]])
    coverage = mode_coverage([[0.4, 0.0], [0.6, 0.0], [0.7, 0.0]], centers, 1.0, min_count=1)
    np.testing.assert_array_equal(coverage.per_mode_counts, [1, 2])


def test_real_ring_data_covers_every_mode():
    x, _ = datasets.toy_2d("ring", n=2500, seed=0)
    coverage = mode_coverage(x, datasets.toy_2d_centers("ring"), datasets.TOY_2D_STD["ring"])
    assert coverage.modes_covered == 8
    # For an isotropic 2D Gaussian P(|x - mu| <= 3 std) = 1 - exp(-9/2) = 0.9889;
    # with 2,500 samples the standard error is sqrt(p (1 - p) / n) = 0.0021.
    assert coverage.high_quality_fraction == pytest.approx(1 - np.exp(-4.5), abs=4 * 0.0021)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"samples": np.zeros((0, 2))}, "`samples` must be a non-empty array"),
        ({"samples": np.zeros(4)}, "`samples` must be a non-empty array"),
        ({"centers": np.zeros((3, 3))}, r"`centers` must be a non-empty array of shape \[K, 2\]"),
        ({"std": 0.0}, r"^`std` must be a positive number\. Received: std=0\.0$"),
        ({"std": float("nan")}, r"^`std` must be a positive number\. Received: std=nan$"),
        ({"std": True}, r"^`std` must be a positive number\. Received: std=True$"),
        ({"min_count": 0}, r"^`min_count` must be None or a positive number\. Received: min_count=0$"),
        ({"min_count": "5"}, r"^`min_count` must be None or a positive number\. Received: min_count='5'$"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    arguments = {"samples": np.zeros((4, 2)), "centers": CENTERS, "std": STD, **kwargs}
    with pytest.raises(ValueError, match=match):
        mode_coverage(**arguments)


def test_numpy_scalars_mean_the_same_as_python_numbers():
    samples = CENTERS[np.arange(20) % 4] + 0.1
    expected = mode_coverage(samples, CENTERS, STD, min_count=5)
    coverage = mode_coverage(samples, CENTERS, np.float32(STD), min_count=np.int64(5))
    assert coverage.modes_covered == expected.modes_covered == 4
    assert coverage.min_count == 5.0 and type(coverage.min_count) is float
    assert mode_coverage(samples, CENTERS, np.array(STD), min_count=np.array(6)).modes_covered == 0
