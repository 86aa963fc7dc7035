"""The `kgen` command line: train a model, draw samples, export, report versions.

```
kgen train vae --data digits --epochs 30 --batch-size 64 --out runs/vae --seed 0
kgen train gan --data toy2d:ring --epochs 20 --out runs/gan
kgen train dcgan --data mnist:mnist.npz --out runs/dcgan
kgen train draw --data digits --time-steps 10 --out runs/draw      # --no-attention: whole images
kgen train flow --data toy2d:ring --out runs/flow
kgen sample runs/vae --n 64 --out grid.png
kgen export runs/vae exports/vae/1
kgen info
```

`kgen train MODEL` writes into `--out DIR`:

- `model.keras`: the trained model (`keras.saving.load_model` reloads it);
- `saved_model/`: a SavedModel with serving signatures (`model.export`);
- `pictures/`: samples, reconstructions and, for a 2D latent space, the
  latent manifold per epoch, plus `curves.png` (`GenerativePictures`); on
  `--data toy2d` also `coverage_epochNNN.png`, real versus generated points
  (`ModeCoverageCallback`);
- `logs/`: TensorBoard event file with the same pictures and the epoch
  metrics;
- `metrics.json`: final training and validation metrics and held-out
  numbers: the ELBO and importance-weighted log-likelihood in nats per
  example for likelihood models (vae, rbm); for GANs, which have no
  likelihood, the final losses and the held-out value of the game
  (`V(D, G)` in nats, or the critic's Wasserstein estimate for wgan); on
  `--data toy2d` the modes covered (`kgen.diagnostics.mode_coverage`).

draw trains on binarised images (a Bernoulli likelihood) and also writes
`pictures/generation_steps.png` and `generation.gif` (the canvas after each
glimpse, painted from the prior, write windows in green) and
`reconstruction_steps.png` / `reconstruction.gif` (held-out images painted
back, read windows in red). flow (RealNVP) reports `log_prob_nats` and
`bits_per_dim`; on images it dequantises the grey levels (17 on the digits,
256 on MNIST).

The GANs (gan, dcgan, cgan, wgan) train on images scaled from [0, 1] to
[-1, 1], the range of their `tanh` generators; their pictures and
`kgen sample` map samples back to [0, 1]. On toy2d points, gan and wgan use
a linear output and the data as it is. cgan is trained on the images and
their digit labels. For wgan, `--batch-size` is the minibatch of each of
its 5 critic steps (so one step reads 5 batches).

The run is written into a sibling folder `.DIR.partial` and renamed to `DIR`
only when complete, so `DIR` is either absent or a whole run. Training
saves a checkpoint there after every epoch (`AtomicBackupAndRestore`: the
weights, the optimizer state and the epoch, written atomically). If the
run is killed (Ctrl-C, `kill -9`, a lost machine), running the same command
again resumes after the last saved epoch (`metrics.json` records it as
`resumed_after_epoch`); a run with other arguments starts afresh. A NaN or
infinite loss stops training with an error (exit status 1) and keeps the
last good checkpoint; data with NaN or infinite values is refused up front.

Bad arguments print one line, `kgen <command>: error: ...`, on stderr and
exit with status 2; an interrupt exits with 130.
"""

import argparse
import inspect
import json
import math
import os
import pathlib
import platform
import shutil
import sys
import tempfile

import numpy as np

_DATA_HELP = "digits (default), mnist:PATH (a .npz or IDX folder), toy2d[:ring|grid]"
_TOY_NAMES = ("ring", "grid")
_VALIDATION_FRACTION = 0.1  # of digits and toy2d; MNIST uses its test split
_NUM_RECONSTRUCTIONS = 16
_LOG_LIKELIHOOD_SAMPLES = 100  # K of the IWAE bound in metrics.json
_COVERAGE_SAMPLES = 2500  # samples scored by mode_coverage (VEEGAN, PacGAN)


class UsageError(Exception):
    """A bad command-line argument: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` that raises `UsageError` instead of printing usage and exiting."""

    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message}")


# Models. Each builder takes the shape of one example (e.g. `(8, 8, 1)` or
# `(2,)`) and the parsed arguments, and returns a compiled `keras.Model` with
# `sample(n, seed=...)` (and optionally `reconstruct`, `decode`, `latent_dim`,
# `elbo`, `log_likelihood`, `export`). To register a model, write
# `_build_<name>(data_shape, args)` below and add `"<name>": _build_<name>`
# to `MODELS`; `kgen train <name>` then works and appears in `--help`.


def _build_vae(data_shape, args):
    import keras

    from kgen.models import VAE

    # Images in [0, 1] get a Bernoulli likelihood; real-valued points
    # (toy2d) a Gaussian one.
    likelihood = "bernoulli" if len(data_shape) == 3 else "gaussian"
    model = VAE(data_shape, latent_dim=args.latent_dim, likelihood=likelihood, seed=args.seed)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    return model


def _build_rbm(data_shape, args):
    import keras

    from kgen.models import RBM

    # PCD with 100 persistent chains: samples from noise look like digits,
    # where CD-1's chains collapse to one blurry mode (examples/rbm_mnist.py).
    model = RBM(
        math.prod(data_shape),
        n_hidden=args.n_hidden,
        cd_k=1,
        persistent=True,
        num_chains=100,
        visible_shape=data_shape,
        seed=args.seed,
    )
    model.compile(optimizer=keras.optimizers.SGD(args.learning_rate, momentum=0.5))
    return model


def _gan_optimizers(args, beta_1=0.5, beta_2=0.999):
    """Two Adam optimizers (discriminator, generator) at `--learning-rate`."""
    import keras

    return {
        name: keras.optimizers.Adam(args.learning_rate, beta_1=beta_1, beta_2=beta_2)
        for name in ("d_optimizer", "g_optimizer")
    }


def _build_gan(data_shape, args):
    from kgen.models.gan import GAN

    if len(data_shape) == 1:
        # Points of any range: a linear output; narrower networks than the
        # image defaults (tests/test_gan_toy2d.py covers >= 6 of 8 ring modes).
        model = GAN.mlp(
            data_shape,
            latent_dim=args.latent_dim,
            output_activation=None,
            generator_units=_TOY_GAN_UNITS,
            discriminator_units=_TOY_GAN_UNITS,
            dropout=0.0,
            seed=args.seed,
        )
    else:
        model = GAN.mlp(data_shape, latent_dim=args.latent_dim, seed=args.seed)
    # Radford et al.'s Adam(beta_1=0.5), at 2e-4 for images.
    model.compile(**_gan_optimizers(args))
    return model


def _build_dcgan(data_shape, args):
    from kgen.models.dcgan import DCGAN

    model = DCGAN(data_shape, latent_dim=args.latent_dim, seed=args.seed)
    model.compile(**_gan_optimizers(args))
    return model


def _build_cgan(data_shape, args):
    from kgen.models.conditional_gan import ConditionalGAN

    model = ConditionalGAN(
        data_shape, num_classes=args.num_classes, latent_dim=args.latent_dim, seed=args.seed
    )
    model.compile(**_gan_optimizers(args))
    return model


def _build_wgan(data_shape, args):
    from kgen.models.wgan_gp import WGANGP

    # On points, a gradient penalty weight of 1 (tests/test_gan_toy2d.py; the
    # paper used 0.1 on its toys); 10 (the paper's) on images.
    kwargs = {"hidden_units": _TOY_WGAN_UNITS, "gp_weight": 1.0} if len(data_shape) == 1 else {}
    model = WGANGP(data_shape, latent_dim=args.latent_dim, n_critic=5, seed=args.seed, **kwargs)
    # The WGAN-GP paper's Adam(beta_1=0, beta_2=0.9).
    model.compile(**_gan_optimizers(args, beta_1=0.0, beta_2=0.9))
    return model


def _build_draw(data_shape, args):
    import keras

    from kgen.models import DRAW

    # Gregor et al.'s MNIST set-up (read 2x2, write 5x5, 256-unit LSTMs)
    # with fewer glimpses by default; write grids no larger than the image.
    model = DRAW(
        data_shape,
        time_steps=args.time_steps,
        latent_dim=args.latent_dim,
        encoder_units=256,
        decoder_units=256,
        attention=args.attention,
        read_n=min(2, *data_shape[:2]),
        write_n=min(5, *data_shape[:2]),
        seed=args.seed,
    )
    # DRAW's default optimizer (gradients clipped at a global norm of 100)
    # at --learning-rate.
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate, global_clipnorm=100.0))
    return model


def _build_flow(data_shape, args):
    import keras

    from kgen.models import RealNVP

    if len(data_shape) == 1:
        # Points: alternating halves, continuous density.
        model = RealNVP(data_shape, num_coupling_layers=6, hidden_units=(64, 64), seed=args.seed)
    else:
        # Images of discrete grey levels: dequantised; the digits have 17
        # levels (0..16), MNIST 256.
        num_bins = 17 if args.data == "digits" else 256
        model = RealNVP(
            data_shape, num_coupling_layers=6, filters=(32, 32), num_bins=num_bins, seed=args.seed
        )
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    return model


_TOY_GAN_UNITS = (128, 128)
_TOY_WGAN_UNITS = (128, 128, 128)

MODELS = {
    "vae": _build_vae,
    "rbm": _build_rbm,
    "gan": _build_gan,
    "dcgan": _build_dcgan,
    "cgan": _build_cgan,
    "wgan": _build_wgan,
    "draw": _build_draw,
    "flow": _build_flow,
}
# Models that need images (digits or mnist:PATH), not toy2d points.
IMAGE_DATA_MODELS = {"rbm", "dcgan", "cgan", "draw"}
# Models over binary units: their data is binarised (pixel > 0.5, which on
# MNIST is raw value > 127) so that their log-likelihoods are proper.
BINARY_DATA_MODELS = {"rbm", "draw"}
# Models whose generators end in tanh: images in [0, 1] are scaled to
# [-1, 1] (`2x - 1`) for training, and samples mapped back to draw them.
TANH_DATA_MODELS = {"gan", "dcgan", "cgan", "wgan"}
# Models trained on (images, labels) rather than on images alone.
LABELLED_DATA_MODELS = {"cgan"}
# Learning rates when --learning-rate is not given.
DEFAULT_LEARNING_RATES = {
    "vae": 1e-3,
    "rbm": 0.02,
    "gan": 2e-4,  # Radford et al. (DCGAN), for both networks
    "dcgan": 2e-4,
    "cgan": 2e-4,
    "wgan": 1e-4,  # Gulrajani et al. (WGAN-GP)
    # 3e-3: on the digits (30 epochs, batch 32) held-out -ELBO 20.2 nats
    # against 20.7 at 1e-3 (`kgen train draw --data digits --epochs 30
    # --batch-size 32 --learning-rate ...`; with DRAW's former random
    # attention kernels 1e-3 gave 22.4, little beyond the mean digit).
    "draw": 3e-3,
    "flow": 1e-3,
}
# Latent dimensions when --latent-dim is not given.
DEFAULT_LATENT_DIMS = {"vae": 2, "gan": 32, "dcgan": 32, "cgan": 32, "wgan": 32, "draw": 10}


def main(argv=None):
    """Runs the `kgen` command line.

    Args:
        argv: list of argument strings; `None` reads `sys.argv[1:]`.

    Returns:
        The exit status: 0 on success, 1 when training diverged (NaN or
        infinite loss), 2 for bad arguments, 130 when interrupted.
    """
    parser = _make_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(
                f"{parser.prog}: error: a command is required: train, sample, export or info"
            )
        return args.run(args) or 0
    except UsageError as error:
        print(" ".join(str(error).split()), file=sys.stderr)  # one line
        return 2
    except SystemExit as exit:  # --help and --version
        return exit.code if isinstance(exit.code, int) else 0
    except KeyboardInterrupt:
        print("kgen: interrupted", file=sys.stderr)
        return 130
    except FloatingPointError as error:  # kgen.checkpointing.NonFiniteTrainingError
        print(f"kgen: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1


def _make_parser():
    parser = _Parser(prog="kgen", description="Deep generative models for Keras 3.")
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and save it with pictures and metrics")
    train.add_argument("model", metavar="MODEL", help=f"one of: {', '.join(sorted(MODELS))}")
    train.add_argument("--data", default="digits", help=_DATA_HELP)
    train.add_argument("--epochs", type=int, default=30, help="passes over the data (default 30)")
    train.add_argument("--batch-size", type=int, default=64, help="examples per step (default 64)")
    train.add_argument("--out", required=True, metavar="DIR", help="folder to write the run into")
    train.add_argument(
        "--seed", type=int, default=0, help="seeds weights, shuffling and noise (default 0)"
    )
    train.add_argument(
        "--latent-dim",
        type=int,
        default=None,
        help="latent dimension (default 2 for vae and on toy2d, 32 for the GANs on images, "
        "10 per step for draw)",
    )
    train.add_argument(
        "--n-hidden", type=int, default=64, help="RBM hidden units (default 64)"
    )
    train.add_argument(
        "--time-steps", type=int, default=10, help="DRAW glimpses T (default 10)"
    )
    train.add_argument(
        "--attention",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="DRAW with Gaussian attention (default) or reading and writing whole images",
    )
    train.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="optimizer step size (default: 1e-3 for Adam (vae, flow), 3e-3 for Adam (draw), "
        "0.02 for SGD (rbm), 2e-4 for Adam (gan, dcgan, cgan), 1e-4 for Adam (wgan))",
    )
    train.add_argument(
        "--strategy",
        choices=("mirrored", "multiworker"),
        default=None,
        help="train on all devices of this host (mirrored) or on the hosts of TF_CONFIG "
        "(multiworker); --batch-size is then the global batch (docs/distributed.md)",
    )
    # Trains on the first N training (and validation) examples: for tests.
    train.add_argument("--max-examples", type=int, default=None, help=argparse.SUPPRESS)
    train.add_argument("--overwrite", action="store_true", help="replace DIR if it exists")
    train.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="Keras fit verbosity (default 1: progress bar)",
    )
    train.set_defaults(run=_train)

    sample = commands.add_parser("sample", help="draw samples from a trained run into a PNG grid")
    sample.add_argument("dir", metavar="DIR", help="a folder written by `kgen train`")
    sample.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", default=None, help="PNG file to write (default DIR/samples.png)")
    sample.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    sample.set_defaults(run=_sample)

    export = commands.add_parser(
        "export", help="export a trained run as a SavedModel for TF Serving"
    )
    export.add_argument("dir", metavar="DIR", help="a folder written by `kgen train`")
    export.add_argument(
        "path", metavar="PATH", help="SavedModel folder to create, e.g. exports/vae/1"
    )
    export.add_argument("--overwrite", action="store_true", help="replace PATH if it exists")
    export.set_defaults(run=_export)

    info = commands.add_parser("info", help="print versions and whether the compiled ops are built")
    info.set_defaults(run=_info)
    return parser


# kgen train


def _train(args):
    prog = "kgen train"
    if args.model not in MODELS:
        raise UsageError(
            f"{prog}: error: `MODEL` must be one of {sorted(MODELS)}. "
            f"Received: MODEL={args.model!r}"
        )
    data_kind, data_arg = _parse_data_spec(args.data, prog)
    if args.latent_dim is None:
        args.latent_dim = 2 if data_kind == "toy2d" else DEFAULT_LATENT_DIMS.get(args.model, 2)
    for flag, value in (
        ("--epochs", args.epochs),
        ("--batch-size", args.batch_size),
        ("--latent-dim", args.latent_dim),
        ("--n-hidden", args.n_hidden),
        ("--time-steps", args.time_steps),
        ("--max-examples", 1 if args.max_examples is None else args.max_examples),
    ):
        if value < 1:
            raise UsageError(
                f"{prog}: error: `{flag}` must be an integer >= 1. Received: {flag}={value}"
            )
    if args.learning_rate is None:
        args.learning_rate = DEFAULT_LEARNING_RATES.get(args.model, 1e-3)
    if not (math.isfinite(args.learning_rate) and args.learning_rate > 0):
        raise UsageError(
            f"{prog}: error: `--learning-rate` must be a positive number. "
            f"Received: --learning-rate={args.learning_rate}"
        )
    if args.model in IMAGE_DATA_MODELS and data_kind == "toy2d":
        raise UsageError(
            f"{prog}: error: `MODEL` {args.model} needs image data (digits or mnist:PATH). "
            f"Received: --data={args.data!r}"
        )
    out = pathlib.Path(args.out).absolute()
    if out == pathlib.Path.cwd() or out in pathlib.Path.cwd().parents:
        raise UsageError(
            f"{prog}: error: `--out` must not be the current folder or one of its parents. "
            f"Received: --out={args.out!r}"
        )
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"{prog}: error: `--out` must be a folder. Received: --out={args.out!r} (a file)"
        )
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise UsageError(
            f"{prog}: error: `--out` must be a new or empty folder, or pass --overwrite. "
            f"Received: --out={args.out!r} (not empty)"
        )
    # A multi-worker strategy must exist before any other TensorFlow op.
    strategy = _make_strategy(args.strategy)
    (x_train, y_train), (x_val, y_val) = _load_data(data_kind, data_arg, args.seed, prog)
    if args.max_examples is not None:
        x_train, y_train = x_train[: args.max_examples], y_train[: args.max_examples]
        x_val, y_val = x_val[: args.max_examples], y_val[: args.max_examples]
    for name, array in (("training", x_train), ("validation", x_val)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        if bad:
            raise UsageError(
                f"{prog}: error: the {name} data must be finite numbers. "
                f"Received: {bad} NaN or infinite values in --data={args.data!r}"
            )
    args.num_classes = max(2, int(max(y_train.max(), y_val.max())) + 1)

    chief = _is_chief(strategy)
    created = _make_parents(out.parent)
    # Other workers train alike (and save checkpoints, for a resume of the
    # whole job) in their own folder, deleted at the end: the chief writes DIR.
    partial = _partial_dir(out, args, suffix="" if chief else f"-worker{_task_id(strategy)}")
    try:
        with strategy.scope():
            metrics = _train_into(partial, args, x_train, x_val, y_train, y_val)
        shutil.rmtree(partial / _BACKUP, ignore_errors=True)
        (partial / _ARGUMENTS).unlink(missing_ok=True)
        if not chief:
            shutil.rmtree(partial, ignore_errors=True)
            print(f"kgen train: worker {_task_id(strategy)} done (the chief writes {out})")
            return 0
        _replace_dir(partial, out)
    except BaseException as error:
        from kgen.checkpointing import read_metadata

        checkpoint = read_metadata(partial / _BACKUP)
        if checkpoint is None or isinstance(error, UsageError):
            shutil.rmtree(partial, ignore_errors=True)
            for folder in reversed(created):
                _remove_if_empty(folder)
        else:
            print(
                f"kgen train: stopped; the checkpoint after epoch {checkpoint['epoch']} is kept "
                f"in {partial / _BACKUP}: run the same command again to resume from it",
                file=sys.stderr,
            )
        raise
    held_out = metrics["held_out"].items()
    summary = ", ".join(
        f"{k}={v:.4g}" for k, v in held_out if isinstance(v, (int, float)) and not isinstance(v, bool)
    )
    print(f"kgen train: wrote {out} ({summary})")
    return 0


# The run folder while training: `.DIR.partial` beside `--out DIR`, with the
# checkpoint of `AtomicBackupAndRestore` in `backup/` and the arguments in
# `arguments.json`. Killed runs leave it behind; the same command resumes it.
_BACKUP = "backup"
_ARGUMENTS = "arguments.json"
# Arguments that may differ between a killed run and the one resuming it.
_RESUMABLE_CHANGES = ("verbose", "overwrite", "run")


def _make_strategy(name):
    """The `tf.distribute` strategy of `--strategy` (the default, one device, for None)."""
    from kgen.distribute import make_strategy

    return make_strategy(name)


def _task_id(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", 0) or 0)


def _is_chief(strategy):
    """True but on the non-chief workers of a multi-worker strategy."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if task_type in (None, "chief"):
        return True
    has_chief = "chief" in (resolver.cluster_spec().as_dict() if resolver else {})
    return task_type == "worker" and not has_chief and _task_id(strategy) == 0


def _no_tiny_last_batch(x, y, batch_size, replicas):
    """Drops the last `len(x) % batch_size` examples when fewer than `replicas`.

    Under a strategy, `fit` splits the last batch of an epoch between the
    replicas; with fewer rows than replicas one gets none, and TensorFlow's
    convolutions fail on an empty batch (docs/distributed.md).
    """
    remainder = len(x) % batch_size
    if 0 < remainder < replicas:
        print(f"kgen train: dropping the last {remainder} example(s) so that every replica "
              "gets rows of the last batch", file=sys.stderr)
        return x[: len(x) - remainder], y[: len(y) - remainder]
    return x, y


def _partial_dir(out, args, suffix=""):
    """Returns `.DIR.partial` for `--out DIR`: resumed if it holds a checkpoint of the same run.

    A leftover folder without a checkpoint, or from a run with other
    arguments, is deleted (with a note on stderr when it had a checkpoint)
    and training starts from scratch.
    """
    from kgen.checkpointing import read_metadata

    partial = out.parent / f".{out.name}.partial{suffix}"
    arguments = {k: v for k, v in vars(args).items() if k not in _RESUMABLE_CHANGES}
    if partial.is_dir():
        try:
            previous = json.loads((partial / _ARGUMENTS).read_text())
        except (OSError, ValueError):
            previous = None
        checkpoint = read_metadata(partial / _BACKUP)
        if checkpoint is not None and previous == arguments:
            print(
                f"kgen train: resuming from the checkpoint after epoch {checkpoint['epoch']} "
                f"in {partial / _BACKUP}",
                file=sys.stderr,
            )
            return partial
        if checkpoint is not None:
            print(
                f"kgen train: discarding the checkpoint in {partial / _BACKUP}: it was written "
                "by a run with other arguments",
                file=sys.stderr,
            )
        shutil.rmtree(partial)
    elif partial.exists():
        partial.unlink()
    partial.mkdir()
    (partial / _ARGUMENTS).write_text(json.dumps(arguments, indent=2, sort_keys=True) + "\n")
    return partial


def _parse_data_spec(spec, prog):
    """`"digits"`, `"mnist:PATH"`, `"toy2d"` or `"toy2d:NAME"` -> (kind, argument)."""
    kind, _, argument = spec.partition(":")
    if kind == "digits" and not argument:
        return kind, None
    if kind == "mnist" and argument:
        if not os.path.exists(argument):
            raise UsageError(
                f"{prog}: error: `--data mnist:PATH` must name an existing .npz file or folder. "
                f"Received: --data={spec!r} (no such file or folder)"
            )
        return kind, argument
    if kind == "toy2d" and argument in ("", *_TOY_NAMES):
        return kind, argument or "ring"
    raise UsageError(
        f"{prog}: error: `--data` must be digits, mnist:PATH or toy2d[:ring|grid]. "
        f"Received: --data={spec!r}"
    )


def _load_data(kind, argument, seed, prog):
    """Returns `(x_train, y_train), (x_val, y_val)`; malformed data files are usage errors.

    The labels `y` are the digit classes, or for toy2d the index of each
    point's mode.
    """
    from kgen import datasets

    if kind == "digits":
        return datasets.load_digits(test_fraction=_VALIDATION_FRACTION, seed=seed)
    if kind == "mnist":
        try:
            return datasets.load_mnist(argument)
        except ValueError as error:
            raise UsageError(f"{prog}: error: {error}") from error
    x, modes = datasets.toy_2d(argument, n=2000, seed=seed)
    num_val = int(round(_VALIDATION_FRACTION * len(x)))
    return (x[num_val:], modes[num_val:]), (x[:num_val], modes[:num_val])


def _train_into(run_dir, args, x_train, x_val, y_train=None, y_val=None):
    """Trains `args.model` and writes the whole run into `run_dir`; returns the metrics."""
    import keras

    from kgen.callbacks import GenerativePictures
    from kgen.callbacks import ModeCoverageCallback

    keras.utils.set_random_seed(args.seed)
    model = MODELS[args.model](tuple(x_train.shape[1:]), args)
    if args.model in BINARY_DATA_MODELS:
        from kgen.datasets import binarize

        x_train, x_val = binarize(x_train), binarize(x_val)
    images = x_train.ndim == 4
    value_range = (0.0, 1.0)
    if args.model in TANH_DATA_MODELS and images:
        from kgen.models.gan import to_tanh_range

        x_train, x_val = to_tanh_range(x_train), to_tanh_range(x_val)
        value_range = (-1.0, 1.0)
    labelled = args.model in LABELLED_DATA_MODELS
    callbacks = []
    toy_name = _toy_name(args.data)
    if toy_name is not None:
        # First, so that the callbacks after it (and History) log its numbers.
        from kgen import datasets

        callbacks.append(
            ModeCoverageCallback(
                datasets.toy_2d_centers(toy_name),
                datasets.TOY_2D_STD[toy_name],
                num_samples=_COVERAGE_SAMPLES,
                seed=args.seed,
                out_dir=run_dir / "pictures",
                tensorboard_dir=run_dir / "logs",
                real_points=x_val,
            )
        )
    # GenerativePictures also writes the epoch metrics to TensorBoard. It is
    # used instead of `keras.callbacks.TensorBoard`, which needs the
    # `tensorboard` package for `tf.summary.scalar` (not a kgen dependency).
    callbacks.append(
        GenerativePictures(
            run_dir / "pictures",
            x_val=x_val[:_NUM_RECONSTRUCTIONS],
            # A conditional GAN's samples cycle through the classes: 10 rows of
            # one sample per class.
            num_samples=10 * args.num_classes if labelled else 64,
            seed=args.seed,
            tensorboard_dir=run_dir / "logs",
            # An ELBO curve for models with one (-loss is the ELBO); else every
            # metric (a GAN's d_loss, g_loss, ...).
            curves="elbo" if callable(getattr(model, "elbo", None)) else "metrics",
            value_range=value_range,
        )
    )
    # First, so that no callback saves the weights of a step that made them
    # NaN; last, so that a restored checkpoint is saved after the pictures.
    from kgen.checkpointing import AtomicBackupAndRestore
    from kgen.checkpointing import StopOnNonFinite

    backup = AtomicBackupAndRestore(run_dir / _BACKUP)
    callbacks = [StopOnNonFinite(), *callbacks, backup]
    # Each discriminator (critic) step of a GAN sees --batch-size examples.
    fit_batch_size = args.batch_size * getattr(model, "d_steps", 1)
    replicas = model.distribute_strategy.num_replicas_in_sync
    if replicas > 1:
        x_train, y_train = _no_tiny_last_batch(x_train, y_train, fit_batch_size, replicas)
        x_val, y_val = _no_tiny_last_batch(x_val, y_val, fit_batch_size, replicas)
    history = model.fit(
        x_train,
        y_train if labelled else None,
        validation_data=(x_val, y_val) if labelled else (x_val,),
        epochs=args.epochs,
        batch_size=fit_batch_size,
        verbose=args.verbose,
        callbacks=callbacks,
    )
    held_out = _held_out_metrics(model, x_val, args.batch_size, y_val if labelled else None, args.seed)
    if toy_name is not None:
        held_out.update(_coverage_metrics(model, toy_name, args.seed))
    metrics = {
        "model": args.model,
        "data": args.data,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "num_train": int(len(x_train)),
        "num_validation": int(len(x_val)),
        "units": _units(model),
        "resumed_after_epoch": backup.restored_epoch,
        "train": {k: v[-1] for k, v in history.history.items() if not k.startswith("val_")},
        "validation": {k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        "held_out": held_out,
    }
    if callable(getattr(model, "canvas_sequence", None)):
        _write_canvas_pictures(model, x_val[:_NUM_RECONSTRUCTIONS], run_dir / "pictures", args.seed)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    model.save(run_dir / "model.keras")
    if callable(getattr(model, "export", None)):
        model.export(os.fspath(run_dir / "saved_model"))
    return metrics


def _write_canvas_pictures(model, x_val, folder, seed):
    """DRAW: the canvas after each step, as a grid and an animated GIF, windows drawn.

    `generation_steps.png` / `generation.gif`: 16 images painted from the
    prior, the write window in green; `reconstruction_steps.png` /
    `reconstruction.gif`: held-out images painted back, read windows in red.
    """
    from kgen import plotting

    painted = model.canvas_sequence(16, seed=seed)
    windows = [None, painted["write_windows"]]  # write in green, as in reconstructions
    plotting.save_png(folder / "generation_steps.png",
                      plotting.canvas_sequence_grid(painted["canvases"], windows))
    plotting.save_canvas_gif(folder / "generation.gif", painted["canvases"], windows)
    seen = model.reconstruct_sequence(x_val, seed=seed)
    windows = [seen["read_windows"], seen["write_windows"]]
    plotting.save_png(folder / "reconstruction_steps.png",
                      plotting.canvas_sequence_grid(seen["canvases"], windows))
    plotting.save_canvas_gif(folder / "reconstruction.gif", seen["canvases"], windows)


def _toy_name(data):
    """`"ring"` or `"grid"` for `--data toy2d[:NAME]`, else None."""
    kind, _, argument = data.partition(":")
    return (argument or "ring") if kind == "toy2d" else None


def _units(model):
    """What the numbers in metrics.json measure, in words."""
    if callable(getattr(model, "bits_per_dim", None)):
        return "log_prob: nats per example; bits_per_dim: bits per pixel (or coordinate)"
    if callable(getattr(model, "elbo", None)) or callable(getattr(model, "log_likelihood", None)):
        return "nats per example"
    if hasattr(model, "critic"):
        return "critic units (d_loss, g_loss, wasserstein: the critic's outputs)"
    return "nats (d_loss, g_loss, value: batch means of log-losses)"


def _coverage_metrics(model, toy_name, seed):
    """Modes of a toy mixture covered by `_COVERAGE_SAMPLES` samples of `model`."""
    from kgen import datasets
    from kgen import diagnostics

    centers = datasets.toy_2d_centers(toy_name)
    samples = np.asarray(model.sample(_COVERAGE_SAMPLES, seed=seed), dtype=np.float32)
    coverage = diagnostics.mode_coverage(samples, centers, datasets.TOY_2D_STD[toy_name])
    return {
        "modes_covered": coverage.modes_covered,
        "num_modes": int(len(centers)),
        "high_quality_fraction": coverage.high_quality_fraction,
        "coverage_num_samples": _COVERAGE_SAMPLES,
        "coverage_rule": (
            "high quality: within 3 std of the nearest centre; covered: at least "
            f"{coverage.min_count:g} high-quality samples (a fifth of n / K, PacGAN)"
        ),
    }


def _held_out_metrics(model, x_val, batch_size, y_val=None, seed=0):
    """Held-out numbers on `x_val`: bounds on log p(x) in nats per example, or a GAN's value.

    GANs have no likelihood: they report `value` (the Monte Carlo estimate
    of the game's value `V(D, G)` on `x_val` and as many samples, in nats;
    `-log 4 = -1.386` at the equilibrium) or, for WGAN-GP, `wasserstein`
    (the critic's estimate of the distance, `mean D(x) - mean D(G(z))`).
    """
    metrics = {}
    if callable(getattr(model, "value", None)):
        value = model.value(x_val, seed=seed) if y_val is None else model.value(x_val, y_val, seed=seed)
        name = "wasserstein" if hasattr(model, "critic") else "value_nats"
        metrics[name] = float(np.asarray(value))
    if callable(getattr(model, "bits_per_dim", None)):
        # A flow's exact density (of the dequantised data, for discrete pixels).
        log_prob = np.concatenate(
            [np.asarray(model.log_prob(x_val[i : i + batch_size], seed=seed))
             for i in range(0, len(x_val), batch_size)]
        )
        metrics["log_prob_nats"] = float(np.mean(log_prob))
        bits = np.concatenate(
            [np.asarray(model.bits_per_dim(x_val[i : i + batch_size], seed=seed))
             for i in range(0, len(x_val), batch_size)]
        )
        metrics["bits_per_dim"] = float(np.mean(bits))
    if callable(getattr(model, "elbo", None)):
        elbo = [
            np.asarray(model.elbo(x_val[i : i + batch_size]))
            for i in range(0, len(x_val), batch_size)
        ]
        metrics["elbo_nats"] = float(np.mean(np.concatenate(elbo)))
    if callable(getattr(model, "log_likelihood", None)):
        # Importance-weighted models take a number of samples; the RBM's is
        # exact or uses AIS for log Z.
        if "num_samples" in inspect.signature(model.log_likelihood).parameters:
            log_likelihood = model.log_likelihood(x_val, num_samples=_LOG_LIKELIHOOD_SAMPLES)
            metrics["log_likelihood_num_samples"] = _LOG_LIKELIHOOD_SAMPLES
        else:
            log_likelihood = model.log_likelihood(x_val)
        metrics["log_likelihood_nats"] = float(np.mean(np.asarray(log_likelihood)))
    return metrics


def _make_parents(folder):
    """Creates `folder` and its missing parents; returns those created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    missing.reverse()
    for path in missing:
        path.mkdir()
    return missing


def _remove_if_empty(folder):
    try:
        folder.rmdir()
    except OSError:
        pass


def _replace_dir(source, target):
    """Renames `source` to `target`; an existing `target` is moved aside, then deleted."""
    if not target.exists():
        os.replace(source, target)
        return
    old = pathlib.Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, old / target.name)
    try:
        os.replace(source, target)
    except BaseException:
        os.replace(old / target.name, target)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


# kgen sample and kgen export


def _load_run(run_dir, prog):
    path = pathlib.Path(run_dir) / "model.keras"
    if not path.is_file():
        raise UsageError(
            f"{prog}: error: `DIR` must be a folder written by `kgen train` (holding model.keras). "
            f"Received: DIR={run_dir!r}"
        )
    import keras

    import kgen.models  # noqa: F401  (registers kgen's classes for loading)

    return keras.saving.load_model(path)


def _sample(args):
    prog = "kgen sample"
    if args.n < 1:
        raise UsageError(f"{prog}: error: `--n` must be an integer >= 1. Received: --n={args.n}")
    out = args.out if args.out is not None else os.path.join(args.dir, "samples.png")
    if not out.lower().endswith(".png"):
        raise UsageError(f"{prog}: error: `--out` must be a .png file. Received: --out={out!r}")
    model = _load_run(args.dir, prog)

    import keras

    from kgen import plotting

    from kgen.models.gan import GAN

    samples = np.asarray(keras.ops.convert_to_numpy(model.sample(args.n, seed=args.seed)))
    if samples.ndim == 2 and samples.shape[1] == 2:
        picture = plotting.scatter_image(samples, title=f"{args.n} samples")
    else:
        if isinstance(model, GAN):
            # GAN generators end in tanh: [-1, 1] back to [0, 1].
            samples = (samples + 1.0) / 2.0
        picture = plotting.image_grid(samples, scale=plotting.auto_scale(samples.shape[1]))
    plotting.save_png(out, picture)
    print(f"kgen sample: wrote {out}")
    return 0


def _export(args):
    prog = "kgen export"
    if os.path.exists(args.path) and not args.overwrite:
        raise UsageError(
            f"{prog}: error: `PATH` must not exist, or pass --overwrite. "
            f"Received: PATH={args.path!r} (exists)"
        )
    model = _load_run(args.dir, prog)
    if not callable(getattr(model, "export", None)):
        raise UsageError(f"{prog}: error: the model in {args.dir!r} has no `export` method")
    path = model.export(args.path, overwrite=args.overwrite)
    print(f"kgen export: wrote {path}")
    return 0


# kgen info


def _info(args):
    import keras
    import tensorflow as tf

    import kgen

    lines = [
        ("kgen", kgen.__version__),
        ("python", platform.python_version()),
        ("tensorflow", tf.__version__),
        ("keras", keras.__version__),
        ("tensorflow-probability", _distribution_version("tensorflow-probability")),
        ("numpy", np.__version__),
    ]
    lines += _ops_status()
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        print(f"{name + ':':<{width + 1}} {value}")
    return 0


def _distribution_version(name):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _ops_status():
    """(name, status) lines for kgen's compiled ops; never raises."""
    try:
        import kgen_ops
    except Exception as error:  # a missing or broken build must not break `info`
        reason = f"not built ({type(error).__name__}: {error})"
        return [("op library", reason), ("cuda kernels", "not built")]
    lines = []
    try:
        if kgen_ops.op_library_loaded():
            lines.append(("op library", f"loaded ({kgen_ops.library_path()})"))
        elif kgen_ops.library_path() is None:
            lines.append(("op library", "not built"))
        else:
            lines.append(("op library", f"built but failed to load ({kgen_ops.library_path()})"))
    except Exception as error:
        lines.append(("op library", f"not built ({type(error).__name__}: {error})"))
    native = getattr(kgen_ops, "native", None)
    try:
        if native is None:
            lines.append(("native module", "not built"))
            lines.append(("cuda kernels", "not built"))
        else:
            lines.append(("native module", "built"))
            lines.append(("cpu kernels", f"{native.cpu_isa()} build in use"))
            if not native.built_with_cuda():
                lines.append(("cuda kernels", "not built"))
            else:
                devices = native.cuda_device_count()
                usable = f"{devices} CUDA device(s)" if devices else "no CUDA device found"
                lines.append(("cuda kernels", f"built ({usable})"))
    except Exception as error:
        lines.append(("cuda kernels", f"unknown ({type(error).__name__}: {error})"))
    return lines


if __name__ == "__main__":
    sys.exit(main())
