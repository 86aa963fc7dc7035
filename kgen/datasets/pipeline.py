"""In-memory arrays to a shuffled, batched, prefetched `tf.data.Dataset`."""

import warnings

import numpy as np
import tensorflow as tf

from kgen import _validation


def as_dataset(
    x, y=None, batch_size=32, shuffle=True, seed=None, drop_remainder=False
):
    """Wraps arrays in a `tf.data.Dataset` for `Model.fit`.

    The whole array is the shuffle buffer (a uniform permutation), reshuffled at
    every pass over the data; the first pass's order depends only on `seed`.

    A `batch_size` larger than the data is clipped to `len(x)` with a
    `UserWarning`: each pass is then one batch of the whole data (without
    the clip, `drop_remainder=True` would give an empty dataset, on which
    `fit` trains nothing).

    Args:
        x: array of shape `(N, ...)`.
        y: optional array of shape `(N, ...)`, e.g. labels.
        batch_size: positive int, examples per batch; at most `len(x)` is used.
        shuffle: bool; shuffle the examples before batching.
        seed: int or `None`; the shuffle seed. With an int, the sequence of
            orders over successive passes is the same for every dataset built
            with that seed. `None` gives a non-reproducible order.
        drop_remainder: bool; drop the last batch when it has fewer than
            `batch_size` examples.

    Returns:
        A `tf.data.Dataset` whose elements are batches `x[b]` of shape
        `(batch_size, ...)`, or pairs `(x[b], y[b])` when `y` is given.

    Raises:
        ValueError: if `batch_size` is not a positive int, `seed` is not
            None or an int, `x` holds no example, or `x` and `y` have
            different numbers of examples.
    """
    batch_size = _validation.positive_int("batch_size", batch_size)
    seed = _validation.seed(seed)
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"`x` must hold at least one example. Received: x with shape {x.shape}")
    if y is None:
        dataset = tf.data.Dataset.from_tensor_slices(x)
    else:
        y = np.asarray(y)
        if len(y) != len(x):
            raise ValueError(
                "`y` must have as many examples as `x` "
                f"({len(x)}). Received: y with shape {y.shape}"
            )
        dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if batch_size > len(x):
        warnings.warn(
            f"`batch_size` {batch_size} is larger than the {len(x)} examples of `x`: "
            f"using batches of {len(x)}, one per pass over the data",
            UserWarning,
            stacklevel=2,
        )
        batch_size = len(x)
    if shuffle:
        dataset = dataset.shuffle(
            buffer_size=len(x), seed=seed, reshuffle_each_iteration=True
        )
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)
