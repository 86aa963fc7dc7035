"""kgen: deep generative models for Keras 3 with a compiled C++/CUDA core.

Public surface:

- `kgen.models`: Keras `Model` subclasses (VAE, ...), trained with `fit`.
- `kgen.layers`: Keras 3 layers that emit `tfp.distributions` objects.
- `kgen.datasets`: the embedded 8x8 digits, MNIST from a path, 2D toys.
- `kgen.distribute`: `make_strategy` for training on several devices or hosts.
- `kgen.evaluation`: held-out metrics (ELBO, log-likelihood, a GAN's value).
- `kgen_ops` (a sibling package): the compiled Philox / Gibbs ops.

The subpackages are imported on first access (`kgen.models` imports
TensorFlow), so `import kgen` is instant and `kgen --help` answers at once.
Access `kgen.models` (or import it) before `keras.saving.load_model` so that
kgen's classes are registered.
"""

import importlib as _importlib
import os as _os

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

_SUBMODULES = (
    "callbacks",
    "datasets",
    "diagnostics",
    "distribute",
    "evaluation",
    "layers",
    "models",
    "registry",
    "serving",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"kgen.{name}")  # also sets kgen.<name>
    raise AttributeError(f"module 'kgen' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_SUBMODULES})
