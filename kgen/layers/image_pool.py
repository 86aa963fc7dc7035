"""A history of generated images for training a discriminator (CycleGAN's image pool).

Shrivastava et al. (2017) update a GAN's discriminator with generated
images from a buffer of earlier ones as well as the latest, so that the
discriminator does not forget what the generator produced before and the
two do not chase each other in circles. CycleGAN (Zhu et al., 2017) keeps
such a buffer of 50 images per domain; `ImagePool` is its query rule as a
Keras layer, with its state in the layer's weights so that it trains
inside a compiled step, under a distribution strategy, and is saved and
reloaded with the model.
"""

import keras
import tensorflow as tf

from kgen import _validation


@keras.saving.register_keras_serializable(package="kgen")
class ImagePool(keras.layers.Layer):
    """A buffer of earlier generated images, mixed into the discriminator's batch.

    The query rule of the CycleGAN authors' `ImagePool`
    (`util/image_pool.py` of junyanz/pytorch-CycleGAN-and-pix2pix), applied
    to the rows of a batch in order. For each image `x_i`:

    - while the pool holds fewer than `pool_size` images, `x_i` is stored
      and returned;
    - once it is full, with probability 1/2 a stored image, chosen uniformly
      among the `pool_size` slots, is returned and `x_i` takes its slot;
      otherwise `x_i` itself is returned.

    A later row of a batch can thus receive an image stored by an earlier
    row of the same batch. The rule is computed for the whole batch at once
    (`_query`, no loop over the rows): row `i` reads the slot it swaps with
    as the latest earlier row that wrote that slot left it, or as it was
    before the batch; that is the sequential rule exactly, as
    `tests/test_image_pool.py` checks against a row-by-row NumPy twin.

    Only `call(images, training=True)` queries the pool. With `training`
    False or None the layer returns its input unchanged, as does
    `pool_size=0` (the authors' "no buffer"): a pool belongs in the
    discriminator's training step, and a model's inference or its
    generator's update should see the latest images. The images returned by
    a query carry no gradient (`tf.stop_gradient`, as the authors' `.data`):
    the discriminator's update does not differentiate the generator.

    Randomness. Each query draws, for every row, a swap decision
    (`keras.random.uniform(...) < 0.5`) and a slot
    (`keras.random.randint(..., 0, pool_size)`) from the layer's
    `keras.random.SeedGenerator(seed)`, so the same seed and the same
    batches give the same pools and outputs (the draws of rows that fill
    the pool go unused).

    State. Non-trainable weights made by `build`: `images`, the stored
    images, `(pool_size, *example_shape)` in the layer's variable dtype
    (slots not yet filled are zeros), and `count`, an int32 scalar, the
    number of images stored (at most `pool_size`; slots `0 .. count - 1`
    hold them). They are saved with the model (`.keras`, `save_weights`),
    so training resumed from a saved model continues with its pool. The
    seed generator's position is not saved (as for kgen's models): a
    reloaded layer's draws start again from its seed.

    The query is a few gathers and integer ops, with no loop over the rows:
    it runs in a `tf.function`, with or without XLA (`jit_compile=True`).

    Under a `tf.distribute` strategy with several replicas, each replica
    all-gathers the global batch of images (and the replicas' batch sizes),
    queries the pool with the global batch exactly as one device would,
    with the same draws on every replica (the seed generator's state is the
    same on each), and returns its own rows, the global rows `offset ..
    offset + n_r - 1` where `offset` is the sum of the earlier replicas'
    `n_r`, as `kgen.models._replicas` shares a batch. The pool's weights
    have aggregation "none": each replica assigns the same values to its
    own copy, so the copies stay equal without a copy between devices. A
    step on `R` replicas thus returns, and leaves in the pool, what one
    device does on the global batch. Build the layer (`build`, or a call)
    inside the strategy's scope before training, as kgen's models build
    their weights when constructed: weights cannot be created in a
    replica's step.

    Complexity per query of `N` rows: two gathers of `N` and `pool_size`
    images, plus `O(N^2 + N * pool_size)` integer work to find the sources.

    Args:
        pool_size: int >= 0, the number of images kept (the authors' 50).
            0: no pool, the layer is the identity and has no weights.
        seed: None or an int, seeds the layer's `SeedGenerator`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Input shape:
        `(batch_size, *example_shape)`, floating point, `example_shape`
        known when the layer is built.

    Output shape:
        The input's shape and dtype.

    Raises:
        ValueError: `pool_size` not an int >= 0, `seed` not None or an int,
            or an `example_shape` with unknown sizes.

    Example:

    ```python
    pool = kgen.layers.ImagePool(50, seed=0)
    fake = generator(x, training=True)
    d_fake = discriminator(pool(fake, training=True), training=True)
    ```

    References:
        Shrivastava, Pfister, Tuzel, Susskind, Wang, Webb. Learning from
        Simulated and Unsupervised Images through Adversarial Training.
        arXiv 1612.07828 (section 2.3).
        Zhu, Park, Isola, Efros. Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks. arXiv 1703.10593 (section 4).
    """

    def __init__(self, pool_size=50, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _validation.non_negative_int("pool_size", pool_size)
        self.seed = _validation.seed(seed)
        # No generator without a pool: its state would be a weight.
        self.seed_generator = keras.random.SeedGenerator(self.seed) if self.pool_size else None

    def build(self, input_shape):
        if not self.pool_size:
            return
        example_shape = tuple(input_shape[1:])
        if any(size is None for size in example_shape):
            _validation.fail(
                "input_shape", "(batch_size, *example_shape) with known example sizes", input_shape
            )
        self.images = self.add_weight(
            shape=(self.pool_size, *example_shape),
            initializer="zeros",
            trainable=False,
            aggregation="none",
            name="images",
        )
        self.count = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            aggregation="none",
            name="count",
        )

    def call(self, images, training=None):
        if not training or not self.pool_size:
            return images
        images = tf.stop_gradient(images)
        rows = tf.shape(images)[0]
        context = tf.distribute.get_replica_context()
        distributed = context is not None and context.num_replicas_in_sync > 1
        if distributed:
            # Every replica queries with the global batch; its rows start
            # after the earlier replicas' rows.
            sizes = context.all_gather(tf.reshape(rows, (1,)), axis=0)
            offset = tf.reduce_sum(sizes[: context.replica_id_in_sync_group])
            batch = context.all_gather(images, axis=0)
        else:
            batch = images
        swap, slot = self._decisions(tf.shape(batch)[0])
        # In the images' dtype (a mixed-precision policy's float16 is
        # stored exactly in the float32 weights).
        stored = tf.cast(self.images.value, images.dtype)
        outputs, pool, count = _query(stored, self.count.value, batch, swap, slot)
        self.images.assign(tf.cast(pool, self.images.dtype))
        self.count.assign(count)
        if distributed:
            outputs = outputs[offset : offset + rows]
        return outputs

    def _decisions(self, rows):
        """Draws each row's decisions from the seed generator.

        Returns:
            `(swap, slot)`: bool `(rows,)`, each True with probability 1/2,
            and int32 `(rows,)`, each uniform in `[0, pool_size)`.
        """
        swap = keras.random.uniform((rows,), seed=self.seed_generator) < 0.5
        slot = keras.random.randint((rows,), 0, self.pool_size, seed=self.seed_generator, dtype="int32")
        return swap, slot

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"pool_size": self.pool_size, "seed": self.seed}
        return {**super().get_config(), **config}


def _query(pool, count, images, swap, slot):
    """The authors' row-by-row query of a batch, computed for all rows at once.

    Row `i` of `images` (`N` rows) is, in order: stored in slot `count + i`
    and returned while `count + i < P` (the pool's `P` slots are not all
    filled); else, if `swap[i]`, returned as the image in slot `slot[i]`,
    which `images[i]` then replaces; else returned. Which image slot
    `slot[i]` holds when row `i` reads it is the image of the latest row
    `j < i` that wrote that slot (a filling row or a swapping one), or the
    slot's content before the batch if no earlier row wrote it; after the
    batch each slot holds its last writer's image. Both are gathers from
    the table `[pool; images]` (rows `0 .. P - 1` the pool, `P + j` image
    `j`).

    Args:
        pool: `(P, *example_shape)`, the stored images, `P >= 1`.
        count: int32 scalar in `[0, P]`, the images stored.
        images: `(N, *example_shape)`, the batch, of `pool`'s dtype.
        swap: bool `(N,)`, row `i` swaps once the pool is full.
        slot: int32 `(N,)` in `[0, P)`, the slot row `i` swaps with.

    Returns:
        `(outputs, pool, count)`: the `(N, *example_shape)` images returned,
        and the pool and count after the batch.
    """
    size = tf.shape(pool)[0]
    rows = tf.range(tf.shape(images)[0])
    fills = rows < size - count  # row i fills slot count + i
    swaps = tf.logical_and(tf.logical_not(fills), swap)
    read = tf.where(swaps, slot, -1)  # the slot row i takes its output from; -1: none
    write = tf.where(fills, count + rows, read)  # the slot row i stores its image in; -1: none

    # writer[i]: the latest row j < i that wrote slot read[i], or -1.
    earlier = rows[tf.newaxis, :] < rows[:, tf.newaxis]
    hits = (write[tf.newaxis, :] == read[:, tf.newaxis]) & earlier & (read[:, tf.newaxis] >= 0)
    writer = tf.reduce_max(tf.where(hits, rows[tf.newaxis, :], -1), axis=1)
    source = tf.where(read < 0, size + rows, tf.where(writer >= 0, size + writer, read))

    # last[s]: the last row that wrote slot s (a max over no rows is below 0).
    slots = tf.range(size)
    wrote = write[tf.newaxis, :] == slots[:, tf.newaxis]
    last = tf.reduce_max(tf.where(wrote, rows[tf.newaxis, :], -1), axis=1)
    kept = tf.where(last >= 0, size + last, slots)

    table = tf.concat([pool, images], axis=0)
    new_count = tf.minimum(size, count + tf.shape(images)[0])
    return tf.gather(table, source), tf.gather(table, kept), new_count
