"""`kgen.layers.ImagePool`: CycleGAN's history of generated images.

The vectorised query is compared with a row-by-row NumPy twin of the
authors' `util/image_pool.py` driven by the same decisions; the layer's
decisions are checked for their distribution (a swap with probability 1/2,
a uniform slot) through the images it returns. Every image carries a
unique value, its id, so what the pool returns can be traced. Under
`MirroredStrategy` the layer is checked against one device in
`tests/distribute_worker.py` (`image_pool_mirrored`).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.layers import ImagePool
from kgen.layers.image_pool import _query


def reference_query(pool, count, images, swap, slot):
    """The authors' query, one row after the other (NumPy).

    `pool` (P, ...) and `count` as the layer keeps them; row `i` swaps when
    `swap[i]` (the authors' `random.uniform(0, 1) > 0.5`) with slot `slot[i]`
    (their `random.randint(0, P - 1)`). Returns `(outputs, pool, count)`.
    """
    pool = np.array(pool, copy=True)
    outputs = []
    for i, image in enumerate(images):
        if count < len(pool):  # not full: store and return the image
            pool[count] = image
            count += 1
            outputs.append(image)
        elif swap[i]:  # return a stored image, store this one in its slot
            outputs.append(pool[slot[i]].copy())
            pool[slot[i]] = image
        else:
            outputs.append(image)
    return np.array(outputs).reshape(images.shape), pool, count


def ids(start, count, example_shape=(1,)):
    """`count` images of `example_shape`, image `k` filled with the id `start + k`."""
    values = np.arange(start, start + count, dtype="float32")
    return np.broadcast_to(values.reshape((-1,) + (1,) * len(example_shape)), (count, *example_shape)).copy()


def test_query_is_the_authors_sequential_rule():
    # Random pools, counts, batch sizes and decisions, many with a batch
    # larger than the pool, so that later rows read slots that earlier rows
    # of the same batch filled or swapped.
    rng = np.random.default_rng(0)
    for _ in range(200):
        size = int(rng.integers(1, 6))
        count = int(rng.integers(0, size + 1))
        rows = int(rng.integers(0, 12))
        pool = ids(-size, size, (2,))
        pool[count:] = 0
        images = ids(100, rows, (2,))
        swap = rng.random(rows) < 0.5
        slot = rng.integers(0, size, rows)
        want = reference_query(pool, count, images, swap, slot)
        got = _query(
            tf.constant(pool), tf.constant(count, tf.int32), tf.constant(images),
            tf.constant(swap), tf.constant(slot, tf.int32),
        )
        for g, w, what in zip(got, want, ("outputs", "pool", "count")):
            message = f"{what}: {size=} {count=} {swap=} {slot=}"
            np.testing.assert_array_equal(np.asarray(g), w, err_msg=message)


def test_layer_queries_with_its_seed_generators_decisions():
    # A twin of the same seed draws the decisions the layer draws; the
    # reference, driven by them, must give the layer's outputs and pool
    # over batches that fill the pool mid-batch and then swap.
    layer, twin = ImagePool(5, seed=7), ImagePool(5, seed=7)
    pool, count, start, returned_stored = np.zeros((5, 2, 2)), 0, 0, 0
    for rows in (3, 6, 1, 8, 4):
        images = ids(start, rows, (2, 2))
        start += rows
        swap, slot = (np.asarray(d) for d in twin._decisions(rows))
        want, pool, count = reference_query(pool, count, images, swap, slot)
        np.testing.assert_array_equal(layer(images, training=True), want)
        np.testing.assert_array_equal(layer.images.numpy(), pool)
        assert int(layer.count.numpy()) == count
        returned_stored += int(np.sum(np.any(want != images, axis=(1, 2))))
    # Of the 17 rows queried once the pool was full, some swapped and some not.
    assert count == 5 and 0 < returned_stored < 17


def test_until_full_the_pool_stores_and_returns_its_input():
    layer = ImagePool(6, seed=0)
    first, second = ids(1, 4, (3,)), ids(5, 2, (3,))
    np.testing.assert_array_equal(layer(first, training=True), first)
    assert int(layer.count.numpy()) == 4
    np.testing.assert_array_equal(layer.images.numpy()[:4], first)
    np.testing.assert_array_equal(layer.images.numpy()[4:], 0)
    np.testing.assert_array_equal(layer(second, training=True), second)
    assert int(layer.count.numpy()) == 6
    np.testing.assert_array_equal(layer.images.numpy(), np.concatenate([first, second]))


def test_mixed_precision_images_are_stored_exactly():
    layer = ImagePool(2, seed=0, dtype="mixed_float16")
    images = ids(0, 5) / 3  # not exact in float16: the layer's input is rounded once
    outputs = layer(images, training=True)
    assert outputs.dtype == tf.float16 and layer.images.dtype == "float32"
    np.testing.assert_array_equal(outputs.numpy()[:2], images[:2].astype("float16"))
    np.testing.assert_array_equal(layer.images.numpy(), layer.images.numpy().astype("float16"))


def test_once_full_half_the_queries_swap_with_a_uniform_slot():
    size, queries = 8, 1600
    layer = ImagePool(size, seed=3)
    layer(ids(0, size), training=True)
    images = ids(size, queries)

    @tf.function(jit_compile=False)
    def query_one_by_one(images):
        # One image per query, so that the slot a query swaps with is the
        # one slot whose content changed.
        outputs = tf.TensorArray(tf.float32, queries)
        changed = tf.TensorArray(tf.bool, queries)
        for i in tf.range(queries):
            before = tf.identity(layer.images.value)
            outputs = outputs.write(i, layer(images[i : i + 1], training=True)[0, 0])
            changed = changed.write(i, tf.not_equal(layer.images.value, before)[:, 0])
        return outputs.stack(), changed.stack()

    outputs, changed = (np.asarray(t) for t in query_one_by_one(tf.constant(images)))

    # Replay: each query returns its image and leaves the pool alone, or
    # returns the image of exactly one slot and leaves its own there.
    pool = ids(0, size)[:, 0]
    swapped_slots = []
    for image, output, slots in zip(images[:, 0], outputs, changed):
        (moved,) = np.nonzero(slots)
        if len(moved) == 0:
            assert output == image
        else:
            assert len(moved) == 1 and output == pool[moved[0]]
            pool[moved[0]] = image
            swapped_slots.append(moved[0])
    np.testing.assert_array_equal(layer.images.numpy()[:, 0], pool)

    # The number of swaps is Binomial(1600, 1/2): mean 800, sd
    # sqrt(1600 / 4) = 20; 4 sd = 80.
    assert abs(len(swapped_slots) - queries / 2) < 4 * np.sqrt(queries / 4)
    # Given the swaps, the slots are Multinomial(swaps, 1/8 each): Pearson's
    # chi-square statistic has 7 degrees of freedom; 29.88 is its 0.9999
    # quantile (scipy.stats.chi2.ppf(0.9999, 7)).
    counts = np.bincount(swapped_slots, minlength=size)
    expected = len(swapped_slots) / size
    assert np.sum((counts - expected) ** 2 / expected) < 29.88, counts


def test_query_compiles_with_xla():
    # XLA may draw other random numbers than the kernels (its own Philox
    # variant), so check what holds for any decisions: rows that fill the
    # pool come back, and once it is full every image is either returned
    # or stored, exactly once.
    layer = ImagePool(4, seed=0)
    query = tf.function(lambda x: layer(x, training=True), jit_compile=True)
    filling = ids(0, 6)
    outputs = np.asarray(query(filling))
    np.testing.assert_array_equal(outputs[:4], filling[:4])
    before = layer.images.numpy()
    images = ids(6, 5)
    outputs = np.asarray(query(images))
    np.testing.assert_array_equal(
        np.sort(np.concatenate([outputs, layer.images.numpy()]).ravel()),
        np.sort(np.concatenate([before, images]).ravel()),
    )
    assert int(layer.count.numpy()) == 4


def test_without_a_pool_or_outside_training_the_layer_is_the_identity():
    images = tf.constant(ids(0, 3, (2,)))
    empty = ImagePool(0, seed=0)
    assert empty(images, training=True) is images
    assert empty.weights == [] and empty.variables == []

    layer = ImagePool(2, seed=0)
    for training in (False, None):
        assert layer(images, training=training) is images
    assert int(layer.count.numpy()) == 0  # built, but nothing stored


def test_saved_model_keeps_the_pool(tmp_path):
    model = keras.Sequential([keras.Input((2, 1)), ImagePool(3, seed=5, name="pool")])
    model(ids(0, 5, (2, 1)), training=True)
    path = tmp_path / "pool.keras"
    model.save(path)
    loaded = keras.saving.load_model(path).get_layer("pool")
    assert isinstance(loaded, ImagePool)
    assert (loaded.pool_size, loaded.seed) == (3, 5)
    pool = model.get_layer("pool")
    np.testing.assert_array_equal(loaded.images.numpy(), pool.images.numpy())
    assert int(loaded.count.numpy()) == int(pool.count.numpy()) == 3
    assert ImagePool.from_config(pool.get_config()).get_config() == pool.get_config()


@pytest.mark.parametrize("pool_size", [-1, 2.5, True, "50", None])
def test_bad_pool_size_is_refused(pool_size):
    message = rf"`pool_size` must be an int >= 0. Received: pool_size={pool_size!r}"
    with pytest.raises(ValueError, match=message):
        ImagePool(pool_size)


def test_bad_seed_and_unknown_example_shape_are_refused():
    with pytest.raises(ValueError, match=r"`seed` must be None or an int. Received: seed='a'"):
        ImagePool(2, seed="a")
    message = r"`input_shape` must be .* known example sizes. Received: input_shape=\(None, None, 3\)"
    with pytest.raises(ValueError, match=message):
        ImagePool(2).build((None, None, 3))
