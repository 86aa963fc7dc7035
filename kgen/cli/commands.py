"""`kgen sample`, `kgen export` and `kgen info`: what is done with a trained run, and versions."""

import os
import pathlib
import platform

import numpy as np

from kgen.cli.parser import UsageError
from kgen.cli.parser import check_writable


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


def sample(args):
    """`kgen sample DIR`: a PNG grid of samples (a scatter plot for 2-D points).

    The grid is enlarged `--scale` times (default `plotting.legible_scale`).
    A conditional model's grid has one column per class, labelled, or with
    `--label K` only samples of class `K`, the class in the title.
    """
    prog = "kgen sample"
    for flag, value, minimum in (("--n", args.n, 1), ("--scale", args.scale, 1), ("--label", args.label, 0)):
        if value is not None and value < minimum:
            raise UsageError(
                f"{prog}: error: `{flag}` must be an integer >= {minimum}. Received: {flag}={value}")
    out = args.out if args.out is not None else os.path.join(args.dir, "samples.png")
    if not out.lower().endswith(".png"):
        raise UsageError(f"{prog}: error: `--out` must be a .png file. Received: --out={out!r}")
    if os.path.isdir(out):
        raise UsageError(f"{prog}: error: `--out` must be a .png file. Received: --out={out!r} (a folder)")
    check_writable(out, "--out", prog)
    model = _load_run(args.dir, prog)

    import keras

    from kgen import plotting
    from kgen.models import _protocols

    if isinstance(model, _protocols.Translator):
        raise UsageError(
            f"{prog}: error: `DIR` must hold a model that draws samples. Received: a "
            f"{type(model).__name__} in {args.dir!r}, which translates images: see its "
            "pictures/translations_*.png, or call translate_a_to_b(x) on model.keras")
    if not isinstance(model, _protocols.Sampler):
        raise UsageError(f"{prog}: error: the model in {args.dir!r} has no `sample` method")
    num_classes = getattr(model, "num_classes", None) if getattr(model, "labelled", False) else None
    if args.label is not None:
        if num_classes is None:
            raise UsageError(
                f"{prog}: error: `--label` needs a conditional model (cgan). "
                f"Received: --label={args.label} for the {type(model).__name__} in {args.dir!r}")
        if args.label >= num_classes:
            raise UsageError(
                f"{prog}: error: `--label` must be a class in [0, {num_classes}). Received: --label={args.label}")
        samples = model.generate(np.full(args.n, args.label, "int32"), seed=args.seed)
    else:
        samples = model.sample(args.n, seed=args.seed)
    samples = np.asarray(keras.ops.convert_to_numpy(samples))
    if samples.ndim == 2 and samples.shape[1] == 2:
        picture = plotting.scatter_image(samples, title=f"{args.n} samples")
    else:
        # Onto [0, 1]: a tanh generator's samples are in [-1, 1].
        low, high = model.sample_value_range
        if np.isfinite(low) and np.isfinite(high):
            samples = (samples - low) / (high - low)
        picture = _sample_grid(samples, args, num_classes)
    _save_png_atomically(out, picture, prog)
    print(f"kgen sample: wrote {out}")
    return 0


def _save_png_atomically(out, picture, prog):
    """`plotting.save_png` into a temporary file beside `out`, then renamed: `out` is never half-written."""
    from kgen import plotting

    folder, name = os.path.split(os.path.abspath(out))
    temporary = os.path.join(folder, f".{name}.tmp-{os.getpid()}.png")
    try:
        os.makedirs(folder, exist_ok=True)
        try:
            plotting.save_png(temporary, picture)
            os.replace(temporary, out)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise UsageError(
            f"{prog}: error: `--out` must be a .png file that can be written. "
            f"Received: --out={out!r} ({error})"
        ) from error


def _sample_grid(samples, args, num_classes):
    """The grid of `kgen sample`: labelled columns (one per class) for a conditional model."""
    from kgen import plotting

    by_class = num_classes is not None and args.label is None
    ncols = min(num_classes, len(samples)) if by_class else None
    scale = args.scale or plotting.legible_scale(samples.shape[1:], len(samples), ncols)
    grid = plotting.image_grid(samples, ncols=ncols, scale=scale)
    tile_shape = (samples.shape[1] * scale, samples.shape[2] * scale)
    if by_class:
        return plotting.annotate_grid(
            grid, tile_shape, column_labels=range(ncols), title="samples by class (column: class label)")
    if args.label is not None:
        return plotting.annotate_grid(grid, tile_shape, title=f"class {args.label}")
    return grid


def export(args):
    """`kgen export DIR PATH`: the run's model as a SavedModel with its serving signatures."""
    prog = "kgen export"
    if os.path.exists(args.path) and not args.overwrite:
        raise UsageError(
            f"{prog}: error: `PATH` must not exist, or pass --overwrite. "
            f"Received: PATH={args.path!r} (exists)"
        )
    check_writable(args.path, "PATH", prog)
    model = _load_run(args.dir, prog)
    try:
        path = model.export(args.path, overwrite=args.overwrite)
    except OSError as error:  # checked by check_writable, unless it changed since
        raise UsageError(
            f"{prog}: error: `PATH` must be a folder that can be written. "
            f"Received: PATH={args.path!r} ({error})"
        ) from error
    print(f"kgen export: wrote {path}")
    return 0


def info(args):
    """`kgen info`: versions, and whether the compiled ops are built and load."""
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
