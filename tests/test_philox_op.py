"""The TensorFlow op Kgen>PhiloxRandom against TensorFlow's own Philox-4x32-10.

TensorFlow's `StatelessRandomUniformFullIntV2(alg=1)` is an independent
implementation of the same bijection, so word-for-word equality over many keys,
counters and shapes checks both the arithmetic and the stream layout.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import kgen_ops
from kgen_ops.reference import philox as philox_reference

pytestmark = pytest.mark.skipif(not kgen_ops.op_library_loaded(), reason="op library not built")


def tensorflow_philox_words(shape, key, stream):
    return tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=shape,
        key=tf.constant([key], tf.uint64),
        counter=tf.constant([0, stream], tf.uint64),
        alg=1,
        dtype=tf.uint32,
    ).numpy()


def random_cases(count, seed=20261121):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        rank = int(rng.integers(1, 4))
        shape = [int(s) for s in rng.integers(0, 40, size=rank)]
        key, stream = (int(v) for v in rng.integers(-(2**63), 2**63 - 1, size=2, dtype=np.int64))
        yield shape, key, stream


@pytest.mark.parametrize("shape, key, stream", list(random_cases(40)))
def test_op_bits_equal_tensorflow_philox(shape, key, stream):
    got = kgen_ops.philox_bits(shape, [key, stream]).numpy()
    expected = tensorflow_philox_words(shape, key & (2**64 - 1), stream & (2**64 - 1))
    np.testing.assert_array_equal(got, expected)


def test_tensorflow_philox_agrees_with_the_random123_vector_at_a_full_counter():
    # Random123 kat: counter 243f6a88 85a308d3 13198a2e 03707344, key a4093822 299f31d0.
    words = tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=[4],
        key=tf.constant([0x299F31D0A4093822], tf.uint64),
        counter=tf.constant([0x85A308D3243F6A88, 0x0370734413198A2E], tf.uint64),
        alg=1,
        dtype=tf.uint32,
    ).numpy()
    np.testing.assert_array_equal(words, np.array([0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1], np.uint32))


@pytest.mark.parametrize("shape", [[0], [1], [5], [3, 7], [2, 0, 4], [4099]])
@pytest.mark.parametrize("seed", [[0, 0], [42, 7], [-5, 3]])
def test_op_equals_native_and_reference(shape, seed):
    bits = kgen_ops.philox_bits(shape, seed).numpy()
    uniform = kgen_ops.philox_uniform(shape, seed).numpy()
    assert bits.dtype == np.uint32 and uniform.dtype == np.float32
    assert list(bits.shape) == shape and list(uniform.shape) == shape
    np.testing.assert_array_equal(bits, kgen_ops.native.philox_bits(shape, seed))
    np.testing.assert_array_equal(uniform, kgen_ops.native.philox_uniform(shape, seed))
    np.testing.assert_array_equal(uniform, philox_reference.philox_uniform(tuple(shape), seed))


def test_op_in_a_graph_has_a_static_shape_and_accepts_int32_shapes():
    @tf.function
    def draw(seed):
        return kgen_ops.philox_uniform(tf.constant([3, 4], tf.int32), seed)

    concrete = draw.get_concrete_function(tf.TensorSpec([2], tf.int64))
    assert concrete.output_shapes.as_list() == [3, 4]
    np.testing.assert_array_equal(draw(tf.constant([9, 9], tf.int64)).numpy(), kgen_ops.philox_uniform([3, 4], [9, 9]).numpy())


@pytest.mark.parametrize(
    "shape, seed, match",
    [
        ([3], [1, 2, 3], r"`seed` must have shape \[2\]"),
        ([3], [[1, 2]], r"`seed` must have shape \[2\]"),
        ([-1], [1, 2], r"`shape` must hold non-negative sizes"),
        ([[2, 2]], [1, 2], r"`shape` must be a 1-D tensor"),
    ],
)
def test_bad_inputs_give_invalid_argument_errors(shape, seed, match):
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match=match):
        kgen_ops.philox_uniform(tf.constant(shape, tf.int64), tf.constant(seed, tf.int64))


def test_float_shape_is_rejected_in_python():
    with pytest.raises(TypeError, match="`shape` must be int32 or int64"):
        kgen_ops.philox_uniform(tf.constant([2.0]), [0, 0])


def test_one_and_two_intra_op_threads_give_identical_streams():
    # TensorFlow fixes its thread pools at start-up, so one thread runs in a child process.
    shape, seed = [1 << 20], [77, 5]
    child = (
        "import os, json, hashlib; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'\n"
        "import tensorflow as tf\n"
        "tf.config.threading.set_intra_op_parallelism_threads(1)\n"
        "import kgen_ops\n"
        f"words = kgen_ops.philox_bits({shape}, {seed}).numpy()\n"
        "print(json.dumps(hashlib.sha256(words.tobytes()).hexdigest()))\n"
    )
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    import hashlib

    tf.config.threading.get_intra_op_parallelism_threads()  # default: all cores (2 here)
    here = hashlib.sha256(kgen_ops.philox_bits(shape, seed).numpy().tobytes()).hexdigest()
    assert json.loads(result.stdout.strip().splitlines()[-1]) == here


def test_build_info_names_the_tensorflow_it_was_built_for():
    assert kgen_ops.build_info()["tensorflow"] == tf.__version__
