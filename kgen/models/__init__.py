"""Generative models as Keras 3 `Model` subclasses.

- `VAE`: variational autoencoder (arXiv 1312.6114) with IWAE log-likelihood.
- `RBM`: binary restricted Boltzmann machine trained by CD-k or PCD on the
  compiled Gibbs op, with exact and AIS estimates of log Z.
"""

from kgen.models.rbm import RBM
from kgen.models.vae import VAE

__all__ = ["RBM", "VAE"]
