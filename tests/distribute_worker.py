"""Trains kgen models under `tf.distribute`, for `tests/test_distribute.py`.

Each command runs in a fresh process of its own: the two logical CPUs of
`mirrored` must be configured before TensorFlow initialises its devices,
and `MultiWorkerMirroredStrategy` must be created before any other op.

    python tests/distribute_worker.py mirrored OUT_DIR
        For each case of `MIRRORED_CASES`: one model trained from the same
        initial weights on the same global batches, once on one device (no
        strategy) and once under `MirroredStrategy` over two logical CPUs.
        Writes `OUT_DIR/<case>.npz` (arrays `before_i`, `single_i`,
        `mirrored_i` for the model's weights `i`, and `single:<metric>`,
        `mirrored:<metric>` for the epoch's metrics), or
        `OUT_DIR/<case>.error` with the traceback; and `OUT_DIR/compile.json`,
        what `compile` chose under the strategy and the warnings it gave.

    TF_CONFIG=... python tests/distribute_worker.py multiworker OUT_DIR
        One epoch of each family of `MULTIWORKER_FAMILIES` under
        `MultiWorkerMirroredStrategy`, one model after the other. Writes
        `OUT_DIR/<family>.npz` with the final weights.
"""

import os
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

GLOBAL_BATCH = 32
LEARNING_RATE = 0.05
# The flow's loss sums 64 log-densities whose scales grow exponentially:
# SGD at 0.05 diverges on one device already (weights of 1e20 after 3
# steps), 1e-2 too; 1e-3 moves the weights by 0.13.
FLOW_LEARNING_RATE = 1e-3
# 2 full global batches and a last one of 3 rows, which the strategy splits
# 2 + 1: the replicas' shares are then unequal. The cases of
# `EMPTY_REPLICA_CASES` get a last batch of 1 row, split 1 + 0: the second
# replica then has no rows (TensorFlow's convolutions fail on an empty
# batch under a strategy, so only models without them are run so).
MIRRORED_EXAMPLES = 2 * GLOBAL_BATCH + 3
EMPTY_REPLICA_CASES = ("vae", "rbm_pcd", "draw")
MULTIWORKER_EXAMPLES = 139  # 4 batches of 32 and one of 11, split 6 + 5
MIRRORED_CASES = (
    "vae", "rbm_pcd", "rbm_cd", "gan", "gan_bn", "dcgan", "cgan", "wgan", "draw", "flow"
)
BATCH_NORM_CASES = ("gan_bn", "dcgan", "cgan", "wgan")  # the WGAN-GP generator has BN
MULTIWORKER_FAMILIES = ("vae", "rbm", "gan", "dcgan", "cgan", "wgan", "draw", "flow")
# The families whose `compile` choices under two replicas are checked.
COMPILE_FAMILIES = ("vae", "rbm", "gan", "draw", "flow")


def build(family, sgd=True):
    """A small model of `family`, compiled; `sgd`: plain SGD (exact comparisons)."""
    import keras

    import kgen

    def optimizer():
        rate = FLOW_LEARNING_RATE if family == "flow" else LEARNING_RATE
        return keras.optimizers.SGD(rate) if sgd else keras.optimizers.Adam(1e-3)

    models = kgen.models
    if family == "vae":
        model = models.VAE((8, 8, 1), latent_dim=2, hidden_units=(32,), seed=0)
        model.compile(optimizer=optimizer(), jit_compile=False)
        return model
    if family == "draw":  # attention, T = 2
        model = models.DRAW(
            (8, 8, 1), time_steps=2, latent_dim=4, encoder_units=8, decoder_units=8, seed=0
        )
        # No XLA even with a GPU (DRAW's "auto"), as under the strategy.
        model.compile(optimizer=optimizer(), jit_compile=False)
        return model
    if family == "flow":  # RealNVP on the digits' 17 levels: dequantisation noise
        model = models.RealNVP((8, 8, 1), 2, filters=(8,), num_bins=17, seed=0)
        model.compile(optimizer=optimizer())
        return model
    if family in ("rbm", "rbm_cd"):
        model = models.RBM(64, 16, cd_k=1, seed=0)
    elif family == "rbm_pcd":
        model = models.RBM(64, 16, cd_k=2, persistent=True, num_chains=20, seed=0)
    elif family == "gan":  # no batch normalisation, no dropout
        model = models.GAN.mlp(
            (8, 8, 1), 4, generator_units=(32,), discriminator_units=(32,), dropout=0.0, seed=0
        )
    elif family == "gan_bn":  # batch normalisation in G, two D steps per G step
        model = models.GAN.mlp(
            (8, 8, 1),
            4,
            generator_units=(16, 32),
            discriminator_units=(32,),
            dropout=0.0,
            d_steps=2,
            seed=0,
        )
    elif family == "dcgan":
        model = models.DCGAN((8, 8, 1), latent_dim=4, filters=4, seed=0)
    elif family == "cgan":
        model = models.ConditionalGAN((8, 8, 1), num_classes=10, latent_dim=4, filters=4, seed=0)
    elif family == "wgan":
        model = models.WGANGP((8, 8, 1), latent_dim=4, filters=4, n_critic=2, seed=0)
    else:
        raise ValueError(f"unknown family {family!r}")
    if isinstance(model, models.RBM):
        model.compile(optimizer=optimizer())
    else:
        model.compile(d_optimizer=optimizer(), g_optimizer=optimizer())
    return model


def data(family, num_examples):
    """`(x,)` or `(x, y)` for `fit`: the first digits, in the family's range."""
    import kgen
    from kgen.datasets import to_tanh_range

    (x, y), _ = kgen.datasets.load_digits(test_fraction=0.2, seed=0)
    x, y = x[:num_examples], y[:num_examples].astype("int32")
    if family in ("vae", "flow"):
        return (x,)
    if family.startswith("rbm") or family == "draw":
        return (kgen.datasets.binarize(x),)
    if family == "cgan":
        return (to_tanh_range(x), y)
    return (to_tanh_range(x),)


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
    """Weights before, after one device's training and after `strategy`'s; both epochs' metrics."""
    import keras

    import kgen_ops

    if case == "rbm_cd":
        num_examples = GLOBAL_BATCH
    elif case in EMPTY_REPLICA_CASES:
        num_examples = 2 * GLOBAL_BATCH + 1
    else:
        num_examples = MIRRORED_EXAMPLES
    arrays = data(case, num_examples)
    keras.utils.set_random_seed(0)
    if case in BATCH_NORM_CASES:
        # Built inside a strategy's scope, kgen's batch normalisation is
        # Keras' synchronised one, whose variance is E[x^2] - E[x]^2 where
        # the plain layer's is E[(x - E[x])^2]: the one-device reference
        # then uses the same formula (on one replica).
        with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
            single = build(case)
    else:
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
    return before, after_single, mirrored.get_weights(), metrics


def compile_choices(strategy):
    """What `compile` sets under `strategy` by default and when asked for XLA and 8 steps."""
    import json
    import warnings

    choices = {}
    for family in COMPILE_FAMILIES:
        for request in ("default", "explicit"):
            with strategy.scope():
                model = build(family)
            kwargs = {"steps_per_execution": 8}
            if family != "rbm":
                kwargs["jit_compile"] = True
            with warnings.catch_warnings(record=True) as caught, strategy.scope():
                warnings.simplefilter("always")
                if family == "gan":
                    model.compile(**(kwargs if request == "explicit" else {}))
                else:
                    model.compile(optimizer="sgd", **(kwargs if request == "explicit" else {}))
            choices[f"{family}/{request}"] = {
                "jit_compile": model.jit_compile,
                "steps_per_execution": model.steps_per_execution,
                "warnings": [str(w.message) for w in caught],
            }
    return json.dumps(choices)


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
    for case in MIRRORED_CASES:
        start = time.monotonic()
        try:
            before, single, mirrored, metrics = compare_mirrored(case, strategy)
        except Exception:
            with open(os.path.join(out_dir, f"{case}.error"), "w") as f:
                f.write(traceback.format_exc())
            continue
        arrays = dict(metrics)
        for name, weights in (("before", before), ("single", single), ("mirrored", mirrored)):
            arrays.update({f"{name}_{i}": np.asarray(w) for i, w in enumerate(weights)})
        np.savez(os.path.join(out_dir, f"{case}.npz"), **arrays)
        print(f"{case}: {time.monotonic() - start:.1f} s", flush=True)


def run_multiworker(out_dir):
    import keras

    import kgen

    strategy = kgen.distribute.make_strategy("multiworker")
    assert strategy.num_replicas_in_sync == 2
    for family in MULTIWORKER_FAMILIES:
        start = time.monotonic()
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = build(family, sgd=False)
        model.fit(*data(family, MULTIWORKER_EXAMPLES), batch_size=GLOBAL_BATCH, epochs=1, verbose=0)
        weights = {f"w_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
        np.savez(os.path.join(out_dir, f"{family}.npz"), **weights)
        print(f"{family}: {time.monotonic() - start:.1f} s", flush=True)


if __name__ == "__main__":
    command, out_dir = sys.argv[1], sys.argv[2]
    {"mirrored": run_mirrored, "multiworker": run_multiworker}[command](out_dir)
