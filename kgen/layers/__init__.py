"""Keras 3 layers that emit TensorFlow Probability distributions.

The Keras 3 replacement for `tfp.layers` (which needs Keras 2): each layer
maps a parameter tensor to a `tfp.distributions.Independent` distribution.
"""

from kgen.layers.distribution_layers import IndependentBernoulli
from kgen.layers.distribution_layers import IndependentGaussian
from kgen.layers.distribution_layers import IndependentNormal

__all__ = ["IndependentBernoulli", "IndependentGaussian", "IndependentNormal"]
