"""In-memory arrays to shuffled, batched, prefetched `tf.data.Dataset`s: one domain, or two unpaired."""

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


def unpaired(a, b, batch_size, seed=0, shuffle=True):
    """Pairs batches of two unaligned domains, for unpaired translation (CycleGAN, DiscoGAN).

    The examples of `a` and `b` are not paired: each domain is shuffled on
    its own and the two streams are zipped. One pass over the dataset (an
    epoch) has `max(len(a), len(b))` examples of each domain, as the
    CycleGAN authors' "unaligned" data set: every example of the longer
    domain appears once, and the shorter domain is repeated, reshuffled at
    each of its passes, so that each of its examples appears
    `floor(max / min)` or `ceil(max / min)` times per epoch. Both domains
    are reshuffled every epoch; the last batch may be smaller than
    `batch_size` (and a `batch_size` beyond the data gives one batch).

    Args:
        a: array of shape `(N_a, ...)`, the examples of domain A.
        b: array of shape `(N_b, ...)`, the examples of domain B; its
            example shape and dtype may differ from `a`'s.
        batch_size: positive int, examples of each domain per batch.
        seed: int or `None`; two shuffle seeds, one per domain, are derived
            from it (`numpy.random.SeedSequence(seed)`), so the sequence of
            batches over successive epochs is the same for every dataset
            built with that seed. `None` gives a non-reproducible order.
        shuffle: bool; shuffle the examples. Without it both domains are
            read in order and the shorter one restarts from its first
            example.

    Returns:
        A `tf.data.Dataset` whose elements are pairs `(a_batch, b_batch)`
        of shapes `(batch_size, ...)` of `a` and of `b`.

    Raises:
        ValueError: if `batch_size` is not a positive int, `seed` is not None
            or an int, `shuffle` is not a bool, or `a` or `b` holds no
            example.

    Example:

    >>> grey, _ = load_digits()
    >>> colour = colour_digits(grey[:500], seed=1)
    >>> dataset = unpaired(grey, colour, batch_size=64)  # 1797 pairs per epoch
    """
    batch_size = _validation.positive_int("batch_size", batch_size)
    seed = _validation.seed(seed)
    shuffle = _validation.boolean("shuffle", shuffle)
    domains = {"a": np.asarray(a), "b": np.asarray(b)}
    for name, x in domains.items():
        if x.ndim == 0 or len(x) == 0:
            raise ValueError(
                f"`{name}` must hold at least one example. Received: {name} with shape {x.shape}"
            )
    length = max(len(x) for x in domains.values())
    seeds = (None, None) if seed is None else np.random.SeedSequence(seed).generate_state(2)
    streams = []
    for x, domain_seed in zip(domains.values(), seeds):
        stream = tf.data.Dataset.from_tensor_slices(x)
        if shuffle:
            stream = stream.shuffle(
                buffer_size=len(x),
                seed=None if domain_seed is None else int(domain_seed),
                reshuffle_each_iteration=True,
            )
        # The longer domain makes one pass; the shorter repeats, reshuffled each pass.
        streams.append(stream.repeat().take(length))
    dataset = tf.data.Dataset.zip(tuple(streams))
    dataset = dataset.batch(batch_size, drop_remainder=False)
    return dataset.prefetch(tf.data.AUTOTUNE)
