"""kgen's Keras 3 layers: TensorFlow Probability distributions, an image pool, reflection padding.

`IndependentNormal`, `IndependentGaussian` and `IndependentBernoulli` are the
Keras 3 replacement for `tfp.layers` (which needs Keras 2): each layer maps a
parameter tensor to a `tfp.distributions.Independent` distribution that can
be a `Sequential` or functional model's output, feed further layers through
its `convert_to_tensor_fn`, and be scored by a negative log-likelihood loss
`lambda y, rv: -rv.log_prob(y)` in `compile`/`fit`, with `tfp.layers`'
argument order (see `kgen.layers.distribution_layers`).

`ImagePool` keeps a history of generated images for a GAN discriminator's
training step, CycleGAN's buffer (see `kgen.layers.image_pool`).
`ReflectionPadding2D` is the mirror padding of the image-translation
networks (`kgen.layers.padding`).
"""

from kgen.layers.distribution_layers import IndependentBernoulli
from kgen.layers.distribution_layers import IndependentGaussian
from kgen.layers.distribution_layers import IndependentNormal
from kgen.layers.image_pool import ImagePool
from kgen.layers.padding import ReflectionPadding2D

__all__ = ["ImagePool", "IndependentBernoulli", "IndependentGaussian", "IndependentNormal",
           "ReflectionPadding2D"]
