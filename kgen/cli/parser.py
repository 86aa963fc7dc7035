"""The grammar of `kgen`: its commands and flags, built from `kgen.registry`, and their checks.

The models, their flags and their default learning rates and latent
dimensions are read from the registry's rows, so a new row appears in
`kgen train --help` without an edit here. This module imports the standard
library and `kgen.registry` only: `kgen --help` and every usage error answer
before TensorFlow is imported.
"""

import argparse
import math
import os
import pathlib
import re
import tempfile

from kgen import registry

TOY_NAMES = ("ring", "grid")  # the mixtures of `kgen.datasets.toy_2d`
COLOR_MODES = ("grayscale", "rgb")  # of `kgen.datasets.load_images` and `load_npz`
_DATA_HELP = (
    "digits (default), mnist:PATH (a .npz or IDX folder), toy2d[:ring|grid], "
    "images:DIR (image files, class sub-folders as labels), "
    "npz:PATH[:KEY[:LABEL_KEY]] (any array of images, uint8 or floats in [0, 1])"
)
_DATA_FORMS = "digits, mnist:PATH, toy2d[:ring|grid], images:DIR or npz:PATH[:KEY[:LABEL_KEY]]"
# The kinds of --data that --image-size and --color-mode apply to.
_OWN_IMAGES = ("images", "npz")
# K of the held-out IWAE bound of `kgen train`: each draw costs about one
# ELBO pass over the validation split, so 10 keeps DRAW's held-out step to a
# fraction of one training epoch; the bound is already tighter than the ELBO.
IMPORTANCE_SAMPLES = 10


class UsageError(Exception):
    """A bad command-line argument: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` that raises `UsageError` instead of printing usage and exiting."""

    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message}")


def make_parser():
    """The `kgen` parser; `parse_args` sets `command` (train, sample, export, info; None if missing)."""
    parser = _Parser(prog="kgen", description="Deep generative models for Keras 3.")
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(commands)

    sample = commands.add_parser("sample", help="draw samples from a trained run into a PNG grid")
    sample.add_argument("dir", metavar="DIR", help="a folder written by `kgen train`")
    sample.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", default=None, help="PNG file to write (default DIR/samples.png)")
    sample.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    sample.add_argument("--scale", type=int, default=None, metavar="S", help=(
        "pixels per image pixel (default: tiles at least 28 pixels tall, the grid at least "
        "256 pixels wide)"))
    sample.add_argument("--label", type=int, default=None, metavar="K", help=(
        "a conditional model (cgan): draw every sample of class K (default: one column per class)"))

    export = commands.add_parser("export", help="export a trained run as a SavedModel for TF Serving")
    export.add_argument("dir", metavar="DIR", help="a folder written by `kgen train`")
    export.add_argument("path", metavar="PATH", help="SavedModel folder to create, e.g. exports/vae/1")
    export.add_argument("--overwrite", action="store_true", help="replace PATH if it exists")

    commands.add_parser("info", help="print versions and whether the compiled ops are built")
    return parser


def _add_train(commands):
    entries = registry.entries()
    train = commands.add_parser(
        "train",
        help="train a model and save it with pictures and metrics",
        epilog="models:\n" + "\n".join(f"  {e.name:<8} {e.summary}" for e in entries),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("model", metavar="MODEL", help=f"one of: {', '.join(sorted(registry.names()))}")
    train.add_argument("--data", default="digits", help=_DATA_HELP)
    train.add_argument("--data-a", default=None, metavar="DATA", help=(
        "cyclegan, discogan: the images of domain A, in a form of --data (default: --data)"))
    train.add_argument("--data-b", default=None, metavar="DATA", help=(
        "cyclegan, discogan: the images of domain B, in a form of --data (default: domain A's "
        "grey images in colour, kgen.datasets.colour_digits)"))
    train.add_argument("--image-size", default=None, metavar="N|HxW", help=(
        "with images:DIR or npz:PATH, resize the images to N x N or H x W pixels "
        "(default: keep their size, which must then be one for all)"))
    train.add_argument("--color-mode", choices=COLOR_MODES, default=None, help=(
        "with images:DIR or npz:PATH, 1 or 3 channels (default: as stored; a folder "
        "is grayscale if every image is grey)"))
    train.add_argument("--epochs", type=int, default=30, help="passes over the data (default 30)")
    train.add_argument("--batch-size", type=int, default=64, help="examples per step (default 64)")
    train.add_argument("--out", required=True, metavar="DIR", help="folder to write the run into")
    train.add_argument("--seed", type=int, default=0, help="seeds weights, shuffling and noise (default 0)")
    train.add_argument("--latent-dim", type=int, default=None, help=(
        f"latent dimension (default {_defaults_by_model(entries, 'latent_dim')}; 2 on toy2d)"))
    for flag in registry.FLAGS.values():
        kwargs = dict(flag.kwargs)
        if kwargs.get("action") == "boolean_optional":
            kwargs["action"] = argparse.BooleanOptionalAction
        train.add_argument(flag.name, **kwargs)
    train.add_argument("--learning-rate", type=float, default=None, help=(
        f"optimizer step size (default {_defaults_by_model(entries, 'learning_rate')})"))
    train.add_argument(
        "--strategy",
        choices=("mirrored", "multiworker"),
        default=None,
        help="train on all devices of this host (mirrored) or on the hosts of TF_CONFIG "
        "(multiworker); --batch-size is then the global batch (docs/distributed.md)",
    )
    train.add_argument(
        "--sample-quality", action=argparse.BooleanOptionalAction, default=True,
        help="on labelled images, score the samples with a digit classifier trained on the "
        "training split: FID, KID, precision/recall, classes predicted (default on)")
    train.add_argument("--sample-quality-samples", type=int, default=1000, metavar="N", help=(
        "samples scored, against as many validation images at most (default 1000)"))
    train.add_argument("--importance-samples", type=int, default=IMPORTANCE_SAMPLES, metavar="K", help=(
        "vae, draw: K of the held-out importance-weighted log-likelihood bound (default "
        f"{IMPORTANCE_SAMPLES}; each costs about one ELBO pass over the validation split: "
        "more is tighter and slower)"))
    # Trains on the first N training (and validation) examples: for tests.
    train.add_argument("--max-examples", type=int, default=None, help=argparse.SUPPRESS)
    train.add_argument("--overwrite", action="store_true", help="replace DIR if it exists")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                       help="Keras fit verbosity (default 1: progress bar)")


def _defaults_by_model(entries, field):
    """`"1e-3 (vae, flow), 0.02 (rbm), ..."`: a row attribute's values and the models with each."""
    models = {}
    for entry in entries:
        value = getattr(entry, field)
        if value is not None:
            models.setdefault(value, []).append(entry.name)
    return ", ".join(f"{_number(value)} ({', '.join(names)})" for value, names in models.items())


def _number(value):
    """`32`, `0.02`, `3e-3`: as a command line would spell it."""
    return f"{value:g}" if value >= 0.01 else f"{value:.0e}".replace("e-0", "e-")


def check_train(args, prog="kgen train"):
    """Checks the arguments of `kgen train` and fills in the row's defaults.

    Sets `args.latent_dim` and `args.learning_rate` when not given. Reads
    the file system (`--out`, `mnist:PATH`) but imports no TensorFlow.

    Returns:
        `(entry, (data_kind, data_argument))`: the model's `registry.ModelEntry`
        and `--data` parsed by `parse_data_spec`.

    Raises:
        UsageError: one line, "kgen train: error: `FLAG` must be ... Received: ...".
    """
    if args.model not in registry.names():
        raise UsageError(
            f"{prog}: error: `MODEL` must be one of {sorted(registry.names())}. "
            f"Received: MODEL={args.model!r}"
        )
    entry = registry.get(args.model)
    data_kind, data_argument = parse_data_spec(args.data, prog)
    if args.latent_dim is None and entry.latent_dim is not None:
        args.latent_dim = 2 if data_kind == "toy2d" else entry.latent_dim
    int_flags = [flag for flag in registry.FLAGS.values() if flag.kwargs.get("type") is int]
    for flag, value in (
        ("--epochs", args.epochs),
        ("--batch-size", args.batch_size),
        ("--latent-dim", args.latent_dim),
        *((flag.name, getattr(args, flag.dest)) for flag in int_flags),
        ("--max-examples", args.max_examples),
        ("--importance-samples", args.importance_samples),
    ):
        if value is not None and value < 1:
            raise UsageError(f"{prog}: error: `{flag}` must be an integer >= 1. Received: {flag}={value}")
    if args.sample_quality_samples < 4:  # precision/recall's balls need k = 3 neighbours
        raise UsageError(
            f"{prog}: error: `--sample-quality-samples` must be an integer >= 4. "
            f"Received: --sample-quality-samples={args.sample_quality_samples}"
        )
    if args.learning_rate is None:
        args.learning_rate = entry.learning_rate
    if not (math.isfinite(args.learning_rate) and args.learning_rate > 0):
        raise UsageError(
            f"{prog}: error: `--learning-rate` must be a positive number. "
            f"Received: --learning-rate={args.learning_rate}"
        )
    domains = {"--data-a": args.data_a, "--data-b": args.data_b}
    for flag, value in domains.items():
        if value is not None and not entry.data.two_domains:
            raise UsageError(
                f"{prog}: error: `{flag}` applies to the models of two domains "
                f"({', '.join(e.name for e in registry.entries() if e.data.two_domains)}). "
                f"Received: {flag}={value!r} with MODEL {args.model}"
            )
    if entry.data.two_domains:
        if args.data_a is not None:
            data_kind, data_argument = parse_data_spec(args.data_a, prog, flag="--data-a")
        args.data_b_spec = None if args.data_b is None else parse_data_spec(
            args.data_b, prog, flag="--data-b")
        if "toy2d" in (data_kind, (args.data_b_spec or ("",))[0]):
            raise UsageError(
                f"{prog}: error: `MODEL` {args.model} needs images in both domains (digits, "
                f"mnist:PATH, images:DIR or npz:PATH). Received: --data-a="
                f"{args.data_a or args.data!r}, --data-b={args.data_b!r}"
            )
    if entry.data.images_only and data_kind == "toy2d":
        raise UsageError(
            f"{prog}: error: `MODEL` {args.model} needs image data (digits, mnist:PATH, "
            f"images:DIR or npz:PATH). Received: --data={args.data!r}"
        )
    own_images = data_kind in _OWN_IMAGES or (
        entry.data.two_domains and (getattr(args, "data_b_spec", None) or ("",))[0] in _OWN_IMAGES)
    for flag, value in (("--image-size", args.image_size), ("--color-mode", args.color_mode)):
        if value is not None and not own_images:
            raise UsageError(
                f"{prog}: error: `{flag}` applies to --data images:DIR or npz:PATH. "
                f"Received: {flag}={value} with --data={args.data!r}"
            )
    parse_image_size(args.image_size, prog)
    _check_out(args, prog)
    return entry, (data_kind, data_argument)


def parse_image_size(text, prog="kgen train"):
    """`--image-size`: `None`, `"N"` or `"HxW"` -> `None` or `(height, width)`."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?", text)
    size = None if match is None else (int(match[1]), int(match[2] or match[1]))
    if size is None or min(size) < 1:
        raise UsageError(
            f"{prog}: error: `--image-size` must be N or HxW, integers >= 1 (e.g. 64 or 48x64). "
            f"Received: --image-size={text!r}"
        )
    return size


def parse_data_spec(spec, prog="kgen train", flag="--data"):
    """`--data` -> `(kind, argument)`; checks that the files it names exist.

    `"digits"` -> `("digits", None)`; `"mnist:PATH"` -> `("mnist", PATH)`;
    `"toy2d[:NAME]"` -> `("toy2d", NAME)`; `"images:DIR"` -> `("images", DIR)`;
    `"npz:PATH[:KEY[:LABEL_KEY]]"` -> `("npz", (PATH, KEY, LABEL_KEY))`, the
    keys None when not given (a PATH holding ":" is read whole first).
    """
    kind, _, argument = spec.partition(":")
    if kind == "digits" and not argument:
        return kind, None
    if kind == "mnist" and argument:
        if not os.path.exists(argument):
            raise UsageError(
                f"{prog}: error: `{flag} mnist:PATH` must name an existing .npz file or folder. "
                f"Received: {flag}={spec!r} (no such file or folder)"
            )
        return kind, argument
    if kind == "toy2d" and argument in ("", *TOY_NAMES):
        return kind, argument or "ring"
    if kind == "images" and argument:
        if not os.path.isdir(argument):
            state = "a file" if os.path.exists(argument) else "no such folder"
            raise UsageError(
                f"{prog}: error: `{flag} images:DIR` must name an existing folder of images. "
                f"Received: {flag}={spec!r} ({state})"
            )
        return kind, argument
    if kind == "npz" and argument:
        return kind, _parse_npz_argument(spec, argument, prog, flag)
    raise UsageError(f"{prog}: error: `{flag}` must be {_DATA_FORMS}. Received: {flag}={spec!r}")


def _parse_npz_argument(spec, argument, prog, flag="--data"):
    """`PATH[:KEY[:LABEL_KEY]]` -> `(PATH, KEY or None, LABEL_KEY or None)`, PATH an existing file."""
    for num_keys in range(3):
        path, *keys = argument.rsplit(":", num_keys) if num_keys else [argument]
        if len(keys) == num_keys and os.path.isfile(path):
            if "" in keys:
                raise UsageError(
                    f"{prog}: error: `{flag} npz:PATH:KEY[:LABEL_KEY]` must name non-empty array "
                    f"names. Received: {flag}={spec!r}"
                )
            return (path, *keys, *([None] * (2 - num_keys)))
    state = "a folder" if os.path.isdir(argument) else "no such file"
    raise UsageError(
        f"{prog}: error: `{flag} npz:PATH[:KEY[:LABEL_KEY]]` must name an existing .npz file. "
        f"Received: {flag}={spec!r} ({state})"
    )


def check_writable(path, flag, prog):
    """Raises `UsageError` unless the folder holding `path` exists or can be created, and is writable.

    The nearest existing folder above `path` must be a folder in which a
    temporary folder can be made (tried, then removed): this catches a
    file in the way, a missing permission, a read-only or pseudo file
    system (`/proc`) before any work is done, and leaves nothing behind.
    """
    ancestor = pathlib.Path(path).absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(
            f"{prog}: error: `{flag}` must be a path whose folders can be created. "
            f"Received: {flag}={str(path)!r} ({str(ancestor)!r} is a file)"
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".kgen-write-check-", dir=ancestor))
    except OSError as error:
        raise UsageError(
            f"{prog}: error: `{flag}` must be a path that can be written. "
            f"Received: {flag}={str(path)!r} (cannot write in {str(ancestor)!r}: "
            f"{error.strerror or error})"
        ) from error


def _check_out(args, prog):
    out = pathlib.Path(args.out).absolute()
    if out == pathlib.Path.cwd() or out in pathlib.Path.cwd().parents:
        raise UsageError(
            f"{prog}: error: `--out` must not be the current folder or one of its parents. "
            f"Received: --out={args.out!r}"
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"{prog}: error: `--out` must be a folder. Received: --out={args.out!r} (a file)")
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise UsageError(
            f"{prog}: error: `--out` must be a new or empty folder, or pass --overwrite. "
            f"Received: --out={args.out!r} (not empty)"
        )
    check_writable(out, "--out", prog)
