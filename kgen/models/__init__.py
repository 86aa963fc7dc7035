"""Generative models as Keras 3 `Model` subclasses.

- `VAE`: variational autoencoder (arXiv 1312.6114) with IWAE log-likelihood.
"""

from kgen.models.vae import VAE

__all__ = ["VAE"]
