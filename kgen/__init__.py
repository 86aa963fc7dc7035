"""kgen: deep generative models for Keras 3 with a compiled C++/CUDA core.

Public surface:

- `kgen.models`: Keras `Model` subclasses (VAE, ...), trained with `fit`.
- `kgen.layers`: Keras 3 layers that emit `tfp.distributions` objects, and
  `ImagePool`, a history of generated images for a discriminator.
- `kgen.datasets`: the embedded 8x8 digits, MNIST from a path, 2D toys.
- `kgen.distribute`: `make_strategy` for training on several devices or hosts.
- `kgen.evaluation`: held-out metrics (ELBO, log-likelihood, a GAN's value).
- `kgen.metrics`: sample quality (FID, KID, precision/recall, classifier score).
- `kgen.schedules`: the papers' learning-rate schedules (CycleGAN's linear decay).
- `kgen_ops` (a sibling package): the compiled Philox / Gibbs ops.

`import kgen` imports `datasets`, `distribute`, `layers` and `models` (and
with them TensorFlow), so that `keras.saving.load_model` finds kgen's
classes; the other submodules (`callbacks`, `diagnostics`, `evaluation`,
`metrics`, `registry`, `serving`) are imported on first access.

The `kgen` command is the exception: it parses its arguments before it
needs a model, so when the process is the `kgen` console script (or
`KGEN_LAZY_IMPORT=1` is set) every submodule is imported on first access
and `kgen --help` answers without loading TensorFlow.
"""

import importlib as _importlib
import os as _os
import sys as _sys

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

_SUBMODULES = (
    "callbacks",
    "datasets",
    "diagnostics",
    "distribute",
    "evaluation",
    "layers",
    "metrics",
    "models",
    "registry",
    "schedules",
    "serving",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"kgen.{name}")  # also sets kgen.<name>
    raise AttributeError(f"module 'kgen' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_SUBMODULES})


def _lazy():
    """True for the `kgen` console script and under `KGEN_LAZY_IMPORT=1`."""
    argv = getattr(_sys, "argv", None) or [""]
    return _os.environ.get("KGEN_LAZY_IMPORT") == "1" or _os.path.basename(argv[0]) == "kgen"


if not _lazy():
    # Registers kgen's classes with Keras for loading (`load_model`).
    from kgen import datasets  # noqa: E402,F401
    from kgen import distribute  # noqa: E402,F401
    from kgen import layers  # noqa: E402,F401
    from kgen import models  # noqa: E402,F401
