"""Tests for kgen.datasets: loaders, toy mixtures, binarisation, tf.data."""

import gzip
import re
import struct

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from sklearn import datasets as sklearn_datasets

from kgen import datasets

# ---------------------------------------------------------------------------
# load_digits


def test_load_digits_shapes_dtypes_and_values():
    x, y = datasets.load_digits()
    assert x.shape == (1797, 8, 8, 1) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    # Every pixel is a count 0..16 divided by 16, in sklearn's order.
    raw = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(x[..., 0] * 16, raw.images)
    np.testing.assert_array_equal(y, raw.target)
    assert set(np.unique(y)) == set(range(10))


def test_load_digits_split_is_a_seeded_partition():
    x, y = datasets.load_digits()
    (x_train, y_train), (x_test, y_test) = datasets.load_digits(
        test_fraction=0.2, seed=3
    )
    assert x_test.shape == (359, 8, 8, 1) and y_test.shape == (359,)
    assert x_train.shape == (1438, 8, 8, 1) and y_train.shape == (1438,)
    # Train and test together are a permutation of the whole set.
    whole = np.concatenate([x_train, x_test]).reshape(1797, -1)
    labels = np.concatenate([y_train, y_test])
    order_whole = np.lexsort(np.c_[x.reshape(1797, -1), y].T)
    order_split = np.lexsort(np.c_[whole, labels].T)
    np.testing.assert_array_equal(whole[order_split], x.reshape(1797, -1)[order_whole])
    np.testing.assert_array_equal(labels[order_split], y[order_whole])

    (_, _), (x_same, _) = datasets.load_digits(test_fraction=0.2, seed=3)
    (_, _), (x_other, _) = datasets.load_digits(test_fraction=0.2, seed=4)
    np.testing.assert_array_equal(x_same, x_test)
    assert not np.array_equal(x_other, x_test)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, "0.2", True, float("nan")])
def test_load_digits_rejects_bad_test_fraction(fraction):
    message = r"^`test_fraction` must be None or a number in \(0, 1\)\. Received: test_fraction="
    with pytest.raises(ValueError, match=message + re.escape(repr(fraction)) + "$"):
        datasets.load_digits(test_fraction=fraction)
    with pytest.raises(ValueError, match=r"^`seed` must be None or an int\. Received: seed=0\.5$"):
        datasets.load_digits(test_fraction=0.2, seed=0.5)


def test_load_digits_reads_numpy_and_tensor_arguments():
    (_, _), (x_test, _) = datasets.load_digits(test_fraction=0.2, seed=3)
    (_, _), (x_same, _) = datasets.load_digits(test_fraction=np.float32(0.2), seed=np.int64(3))
    np.testing.assert_array_equal(x_same, x_test)


# ---------------------------------------------------------------------------
# load_mnist: the shared real subset (Keras .npz layout)


def test_load_mnist_npz_matches_raw_file(mnist_npz_path):
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(mnist_npz_path)
    assert x_train.shape == (6000, 28, 28, 1) and x_train.dtype == np.float32
    assert x_test.shape == (2000, 28, 28, 1) and x_test.dtype == np.float32
    assert y_train.shape == (6000,) and y_train.dtype == np.int64
    assert y_test.shape == (2000,) and y_test.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    with np.load(mnist_npz_path) as raw:
        np.testing.assert_array_equal(np.rint(x_train[..., 0] * 255), raw["x_train"])
        np.testing.assert_array_equal(np.rint(x_test[..., 0] * 255), raw["x_test"])
        np.testing.assert_array_equal(y_train, raw["y_train"])
        np.testing.assert_array_equal(y_test, raw["y_test"])
        (x_raw, _), _ = datasets.load_mnist(mnist_npz_path, normalize=False)
        assert x_raw.dtype == np.uint8
        np.testing.assert_array_equal(x_raw[..., 0], raw["x_train"])


def test_binarize_half_on_normalised_mnist_is_raw_above_127(mnist_npz_path):
    (x, _), _ = datasets.load_mnist(mnist_npz_path)
    (x_raw, _), _ = datasets.load_mnist(mnist_npz_path, normalize=False)
    np.testing.assert_array_equal(datasets.binarize(x), x_raw > 127)


# ---------------------------------------------------------------------------
# load_mnist: IDX files written here by an independent writer

IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def write_idx(path, array, magic=None):
    """Writes a uint8 array as gzip-compressed IDX: magic, sizes, bytes."""
    array = np.asarray(array, np.uint8)
    if magic is None:
        magic = 0x0800 | array.ndim
    header = struct.pack(">i", magic) + struct.pack(f">{array.ndim}i", *array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.tobytes())


def small_mnist(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }


def write_idx_folder(folder, arrays):
    for key, name in IDX_NAMES.items():
        write_idx(folder / name, arrays[key])
    return folder


def test_load_mnist_idx_round_trip(tmp_path):
    arrays = small_mnist()
    folder = write_idx_folder(tmp_path, arrays)
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(folder, normalize=False)
    np.testing.assert_array_equal(x_train[..., 0], arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test[..., 0], arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    (x_train, _), (x_test, _) = datasets.load_mnist(str(folder))
    assert x_train.shape == (5, 28, 28, 1) and x_train.dtype == np.float32
    np.testing.assert_allclose(x_test[..., 0], arrays["x_test"] / 255.0, rtol=1e-6)


def test_load_mnist_npz_round_trip(tmp_path):
    arrays = small_mnist(seed=1)
    np.savez(tmp_path / "mnist.npz", **arrays)
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(
        tmp_path / "mnist.npz", normalize=False
    )
    np.testing.assert_array_equal(x_train[..., 0], arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


# ---------------------------------------------------------------------------
# load_mnist: malformed inputs. Each case builds a broken path and gives the
# regex the error message must match (expected ... Received: found).


def case_missing_path(tmp_path):
    return tmp_path / "nowhere.npz", r"must be an existing .npz file.*does not exist"


def case_not_a_zip(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("this is not an archive")
    return path, r"must be a .npz \(zip\) archive.*not a zip archive"


def case_npz_missing_key(tmp_path):
    arrays = small_mnist()
    del arrays["y_test"]
    np.savez(tmp_path / "mnist.npz", **arrays)
    return tmp_path / "mnist.npz", r"must hold the arrays.*missing \['y_test'\]"


def case_npz_label_count(tmp_path):
    arrays = small_mnist()
    arrays["y_train"] = arrays["y_train"][:4]
    np.savez(tmp_path / "mnist.npz", **arrays)
    return (
        tmp_path / "mnist.npz",
        r"one label per image in `y_train`, shape \(5,\)\. "
        r"Received: y_train of shape \(4,\)",
    )


def case_npz_wrong_image_shape(tmp_path):
    arrays = small_mnist()
    arrays["x_test"] = arrays["x_test"][:, :27, :27]
    np.savez(tmp_path / "mnist.npz", **arrays)
    return (
        tmp_path / "mnist.npz",
        r"uint8 images of shape \(N, 28, 28\).*Received: x_test of dtype uint8 "
        r"and shape \(3, 27, 27\)",
    )


def case_npz_float_images(tmp_path):
    arrays = small_mnist()
    arrays["x_train"] = arrays["x_train"] / 255.0
    np.savez(tmp_path / "mnist.npz", **arrays)
    return tmp_path / "mnist.npz", r"uint8 images.*Received: x_train of dtype float64"


def case_idx_missing_file(tmp_path):
    write_idx_folder(tmp_path, small_mnist())
    (tmp_path / IDX_NAMES["y_test"]).unlink()
    return tmp_path, r"must hold the files.*missing \['t10k-labels-idx1-ubyte.gz'\]"


def case_idx_wrong_magic(tmp_path):
    arrays = small_mnist()
    write_idx_folder(tmp_path, arrays)
    write_idx(tmp_path / IDX_NAMES["x_train"], arrays["x_train"], magic=2049)
    return tmp_path, r"train-images.*magic number 2051 .*Received: magic number 2049"


def case_idx_truncated_data(tmp_path):
    arrays = small_mnist()
    write_idx_folder(tmp_path, arrays)
    header = struct.pack(">iiii", 2051, 5, 28, 28)
    with gzip.open(tmp_path / IDX_NAMES["x_train"], "wb") as stream:
        stream.write(header + arrays["x_train"].tobytes()[:-1])
    return tmp_path, r"must hold 3920 data bytes.*Received: 3919 bytes \(truncated\)"


def case_idx_trailing_bytes(tmp_path):
    arrays = small_mnist()
    write_idx_folder(tmp_path, arrays)
    with gzip.open(tmp_path / IDX_NAMES["y_test"], "wb") as stream:
        stream.write(struct.pack(">ii", 2049, 3) + bytes(4))
    return tmp_path, r"must hold 3 data bytes.*Received: 4 bytes \(trailing bytes\)"


def case_idx_truncated_header(tmp_path):
    write_idx_folder(tmp_path, small_mnist())
    with gzip.open(tmp_path / IDX_NAMES["x_test"], "wb") as stream:
        stream.write(struct.pack(">ii", 2051, 3))
    return tmp_path, r"16-byte IDX header.*Received: 8 bytes.*truncated header"


def case_idx_truncated_gzip(tmp_path):
    write_idx_folder(tmp_path, small_mnist())
    path = tmp_path / IDX_NAMES["x_train"]
    path.write_bytes(path.read_bytes()[:-20])
    return tmp_path, r"train-images.*must be a complete gzip stream"


def case_idx_not_gzip(tmp_path):
    write_idx_folder(tmp_path, small_mnist())
    (tmp_path / IDX_NAMES["y_train"]).write_bytes(b"plain bytes, not gzip")
    return tmp_path, r"train-labels.*must be a complete gzip stream"


def case_idx_label_count(tmp_path):
    arrays = small_mnist()
    arrays["y_test"] = arrays["y_test"][:2]
    write_idx_folder(tmp_path, arrays)
    return tmp_path, r"one label per image in `y_test`.*Received: y_test of shape \(2,"


@pytest.mark.parametrize(
    "make_case",
    [
        case_missing_path,
        case_not_a_zip,
        case_npz_missing_key,
        case_npz_label_count,
        case_npz_wrong_image_shape,
        case_npz_float_images,
        case_idx_missing_file,
        case_idx_wrong_magic,
        case_idx_truncated_data,
        case_idx_trailing_bytes,
        case_idx_truncated_header,
        case_idx_truncated_gzip,
        case_idx_not_gzip,
        case_idx_label_count,
    ],
)
def test_load_mnist_malformed_raises_value_error(tmp_path, make_case):
    path, message = make_case(tmp_path)
    with pytest.raises(ValueError, match=message):
        datasets.load_mnist(path)


# ---------------------------------------------------------------------------
# toy_2d


def test_toy_2d_centers():
    ring = datasets.toy_2d_centers("ring")
    assert ring.shape == (8, 2) and ring.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(ring[0], [2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(ring[2], [0.0, 2.0], atol=1e-6)
    grid = datasets.toy_2d_centers("grid")
    assert grid.shape == (25, 2)
    expected = {(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in grid.tolist()} == expected


@pytest.mark.parametrize(
    "name, num_modes, std", [("ring", 8, 0.02), ("grid", 25, 0.05)]
)
def test_toy_2d_points_sit_on_balanced_modes(name, num_modes, std):
    n = 5000
    x, modes = datasets.toy_2d(name, n=n, seed=0)
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert modes.shape == (n,) and modes.dtype == np.int64
    assert datasets.TOY_2D_STD[name] == std
    centers = datasets.toy_2d_centers(name)
    # Each coordinate is Normal(center, std^2): |deviation| > 6 std has
    # probability 2e-9, so over 2n coordinates a failure means a bug.
    assert np.all(np.abs(x - centers[modes]) < 6 * std)
    # The per-coordinate spread is std (sample std has standard error
    # std / sqrt(2 * 2n); 5 standard errors is the tolerance).
    spread = np.std(x - centers[modes])
    assert abs(spread - std) < 5 * std / np.sqrt(4 * n)
    # Mode counts are Binomial(n, 1/K): within 5 binomial standard errors
    # sqrt(n p (1 - p)) of n / K (per-mode false alarm about 6e-7).
    p = 1.0 / num_modes
    counts = np.bincount(modes, minlength=num_modes)
    assert len(counts) == num_modes
    assert np.all(np.abs(counts - n * p) < 5 * np.sqrt(n * p * (1 - p)))


def test_toy_2d_seed_and_std():
    x1, m1 = datasets.toy_2d("ring", n=100, seed=7)
    x2, m2 = datasets.toy_2d("ring", n=100, seed=7)
    x3, _ = datasets.toy_2d("ring", n=100, seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(m1, m2)
    assert not np.array_equal(x1, x3)
    n = 4000
    x, modes = datasets.toy_2d("grid", n=n, std=0.3, seed=0)
    deviation = x - datasets.toy_2d_centers("grid")[modes]
    assert abs(np.std(deviation) - 0.3) < 5 * 0.3 / np.sqrt(4 * n)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"name": "spiral"},
            r"`name` must be one of \('ring', 'grid'\)\. Received: name='spiral'",
        ),
        ({"n": 0}, r"`n` must be an int >= 1\. Received: n=0"),
        ({"n": 10.0}, r"`n` must be an int >= 1\. Received: n=10\.0"),
        ({"n": True}, r"`n` must be an int >= 1\. Received: n=True"),
        ({"std": -1.0}, r"`std` must be a positive number\. Received: std=-1\.0"),
        ({"std": float("inf")}, r"`std` must be a positive number\. Received: std=inf"),
        ({"seed": "0"}, r"`seed` must be None or an int\. Received: seed='0'"),
    ],
)
def test_toy_2d_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        datasets.toy_2d(**kwargs)


def test_toy_2d_reads_numpy_and_tensor_sizes():
    x, modes = datasets.toy_2d("grid", n=np.prod((10, 5)), std=np.float32(0.1), seed=np.int64(1))
    x_same, _ = datasets.toy_2d("grid", n=tf.constant(50), std=0.1, seed=1)
    assert x.shape == (50, 2) and modes.shape == (50,)
    np.testing.assert_allclose(x, x_same, rtol=1e-6)
    assert datasets.toy_2d_centers(np.str_("ring")).shape == (8, 2)


# ---------------------------------------------------------------------------
# binarize


def test_binarize_threshold_is_strictly_greater():
    x = np.array([[0.0, 0.25, 0.5], [0.5001, 0.75, 1.0]], np.float32)
    b = datasets.binarize(x)
    assert b.dtype == np.float32 and b.shape == x.shape
    np.testing.assert_array_equal(b, [[0, 0, 0], [1, 1, 1]])
    low_cut = datasets.binarize(x, threshold=0.2)
    np.testing.assert_array_equal(low_cut, [[0, 1, 1], [1, 1, 1]])


def test_binarize_half_equals_raw_above_127_for_every_byte():
    raw = np.arange(256, dtype=np.uint8)
    # The loader's scaling: float32 raw / 255. 127/255 < 0.5 < 128/255.
    scaled = raw.astype("float32") / 255.0
    expected = raw > 127
    assert expected.sum() == 128 and not expected[127] and expected[128]
    np.testing.assert_array_equal(datasets.binarize(scaled), expected)


def test_binarize_stochastic_mean_matches_probabilities():
    n = 40000
    probabilities = np.array([0.0, 0.1, 0.5, 0.9, 1.0], np.float32)
    x = np.tile(probabilities, (n, 1))
    b = datasets.binarize(x, "stochastic", seed=0)
    assert b.dtype == np.float32 and set(np.unique(b)) <= {0.0, 1.0}
    # The column mean of n Bernoulli(p) draws has standard error
    # sqrt(p (1 - p) / n); allow 5 of them (p = 0 and 1 must be exact).
    standard_error = np.sqrt(probabilities * (1 - probabilities) / n)
    assert np.all(np.abs(b.mean(axis=0) - probabilities) <= 5 * standard_error)
    np.testing.assert_array_equal(b, datasets.binarize(x, "stochastic", seed=0))
    assert not np.array_equal(b, datasets.binarize(x, "stochastic", seed=1))


def test_binarize_rejects_bad_method_and_range():
    message = r"`method` must be one of \('threshold', 'stochastic'\)\. "
    with pytest.raises(ValueError, match=message + r"Received: method='bernoulli'"):
        datasets.binarize(np.zeros(3), method="bernoulli")
    message = r"values in \[0, 1\].*Received: x with values in \[0\.0, 255\.0\]"
    with pytest.raises(ValueError, match=message):
        datasets.binarize(np.array([0.0, 255.0]), method="stochastic")
    with pytest.raises(ValueError, match=r"`x` must be an array of numbers\. Received: x of dtype <U3"):
        datasets.binarize("abc")
    with pytest.raises(ValueError, match=r"^`threshold` must be a finite number\. Received: threshold=nan$"):
        datasets.binarize(np.zeros(3), threshold=float("nan"))
    with pytest.raises(ValueError, match=r"^`seed` must be None or an int\. Received: seed=1\.5$"):
        datasets.binarize(np.zeros(3), "stochastic", seed=1.5)


# ---------------------------------------------------------------------------
# as_dataset


def batches(dataset):
    """Materialises a dataset as a list of numpy batches (or pairs of them)."""
    return [
        tuple(np.asarray(t) for t in b) if isinstance(b, tuple) else np.asarray(b)
        for b in dataset
    ]


def test_as_dataset_batches_and_keeps_pairs():
    x = np.arange(10, dtype=np.float32).reshape(10, 1) * 10
    y = np.arange(10)
    result = batches(datasets.as_dataset(x, y, batch_size=4, seed=0))
    assert [len(bx) for bx, _ in result] == [4, 4, 2]
    seen_x = np.concatenate([bx for bx, _ in result])[:, 0]
    seen_y = np.concatenate([by for _, by in result])
    np.testing.assert_array_equal(seen_x, seen_y * 10)  # pairs stay together
    np.testing.assert_array_equal(np.sort(seen_y), y)  # each example once
    dropped = batches(datasets.as_dataset(x, batch_size=4, seed=0, drop_remainder=True))
    assert [len(b) for b in dropped] == [4, 4]
    ordered = batches(datasets.as_dataset(x, batch_size=3, shuffle=False))
    np.testing.assert_array_equal(np.concatenate(ordered), x)


def test_as_dataset_shuffle_is_seeded():
    x = np.arange(64)

    def first_two_epochs(seed):
        dataset = datasets.as_dataset(x, batch_size=64, seed=seed)
        return [np.asarray(b) for epoch in range(2) for b in dataset]

    a, b, c = first_two_epochs(1), first_two_epochs(1), first_two_epochs(2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], x)  # shuffled at all
    assert not np.array_equal(a[0], a[1])  # reshuffled every epoch
    assert not np.array_equal(a[0], c[0])  # the seed matters


def test_as_dataset_rejects_bad_arguments():
    for batch_size in (0, 2.0, True, "2"):
        message = rf"^`batch_size` must be an int >= 1\. Received: batch_size={re.escape(repr(batch_size))}$"
        with pytest.raises(ValueError, match=message):
            datasets.as_dataset(np.zeros(4), batch_size=batch_size)
    with pytest.raises(ValueError, match=r"^`seed` must be None or an int\. Received: seed=1\.0$"):
        datasets.as_dataset(np.zeros(4), seed=1.0)
    # NumPy integers and scalar tensors are sizes too.
    batches = list(datasets.as_dataset(np.zeros(4), batch_size=np.int64(3), shuffle=False))
    assert [len(b) for b in batches] == [3, 1]
    batches = list(datasets.as_dataset(np.zeros(4), batch_size=tf.constant(2), seed=np.int32(0)))
    assert [len(b) for b in batches] == [2, 2]
    message = r"`y` must have as many examples as `x` \(4\)\. Received: y with shape"
    with pytest.raises(ValueError, match=message):
        datasets.as_dataset(np.zeros(4), np.zeros(3))


def test_as_dataset_clips_a_batch_larger_than_the_data_with_a_warning():
    x = np.arange(5, dtype=np.float32)
    # Unclipped, drop_remainder=True would make an empty dataset: fit trains nothing.
    with pytest.warns(UserWarning, match=r"`batch_size` 8 is larger than the 5 examples of `x`: using batches of 5"):
        dataset = datasets.as_dataset(x, batch_size=8, seed=0, drop_remainder=True)
    result = batches(dataset)
    assert [len(b) for b in result] == [5]
    np.testing.assert_array_equal(np.sort(result[0]), x)
    with pytest.raises(ValueError, match=r"^`x` must hold at least one example\. Received: x with shape \(0,\)$"):
        datasets.as_dataset(np.zeros(0), batch_size=4)


def unpaired_epochs(a, b, epochs, **kwargs):
    """`epochs` passes over `unpaired(a, b, ...)`: per epoch, the batch pairs as NumPy arrays."""
    dataset = datasets.unpaired(a, b, **kwargs)
    return [batches(dataset) for _ in range(epochs)]


def test_unpaired_epoch_is_the_longer_domain_once_and_the_shorter_repeated():
    # 13 examples (2, 2, 1) against 4 examples (2, 2, 3), told apart by their first value.
    a = np.arange(13 * 4, dtype=np.float32).reshape(13, 2, 2, 1)
    b = 100 + np.arange(4 * 12, dtype=np.float32).reshape(4, 2, 2, 3)
    for first, second in ((a, b), (b, a)):  # the shorter domain on either side
        for epoch in unpaired_epochs(first, second, 2, batch_size=5, seed=0):
            assert [(x.shape, y.shape) for x, y in epoch] == [
                ((n, *first.shape[1:]), (n, *second.shape[1:])) for n in (5, 5, 3)
            ]
            ids = [np.concatenate(side)[:, 0, 0, 0] for side in zip(*epoch)]
            long_ids, short_ids = ids if first is a else ids[::-1]
            np.testing.assert_array_equal(np.sort(long_ids), a[:, 0, 0, 0])  # each once
            # The shorter domain passes 3 times whole, reshuffled each time, then once in part:
            # 13 / 4 -> each example 3 (floor) or 4 (ceil) times.
            passes = short_ids[:12].reshape(3, 4)
            for order in passes:
                np.testing.assert_array_equal(np.sort(order), b[:, 0, 0, 0])
            assert len({tuple(order) for order in passes}) > 1
            counts = np.unique(short_ids, return_counts=True)[1]
            assert sorted(counts) == [3, 3, 3, 4]
    # Equal lengths: each domain once; shuffle=False reads in order, repeating from the start.
    (epoch,) = unpaired_epochs(a, a[::-1], 1, batch_size=13, seed=0)
    np.testing.assert_array_equal(np.sort(epoch[0][0], axis=0), a)
    np.testing.assert_array_equal(np.sort(epoch[0][1], axis=0), a)
    (epoch,) = unpaired_epochs(np.arange(5), np.arange(2), 1, batch_size=8, shuffle=False)
    np.testing.assert_array_equal(epoch[0][0], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(epoch[0][1], [0, 1, 0, 1, 0])


def test_unpaired_shuffle_is_seeded_per_domain_and_epoch():
    a, b = np.arange(30), 100 + np.arange(7)

    def flat(epochs):
        return [np.concatenate([np.concatenate(pair) for pair in epoch]) for epoch in epochs]

    first, again, other = (
        flat(unpaired_epochs(a, b, 2, batch_size=8, seed=seed)) for seed in (1, 1, 2)
    )
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)  # the same seed, the same batches, epoch after epoch
    assert not np.array_equal(first[0], first[1])  # reshuffled every epoch
    assert not np.array_equal(first[0], other[0])  # the seed matters
    (epoch,) = unpaired_epochs(a, a, 1, batch_size=30, seed=3)
    assert not np.array_equal(epoch[0][0], epoch[0][1])  # the domains are shuffled apart
    assert not np.array_equal(epoch[0][0], a)
    (epoch,) = unpaired_epochs(a, b, 1, batch_size=4, seed=None)
    assert sum(len(x) for x, _ in epoch) == 30


def test_unpaired_rejects_bad_arguments():
    good = np.zeros((3, 2))
    cases = [
        ({"a": np.zeros((0, 2))}, "`a` must hold at least one example. Received: a with shape (0, 2)"),
        ({"b": np.zeros((0,))}, "`b` must hold at least one example. Received: b with shape (0,)"),
        ({"b": np.float32(1)}, "`b` must hold at least one example. Received: b with shape ()"),
        ({"batch_size": 0}, "`batch_size` must be an int >= 1. Received: batch_size=0"),
        ({"seed": 1.0}, "`seed` must be None or an int. Received: seed=1.0"),
        ({"shuffle": "yes"}, "`shuffle` must be a bool. Received: shuffle='yes'"),
    ]
    for kwargs, message in cases:
        arguments = {"a": good, "b": good, "batch_size": 2, **kwargs}
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            datasets.unpaired(**arguments)
    (epoch,) = unpaired_epochs(good, good[:1], 1, batch_size=np.int64(2), seed=np.int32(0))
    assert [len(x) for x, _ in epoch] == [2, 1]


# ---------------------------------------------------------------------------
# load_images: a folder of image files


def write_pngs(folder, images, prefix="img"):
    """Writes uint8 arrays `(H, W)` or `(H, W, 3)` as PNG files `prefix000.png`, ...; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(images):
        paths.append(folder / f"{prefix}{i:03d}.png")
        Image.fromarray(image).save(paths[-1])
    return paths


def random_bytes(shape, seed):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_load_images_reads_class_sub_folders_as_labels(tmp_path):
    # Classes in sorted folder order: "ant" 0, "bee" 1, "cat" 2; images deeper inside count.
    arrays = {"bee": random_bytes((4, 6, 5), 1), "ant": random_bytes((3, 6, 5), 2),
              "cat": random_bytes((5, 6, 5), 3)}
    for name, images in arrays.items():
        write_pngs(tmp_path / name / ("deeper" if name == "cat" else ""), images)
    (tmp_path / "labels.csv").write_text("not an image: skipped")
    (x_train, y_train), (x_val, y_val) = datasets.load_images(tmp_path, validation_fraction=0.25, seed=5)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.shape == (9, 6, 5, 1) and x_val.shape == (3, 6, 5, 1)  # round(0.25 * 12) held out
    # Grey PNGs stay grey; values are the bytes / 255, each image with its folder's label.
    x = np.concatenate([x_train, x_val])[..., 0]
    y = np.concatenate([y_train, y_val])
    expected = np.concatenate([arrays["ant"], arrays["bee"], arrays["cat"]]) / np.float32(255)
    labels = np.repeat([0, 1, 2], [3, 4, 5])
    order = np.lexsort(x.reshape(12, -1).T)
    order_expected = np.lexsort(expected.reshape(12, -1).T)
    np.testing.assert_array_equal(x[order], expected[order_expected].astype(np.float32))
    np.testing.assert_array_equal(y[order], labels[order_expected])
    # The split is seeded.
    (_, _), (x_same, _) = datasets.load_images(tmp_path, validation_fraction=0.25, seed=5)
    np.testing.assert_array_equal(x_same, x_val)


def test_load_images_without_sub_folders_has_no_labels_and_converts_colours(tmp_path):
    rgb = random_bytes((6, 9, 7, 3), 4)
    write_pngs(tmp_path, rgb)
    (x_train, y_train), (x_val, y_val) = datasets.load_images(tmp_path, validation_fraction=0.2)
    assert y_train is None and y_val is None
    assert x_train.shape == (5, 9, 7, 3) and x_val.shape == (1, 9, 7, 3)  # colour files: rgb
    (x, _), _ = datasets.load_images(tmp_path, color_mode="grayscale", validation_fraction=0)
    assert x.shape == (6, 9, 7, 1)
    # Reference: PIL's luma, L = (299 R + 587 G + 114 B) / 1000 rounded to a byte.
    luma = np.stack([np.asarray(Image.fromarray(image).convert("L")) for image in rgb])
    x_sorted = x[np.lexsort(x.reshape(6, -1).T)]
    luma_sorted = luma[np.lexsort(luma.reshape(6, -1).T)]
    # PIL rounds to a byte (0.5) and weighs R by 0.299, TensorFlow by 0.2989 (0.03 at most).
    np.testing.assert_allclose(x_sorted[..., 0] * 255, luma_sorted, atol=0.53)
    grey = random_bytes((3, 4, 4), 5)
    write_pngs(tmp_path / "grey", grey)
    (x, _), _ = datasets.load_images(tmp_path / "grey", color_mode="rgb", validation_fraction=0)
    assert x.shape == (3, 4, 4, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])


def test_load_images_resizes_like_pillows_antialiased_bilinear(tmp_path):
    images = random_bytes((2, 13, 17), 6)
    write_pngs(tmp_path, images)
    for size, shape in ((5, (5, 5)), ((26, 30), (26, 30)), ((8, 6), (8, 6))):
        (x, _), _ = datasets.load_images(tmp_path, image_size=size, validation_fraction=0)
        assert x.shape == (2, *shape, 1)
        # An independent implementation: Pillow's bilinear filter, widened when shrinking.
        reference = [np.asarray(Image.fromarray(image.astype(np.float32) / 255, mode="F")
                                .resize(shape[::-1], Image.BILINEAR)) for image in images]
        found = sorted(x[..., 0], key=lambda a: a.sum())
        expected = sorted(reference, key=lambda a: a.sum())
        np.testing.assert_allclose(found, expected, atol=1e-5)  # float32 rounding only


def test_load_images_error_names_at_most_three_of_300_files(tmp_path):
    write_pngs(tmp_path, np.zeros((300, 4, 4), np.uint8))
    write_pngs(tmp_path, np.zeros((1, 5, 4), np.uint8), prefix="odd")
    with pytest.raises(ValueError) as error:
        datasets.load_images(tmp_path)
    message = str(error.value)
    assert re.search(r"must all have one size, or pass `image_size`.*Received: 2 sizes, "
                     r"4x4: 300 images \(img000.png, img001.png, img002.png and 297 more\); "
                     r"5x4: 1 image \(odd000.png\)$", message), message
    assert message.count(".png") == 4
    (x, _), _ = datasets.load_images(tmp_path, image_size=(4, 4), validation_fraction=0)
    assert x.shape == (301, 4, 4, 1)


def make_image_folder_case(tmp_path, case):
    """A broken folder (or argument) for `load_images`, and the message it must give."""
    if case == "missing":
        return tmp_path / "nowhere", {}, r"must be an existing folder of images.*does not exist"
    if case == "empty":
        (tmp_path / "notes.txt").write_text("x")
        return tmp_path, {}, r"must hold image files \(.bmp, .gif, .jpeg, .jpg, .png\).*1 other entry: notes.txt"
    if case == "loose_and_classes":
        write_pngs(tmp_path, np.zeros((2, 4, 4), np.uint8))
        write_pngs(tmp_path / "cats", np.zeros((2, 4, 4), np.uint8))
        return tmp_path, {}, r"either directly or in class sub-folders, not both.*2 images beside"
    if case == "undecodable":
        write_pngs(tmp_path, np.zeros((2, 4, 4), np.uint8))
        (tmp_path / "broken.png").write_bytes(b"not a png")
        return tmp_path, {}, r"^Image file 'broken.png' in .* must be a readable BMP, GIF, JPEG or PNG"
    if case == "one_image":
        write_pngs(tmp_path, np.zeros((1, 4, 4), np.uint8))
        return tmp_path, {}, r"must hold at least 2 images to hold out.*Received: 1 image$"
    write_pngs(tmp_path, np.zeros((2, 4, 4), np.uint8))
    kwargs, message = {
        "image_size": ({"image_size": 0}, r"`image_size` must be None, an int >= 1 or a tuple"),
        "image_size_3": ({"image_size": (2, 2, 2)}, r"`image_size` must be None.*\(2, 2, 2\)"),
        "color_mode": ({"color_mode": "rgba"}, r"`color_mode` must be None or one of \('grayscale', 'rgb'\)"),
        "fraction": ({"validation_fraction": 1.0}, r"`validation_fraction` must be a number in \[0, 1\)"),
    }[case]
    return tmp_path, kwargs, message


@pytest.mark.parametrize("case", ["missing", "empty", "loose_and_classes", "undecodable", "one_image",
                                  "image_size", "image_size_3", "color_mode", "fraction"])
def test_load_images_rejects_bad_folders_and_arguments(tmp_path, case):
    folder, kwargs, message = make_image_folder_case(tmp_path, case)
    with pytest.raises(ValueError, match=message):
        datasets.load_images(folder, **kwargs)


# ---------------------------------------------------------------------------
# load_npz: any array of images


def test_load_npz_named_key_with_labels_and_conversions(tmp_path):
    images = random_bytes((20, 6, 6, 3), 7)
    labels = np.arange(20) % 4
    np.savez(tmp_path / "patches.npz", images=images, labels=labels)
    (x_train, y_train), (x_val, y_val) = datasets.load_npz(
        tmp_path / "patches.npz", key="images", label_key="labels", validation_fraction=0.1, seed=1)
    assert x_train.shape == (18, 6, 6, 3) and x_val.shape == (2, 6, 6, 3) and x_train.dtype == np.float32
    # Each image keeps its label: the image's index is its label's index.
    for x, y in ((x_train, y_train), (x_val, y_val)):
        index = [int(np.flatnonzero((np.rint(image * 255) == images).all(axis=(1, 2, 3)))[0]) for image in x]
        np.testing.assert_array_equal(y, labels[index])
    (grey, _), _ = datasets.load_npz(tmp_path / "patches.npz", key="images", color_mode="grayscale",
                                     image_size=3, validation_fraction=0)
    assert grey.shape == (20, 3, 3, 1)


def test_load_npz_keras_layout_without_labels_and_single_arrays(tmp_path):
    floats = np.random.default_rng(8).random((10, 5, 5)).astype(np.float32)
    np.savez(tmp_path / "split.npz", x_train=floats, x_test=floats[:3])
    (x_train, y_train), (x_test, y_test) = datasets.load_npz(tmp_path / "split.npz")
    np.testing.assert_array_equal(x_train[..., 0], floats)
    np.testing.assert_array_equal(x_test[..., 0], floats[:3])
    assert y_train is None and y_test is None
    # x_train alone: a fraction of it is held out.
    np.savez(tmp_path / "train.npz", x_train=(floats > 0.5), y_train=np.arange(10))
    (x_train, y_train), (x_val, y_val) = datasets.load_npz(tmp_path / "train.npz", validation_fraction=0.3)
    assert x_train.shape == (7, 5, 5, 1) and len(y_val) == 3 and set(np.unique(x_train)) <= {0.0, 1.0}
    # A single array of any name, int16 values in 0..255.
    np.savez(tmp_path / "one.npz", pixels=np.arange(2 * 4 * 4, dtype=np.int16).reshape(2, 4, 4) * 8)
    (x_train, y_train), (x_val, _) = datasets.load_npz(tmp_path / "one.npz", validation_fraction=0.5)
    assert y_train is None and x_train.shape == x_val.shape == (1, 4, 4, 1)
    assert x_train.max() <= 248 / 255 + 1e-7


def make_npz_case(tmp_path, case):
    """A broken `.npz` (or argument) for `load_npz`, and the message it must give."""
    path = tmp_path / "data.npz"
    if case == "not_zip":
        path.write_text("not an archive")
        return path, {}, r"`path` must be a .npz \(zip\) archive.*not a zip archive"
    rng = np.random.default_rng(0)
    arrays, kwargs, message = {
        "empty": ({"x": np.zeros((0, 4, 4), np.uint8)}, {}, r"`x` of .* must hold at least one image\. "
                  r"Received: shape \(0, 4, 4\)"),
        "range": ({"x": rng.random((3, 4, 4)) * 255}, {}, r"must hold floats in \[0, 1\].*divide 0..255"),
        "nan": ({"x": np.full((3, 4, 4), np.nan)}, {}, r"must hold finite numbers\. Received: 48 NaN"),
        "int_range": ({"x": np.full((3, 4, 4), 300)}, {}, r"integer pixel values in 0..255.*\[300, 300\]"),
        "channels_first": ({"x": np.zeros((3, 3, 8, 8), np.uint8)}, {}, r"\(n, H, W, C\) with C = 1 or 3.*"
                           r"shape \(3, 3, 8, 8\); channels first\?"),
        "several": ({"a": np.zeros((3, 4, 4)), "b": np.zeros(3)}, {}, r"`key` must name the images array.*"
                    r"holds 2 arrays"),
        "missing_key": ({"a": np.zeros((3, 4, 4))}, {"key": "images"}, r"`key` must name an array of.*"
                        r"Received: key='images' \(the archive holds a\)"),
        "labels": ({"x": np.zeros((3, 4, 4)), "y": np.zeros(2, int)}, {"key": "x", "label_key": "y"},
                   r"`y` of .* one integer label per image, shape \(3,\)\. Received: y of dtype int64 and shape \(2,\)"),
        "half_labels": ({"x_train": np.zeros((3, 4, 4)), "y_train": np.zeros(3, int),
                         "x_test": np.zeros((2, 4, 4))}, {}, r"labels for every split.*missing \['y_test'\]"),
    }[case]
    np.savez(path, **arrays)
    return path, kwargs, message


@pytest.mark.parametrize("case", ["not_zip", "empty", "range", "nan", "int_range", "channels_first", "several",
                                  "missing_key", "labels", "half_labels"])
def test_load_npz_rejects_malformed_archives(tmp_path, case):
    path, kwargs, message = make_npz_case(tmp_path, case)
    with pytest.raises(ValueError, match=message):
        datasets.load_npz(path, **kwargs)
