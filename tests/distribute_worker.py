"""Trains kgen models under `tf.distribute`, for `tests/test_distribute.py`.

Each command runs in a fresh process of its own: the two logical CPUs of
`mirrored` must be configured before TensorFlow initialises its devices,
and `MultiWorkerMirroredStrategy` must be created before any other op.

The models are the registry's tiny ones (`tests/zoo.py`), so a registered
model is trained here without editing this file, plus the named extras of
`EXTRA_CASES` for code paths the tiny models do not take.

    python tests/distribute_worker.py mirrored OUT_DIR
        For each case of `MIRRORED_CASES`: one model trained from the same
        initial weights on the same global batches, once on one device (no
        strategy) and once under `MirroredStrategy` over two logical CPUs.
        Writes `OUT_DIR/<case>.npz` (arrays `before_i`, `single_i`,
        `mirrored_i` for the model's weights `i`, `single:<metric>`,
        `mirrored:<metric>` for the epoch's metrics, and `batch_norm`,
        whether the model normalises batches), or `OUT_DIR/<case>.error`
        with the traceback; `OUT_DIR/compile.json`, what `compile`
        chose under the strategy and the warnings it gave; and
        `OUT_DIR/image_pool.npz`, `kgen.layers.ImagePool` queried on one
        device and under the strategy (`image_pool_mirrored`).

    TF_CONFIG=... python tests/distribute_worker.py multiworker OUT_DIR
        One epoch of each registered model under
        `MultiWorkerMirroredStrategy`, one model after the other. Writes
        `OUT_DIR/<name>.npz` with the final weights.
"""

import os
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402

GLOBAL_BATCH = 32
# Plain SGD for every model. The flow's loss sums 64 log-densities whose
# scales grow exponentially: SGD at 0.05 diverges on one device already
# (weights of 1e20 after 3 steps) and 1e-2 moves its weights by 2.6; at
# 3e-3 every tiny model's weights move by 5e-3 (the VAE) to 0.4 (the flow)
# in 3 steps, far above the tolerances of `tests/test_distribute.py`.
LEARNING_RATE = 3e-3
# 2 full global batches and a last one of 3 rows, which the strategy splits
# 2 + 1: the replicas' shares are then unequal. Models without convolutions
# get a last batch of 1 row, split 1 + 0: the second replica then has no
# rows (TensorFlow's convolutions fail on an empty batch under a strategy).
MIRRORED_EXAMPLES = 2 * GLOBAL_BATCH + 3
MULTIWORKER_EXAMPLES = 139  # 4 batches of 32 and one of 11, split 6 + 5


def _cd_rbm():
    from kgen.models import RBM

    model = RBM(64, 16, cd_k=1, seed=0)
    model.compile()
    return model


# Cases beyond the registry's tiny models: name -> (registry row of its
# data, builder). The tiny RBM is persistent (PCD); CD-k chains start at
# each replica's rows and are checked against a replay of the Gibbs op.
EXTRA_CASES = {"rbm_cd": ("rbm", _cd_rbm)}
MIRRORED_CASES = zoo.MODEL_NAMES + tuple(EXTRA_CASES)


def build(case, sgd=True):
    """The tiny model of `case` (a registry name or an extra), compiled; `sgd`: plain SGD."""
    if case in EXTRA_CASES:
        model = EXTRA_CASES[case][1]()
    else:
        model = zoo.tiny(zoo.entry(case), seed=0)
    if sgd:
        zoo.recompile_with_sgd(model, LEARNING_RATE)
    return model


def data(case, num_examples):
    """`(x,)` or `(x, y)` for `fit`: the first digits, prepared as the model's row says."""
    name = EXTRA_CASES[case][0] if case in EXTRA_CASES else case
    return zoo.training_data(zoo.entry(name), num_examples)


def _has_layer(model, kinds):
    return any(isinstance(layer, kinds) for layer in model._flatten_layers(include_self=False))


def has_batch_norm(model):
    """Whether any layer of `model` (nested models included) is a batch normalisation."""
    import keras

    return _has_layer(model, keras.layers.BatchNormalization)


def has_convolution(model):
    """Whether any layer of `model` (nested models included) is a convolution."""
    import keras

    layers = keras.layers
    return _has_layer(model, (layers.Conv1D, layers.Conv2D, layers.Conv3D, layers.Conv2DTranspose))


def replica_split(rows, replicas=2):
    """How `tf.data` splits a global batch of `rows` over the replicas: the first get one more."""
    return [rows // replicas + (r < rows % replicas) for r in range(replicas)]


def single_device_batches(arrays, d_steps, replicas=2):
    """The batches one device must train on to see the minibatches of `replicas` replicas.

    Each replica cuts its part of a global batch into `d_steps` minibatches
    (`GAN._minibatches`), and global minibatch `k` is made of every
    replica's minibatch `k`, in replica order. One device cuts its batch into
    consecutive minibatches, so it gets those concatenated, `k` by `k`
    (with `d_steps = 1`: the global batch itself).
    """
    batches = []
    for start in range(0, len(arrays[0]), GLOBAL_BATCH):
        batch = [a[start : start + GLOBAL_BATCH] for a in arrays]
        sizes = replica_split(len(batch[0]), replicas)
        offsets = np.cumsum([0] + sizes)
        order = []
        for k in range(d_steps):
            for r, n in enumerate(sizes):
                m = max(n // d_steps, 1) if n else 0
                order.extend(offsets[r] + (k * m + np.arange(m)) % max(n, 1))
        batches.append(tuple(a[np.array(order)] for a in batch))
    return batches


def fit_batches(model, batches):
    """Trains on explicit batches, in order (one `fit` step each); returns the epoch's metrics."""
    dataset = None
    for batch in batches:
        element = tf.data.Dataset.from_tensors(batch)
        dataset = element if dataset is None else dataset.concatenate(element)
    return model.fit(dataset, epochs=1, verbose=0).history


def compare_mirrored(case, strategy):
    """Weights before, after one device's training and after `strategy`'s; both epochs' metrics.

    Also returns whether the model has batch normalisation (the test's
    tolerance is larger then).
    """
    import keras

    import kgen_ops

    keras.utils.set_random_seed(0)
    single = build(case)
    batch_norm = has_batch_norm(single)
    if case == "rbm_cd":
        num_examples = GLOBAL_BATCH
    elif not has_convolution(single):
        num_examples = 2 * GLOBAL_BATCH + 1
    else:
        num_examples = MIRRORED_EXAMPLES
    arrays = data(case, num_examples)
    if batch_norm:
        # Built inside a strategy's scope, kgen's batch normalisation is
        # Keras' synchronised one, whose variance is E[x^2] - E[x]^2 where
        # the plain layer's is E[(x - E[x])^2]: the one-device reference
        # then uses the same formula (on one replica).
        with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
            single = build(case)
    before = [w.copy() for w in single.get_weights()]
    with strategy.scope():
        mirrored = build(case)
    mirrored.set_weights(before)
    history = mirrored.fit(*arrays, batch_size=GLOBAL_BATCH, shuffle=False, epochs=1, verbose=0)
    metrics = {f"mirrored:{name}": values[-1] for name, values in history.history.items()}

    if case == "rbm_cd":
        # CD-k chains start at each replica's rows and draw from the
        # replica's own Philox stream (`RBM._replica_op_seed`), so one device
        # cannot draw the same numbers; replay both replicas' op calls instead
        # and average their statistics, weighted by their rows.
        op_seed = single._draw_op_seed()  # the step's first draw, as in `train_step`
        w, b_vis, b_hid = before
        x = arrays[0].reshape(len(arrays[0]), -1)
        sizes = replica_split(len(x))
        gradient = [np.zeros_like(p) for p in before]
        for r, (start, n) in enumerate(zip(np.cumsum([0] + sizes), sizes)):
            part = x[start : start + n]
            seed = op_seed + tf.constant([0, r * 2**31], tf.int64)
            chain = kgen_ops.gibbs_sweeps(part, w, b_vis, b_hid, 1, seed)
            statistics = kgen_ops.cd_statistics(part, chain.h0_prob, chain.v, chain.h_prob)
            for g, s in zip(gradient, statistics):
                g += n / len(x) * s.numpy()
        after_single = [p + LEARNING_RATE * g for p, g in zip(before, gradient)]
    else:
        d_steps = getattr(single, "d_steps", 1)
        history = fit_batches(single, single_device_batches(arrays, d_steps))
        metrics.update({f"single:{name}": values[-1] for name, values in history.items()})
        after_single = single.get_weights()
    return before, after_single, mirrored.get_weights(), metrics, batch_norm


def compile_choices(strategy):
    """What `compile` sets under `strategy` by default and when asked for XLA and 8 steps.

    A model whose `compile` refuses `jit_compile=True` anywhere (the RBM:
    XLA cannot compile its op) is asked for 8 steps only, and recorded as
    `refuses_xla`.
    """
    import json
    import warnings

    choices = {}
    for name in zoo.MODEL_NAMES:
        for request in ("default", "explicit"):
            with strategy.scope():
                model = build(name, sgd=False)
            requests = [{}]
            if request == "explicit":
                requests = [{"steps_per_execution": 8, "jit_compile": True}, {"steps_per_execution": 8}]
            refuses_xla = False
            for kwargs in requests:
                with warnings.catch_warnings(record=True) as caught, strategy.scope():
                    warnings.simplefilter("always")
                    try:
                        model.compile(**kwargs)
                        break
                    except ValueError as error:
                        if "`jit_compile` must be" not in str(error):
                            raise
                        refuses_xla = True
            choices[f"{name}/{request}"] = {
                "jit_compile": model.jit_compile,
                "steps_per_execution": model.steps_per_execution,
                "warnings": [str(w.message) for w in caught],
                "refuses_xla": refuses_xla,
            }
    return json.dumps(choices)


# Global batches of the image pool's check and their splits over the two
# replicas: uneven, one replica without rows, and enough rows to fill the
# pool of 4 within the second batch and then swap.
IMAGE_POOL_SPLITS = ((2, 1), (3, 2), (1, 0), (2, 2), (3, 3), (4, 3))


def image_pool_mirrored(strategy):
    """`kgen.layers.ImagePool` queried with the same batches on one device and under `strategy`.

    Returns arrays: per query `k`, the images `images_k`, one device's
    outputs `single_k` and the replicas' outputs concatenated
    `mirrored_k`; after the last, one device's pool `single_images`,
    `single_count` and each replica's copy `mirrored_images_r`,
    `mirrored_count_r`.
    """
    from kgen.layers import ImagePool

    example_shape = (2, 2, 1)
    single = ImagePool(4, seed=3)
    single.build((None, *example_shape))
    with strategy.scope():
        mirrored = ImagePool(4, seed=3)
        mirrored.build((None, *example_shape))

    @tf.function(reduce_retracing=True)
    def step(per_replica):  # as Keras' `fit` runs a train step
        return strategy.run(lambda images: mirrored(images, training=True), (per_replica,))

    arrays = {}
    rng = np.random.default_rng(0)
    for k, split in enumerate(IMAGE_POOL_SPLITS):
        images = rng.normal(size=(sum(split), *example_shape)).astype("float32")
        parts = np.split(images, [split[0]])
        per_replica = strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant(parts[context.replica_id_in_sync_group])
        )
        outputs = strategy.experimental_local_results(step(per_replica))
        arrays[f"images_{k}"] = images
        arrays[f"mirrored_{k}"] = np.concatenate([np.asarray(o) for o in outputs])
        arrays[f"single_{k}"] = np.asarray(single(images, training=True))
    arrays["single_images"] = single.images.numpy()
    arrays["single_count"] = single.count.numpy()
    for name in ("images", "count"):
        copies = getattr(mirrored, name).value.values  # the tf.distribute variable's copies
        for r, copy in enumerate(copies):
            arrays[f"mirrored_{name}_{r}"] = copy.numpy()
    return arrays


def run_mirrored(out_dir):
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    try:
        with open(os.path.join(out_dir, "compile.json"), "w") as f:
            f.write(compile_choices(strategy))
    except Exception:
        with open(os.path.join(out_dir, "compile.error"), "w") as f:
            f.write(traceback.format_exc())
    try:
        np.savez(os.path.join(out_dir, "image_pool.npz"), **image_pool_mirrored(strategy))
    except Exception:
        with open(os.path.join(out_dir, "image_pool.error"), "w") as f:
            f.write(traceback.format_exc())
    for case in MIRRORED_CASES:
        start = time.monotonic()
        try:
            before, single, mirrored, metrics, batch_norm = compare_mirrored(case, strategy)
        except Exception:
            with open(os.path.join(out_dir, f"{case}.error"), "w") as f:
                f.write(traceback.format_exc())
            continue
        arrays = {**metrics, "batch_norm": batch_norm}
        for name, weights in (("before", before), ("single", single), ("mirrored", mirrored)):
            arrays.update({f"{name}_{i}": np.asarray(w) for i, w in enumerate(weights)})
        np.savez(os.path.join(out_dir, f"{case}.npz"), **arrays)
        print(f"{case}: {time.monotonic() - start:.1f} s", flush=True)


def run_multiworker(out_dir):
    import keras

    import kgen

    strategy = kgen.distribute.make_strategy("multiworker")
    assert strategy.num_replicas_in_sync == 2
    for name in zoo.MODEL_NAMES:
        start = time.monotonic()
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = build(name, sgd=False)  # the tiny model as compiled by its row
        model.fit(*data(name, MULTIWORKER_EXAMPLES), batch_size=GLOBAL_BATCH, epochs=1, verbose=0)
        weights = {f"w_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
        np.savez(os.path.join(out_dir, f"{name}.npz"), **weights)
        print(f"{name}: {time.monotonic() - start:.1f} s", flush=True)


if __name__ == "__main__":
    command, out_dir = sys.argv[1], sys.argv[2]
    {"mirrored": run_mirrored, "multiworker": run_multiworker}[command](out_dir)
