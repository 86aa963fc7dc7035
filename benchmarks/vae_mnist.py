"""Benchmark: a dense VAE on binarised MNIST, kgen against the keras-io VAE.

## What is measured

A VAE with a dense 784-500-500-50 encoder (and its mirror decoder), a Bernoulli
likelihood and a standard normal prior, trained with Adam (learning rate 1e-3)
on the 6,000 training images of the shared MNIST subset, binarised with the
fixed rule "raw value > 127". Reported on its 2,000 test images:

- test ELBO, in nats per example (one posterior sample per image);
- test negative log-likelihood estimated by importance weighting with
  K = 1000 samples (Burda et al., 2015, arXiv:1509.00519), in nats per example;
- training speed of `kgen.models.VAE` in steps per second, as users get it
  (its `compile` defaults to XLA and 8 steps per execution), and the speed of
  an equivalent plain-Keras VAE written the usual way (keras-io
  `examples/generative/vae.py`: a `keras.Model` subclass with a `GradientTape`
  `train_step` and a `Sampling` layer, compiled with Keras' defaults), same
  architecture, batch size, data and optimizer. A third row, kgen compiled
  with Keras' defaults (`jit_compile=False, steps_per_execution=1`), shows
  that the difference comes from those two settings.
- the matrix-product floor: the step's products timed alone in NumPy.

The two models are trained in the same process, one epoch each in turn (the
order alternates every epoch), so that both see the same machine load. Each
epoch after the first (warm-up: tracing) is one timing window; a window's speed
counts the steps after its first one. The table gives the median over windows
and, for the speed-up, the median of the per-epoch ratios of steps per second
(kgen / reference); the target is at least 1.2.

## Usage

    PYTHONPATH=. python benchmarks/vae_mnist.py --epochs 10
    PYTHONPATH=. python benchmarks/vae_mnist.py --quick   # smoke run, ~1 min
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402
from keras import ops  # noqa: E402

import _common  # noqa: E402
from kgen import datasets  # noqa: E402
from kgen.models import VAE  # noqa: E402

HIDDEN_UNITS = (500, 500)
LATENT_DIM = 50
LEARNING_RATE = 1e-3
IMAGE_SHAPE = (28, 28, 1)
TARGET_SPEEDUP = 1.2  # kgen steps/s over the reference's, at least


# ## The reference: keras-io's VAE, dense 784-500-500-50, Bernoulli likelihood


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def reference_encoder():
    encoder_inputs = keras.Input(shape=IMAGE_SHAPE)
    x = layers.Flatten()(encoder_inputs)
    for units in HIDDEN_UNITS:
        x = layers.Dense(units, activation="relu")(x)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")


def reference_decoder():
    latent_inputs = keras.Input(shape=(LATENT_DIM,))
    x = latent_inputs
    for units in reversed(HIDDEN_UNITS):
        x = layers.Dense(units, activation="relu")(x)
    x = layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid")(x)
    decoder_outputs = layers.Reshape(IMAGE_SHAPE)(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")


class ReferenceVAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(
                    keras.losses.binary_crossentropy(data, reconstruction),
                    axis=(1, 2),
                )
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }


def reference_elbo(model, x, batch_size):
    """Mean one-sample ELBO of the reference VAE on `x`, in nats per example."""
    z_mean, z_log_var, z = model.encoder.predict(x, batch_size=batch_size, verbose=0)
    probs = model.decoder.predict(z, batch_size=batch_size, verbose=0)
    probs = np.clip(probs, 1e-7, 1 - 1e-7)  # Keras' binary_crossentropy clip.
    log_likelihood = np.sum(
        x * np.log(probs) + (1 - x) * np.log1p(-probs), axis=(1, 2, 3)
    )
    kl = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
    return float(np.mean(log_likelihood - kl))


# ## The matrix-product floor of one training step


def step_matmul_shapes(batch_size):
    """The (m, k, n) shapes of the matrix products in one training step.

    Forward through the dense layers 784-500-500-(2 x 50) and 50-500-500-784,
    then backward: for each layer `y = a W`, `dW = a^T dy` and `da = dy W^T`,
    except `da` for the first encoder layer (the data needs no gradient).
    """
    encoder = [(784, 500), (500, 500), (500, 2 * LATENT_DIM)]
    decoder = [(LATENT_DIM, 500), (500, 500), (500, 784)]
    shapes = []
    for index, (fan_in, fan_out) in enumerate(encoder + decoder):
        shapes.append((batch_size, fan_in, fan_out))  # forward a W
        shapes.append((fan_in, batch_size, fan_out))  # dW = a^T dy
        if index != 0:
            shapes.append((batch_size, fan_out, fan_in))  # da = dy W^T
    return shapes


# ## kgen's VAE


def kgen_vae(seed, keras_defaults=False):
    """`kgen.models.VAE` with the same architecture, likelihood and optimizer.

    Its encoder differs from the reference's only in the head: one
    `Dense(2 * 50)` giving means and pre-softplus scales, where keras-io has
    two `Dense(50)` giving means and log-variances (the same work).
    """
    model = VAE(
        input_shape=IMAGE_SHAPE,
        latent_dim=LATENT_DIM,
        architecture="dense",
        hidden_units=HIDDEN_UNITS,
        likelihood="bernoulli",
        seed=seed,
    )
    if keras_defaults:
        model.compile(
            optimizer=keras.optimizers.Adam(LEARNING_RATE), jit_compile=False, steps_per_execution=1
        )
    else:
        model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE))
    return model


def kgen_test_scores(model, x, batch_size, num_samples):
    """Mean test ELBO and IWAE negative log-likelihood, in nats per example."""
    elbo = np.concatenate(
        [np.asarray(model.elbo(x[i : i + 500])) for i in range(0, len(x), 500)]
    )
    log_likelihood = np.asarray(
        model.log_likelihood(x, num_samples=num_samples, batch_size=batch_size)
    )
    return {
        "test_elbo_nats": float(np.mean(elbo)),
        "test_nll_nats": float(-np.mean(log_likelihood)),
    }


# ## The benchmark


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (>= 2)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--data",
        default=str(_common.SHARED_MNIST),
        help="Keras-layout mnist .npz or folder of IDX .gz files",
    )
    parser.add_argument(
        "--out",
        default=str(_common.REPO_ROOT / "benchmarks" / "results" / "vae_mnist.json"),
    )
    parser.add_argument(
        "--num-samples", type=int, default=1000, help="K of the IWAE NLL"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 epochs, 500 test images, K=50",
    )
    parser.add_argument(
        "--reference-only", action="store_true", help="skip kgen (debugging)"
    )
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.num_samples = 2, 50
    if args.epochs < 2:
        parser.error(
            f"--epochs must be >= 2 (the first is warm-up). Received: {args.epochs}"
        )
    return args


def train_interleaved(models, x_train, args):
    """Trains every model one epoch at a time, in alternating order.

    Returns:
        `{name: {"steps_per_second": [...], "loss": [...]}}`, one entry per epoch.
    """
    records = {name: {"steps_per_second": [], "loss": []} for name in models}
    # The same seed gives every model the same sequence of batches.
    data = {
        name: datasets.as_dataset(x_train, batch_size=args.batch_size, seed=args.seed)
        for name in models
    }
    names = list(models)
    for epoch in range(args.epochs):
        order = names if epoch % 2 == 0 else names[::-1]
        line = []
        for name in order:
            timer = _common.StepTimer()
            history = models[name].fit(
                data[name], epochs=1, shuffle=False, verbose=0, callbacks=[timer]
            )
            records[name]["steps_per_second"].append(timer.steps_per_second())
            records[name]["loss"].append(float(history.history["loss"][-1]))
            line.append(
                f"{name}: loss {records[name]['loss'][-1]:.2f}, "
                f"{records[name]['steps_per_second'][-1]:.1f} steps/s"
            )
        print(f"epoch {epoch + 1}/{args.epochs}  " + "  |  ".join(line), flush=True)
    return records


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    x_train, x_test = _common.load_binarized_mnist(args.data)
    if args.quick:
        x_test = x_test[:500]
    print(
        f"data: {args.data}: {len(x_train)} train / {len(x_test)} test images, "
        f"binarised raw > 127"
    )

    models = {}
    if not args.reference_only:
        models["kgen"] = kgen_vae(args.seed)
        models["kgen_keras_defaults"] = kgen_vae(args.seed, keras_defaults=True)
    reference = ReferenceVAE(reference_encoder(), reference_decoder())
    reference.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE))
    models["reference"] = reference

    floor = _common.gemm_floor(step_matmul_shapes(args.batch_size), repeats=50)
    start = time.perf_counter()
    records = train_interleaved(models, x_train, args)
    train_seconds = time.perf_counter() - start

    start = time.perf_counter()
    scores = {"reference": {"test_elbo_nats": reference_elbo(reference, x_test, 500)}}
    if "kgen" in models:
        scores["kgen"] = kgen_test_scores(
            models["kgen"], x_test, args.batch_size, args.num_samples
        )
    eval_seconds = time.perf_counter() - start

    # Epoch 1 is warm-up (tracing); every later epoch is one timing window.
    speed = {
        name: _common.summarize(record["steps_per_second"][1:])
        for name, record in records.items()
    }
    speedups = {}
    for name in ("kgen", "kgen_keras_defaults"):
        if name not in models:
            continue
        # Steps per second, name / reference, paired epoch by epoch.
        paired = [
            ours / ref
            for ours, ref in zip(speed[name]["windows"], speed["reference"]["windows"])
        ]
        speedups[name] = {
            "median_of_paired_windows": statistics.median(paired),
            "of_medians": speed[name]["median"] / speed["reference"]["median"],
            "windows": paired,
            "target_at_least": TARGET_SPEEDUP,
        }

    payload = {
        "benchmark": "vae_mnist",
        "command": " ".join(
            ["PYTHONPATH=. python benchmarks/vae_mnist.py", *sys.argv[1:]]
        ),
        "config": {
            "data": os.path.abspath(args.data),
            "train_images": len(x_train),
            "test_images": len(x_test),
            "binarization": _common.BINARIZATION,
            "architecture": "dense 784-500-500-50 (relu), mirror decoder, "
            "Bernoulli likelihood, N(0, I) prior",
            "optimizer": f"Adam(learning_rate={LEARNING_RATE})",
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "steps_per_epoch": -(-len(x_train) // args.batch_size),
            "iwae_num_samples": args.num_samples,
            "seed": args.seed,
            "timing": "per epoch after the first, steps after the first of each "
            "epoch; models alternate epoch by epoch",
        },
        "machine": _common.machine_info(),
        "scores": scores,
        "steps_per_second": speed,
        "speedup_over_reference": speedups,
        "matmul_floor": floor,
        "train_loss_per_epoch": {n: r["loss"] for n, r in records.items()},
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
    }
    _common.write_json(args.out, payload)
    print_table(payload)
    print(f"wrote {args.out}")


def print_table(payload):
    config, scores = payload["config"], payload["scores"]
    speed = payload["steps_per_second"]
    machine = payload["machine"]
    windows = len(speed["reference"]["windows"])

    def cell(name, key, fmt):
        value = scores.get(name, {}).get(key)
        return "-" if value is None else format(value, fmt)

    def speed_cell(name):
        if name not in speed:
            return "-"
        s = speed[name]
        return f"{s['median']:.1f} [{s['min']:.1f}, {s['max']:.1f}]"

    print()
    print(
        f"VAE, binarised MNIST (raw > 127), {config['train_images']} train / "
        f"{config['test_images']} test, dense 784-500-500-50, batch "
        f"{config['batch_size']}, {config['epochs']} epochs, Adam 1e-3"
    )
    print(
        f"machine: {machine['platform']}, {machine['usable_cpus']} usable CPUs "
        f"(of {machine['cpu_count']}), TF {machine['tensorflow']}, "
        f"Keras {machine['keras']}"
    )
    rows = [
        ("quantity", "kgen", "kgen at Keras' compile defaults", "reference (keras-io)"),
        ("test ELBO (nats/example)", cell("kgen", "test_elbo_nats", ".2f"), "-",
         cell("reference", "test_elbo_nats", ".2f")),
        (f"test NLL, IWAE K={config['iwae_num_samples']} (nats/example)",
         cell("kgen", "test_nll_nats", ".2f"), "-", "-"),
        (f"train steps/s, median [min, max] of {windows} window{'s' * (windows != 1)}",
         speed_cell("kgen"), speed_cell("kgen_keras_defaults"), speed_cell("reference")),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for name, speedup in payload["speedup_over_reference"].items():
        median = speedup["median_of_paired_windows"]
        verdict = "meets" if median >= TARGET_SPEEDUP else "misses"
        target = f"; target >= {TARGET_SPEEDUP}x: {verdict}" if name == "kgen" else ""
        print(
            f"steps/s, {name} / reference: {median:.2f}x (median of {windows} paired "
            f"epochs, range {min(speedup['windows']):.2f}-{max(speedup['windows']):.2f}; "
            f"ratio of medians {speedup['of_medians']:.2f}x){target}"
        )
    floor = payload["matmul_floor"]
    shares = ", ".join(
        f"{name} {speed[name]['median'] / floor['steps_per_second']:.0%}" for name in speed
    )
    print(
        f"matrix-product floor: {floor['steps_per_second']:.0f} steps/s "
        f"({floor['flops_per_step'] / 1e9:.2f} GFLOP per step at NumPy's "
        f"{floor['gflops_per_second']:.0f} GFLOP/s on these shapes); share of it: {shares}"
    )
    print(
        f"train {payload['train_seconds']:.0f} s, "
        f"evaluation {payload['eval_seconds']:.0f} s"
    )


if __name__ == "__main__":
    main()
