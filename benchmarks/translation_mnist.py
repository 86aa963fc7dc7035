"""Benchmark: CycleGAN and DiscoGAN between grey MNIST digits and their colour versions.

## What is measured

**Translation quality.** Domain A: the 6,000 training digits of the shared
MNIST subset, grey, `(28, 28, 1)`. Domain B: the *same* 6,000 digits in
colour, `kgen.datasets.colour_digits(x_train, seed=0)` (the MNIST-M recipe:
`|photograph patch - digit|`), `(28, 28, 3)`. Both are scaled to [-1, 1]
and trained on unpaired: `fit(a, b)` shuffles each domain on its own
(`kgen.datasets.unpaired`), so a grey digit and its own colour twin are in
the same batch only by chance (1 in 6,000 per row) and no pairing is
learned from. B uses the same digits, as the issue asks ("the 6,000
training digits and their colour versions") and as `kgen train cyclegan`
does by default; a disjoint half would halve each domain. The test
domains: the 2,000 test digits grey (A) and coloured with another seed,
`colour_digits(x_test, seed=1)` (B).

- `kgen.models.CycleGAN((28, 28, 1), (28, 28, 3))`: the paper's ResNet
  generator (2 residual blocks at 28x28) and PatchGAN (16x16 patches, a
  12x12 map), least squares loss, cycle weight 10, no identity term (the
  domains' shapes differ), image pools of 50, Adam(2e-4, beta_1=0.5);
- the same with `generator="unet"` (`cyclegan_unet`): the pix2pix U-Net,
  4 halvings of the image padded to 32x32, skips from each level;
- `kgen.models.DiscoGAN((28, 28, 1), (28, 28, 3))`: the paper's
  encoder-decoder generators and one-logit discriminators, GAN log-loss,
  squared reconstruction error with weight 1, no pool, the same Adam;

all with `filters=32` (half the papers' 64: see "Budget"), batch 64 per
domain, seed 0, their `compile()` defaults. Scored on the test digits:

- label preservation: a digit classifier of the target domain
  (`kgen.metrics.train_feature_extractor`, 15 epochs, on the real training
  digits of that domain) reads each translation; the fraction given the
  source digit's label (`kgen.evaluation.translation_quality_metrics`).
  Each classifier's accuracy on real test images of its own domain is the
  ceiling. Target: at least 90% A -> B with CycleGAN;
- cycle reconstruction error: `mean |F(G(a)) - a|` over every pixel of the
  test digits of A and `mean |G(F(b)) - b|` of B, with images in [0, 1]
  (half the [-1, 1] units of the training metrics `cycle_a`, `cycle_b`),
  and the root mean square error likewise;
- FID of the translations against the real test images of the target
  domain, in that domain's classifier's 128 features (squared feature
  units, comparable only within a direction). The floor row: the real
  training images of the domain against the same test images.

**Training speed**, in steps per second (one step: both generators on one
batch of 64 per domain, then both discriminators), of `CycleGAN` as users
get it (`compile()` defaults: XLA only with a GPU, 1 step per execution)
against a keras-io-style CycleGAN (`ReferenceCycleGAN`: keras-io's
`examples/generative/cyclegan.py`, a `keras.Model` subclass whose
`train_step` runs one `tf.GradientTape(persistent=True)`, compiled with
Keras' defaults: on a CPU-only machine no XLA and one step per execution).
The reference trains *the same networks*: `keras.models.clone_model`
copies of kgen's four networks with kgen's initial weights, on the same
batches (`kgen.datasets.unpaired`, seed 0), with the same loss (least
squares, cycle weight 10, no identity term) and the same gradients (see
`ReferenceCycleGAN` for the one place it departs from keras-io to get
them). keras-io's example has no image pool, so the compared kgen row runs
`pool_size=0` and the work is the same arithmetic: like the reference,
kgen computes both updates from one forward pass and, without a pool,
reuses the discriminators' scores of the translations. Two more rows:
`CycleGAN` with its default pool of 50 (what the pool costs: the
discriminators score the pooled images in a pass of their own), and
`CycleGAN` without a pool at 8 steps per execution (the other GANs'
default, and this model's before it was measured here).

Timing: as `gan_mnist.py`, the models train in turn, one window of a fixed
number of steps each (a multiple of 8), the order alternating every
window; the first window is warm-up (tracing) and not counted, and a
window's speed counts the steps after its first execution
(`_common.StepTimer`). The table gives the median over windows and the
median of the per-window ratios kgen / reference; the target is kgen not
slower (a ratio of at least 1, within the windows' spread). The first
window's mean losses of kgen (no pool) and the reference are printed side
by side: the same weights, batches and arithmetic give the same losses.

## Budget

The machine of `RESULTS.md` has 2 vCPUs, shared. A CycleGAN step with the
ResNet generator makes 4 generator passes forward (`G(a)`, `F(b)`, both
round trips) and their backward; at 28x28 the generator is about 0.2 GMAC
per image per pass with 64 filters, 0.05 with 32, so one epoch of 6,000
digits with 32 filters took 1.5 to 3 minutes there, with the machine
shared (with 64 filters about four times that). The U-Net with 32 filters is about a third of the
ResNet's arithmetic, DiscoGAN's networks less again. The defaults (32
filters; 2 epochs of the ResNet CycleGAN, 5 of the U-Net one, 5 of
DiscoGAN; 15-epoch classifiers; 4 timing windows of 16 steps on the
ResNet CycleGAN) keep the whole script to about 15 minutes there.
They are a budget, not convergence: the papers train 200 epochs.

## Usage

    PYTHONPATH=. python benchmarks/translation_mnist.py            # ~15 minutes on 2 CPUs
    PYTHONPATH=. python benchmarks/translation_mnist.py --quick    # smoke run, ~8 minutes
    PYTHONPATH=. python benchmarks/translation_mnist.py --table benchmarks/results/translation_mnist.json
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import _common  # noqa: E402
from kgen import datasets  # noqa: E402
from kgen import evaluation  # noqa: E402
from kgen import metrics  # noqa: E402
from kgen.models.cyclegan import CycleGAN  # noqa: E402
from kgen.models.discogan import DiscoGAN  # noqa: E402

SHAPE_A = (28, 28, 1)
SHAPE_B = (28, 28, 3)
CYCLE_WEIGHT = 10.0
TRAIN_COLOUR_SEED = 0
TEST_COLOUR_SEED = 1
TARGET_PRESERVATION = 0.90  # CycleGAN, A -> B, at least
TARGET_SPEEDUP = 1.0  # kgen steps/s over the reference's, at least


# ## The reference, keras-io style


class ReferenceCycleGAN(keras.Model):
    """keras-io's `examples/generative/cyclegan.py` CycleGAN, on kgen's networks.

    As keras-io: one persistent tape over the whole forward pass (both
    translations, both round trips, the discriminators on real and
    translated images), least squares losses (`MeanSquaredError` against
    ones and zeros, each discriminator's loss halved), the cycle loss
    `MeanAbsoluteError` times `lambda_cycle`, four Adam optimizers, and the
    discriminators updated from the logits of that same forward pass. No
    identity term (the domains' shapes differ) and no image pool (keras-io
    has none).

    One departure, for the gradients: keras-io differentiates `total_loss_G`
    (G's adversarial term + the B cycle `|G(F(y)) - y|`) with respect to G
    only and `total_loss_F` with respect to F only, so G never gets the
    gradient of the A cycle `|F(G(x)) - x|` it feeds. The paper's objective
    (its equation 3, the authors' `loss_G.backward()`, and kgen) is the sum
    differentiated with respect to both, so here one gradient of the sum
    gives both generators theirs: the same update as kgen's, and no more
    backward passes than keras-io's.
    """

    def __init__(self, generator_G, generator_F, discriminator_X, discriminator_Y,
                 lambda_cycle=10.0):
        super().__init__()
        self.gen_G = generator_G  # X (grey) -> Y (colour)
        self.gen_F = generator_F  # Y -> X
        self.disc_X = discriminator_X
        self.disc_Y = discriminator_Y
        self.lambda_cycle = lambda_cycle

    def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer,
                gen_loss_fn, disc_loss_fn):
        super().compile()
        self.gen_G_optimizer = gen_G_optimizer
        self.gen_F_optimizer = gen_F_optimizer
        self.disc_X_optimizer = disc_X_optimizer
        self.disc_Y_optimizer = disc_Y_optimizer
        self.generator_loss_fn = gen_loss_fn
        self.discriminator_loss_fn = disc_loss_fn
        self.cycle_loss_fn = keras.losses.MeanAbsoluteError()
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")
        self.d_a_loss_metric = keras.metrics.Mean(name="d_a_loss")
        self.d_b_loss_metric = keras.metrics.Mean(name="d_b_loss")

    @property
    def metrics(self):
        return [self.g_loss_metric, self.d_a_loss_metric, self.d_b_loss_metric]

    def train_step(self, batch_data):
        real_x, real_y = batch_data
        with tf.GradientTape(persistent=True) as tape:
            fake_y = self.gen_G(real_x, training=True)
            fake_x = self.gen_F(real_y, training=True)
            cycled_x = self.gen_F(fake_y, training=True)
            cycled_y = self.gen_G(fake_x, training=True)

            disc_real_x = self.disc_X(real_x, training=True)
            disc_fake_x = self.disc_X(fake_x, training=True)
            disc_real_y = self.disc_Y(real_y, training=True)
            disc_fake_y = self.disc_Y(fake_y, training=True)

            gen_G_loss = self.generator_loss_fn(disc_fake_y)
            gen_F_loss = self.generator_loss_fn(disc_fake_x)
            cycle_loss_G = self.cycle_loss_fn(real_y, cycled_y) * self.lambda_cycle
            cycle_loss_F = self.cycle_loss_fn(real_x, cycled_x) * self.lambda_cycle
            total_loss_G = gen_G_loss + cycle_loss_G
            total_loss_F = gen_F_loss + cycle_loss_F
            total_loss = total_loss_G + total_loss_F

            disc_X_loss = self.discriminator_loss_fn(disc_real_x, disc_fake_x)
            disc_Y_loss = self.discriminator_loss_fn(disc_real_y, disc_fake_y)

        g_weights = self.gen_G.trainable_variables
        f_weights = self.gen_F.trainable_variables
        grads = tape.gradient(total_loss, g_weights + f_weights)
        grads_G, grads_F = grads[: len(g_weights)], grads[len(g_weights):]
        disc_X_grads = tape.gradient(disc_X_loss, self.disc_X.trainable_variables)
        disc_Y_grads = tape.gradient(disc_Y_loss, self.disc_Y.trainable_variables)
        del tape

        self.gen_G_optimizer.apply_gradients(zip(grads_G, g_weights))
        self.gen_F_optimizer.apply_gradients(zip(grads_F, f_weights))
        self.disc_X_optimizer.apply_gradients(zip(disc_X_grads, self.disc_X.trainable_variables))
        self.disc_Y_optimizer.apply_gradients(zip(disc_Y_grads, self.disc_Y.trainable_variables))

        self.g_loss_metric.update_state(total_loss)
        self.d_a_loss_metric.update_state(disc_X_loss)
        self.d_b_loss_metric.update_state(disc_Y_loss)
        return {m.name: m.result() for m in self.metrics}


adv_loss_fn = keras.losses.MeanSquaredError()


def generator_loss_fn(fake):
    return adv_loss_fn(keras.ops.ones_like(fake), fake)


def discriminator_loss_fn(real, fake):
    real_loss = adv_loss_fn(keras.ops.ones_like(real), real)
    fake_loss = adv_loss_fn(keras.ops.zeros_like(fake), fake)
    return (real_loss + fake_loss) * 0.5


def adam():
    """The CycleGAN paper's optimizer, kgen's default."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def clone(network):
    """A copy of `network` with the same architecture and the same current weights."""
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


# ## Data


def load_domains(path):
    """The two domains' training and test images in [0, 1], and the labels.

    Returns:
        A dict: `a_train` `(6000, 28, 28, 1)`, `b_train` `(6000, 28, 28, 3)`
        (the same digits in colour), `y_train`, `a_test` `(2000, 28, 28, 1)`,
        `b_test` (the test digits in colour, another seed), `y_test`.
    """
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(path)
    x_train = np.asarray(x_train, dtype=np.float32).reshape(-1, *SHAPE_A)
    x_test = np.asarray(x_test, dtype=np.float32).reshape(-1, *SHAPE_A)
    return {
        "a_train": x_train,
        "b_train": datasets.colour_digits(x_train, seed=TRAIN_COLOUR_SEED),
        "y_train": np.asarray(y_train),
        "a_test": x_test,
        "b_test": datasets.colour_digits(x_test, seed=TEST_COLOUR_SEED),
        "y_test": np.asarray(y_test),
    }


def to_model(x):
    """Images in [0, 1] -> [-1, 1], the generators' range."""
    return datasets.to_tanh_range(x)


# ## Translation quality


MODELS = ("cyclegan", "cyclegan_unet", "discogan")


def build_translator(which, filters, seed, **kwargs):
    """One of `MODELS`: CycleGAN with its ResNet or the U-Net generator, or DiscoGAN."""
    if which.startswith("cyclegan"):
        generator = "unet" if which == "cyclegan_unet" else "resnet"
        return CycleGAN(SHAPE_A, SHAPE_B, generator=generator, identity_weight=0.0,
                        filters=filters, seed=seed, **kwargs)
    return DiscoGAN(SHAPE_A, SHAPE_B, filters=filters, seed=seed, **kwargs)


def cycle_errors(model, a, b, batch_size=500):
    """Round-trip errors on test images in [0, 1]: mean absolute and root mean square, per domain."""
    errors = {}
    for domain, x, direction in (("a", a, "a_to_b"), ("b", b, "b_to_a")):
        back = np.concatenate([
            np.asarray(model.cycle(to_model(x[i:i + batch_size]), direction))
            for i in range(0, len(x), batch_size)])
        difference = datasets.from_tanh_range(back) - x
        errors[f"cycle_mae_{domain}"] = float(np.mean(np.abs(difference)))
        errors[f"cycle_rmse_{domain}"] = float(np.sqrt(np.mean(np.square(difference))))
    return errors


def fid_floor(classifier, x_train, x_test):
    """FID of real training images against the real test images in `classifier`'s features."""
    features = metrics.feature_extractor(classifier)
    return float(metrics.frechet_distance(
        features.predict(x_test, batch_size=500, verbose=0),
        features.predict(x_train, batch_size=500, verbose=0)))


def train_and_score(which, data, classifiers, args):
    model = build_translator(which, args.filters, args.seed)
    model.compile()
    epochs = {"cyclegan": args.cyclegan_epochs, "cyclegan_unet": args.unet_epochs,
              "discogan": args.discogan_epochs}[which]
    print(f"{which}: training {epochs} epochs, batch {args.batch_size}, filters {args.filters}",
          flush=True)
    start = time.perf_counter()
    history = model.fit(to_model(data["a_train"]), to_model(data["b_train"]), epochs=epochs,
                        batch_size=args.batch_size, verbose=0)
    train_seconds = time.perf_counter() - start
    scores = evaluation.translation_quality_metrics(
        model, data["a_test"], data["b_test"], classifiers["a"], classifiers["b"],
        data["y_test"], data["y_test"])
    scores.update(cycle_errors(model, data["a_test"], data["b_test"]))
    last = {key: float(np.asarray(values[-1])) for key, values in history.history.items()}
    print(f"  {train_seconds:.0f} s; A->B {scores['label_preservation_a_to_b']:.4f}, "
          f"B->A {scores['label_preservation_b_to_a']:.4f}, cycle MAE A "
          f"{scores['cycle_mae_a']:.4f}, B {scores['cycle_mae_b']:.4f}", flush=True)
    return {
        "epochs": epochs,
        "steps": int(epochs * -(-len(data["a_train"]) // args.batch_size)),
        "train_seconds": train_seconds,
        "parameters": {
            name: int(getattr(model, name).count_params())
            for name in ("generator_a_to_b", "generator_b_to_a", "discriminator_a",
                         "discriminator_b")},
        "compile": {"jit_compile": model.default_jit_compile,
                    "steps_per_execution": model.default_steps_per_execution},
        "pool_size": model.pool_size,
        "gan_loss": model.gan_loss,
        "cycle_distance": model.cycle_distance,
        "cycle_weight": model.cycle_weight,
        "last_epoch_metrics": last,
        "scores": scores,
    }


# ## Training speed


def build_speed_models(filters, seed):
    """`{name: compiled model}` of the speed rows, all on the ResNet CycleGAN's initial weights.

    `kgen`: `pool_size=0`, `compile()` defaults (1 step per execution);
    `kgen_pool_50`: the default pool; `kgen_8_steps`: `pool_size=0` with
    8 steps per execution (the other GANs' default);
    `reference`: `ReferenceCycleGAN` on copies of `kgen`'s networks.
    """
    kgen_model = build_translator("cyclegan", filters, seed, pool_size=0)
    kgen_model.compile()
    pooled = build_translator("cyclegan", filters, seed)
    pooled.compile()
    eight_steps = build_translator("cyclegan", filters, seed, pool_size=0)
    eight_steps.compile(steps_per_execution=8)
    reference = ReferenceCycleGAN(
        clone(kgen_model.generator_a_to_b), clone(kgen_model.generator_b_to_a),
        clone(kgen_model.discriminator_a), clone(kgen_model.discriminator_b),
        lambda_cycle=CYCLE_WEIGHT)
    reference.compile(adam(), adam(), adam(), adam(), generator_loss_fn, discriminator_loss_fn)
    return {"kgen": kgen_model, "kgen_pool_50": pooled, "kgen_8_steps": eight_steps,
            "reference": reference}


def same_step_check(a, b, args):
    """One step of kgen (no pool) and of the reference from the same weights on the same batch.

    Both compiled with Keras' defaults here, so that each `fit` call is
    one step. The same arithmetic gives the same losses and the same
    updated weights, up to float32 round-off.

    Returns:
        A dict: each model's `g_loss`, `d_a_loss`, `d_b_loss` after the
        step, and `max_abs_weight_difference` over the four networks.
    """
    kgen_model = build_translator("cyclegan", args.filters, args.seed, pool_size=0)
    kgen_model.compile(jit_compile=False, steps_per_execution=1)
    networks = ("generator_a_to_b", "generator_b_to_a", "discriminator_a", "discriminator_b")
    reference = ReferenceCycleGAN(*(clone(getattr(kgen_model, n)) for n in networks),
                                  lambda_cycle=CYCLE_WEIGHT)
    reference.compile(adam(), adam(), adam(), adam(), generator_loss_fn, discriminator_loss_fn)
    # One fixed batch: a shuffling dataset gives another order at each pass,
    # and kgen's `fit` reads one batch ahead of training to check its range.
    batch = tf.data.Dataset.from_tensors(
        next(iter(datasets.unpaired(a, b, args.batch_size, seed=args.seed))))
    losses = {}
    for name, model in (("kgen", kgen_model), ("reference", reference)):
        history = model.fit(batch, epochs=1, verbose=0).history
        losses[name] = {k: float(np.asarray(history[k][-1])) for k in ("g_loss", "d_a_loss", "d_b_loss")}
    reference_networks = (reference.gen_G, reference.gen_F, reference.disc_X, reference.disc_Y)
    difference = max(
        float(np.max(np.abs(ours - theirs)))
        for n, copy in zip(networks, reference_networks)
        for ours, theirs in zip(getattr(kgen_model, n).get_weights(), copy.get_weights()))
    return {**losses, "max_abs_weight_difference": difference}


def train_interleaved(models, a, b, args):
    """Trains every model `args.window_steps` steps at a time, in alternating order.

    Returns:
        `{name: {"steps_per_second": [...], "g_loss": [...], "d_a_loss": [...],
        "d_b_loss": [...]}}`, one entry per window.
    """
    keys = ("g_loss", "d_a_loss", "d_b_loss")
    records = {name: {"steps_per_second": [], **{k: [] for k in keys}} for name in models}
    # The same seed gives every model the same batches; each fit starts them again.
    data = {name: datasets.unpaired(a, b, args.batch_size, seed=args.seed).repeat()
            for name in models}
    names = list(models)
    for window in range(args.windows):
        order = names if window % 2 == 0 else names[::-1]
        line = []
        for name in order:
            timer = _common.StepTimer()
            # No range check: it would read a pass of kgen's dataset ahead of
            # training, and the dataset reshuffles at each pass.
            check = {} if name == "reference" else {"check_data_range": False}
            history = models[name].fit(data[name], epochs=1, steps_per_epoch=args.window_steps,
                                       verbose=0, callbacks=[timer], **check)
            record = records[name]
            record["steps_per_second"].append(timer.steps_per_second())
            for key in keys:
                record[key].append(float(np.asarray(history.history[key][-1])))
            line.append(f"{name}: {record['steps_per_second'][-1]:.3f} steps/s")
        print(f"  window {window + 1}/{args.windows}  " + "  |  ".join(line), flush=True)
    return records


def summarize_speed(records):
    """Speeds (windows after the first) and the paired ratios over the reference."""
    speed = {name: _common.summarize(r["steps_per_second"][1:]) for name, r in records.items()}
    ratios = {}
    for name in ("kgen", "kgen_pool_50", "kgen_8_steps"):
        paired = [ours / ref for ours, ref in zip(speed[name]["windows"], speed["reference"]["windows"])]
        ratios[name] = {
            "median_of_paired_windows": statistics.median(paired),
            "of_medians": speed[name]["median"] / speed["reference"]["median"],
            "windows": paired,
        }
    return speed, ratios


# ## The benchmark


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(_common.SHARED_MNIST),
                        help="Keras-layout mnist .npz or folder of IDX .gz files")
    parser.add_argument("--out", default=str(
        _common.REPO_ROOT / "benchmarks" / "results" / "translation_mnist.json"))
    parser.add_argument("--filters", type=int, default=32, help="width of the networks' first layer")
    parser.add_argument("--batch-size", type=int, default=64, help="images per domain per step")
    parser.add_argument("--cyclegan-epochs", type=int, default=2, help="epochs of CycleGAN with the ResNet")
    parser.add_argument("--unet-epochs", type=int, default=5, help="epochs of CycleGAN with the U-Net")
    parser.add_argument("--discogan-epochs", type=int, default=5)
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated models of the quality part, of {MODELS}")
    parser.add_argument("--classifier-epochs", type=int, default=15)
    parser.add_argument("--windows", type=int, default=4,
                        help="timing windows per model, warm-up included (>= 2)")
    parser.add_argument("--window-steps", type=int, default=16,
                        help="steps per timing window, a multiple of 8 (>= 16)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table", default=None, metavar="JSON",
                        help="print the table of a results file this script wrote, and exit")
    parser.add_argument("--only", choices=("quality", "speed", "same_step"), default=None,
                        help="run one part (speed includes same_step)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 epoch each, small classifiers, 2 windows of 16 steps")
    args = parser.parse_args()
    if args.quick:
        args.cyclegan_epochs = args.unet_epochs = args.discogan_epochs = 1
        args.classifier_epochs = 2
        args.windows, args.window_steps = 2, 16
    if args.windows < 2:
        parser.error(f"--windows must be >= 2 (the first is warm-up). Received: {args.windows}")
    if args.window_steps < 16 or args.window_steps % 8:
        parser.error(f"--window-steps must be a multiple of 8, at least 16. Received: {args.window_steps}")
    args.models = tuple(name for name in args.models.split(",") if name)
    if not args.models or any(name not in MODELS for name in args.models):
        parser.error(f"--models must be names of {MODELS}. Received: {args.models}")
    return args


def main():
    args = parse_args()
    if args.table is not None:
        print_table(json.loads(pathlib.Path(args.table).read_text()))
        return
    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    data = load_domains(args.data)
    print(f"data: {args.data}: {len(data['a_train'])} training digits (A grey, B the same in "
          f"colour), {len(data['a_test'])} test digits", flush=True)
    results = {}

    if args.only in (None, "quality"):
        classifiers, classifier_info = {}, {}
        for domain in ("a", "b"):
            tick = time.perf_counter()
            classifiers[domain] = metrics.train_feature_extractor(
                data[f"{domain}_train"], data["y_train"], epochs=args.classifier_epochs,
                seed=args.seed)
            classifier_info[domain] = {
                "train_seconds": time.perf_counter() - tick,
                "fid_floor_train_vs_test": fid_floor(
                    classifiers[domain], data[f"{domain}_train"], data[f"{domain}_test"]),
            }
            print(f"classifier {domain.upper()}: {classifier_info[domain]['train_seconds']:.0f} s",
                  flush=True)
        results["classifiers"] = classifier_info
        results["quality"] = {which: train_and_score(which, data, classifiers, args)
                              for which in args.models}

    if args.only in (None, "speed", "same_step"):
        check = same_step_check(to_model(data["a_train"]), to_model(data["b_train"]), args)
        results["same_step"] = check
        print(f"same step: max |weight difference| {check['max_abs_weight_difference']:.3g}", flush=True)

    if args.only in (None, "speed"):
        models = build_speed_models(args.filters, args.seed)
        print(f"speed: batch {args.batch_size} per domain, {args.window_steps} steps per window",
              flush=True)
        records = train_interleaved(models, to_model(data["a_train"]), to_model(data["b_train"]), args)
        speed, ratios = summarize_speed(records)
        results["speed"] = {
            "window_steps": args.window_steps,
            "steps_per_second": speed,
            "ratio_over_reference": ratios,
            "target_at_least": TARGET_SPEEDUP,
            "losses_per_window": {n: {k: v for k, v in r.items() if k != "steps_per_second"}
                                  for n, r in records.items()},
        }

    payload = {
        "benchmark": "translation_mnist",
        "command": " ".join(["PYTHONPATH=. python benchmarks/translation_mnist.py", *sys.argv[1:]]),
        "config": {
            "data": os.path.abspath(args.data),
            "domain_a": "the training digits, grey, x / 255, (28, 28, 1)",
            "domain_b": f"the same training digits in colour, colour_digits(x, seed={TRAIN_COLOUR_SEED})"
                        ", (28, 28, 3)",
            "test": f"the test digits, grey (A) and colour_digits(x_test, seed={TEST_COLOUR_SEED}) (B)",
            "scaling": "[0, 1] -> [-1, 1] for the models; scores on [0, 1] images",
            "train_images_per_domain": len(data["a_train"]),
            "test_images_per_domain": len(data["a_test"]),
            "filters": args.filters,
            "batch_size": args.batch_size,
            "classifier_epochs": args.classifier_epochs,
            "cyclegan": "kgen.models.CycleGAN, resnet generator, patchgan discriminator, lsgan, "
                        "cycle_weight 10, identity_weight 0, pool_size 50, Adam(2e-4, beta_1=0.5) x 2",
            "discogan": "kgen.models.DiscoGAN, its networks, non-saturating loss, mse "
                        "reconstruction weight 1, pool_size 0, Adam(2e-4, beta_1=0.5) x 2",
            "reference": "keras-io cyclegan.py-style Model subclass (persistent GradientTape "
                         "train_step, gradient of the summed generator loss) on clone_model copies "
                         "of kgen's four networks, compile() with Keras defaults",
            "windows": args.windows,
            "seed": args.seed,
            "quick": args.quick,
        },
        "machine": _common.machine_info(),
        "results": results,
        "total_seconds": time.perf_counter() - start,
    }
    _common.write_json(args.out, payload)
    print_table(payload)
    print(f"wrote {_common.relative_paths(args.out)}")


def print_table(payload):
    config, machine, results = payload["config"], payload["machine"], payload["results"]
    print()
    print(f"Unpaired translation, grey MNIST (A) <-> colour MNIST (B): "
          f"{config['train_images_per_domain']} training digits per domain, "
          f"{config['test_images_per_domain']} test digits, filters {config['filters']}, "
          f"batch {config['batch_size']}")
    print(f"machine: {machine['platform']}, {machine['usable_cpus']} usable CPUs "
          f"(of {machine['cpu_count']}), TF {machine['tensorflow']}, Keras {machine['keras']}")

    def table(rows):
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for i, row in enumerate(rows):
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
            if i == 0:
                print("|" + "|".join("-" * (w + 2) for w in widths) + "|")

    if "quality" in results:
        rows = [("model", "epochs (steps)", "train s", "label kept A->B", "label kept B->A",
                 "cycle MAE A", "cycle MAE B", "cycle RMSE A", "cycle RMSE B", "FID A->B",
                 "FID B->A")]
        for which, result in results["quality"].items():
            s = result["scores"]
            rows.append((
                which, f"{result['epochs']} ({result['steps']})", f"{result['train_seconds']:.0f}",
                f"{s['label_preservation_a_to_b']:.2%}", f"{s['label_preservation_b_to_a']:.2%}",
                f"{s['cycle_mae_a']:.4f}", f"{s['cycle_mae_b']:.4f}",
                f"{s['cycle_rmse_a']:.4f}", f"{s['cycle_rmse_b']:.4f}",
                f"{s['frechet_distance_a_to_b']:.2f}", f"{s['frechet_distance_b_to_a']:.2f}"))
        s = next(iter(results["quality"].values()))["scores"]
        c = results["classifiers"]
        rows.append((
            "real test images (ceiling / floor)", "-", f"{c['a']['train_seconds']:.0f} + "
            f"{c['b']['train_seconds']:.0f}", f"{s['classifier_accuracy_b']:.2%}",
            f"{s['classifier_accuracy_a']:.2%}", "0", "0", "0", "0",
            f"{c['b']['fid_floor_train_vs_test']:.2f}", f"{c['a']['fid_floor_train_vs_test']:.2f}"))
        table(rows)
        for which in ("cyclegan", "cyclegan_unet"):
            if which not in results["quality"]:
                continue
            kept = results["quality"][which]["scores"]["label_preservation_a_to_b"]
            verdict = "meets" if kept >= TARGET_PRESERVATION else "misses"
            print(f"{which} label preservation A -> B: {kept:.2%}; target >= "
                  f"{TARGET_PRESERVATION:.0%}: {verdict}")

    if "speed" in results:
        speed = results["speed"]
        windows = len(speed["steps_per_second"]["reference"]["windows"])

        def cell(s):
            return f"{s['median']:.3f} [{s['min']:.3f}, {s['max']:.3f}]"

        rows = [(f"CycleGAN train steps/s, median [min, max] of {windows} windows of "
                 f"{speed['window_steps']} steps", "steps/s", "/ reference (median of paired windows)")]
        labels = {"kgen": "kgen, pool_size=0 (compile defaults)",
                  "kgen_pool_50": "kgen, pool_size=50 (the default)",
                  "kgen_8_steps": "kgen, pool_size=0, 8 steps per execution",
                  "reference": "reference (keras-io style, Keras compile defaults)"}
        for name, label in labels.items():
            ratio = speed["ratio_over_reference"].get(name)
            rows.append((label, cell(speed["steps_per_second"][name]),
                         "1" if ratio is None else f"{ratio['median_of_paired_windows']:.3f}x"))
        table(rows)
        for name, ratio in speed["ratio_over_reference"].items():
            target = ""
            if name == "kgen":
                verdict = "meets" if ratio["median_of_paired_windows"] >= TARGET_SPEEDUP else "misses"
                target = f"; target >= {TARGET_SPEEDUP}x: {verdict}"
            print(f"{name} / reference: {ratio['median_of_paired_windows']:.3f}x (median of "
                  f"{len(ratio['windows'])} paired windows, range {min(ratio['windows']):.3f}-"
                  f"{max(ratio['windows']):.3f}; ratio of medians {ratio['of_medians']:.3f}x){target}")
    if "same_step" in results:
        check = results["same_step"]
        print("one step from the same weights on the same batch, kgen (no pool) vs reference: "
              + ", ".join(f"{k} {check['kgen'][k]:.6f} vs {check['reference'][k]:.6f}"
                          for k in ("g_loss", "d_a_loss", "d_b_loss"))
              + f"; max |weight difference| {check['max_abs_weight_difference']:.3g}")
    if "speed" in results:
        speed = results["speed"]
        losses = speed["losses_per_window"]
        print("first window's mean losses (same start and batches; round-off grows step by step), "
              "kgen pool 0 vs reference: "
              + ", ".join(f"{k} {losses['kgen'][k][0]:.5f} vs {losses['reference'][k][0]:.5f}"
                          for k in ("g_loss", "d_a_loss", "d_b_loss")))
    print(f"total {payload['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
