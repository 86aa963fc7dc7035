"""A NumPy reference of the Philox-4x32-10 stream (Kgen>PhiloxRandom), written to be read.

Independent of the compiled code (no shared source): the tests check it against
the Random123 known-answer vectors and TensorFlow's own Philox, then compare
the C++ and CUDA kernels with it word for word. Note that
`numpy.random.Philox` is the 4x64 variant, a different stream.
"""

import numpy as np

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint32(0x9E3779B9)
_W1 = np.uint32(0xBB67AE85)
_LOW32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(counter, key):
    """The Philox-4x32-10 bijection, vectorised over rows.

    Args:
        counter: uint32 array [N, 4] (word 0 is the least significant).
        key: uint32 array [2] or [N, 2].

    Returns:
        uint32 array [N, 4].
    """
    c = np.array(counter, dtype=np.uint32).reshape(-1, 4).astype(np.uint64)
    k = np.broadcast_to(np.array(key, dtype=np.uint32), (c.shape[0], 2)).copy()
    c0, c1, c2, c3 = c[:, 0], c[:, 1], c[:, 2], c[:, 3]
    for round_index in range(10):
        if round_index > 0:  # the key is bumped between rounds, 9 times in all
            k[:, 0] += _W0
            k[:, 1] += _W1
        product0 = _M0 * c0  # 32 x 32 -> 64 bits, exact in uint64
        product1 = _M1 * c2
        hi0, lo0 = product0 >> np.uint64(32), product0 & _LOW32
        hi1, lo1 = product1 >> np.uint64(32), product1 & _LOW32
        c0 = hi1 ^ c1 ^ k[:, 0].astype(np.uint64)
        c1 = lo1
        c2 = hi0 ^ c3 ^ k[:, 1].astype(np.uint64)
        c3 = lo0
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


def philox_bits(shape, seed):
    """Words of the kgen stream for `seed = (key, stream)`, shaped `shape`.

    Element i is word i % 4 of philox4x32_10(counter=(i // 4, stream), key).
    """
    n = int(np.prod(shape, dtype=np.int64))
    key, stream = (int(s) & 0xFFFFFFFFFFFFFFFF for s in seed)
    blocks = np.arange((n + 3) // 4, dtype=np.uint64)
    counter = np.empty((blocks.size, 4), dtype=np.uint32)
    counter[:, 0] = (blocks & _LOW32).astype(np.uint32)
    counter[:, 1] = (blocks >> np.uint64(32)).astype(np.uint32)
    counter[:, 2] = stream & 0xFFFFFFFF
    counter[:, 3] = stream >> 32
    words = philox4x32_10(counter, [key & 0xFFFFFFFF, key >> 32])
    return words.reshape(-1)[:n].reshape(shape)


def bits_to_unit_float(words):
    """uint32 words -> float32 in [0, 1): the top 24 bits times 2**-24."""
    return (np.asarray(words, dtype=np.uint32) >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)


def philox_uniform(shape, seed):
    """Uniform float32 in [0, 1) of the kgen stream; see `philox_bits`."""
    return bits_to_unit_float(philox_bits(shape, seed))
