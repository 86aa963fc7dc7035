"""kgen_ops.native Philox against the NumPy reference and Random123 known answers.

This file imports no TensorFlow on purpose: it is the test run on the GPU
machine (which has CUDA and pybind11 but no TensorFlow), where the CUDA cases
below execute; elsewhere they are skipped.
"""

import numpy as np
import pytest

from kgen_ops import native
from kgen_ops.reference import philox as philox_reference

pytestmark = pytest.mark.skipif(native is None, reason="kgen_ops.native was not built")

CUDA = native is not None and native.built_with_cuda() and native.cuda_device_count() > 0
requires_cuda = pytest.mark.skipif(not CUDA, reason="no CUDA device or CUDA build")

# Random123's kat_vectors for philox4x32_10: (counter words, key words, expected).
RANDOM123_KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    (
        [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
        [0xA4093822, 0x299F31D0],
        [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
    ),
]

SHAPES = [(0,), (1,), (3,), (4,), (5,), (2, 3), (7, 11, 3), (0, 5), (1000,)]
SEEDS = [(0, 0), (1, 2), (-1, -1), (2**63 - 1, -(2**63)), (123456789, 987654321)]


@pytest.mark.parametrize("counter, key, expected", RANDOM123_KAT)
def test_reference_matches_random123_known_answers(counter, key, expected):
    words = philox_reference.philox4x32_10([counter], key)[0]
    np.testing.assert_array_equal(words, np.array(expected, dtype=np.uint32))


def test_stream_with_seed_zero_starts_with_the_first_known_answer():
    # Element i is word i % 4 of block i // 4, counter high words = stream = 0.
    np.testing.assert_array_equal(native.philox_bits([4], [0, 0]), np.array(RANDOM123_KAT[0][2], np.uint32))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_cpu_bits_equal_reference(shape, seed):
    got = native.philox_bits(list(shape), list(seed))
    assert got.dtype == np.uint32 and got.shape == shape
    np.testing.assert_array_equal(got, philox_reference.philox_bits(shape, seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_cpu_uniform_is_top_24_bits_times_two_to_minus_24(seed):
    shape = (257,)
    uniform = native.philox_uniform(list(shape), list(seed))
    bits = native.philox_bits(list(shape), list(seed))
    assert uniform.dtype == np.float32
    np.testing.assert_array_equal(uniform, (bits >> 8).astype(np.float32) * np.float32(2.0**-24))
    np.testing.assert_array_equal(uniform, philox_reference.philox_uniform(shape, seed))
    assert uniform.min() >= 0.0 and uniform.max() < 1.0


def test_result_does_not_depend_on_thread_count():
    # 2**20 elements = 2**18 blocks: enough for every thread count below to split the work.
    shape = [1 << 20]
    single = native.philox_bits(shape, [5, 6], num_threads=1)
    for threads in (2, 3, 7, 0):
        np.testing.assert_array_equal(native.philox_bits(shape, [5, 6], num_threads=threads), single)


def test_uniform_moments_and_histogram():
    # n = 2**20 draws: the mean's standard error is sqrt(1/12/n) ~ 2.8e-4; allow 5 SE.
    n = 1 << 20
    u = native.philox_uniform([n], [2024, 11]).astype(np.float64)
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    # Chi-square over 64 equal bins, 63 degrees of freedom: mean 63, sd sqrt(126) ~ 11.2;
    # 63 + 5 sd ~ 119 is crossed by a uniform stream with probability < 1e-5.
    counts = np.bincount((u * 64).astype(int), minlength=64)
    expected = n / 64
    assert ((counts - expected) ** 2 / expected).sum() < 119


def test_different_streams_and_keys_differ():
    a = native.philox_bits([64], [1, 0])
    assert not np.array_equal(a, native.philox_bits([64], [1, 1]))
    assert not np.array_equal(a, native.philox_bits([64], [2, 0]))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(shape=[-1, 3], seed=[0, 0]), ValueError, r"`shape` must hold non-negative sizes.*\[-1, 3\]"),
        (dict(shape=[3], seed=[0, 0, 0]), ValueError, r"`seed` must be a pair.*\[0, 0, 0\]"),
        (dict(shape=[3], seed=[0]), ValueError, r"`seed` must be a pair"),
        (dict(shape=[3], seed=[0, 0], device="tpu"), ValueError, r"`device` must be 'cpu' or 'cuda'.*'tpu'"),
        (dict(shape=[3], seed=[0, 0], num_threads=-2), ValueError, r"`num_threads` must be >= 0"),
        (dict(shape=[2**40, 2**40], seed=[0, 0]), ValueError, r"more than 2\^63 elements"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        native.philox_uniform(**kwargs)


@pytest.mark.skipif(CUDA, reason="checks the message given when CUDA is unusable")
def test_cuda_request_without_cuda_is_a_clear_runtime_error():
    with pytest.raises(RuntimeError, match="`device` is 'cuda' but"):
        native.philox_uniform([4], [0, 0], device="cuda")


@requires_cuda
@pytest.mark.parametrize("shape", SHAPES + [(1 << 22,)])
@pytest.mark.parametrize("seed", SEEDS)
def test_cuda_equals_cpu_word_for_word(shape, seed):
    np.testing.assert_array_equal(
        native.philox_bits(list(shape), list(seed), device="cuda"),
        native.philox_bits(list(shape), list(seed), device="cpu"),
    )
    np.testing.assert_array_equal(
        native.philox_uniform(list(shape), list(seed), device="cuda"),
        native.philox_uniform(list(shape), list(seed), device="cpu"),
    )
