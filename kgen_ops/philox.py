"""TensorFlow wrappers of the Philox-4x32-10 op (`Kgen>PhiloxRandom`).

The stream is addressed by position. For `seed = (key, stream)`, element `i`
(row-major) of the output is word `i % 4` of

    philox4x32_10(counter=(i // 4 as the low 64 bits, stream as the high 64 bits),
                  key=key)

which is exactly TensorFlow's
`tf.raw_ops.StatelessRandomUniformFullIntV2(shape, key=[key], counter=[0, stream],
alg=1, dtype=tf.uint32)`. The same element is produced whatever the number of
threads, and on CPU and GPU alike.

Words become float32 by `(w >> 8) * 2**-24`: the top 24 bits, so values are
multiples of 2**-24 in [0, 1) (1.0 is never produced).
"""

import tensorflow as tf

from kgen_ops import _loader

_OP_NAME = "Kgen>PhiloxRandom"

# Random draws have no gradient with respect to the shape or the seed.
tf.no_gradient(_OP_NAME)


def _philox(shape, seed, dtype):
    library = _loader.load_op_library()
    if not tf.is_tensor(shape) and len(shape) == 0:
        # `[]` (a scalar output) would otherwise convert to float32.
        shape = tf.zeros([0], dtype=tf.int64)
    shape = tf.convert_to_tensor(shape)
    if shape.dtype not in (tf.int32, tf.int64):
        raise TypeError(f"`shape` must be int32 or int64. Received: shape.dtype={shape.dtype.name}")
    seed = tf.convert_to_tensor(seed, dtype=tf.int64)
    return library.kgen_philox_random(shape=shape, seed=seed, dtype=dtype)


def philox_uniform(shape, seed):
    """Uniform float32 in [0, 1) from the Philox-4x32-10 stream of `seed`.

    Args:
        shape: 1-D int32/int64 tensor or list of non-negative ints, the output shape.
        seed: int64 tensor of shape [2], `(key, stream)`.

    Returns:
        float32 tensor of `shape`; element i is `(w_i >> 8) * 2**-24` for the
        i-th 32-bit word `w_i` of the stream (see the module docstring).

    Raises:
        tf.errors.InvalidArgumentError: `shape` not 1-D or negative, `seed` not [2].

    Example:
        >>> u = kgen_ops.philox_uniform([2, 3], seed=[42, 0])
    """
    return _philox(shape, seed, tf.float32)


def philox_bits(shape, seed):
    """Raw uint32 words of the Philox-4x32-10 stream of `seed`.

    Same arguments and addressing as `philox_uniform`; element i is the word
    `w_i` itself. Equal to `tf.raw_ops.StatelessRandomUniformFullIntV2(
    shape, key=[seed[0]], counter=[0, seed[1]], alg=1, dtype=tf.uint32)`.
    """
    return _philox(shape, seed, tf.uint32)
