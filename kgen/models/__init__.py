"""Generative models as Keras 3 `Model` subclasses.

- `VAE`: variational autoencoder (arXiv 1312.6114) with IWAE log-likelihood.
- `RBM`: binary restricted Boltzmann machine trained by CD-k or PCD on the
  compiled Gibbs op, with exact and AIS estimates of log Z.
- `GAN` (and `GAN.mlp`): Goodfellow et al.'s GAN, minimax or non-saturating
  generator loss, k discriminator steps (arXiv 1406.2661).
- `DCGAN`: deep convolutional GAN (arXiv 1511.06434).
- `ConditionalGAN`: class-conditional GAN (arXiv 1411.1784).
- `WGANGP`: Wasserstein GAN with gradient penalty (arXiv 1704.00028).
- `DRAW`: recurrent VAE that paints with Gaussian attention (arXiv 1502.04623).
- `CycleGAN`: unpaired image-to-image translation with cycle consistency
  (arXiv 1703.10593).
- `DiscoGAN`: unpaired translation with reconstruction losses (arXiv 1703.05192).
- `RealNVP`: normalising flow of affine coupling layers, exact log-likelihood
  and bits/dim (arXiv 1605.08803).
"""

from kgen.models.conditional_gan import ConditionalGAN
from kgen.models.cyclegan import CycleGAN
from kgen.models.dcgan import DCGAN
from kgen.models.discogan import DiscoGAN
from kgen.models.draw import DRAW
from kgen.models.gan import GAN
from kgen.models.rbm import RBM
from kgen.models.realnvp import RealNVP
from kgen.models.vae import VAE
from kgen.models.wgan_gp import WGANGP

__all__ = ["ConditionalGAN", "CycleGAN", "DCGAN", "DiscoGAN", "DRAW", "GAN", "RBM", "RealNVP", "VAE", "WGANGP"]
