"""kgen: deep generative models for Keras 3 with a compiled C++/CUDA core.

Public surface:

- `kgen.models`: Keras `Model` subclasses (VAE, ...), trained with `fit`.
- `kgen.layers`: Keras 3 layers that emit `tfp.distributions` objects.
- `kgen.datasets`: the embedded 8x8 digits, MNIST from a path, 2D toys.
- `kgen.distribute`: `make_strategy` for training on several devices or hosts.
- `kgen_ops` (a sibling package): the compiled Philox / Gibbs ops.
"""

import os as _os

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

from kgen import datasets  # noqa: E402
from kgen import distribute  # noqa: E402
from kgen import layers  # noqa: E402
from kgen import models  # noqa: E402
