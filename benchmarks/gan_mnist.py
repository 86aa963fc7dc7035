"""Benchmark: DCGAN and WGAN-GP on MNIST, kgen against keras-io-style GANs.

## What is measured

Training speed, in generator steps per second, of

- `kgen.models.DCGAN((28, 28, 1), latent_dim=128, filters=64)`: one
  discriminator step on a real and a generated minibatch of 64, then one
  generator step on 64 (non-saturating loss), Adam(2e-4, beta_1=0.5) for
  each network;
- `kgen.models.WGANGP((28, 28, 1), latent_dim=128, filters=64)`: per step,
  5 critic steps, each on its own real minibatch of 64, 64 generated images
  and the gradient penalty (weight 10) on 64 interpolates, then one
  generator step on 64; Adam(1e-4, beta_1=0, beta_2=0.9) for each network;

as users get them (`compile()` defaults: XLA and 8 steps per execution),
against plain-Keras GANs written the usual way: keras-io's
`examples/generative/dcgan_overriding_train_step.py` and `wgan_gp.py`
(a `keras.Model` subclass whose `train_step` uses `tf.GradientTape`,
compiled with Keras' defaults: on a CPU-only machine that means no XLA and
one step per execution). The references use *the same networks*: they are
`keras.models.clone_model` copies of kgen's generator and discriminator
(critic) with kgen's initial weights, so the architecture and the
arithmetic per step are identical; they also use kgen's algorithm (the
WGAN-GP reference cuts its batch of 320 into 5 critic minibatches of 64, as
kgen does; keras-io's script reuses one real batch for all critic steps). A
third row per model, kgen compiled with Keras' defaults
(`jit_compile=False, steps_per_execution=1`), shows what the two compile
settings contribute.

Data: the 6,000 training images of the shared MNIST subset, scaled to
[-1, 1] (`2 x / 255 - 1`), batched by `kgen.datasets.as_dataset` (the same
shuffled order for every model), repeated, full batches only.

Timing: the models train in turn, one window of a fixed number of steps
each (DCGAN 64 steps, WGAN-GP 24; multiples of 8), the order alternating
every window, so that all see the same machine load. The first window of
each model is warm-up (tracing, XLA compilation) and is not counted; a
window's speed counts the steps after its first execution
(`_common.StepTimer`). The table gives the median over windows and, for the
speed-up, the median of the per-window ratios of steps per second
(kgen / reference); the target is at least 1.2.

The arithmetic floor of a DCGAN step: every convolution, transposed
convolution and dense layer of the step written as the matrix product it
is (im2col: a 4 x 4 convolution of stride 2 from `C_in` to `C_out` channels
is an `(output pixels, 16 C_in) x (16 C_in, C_out)` product; a transposed
one the same with input pixels), forward and backward as the step needs
them (`step_gemm_shapes`), each timed alone in NumPy and in TensorFlow
(`tf.matmul`) on this machine, the faster counted, and summed. An
implementation with this arithmetic in float32 can beat it only by running
its convolutions faster than both libraries multiply matrices of the same
shapes: it leaves out the im2col copies, the batch normalisation and the
optimizer. The table gives each model's share of it (above 100% means
TensorFlow's oneDNN convolutions beat the matrix products of these shapes). WGAN-GP has no floor row (its gradient penalty differentiates
through the critic's gradient, whose products are not listed here).

## Usage

    PYTHONPATH=. python benchmarks/gan_mnist.py             # ~6 minutes on 2 CPUs
    PYTHONPATH=. python benchmarks/gan_mnist.py --quick     # smoke run
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
from keras import ops  # noqa: E402

import _common  # noqa: E402
from kgen import datasets  # noqa: E402
from kgen.datasets import to_tanh_range  # noqa: E402
from kgen.models.dcgan import DCGAN  # noqa: E402
from kgen.models.wgan_gp import WGANGP  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 128
FILTERS = 64
N_CRITIC = 5
GP_WEIGHT = 10.0
TARGET_SPEEDUP = 1.2  # kgen steps/s over the reference's, at least
WINDOW_STEPS = {"dcgan": 64, "wgan_gp": 24}


def dcgan_optimizer():
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def wgan_optimizer():
    return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)


# ## The references, keras-io style


class ReferenceGAN(keras.Model):
    """keras-io's `dcgan_overriding_train_step.py` GAN, on kgen's networks.

    The discriminator ends in one logit (no sigmoid), as kgen's does, so the
    loss is `BinaryCrossentropy(from_logits=True)`; real and generated
    images go through the discriminator in separate calls, as in kgen.
    """

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(random_latent_vectors, training=True)
        # Train the discriminator: real images are labelled 1, fakes 0.
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(generated_images, training=True)
            d_loss = self.loss_fn(ops.ones_like(real_logits), real_logits) + self.loss_fn(
                ops.zeros_like(fake_logits), fake_logits
            )
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # Train the generator (do not update the discriminator's weights).
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(
                self.generator(random_latent_vectors, training=True), training=True
            )
            g_loss = self.loss_fn(ops.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


class ReferenceWGAN(keras.Model):
    """keras-io's `wgan_gp.py` WGAN, on kgen's networks and with kgen's minibatches."""

    def __init__(self, discriminator, generator, latent_dim, discriminator_extra_steps=5, gp_weight=10.0):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_steps = discriminator_extra_steps
        self.gp_weight = gp_weight

    def compile(self, d_optimizer, g_optimizer, d_loss_fn, g_loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_loss_fn = d_loss_fn
        self.g_loss_fn = g_loss_fn

    def gradient_penalty(self, batch_size, real_images, fake_images):
        """The penalty on interpolates, `eps ~ U[0, 1]` per image."""
        alpha = tf.random.uniform([batch_size, 1, 1, 1], 0.0, 1.0)
        interpolated = real_images + alpha * (fake_images - real_images)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.discriminator(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0] // self.d_steps
        for i in range(self.d_steps):
            minibatch = real_images[i * batch_size : (i + 1) * batch_size]
            random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
            with tf.GradientTape() as tape:
                fake_images = self.generator(random_latent_vectors, training=True)
                fake_logits = self.discriminator(fake_images, training=True)
                real_logits = self.discriminator(minibatch, training=True)
                d_cost = self.d_loss_fn(real_img=real_logits, fake_img=fake_logits)
                gp = self.gradient_penalty(batch_size, minibatch, fake_images)
                d_loss = d_cost + gp * self.gp_weight
            d_gradient = tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(zip(d_gradient, self.discriminator.trainable_variables))

        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            generated_images = self.generator(random_latent_vectors, training=True)
            gen_img_logits = self.discriminator(generated_images, training=True)
            g_loss = self.g_loss_fn(gen_img_logits)
        gen_gradient = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(gen_gradient, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


def discriminator_loss(real_img, fake_img):
    return tf.reduce_mean(fake_img) - tf.reduce_mean(real_img)


def generator_loss(fake_img):
    return -tf.reduce_mean(fake_img)


def clone(network):
    """A copy of `network` with the same architecture and the same current weights."""
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


# ## The arithmetic floor of one DCGAN step


def dcgan_layers(batch_size):
    """`(name, m, k, n, needs_input_gradient)` of each layer's forward product.

    The discriminator: conv 28x28x1 -> 14x14xF, conv -> 7x7x2F, dense 1;
    the generator: dense 128 -> 7x7x2F, transposed convs -> 14x14xF ->
    28x28x1 (4 x 4 kernels, stride 2). A transposed convolution is the
    input-gradient of a convolution: one `(input pixels, C_in) x (C_in,
    16 C_out)` product followed by a col2im sum.
    """
    f, b = FILTERS, batch_size
    discriminator = [
        ("d_conv1", b * 14 * 14, 16 * 1, f),
        ("d_conv2", b * 7 * 7, 16 * f, 2 * f),
        ("d_logit", b, 7 * 7 * 2 * f, 1),
    ]
    generator = [
        ("g_dense", b, LATENT_DIM, 7 * 7 * 2 * f),
        ("g_deconv1", b * 7 * 7, 2 * f, 16 * f),
        ("g_deconv2", b * 14 * 14, f, 16 * 1),
    ]
    return discriminator, generator


def step_gemm_shapes(batch_size):
    """The `(m, k, n)` matrix products of one DCGAN training step.

    Discriminator step: the generator forward on a noise batch (no
    gradient), then forward and backward through the discriminator for the
    real and the generated batch: per layer `y = a W`, `dW = a^T dy` and,
    except for the first layer (its input needs no gradient), `da = dy
    W^T`. Generator step: generator and discriminator forward, the
    discriminator's input-gradients only (its weights are not updated),
    the generator's weight gradients and input-gradients (not for `z`).
    """
    discriminator, generator = dcgan_layers(batch_size)

    def forward(layers):
        return [(m, k, n) for _, m, k, n in layers]

    def weight_grads(layers):
        return [(k, m, n) for _, m, k, n in layers]

    def input_grads(layers, first=True):
        return [(m, n, k) for i, (_, m, k, n) in enumerate(layers) if first or i > 0]

    d_pass = forward(discriminator) + weight_grads(discriminator) + input_grads(discriminator, first=False)
    d_step = forward(generator) + 2 * d_pass
    g_step = (
        forward(generator) + forward(discriminator) + input_grads(discriminator)
        + weight_grads(generator) + input_grads(generator, first=False)
    )
    return d_step + g_step


# ## The models


def build_models(which, seed):
    """`{name: compiled model}` for one of `"dcgan"` or `"wgan_gp"`."""
    if which == "dcgan":
        kgen_model = DCGAN(IMAGE_SHAPE, latent_dim=LATENT_DIM, filters=FILTERS, seed=seed)
        kgen_model.compile(d_optimizer=dcgan_optimizer(), g_optimizer=dcgan_optimizer())
        defaults = DCGAN(IMAGE_SHAPE, latent_dim=LATENT_DIM, filters=FILTERS, seed=seed)
        defaults.compile(
            d_optimizer=dcgan_optimizer(),
            g_optimizer=dcgan_optimizer(),
            jit_compile=False,
            steps_per_execution=1,
        )
        reference = ReferenceGAN(
            clone(kgen_model.discriminator), clone(kgen_model.generator), LATENT_DIM
        )
        reference.compile(
            d_optimizer=dcgan_optimizer(),
            g_optimizer=dcgan_optimizer(),
            loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
        )
    else:
        kwargs = {"latent_dim": LATENT_DIM, "filters": FILTERS, "n_critic": N_CRITIC, "gp_weight": GP_WEIGHT}
        kgen_model = WGANGP(IMAGE_SHAPE, seed=seed, **kwargs)
        kgen_model.compile(d_optimizer=wgan_optimizer(), g_optimizer=wgan_optimizer())
        defaults = WGANGP(IMAGE_SHAPE, seed=seed, **kwargs)
        defaults.compile(
            d_optimizer=wgan_optimizer(),
            g_optimizer=wgan_optimizer(),
            jit_compile=False,
            steps_per_execution=1,
        )
        reference = ReferenceWGAN(
            clone(kgen_model.critic),
            clone(kgen_model.generator),
            LATENT_DIM,
            discriminator_extra_steps=N_CRITIC,
            gp_weight=GP_WEIGHT,
        )
        reference.compile(
            d_optimizer=wgan_optimizer(),
            g_optimizer=wgan_optimizer(),
            d_loss_fn=discriminator_loss,
            g_loss_fn=generator_loss,
        )
    return {"kgen": kgen_model, "kgen_keras_defaults": defaults, "reference": reference}


# ## The benchmark


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=5, help="timing windows per model, warm-up included (>= 2)")
    parser.add_argument("--batch-size", type=int, default=64, help="examples per (critic) minibatch")
    parser.add_argument(
        "--data", default=str(_common.SHARED_MNIST), help="Keras-layout mnist .npz or folder of IDX .gz files"
    )
    parser.add_argument("--out", default=str(_common.REPO_ROOT / "benchmarks" / "results" / "gan_mnist.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 windows of 16 steps")
    parser.add_argument("--only", choices=("dcgan", "wgan_gp"), default=None, help="run one model")
    args = parser.parse_args()
    if args.quick:
        args.windows = 2
        WINDOW_STEPS.update(dcgan=16, wgan_gp=16)
    if args.windows < 2:
        parser.error(f"--windows must be >= 2 (the first is warm-up). Received: {args.windows}")
    return args


def train_interleaved(models, x_train, fit_batch_size, steps, args):
    """Trains every model `steps` steps at a time, in alternating order.

    Returns:
        `{name: {"steps_per_second": [...], "d_loss": [...], "g_loss": [...]}}`, one entry per window.
    """
    records = {name: {"steps_per_second": [], "d_loss": [], "g_loss": []} for name in models}
    # The same seed gives every model the same sequence of batches.
    data = {
        name: datasets.as_dataset(x_train, batch_size=fit_batch_size, seed=args.seed, drop_remainder=True).repeat()
        for name in models
    }
    names = list(models)
    for window in range(args.windows):
        order = names if window % 2 == 0 else names[::-1]
        line = []
        for name in order:
            timer = _common.StepTimer()
            history = models[name].fit(
                data[name], epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0, callbacks=[timer]
            )
            record = records[name]
            record["steps_per_second"].append(timer.steps_per_second())
            for key in ("d_loss", "g_loss"):
                record[key].append(float(np.asarray(history.history[key][-1])))
            line.append(f"{name}: {record['steps_per_second'][-1]:.2f} steps/s")
        print(f"  window {window + 1}/{args.windows}  " + "  |  ".join(line), flush=True)
    return records


def summarize(records):
    """Speeds (windows after the first) and the paired speed-ups over the reference."""
    speed = {name: _common.summarize(record["steps_per_second"][1:]) for name, record in records.items()}
    speedups = {}
    for name in ("kgen", "kgen_keras_defaults"):
        paired = [ours / ref for ours, ref in zip(speed[name]["windows"], speed["reference"]["windows"])]
        speedups[name] = {
            "median_of_paired_windows": statistics.median(paired),
            "of_medians": speed[name]["median"] / speed["reference"]["median"],
            "windows": paired,
            "target_at_least": TARGET_SPEEDUP,
        }
    return speed, speedups


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)
    (x_train, _), _ = datasets.load_mnist(args.data)
    x_train = to_tanh_range(x_train)
    print(f"data: {args.data}: {len(x_train)} train images scaled to [-1, 1]")

    results = {}
    start = time.perf_counter()
    for which in ("dcgan", "wgan_gp"):
        if args.only not in (None, which):
            continue
        models = build_models(which, args.seed)
        fit_batch_size = args.batch_size * (N_CRITIC if which == "wgan_gp" else 1)
        print(f"{which}: fit batch {fit_batch_size}, {WINDOW_STEPS[which]} steps per window", flush=True)
        records = train_interleaved(models, x_train, fit_batch_size, WINDOW_STEPS[which], args)
        speed, speedups = summarize(records)
        floor = _common.gemm_floor(step_gemm_shapes(args.batch_size), with_tensorflow=True) if which == "dcgan" else None
        results[which] = {
            "fit_batch_size": fit_batch_size,
            "window_steps": WINDOW_STEPS[which],
            "parameters": {
                "generator": int(models["kgen"].generator.count_params()),
                "discriminator": int(models["kgen"].discriminator.count_params()),
            },
            "steps_per_second": speed,
            "speedup_over_reference": speedups,
            "gemm_floor": floor,
            "losses_per_window": {n: {k: r[k] for k in ("d_loss", "g_loss")} for n, r in records.items()},
        }
    train_seconds = time.perf_counter() - start

    payload = {
        "benchmark": "gan_mnist",
        "command": " ".join(["PYTHONPATH=. python benchmarks/gan_mnist.py", *sys.argv[1:]]),
        "config": {
            "data": os.path.abspath(args.data),
            "train_images": len(x_train),
            "scaling": "x / 255 * 2 - 1, in [-1, 1]",
            "image_shape": IMAGE_SHAPE,
            "latent_dim": LATENT_DIM,
            "filters": FILTERS,
            "minibatch": args.batch_size,
            "dcgan": "kgen.models.DCGAN, non-saturating loss, Adam(2e-4, beta_1=0.5) x 2",
            "wgan_gp": f"kgen.models.WGANGP, n_critic={N_CRITIC}, gp_weight={GP_WEIGHT}, "
            "Adam(1e-4, beta_1=0, beta_2=0.9) x 2",
            "reference": "keras-io style Model subclass with GradientTape train_step on "
            "clone_model copies of kgen's networks, compile() with Keras defaults",
            "windows": args.windows,
            "seed": args.seed,
            "timing": "steps per second per window after the first (warm-up), steps after the first "
            "execution of each window; models alternate window by window",
        },
        "machine": _common.machine_info(),
        "results": results,
        "train_seconds": train_seconds,
    }
    _common.write_json(args.out, payload)
    print_table(payload)
    print(f"wrote {args.out}")


def print_table(payload):
    config, machine = payload["config"], payload["machine"]
    print()
    print(
        f"GANs on MNIST ({config['train_images']} train images in [-1, 1]), 28x28x1, latent "
        f"{config['latent_dim']}, filters {config['filters']}, minibatch {config['minibatch']}"
    )
    print(
        f"machine: {machine['platform']}, {machine['usable_cpus']} usable CPUs "
        f"(of {machine['cpu_count']}), TF {machine['tensorflow']}, Keras {machine['keras']}"
    )

    def speed_cell(speed):
        return f"{speed['median']:.2f} [{speed['min']:.2f}, {speed['max']:.2f}]"

    rows = [("model", "kgen", "kgen at Keras' compile defaults", "reference (keras-io style)", "kgen / reference")]
    for which, result in payload["results"].items():
        speed = result["steps_per_second"]
        speedup = result["speedup_over_reference"]["kgen"]["median_of_paired_windows"]
        windows = len(speed["reference"]["windows"])
        rows.append(
            (
                f"{which} train steps/s, median [min, max] of {windows} windows",
                speed_cell(speed["kgen"]),
                speed_cell(speed["kgen_keras_defaults"]),
                speed_cell(speed["reference"]),
                f"{speedup:.2f}x",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for which, result in payload["results"].items():
        for name, speedup in result["speedup_over_reference"].items():
            median = speedup["median_of_paired_windows"]
            verdict = "meets" if median >= TARGET_SPEEDUP else "misses"
            target = f"; target >= {TARGET_SPEEDUP}x: {verdict}" if name == "kgen" else ""
            print(
                f"{which} steps/s, {name} / reference: {median:.2f}x (median of "
                f"{len(speedup['windows'])} paired windows, range {min(speedup['windows']):.2f}-"
                f"{max(speedup['windows']):.2f}; ratio of medians {speedup['of_medians']:.2f}x){target}"
            )
    for which, result in payload["results"].items():
        floor = result.get("gemm_floor")
        if floor is None:
            continue
        shares = ", ".join(
            f"{name} {speed['median'] / floor['steps_per_second']:.0%}"
            for name, speed in result["steps_per_second"].items()
        )
        print(
            f"{which} arithmetic floor: {floor['steps_per_second']:.1f} steps/s "
            f"({floor['flops_per_step'] / 1e9:.2f} GFLOP per step at "
            f"{floor['gflops_per_second']:.0f} GFLOP/s, each product at the faster of "
            f"{' and '.join(floor['engines'])} for its shape); share of it: {shares}"
        )
    print(f"train {payload['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()
