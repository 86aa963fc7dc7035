"""Data sets: the embedded 8x8 digits, MNIST from a path, your own images, 2D toys, colour digits.

- `load_digits`: scikit-learn's bundled 8x8 digits, float32 `(N, 8, 8, 1)`.
- `load_mnist`: MNIST from a Keras `.npz` or a folder of IDX `.gz` files.
- `load_images`: a folder of PNG/JPEG/BMP/GIF files, class sub-folders as
  labels, resized and in grey or RGB.
- `load_npz`: images from any `.npz` archive (uint8 or floats in [0, 1]),
  labels optional.
- `colour_digits`: grey digits blended with patches of colour photographs
  (the MNIST-M recipe), float32 `(N, H, W, 3)`: a second domain for
  unpaired translation.
- `toy_2d`, `toy_2d_centers`, `TOY_2D_STD`: 2D Gaussian mixtures (ring, grid).
- `binarize`: fixed-threshold or stochastic binarisation.
- `to_tanh_range`, `from_tanh_range`: [0, 1] <-> [-1, 1], the range of the
  GANs' tanh generators.
- `as_dataset`: arrays to a shuffled, batched, prefetched `tf.data.Dataset`.
- `unpaired`: two domains of different sizes to a dataset of unaligned
  batch pairs `(a_batch, b_batch)` (CycleGAN, DiscoGAN).

Nothing here downloads.
"""

from kgen.datasets.colour import colour_digits
from kgen.datasets.digits import load_digits
from kgen.datasets.images import load_images
from kgen.datasets.mnist import load_mnist
from kgen.datasets.npz import load_npz
from kgen.datasets.pipeline import as_dataset
from kgen.datasets.pipeline import unpaired
from kgen.datasets.preprocessing import binarize
from kgen.datasets.preprocessing import from_tanh_range
from kgen.datasets.preprocessing import to_tanh_range
from kgen.datasets.toy import TOY_2D_STD
from kgen.datasets.toy import toy_2d
from kgen.datasets.toy import toy_2d_centers

__all__ = [
    "TOY_2D_STD",
    "as_dataset",
    "binarize",
    "colour_digits",
    "from_tanh_range",
    "load_digits",
    "load_images",
    "load_mnist",
    "load_npz",
    "to_tanh_range",
    "toy_2d",
    "toy_2d_centers",
    "unpaired",
]
