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
    """`kgen sample DIR`: a PNG grid of samples (a scatter plot for 2-D points)."""
    prog = "kgen sample"
    if args.n < 1:
        raise UsageError(f"{prog}: error: `--n` must be an integer >= 1. Received: --n={args.n}")
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

    if not isinstance(model, _protocols.Sampler):
        raise UsageError(f"{prog}: error: the model in {args.dir!r} has no `sample` method")
    samples = np.asarray(keras.ops.convert_to_numpy(model.sample(args.n, seed=args.seed)))
    if samples.ndim == 2 and samples.shape[1] == 2:
        picture = plotting.scatter_image(samples, title=f"{args.n} samples")
    else:
        # Onto [0, 1]: a tanh generator's samples are in [-1, 1].
        low, high = model.sample_value_range
        if np.isfinite(low) and np.isfinite(high):
            samples = (samples - low) / (high - low)
        picture = plotting.image_grid(samples, scale=plotting.auto_scale(samples.shape[1]))
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
