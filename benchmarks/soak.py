"""Soak: many op calls and training steps in one process; memory and descriptors must not grow.

## What is measured

In one Python process, one after another:

- 20,000 calls of each compiled entry point (`kgen_ops.gibbs_sweeps`,
  `kgen_ops.cd_statistics`, `kgen_ops.philox_uniform` eagerly, and
  `kgen_ops.native.gibbs_sweeps` on NumPy arrays), RBM 64-32, batch 16, k=1;
- 2,000 training steps of each model family on the 8x8 digits (small
  networks, batch 32), as `fit` calls of 200 steps each: the pattern of a
  user who calls `fit` again and again (each call builds callbacks,
  iterators and a progress bar);
- the reference: a plain `keras.Sequential` classifier trained the same way
  (2,000 steps in `fit` calls of 200), to show what Keras and TensorFlow
  themselves allocate over the same pattern.

For each phase: the resident set size (VmRSS, from /proc/self/status) and
the number of open file descriptors (/proc/self/fd) after a warm-up (one
`fit` call of 200 steps, or 1,000 op calls: tracing, graph and kernel
caches), then after the soak. Targets: growth after warm-up under 20 MB per
phase, and no growth in open file descriptors.

## Usage

    PYTHONPATH=. python benchmarks/soak.py            # ~5 minutes on 2 CPUs
    PYTHONPATH=. python benchmarks/soak.py --quick    # 2,000 calls, 400 steps
"""

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import _common  # noqa: E402
import kgen_ops  # noqa: E402
from kgen import datasets  # noqa: E402
from kgen import models  # noqa: E402
from kgen_ops import native  # noqa: E402

RSS_TARGET_MB = 20.0
STEPS_PER_FIT = 200
BATCH = 32


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmRSS not found in /proc/self/status")


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def measure(name, warm_up, soak):
    """Runs `warm_up()`, then `soak()`; returns the growth of RSS and descriptors over `soak`."""
    warm_up()
    gc.collect()
    rss_before, fds_before = rss_mb(), open_fds()
    start = time.perf_counter()
    soak()
    seconds = time.perf_counter() - start
    gc.collect()
    rss_after, fds_after = rss_mb(), open_fds()
    row = {
        "name": name,
        "seconds": seconds,
        "rss_after_warm_up_mb": rss_before,
        "rss_growth_mb": rss_after - rss_before,
        "fds_after_warm_up": fds_before,
        "fd_growth": fds_after - fds_before,
    }
    print(
        f"{name:<34} {row['rss_growth_mb']:+8.1f} MB  {row['fd_growth']:+4d} fds  "
        f"({seconds:.0f} s; RSS {rss_before:.0f} -> {rss_after:.0f} MB)",
        flush=True,
    )
    return row


# Op calls


def op_phases(calls):
    rng = np.random.default_rng(0)
    v = (rng.random((16, 64)) < 0.3).astype(np.float32)
    w = rng.normal(0, 0.1, (64, 32)).astype(np.float32)
    b_vis, b_hid = np.zeros(64, np.float32), np.zeros(32, np.float32)
    h = rng.random((16, 32)).astype(np.float32)
    tensors = [tf.constant(a) for a in (v, w, b_vis, b_hid, h)]
    tv, tw, tb_vis, tb_hid, th = tensors

    def gibbs(i):
        kgen_ops.gibbs_sweeps(tv, tw, tb_vis, tb_hid, 1, [i, 0])

    def cd(i):
        kgen_ops.cd_statistics(tv, th, tv, th)

    def philox(i):
        kgen_ops.philox_uniform([16, 64], [i, 1])

    def native_gibbs(i):
        native.gibbs_sweeps(v, w, b_vis, b_hid, 1, [i, 0])

    phases = []
    for name, fn in (
        ("op: kgen_ops.gibbs_sweeps", gibbs),
        ("op: kgen_ops.cd_statistics", cd),
        ("op: kgen_ops.philox_uniform", philox),
        ("op: native.gibbs_sweeps (NumPy)", native_gibbs),
    ):
        warm = min(1000, calls)
        phases.append(
            (name, lambda fn=fn: [fn(i) for i in range(warm)], lambda fn=fn: [fn(i) for i in range(calls)])
        )
    return phases


# Models


def model_factories():
    """name -> (build compiled model, data (x, y or None))."""
    (grey, labels), _ = datasets.load_digits(test_fraction=0.1, seed=0)
    binary = datasets.binarize(grey)
    tanh = 2.0 * grey - 1.0
    return {
        "vae": (lambda: _compiled(models.VAE((8, 8, 1), latent_dim=2, hidden_units=(64,))), grey, None),
        "rbm": (lambda: _compiled(models.RBM(64, 32, persistent=True, num_chains=BATCH)), binary, None),
        "gan": (lambda: _compiled_gan(models.GAN.mlp((8, 8, 1), latent_dim=8)), tanh, None),
        "dcgan": (lambda: _compiled_gan(models.DCGAN((8, 8, 1), latent_dim=8)), tanh, None),
        "cgan": (lambda: _compiled_gan(models.ConditionalGAN((8, 8, 1), 10, latent_dim=8)), tanh, labels),
        "wgan": (lambda: _compiled_gan(models.WGANGP((8, 8, 1), latent_dim=8)), tanh, None),
        "draw": (
            lambda: _compiled(
                models.DRAW((8, 8, 1), time_steps=4, latent_dim=4, encoder_units=32, decoder_units=32,
                            read_n=2, write_n=3)
            ),
            binary,
            None,
        ),
        "flow": (lambda: _compiled(models.RealNVP((8, 8, 1), num_coupling_layers=2, filters=(16,), num_bins=17)), grey, None),
        "reference: keras.Sequential": (_reference_classifier, grey, labels),
    }


def _compiled(model):
    model.compile()
    return model


def _compiled_gan(model):
    model.compile()
    return model


def _reference_classifier():
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"),
         keras.layers.Dense(10)]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def model_phases(steps):
    phases = []
    for name, (build, x, y) in model_factories().items():
        holder = {}
        d_steps = 5 if name == "wgan" else 1  # a WGAN-GP step reads 5 batches
        batch = BATCH * d_steps
        inputs = (x, y) if y is not None else x
        dataset = tf.data.Dataset.from_tensor_slices(inputs).repeat().shuffle(1024, seed=0).batch(
            batch, drop_remainder=True
        )

        def fit(num_fits, holder=holder, build=build, dataset=dataset):
            if "model" not in holder:
                holder["model"] = build()
            for _ in range(num_fits):
                holder["model"].fit(dataset, epochs=1, steps_per_epoch=STEPS_PER_FIT, verbose=0, shuffle=False)

        phases.append(
            (
                f"train: {name}",
                lambda fit=fit: fit(1),
                lambda fit=fit: fit(max(1, steps // STEPS_PER_FIT)),
            )
        )
    return phases


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(_common.REPO_ROOT / "benchmarks/results/soak.json"))
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.steps = 2_000, 400
    if not os.path.exists("/proc/self/status"):
        sys.exit("soak.py needs Linux's /proc to read memory and descriptors")
    keras.utils.set_random_seed(0)

    print(f"{'phase':<34} {'RSS growth':>11}  {'fds':>8}")
    rows = []
    for name, warm_up, soak in op_phases(args.calls) + model_phases(args.steps):
        rows.append(measure(name, warm_up, soak))
    worst = max(rows, key=lambda row: row["rss_growth_mb"])
    fd_growth = max(row["fd_growth"] for row in rows)
    meets = worst["rss_growth_mb"] < RSS_TARGET_MB and fd_growth <= 0
    summary = (
        f"largest RSS growth after warm-up: {worst['rss_growth_mb']:+.1f} MB ({worst['name']}); "
        f"target < {RSS_TARGET_MB:g} MB per phase; largest fd growth: {fd_growth:+d} (target <= 0): "
        f"{'meets' if meets else 'misses'}"
    )
    print(summary)
    _common.write_json(
        args.out,
        {
            "benchmark": "soak",
            "args": vars(args),
            "machine": _common.machine_info(),
            "rows": rows,
            "summary": summary,
            "meets_targets": meets,
        },
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
