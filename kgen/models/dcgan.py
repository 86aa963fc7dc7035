"""Deep convolutional GAN (Radford, Metz & Chintala, arXiv 1511.06434).

DCGAN is the GAN game of `kgen.models.GAN` played by convolutional
networks built with the paper's architecture guidelines:

- no pooling: the generator upsamples with stride-2 transposed
  convolutions, the discriminator downsamples with stride-2 convolutions;
- batch normalisation in both networks, except the generator's output
  layer and the discriminator's input layer;
- no hidden fully connected layers beyond the generator's projection of
  `z` and the discriminator's final logit;
- ReLU in the generator with `tanh` at the output, LeakyReLU(0.2) in the
  discriminator;
- weights initialised from `N(0, 0.02^2)`, Adam(2e-4, beta_1=0.5).

The networks are built by `kgen.models._gan_networks` (`conv_generator`,
`conv_discriminator`), shared with the conditional GAN and the WGAN-GP.
"""

import keras

from kgen import _validation
from kgen.models import _gan_networks
from kgen.models.gan import GAN


def check_image_shape(image_shape, arg="image_shape"):
    """Returns `image_shape` as `(height, width, channels)` ints, or raises ValueError.

    "`image_shape` must be a tuple of 3 ints >= 1. Received: ..." (`kgen._validation.shape`).
    """
    return _validation.shape(arg, image_shape, rank=3)


@keras.saving.register_keras_serializable(package="kgen")
class DCGAN(GAN):
    """Deep convolutional GAN: the GAN game with Radford et al.'s networks.

    Training, losses, metrics and methods are those of `kgen.models.GAN`
    (Algorithm 1 of Goodfellow et al.; `V(D, G) = E log D(x) +
    E log(1 - D(G(z)))`, the non-saturating generator loss by default).

    Architecture, with `f = filters`, `(H, W, C) = image_shape` and `n`
    stride-2 stages, `n = max(2, floor(log2(min(H, W) / 4)))`
    (`kgen.models._networks.stride_2_stages`): 2 while the shorter side is
    under 32 pixels, 3 from 32, 4 from 64 (Radford et al.'s 64x64
    network), one more per doubling.

    ```
    G: z -> Dense(h0 w0 2^(n-1) f) -> BN -> ReLU     (h0, w0, 2^(n-1) f),
                                                      h0 = ceil(H/2^n), w0 = ceil(W/2^n)
         -> [ConvT(4, stride 2) -> BN -> ReLU] x (n-1)  (2 h0, 2 w0, 2^(n-2) f) ... (., ., f)
         -> ConvT(C, 4, stride 2) -> tanh -> crop     (H, W, C)
    D: x -> Conv(f, 4, stride 2) -> LeakyReLU(0.2)   (H/2, W/2, f)
         -> [Conv(4, stride 2) -> BN -> LeakyReLU] x (n-1)
                                                      (H/4, W/4, 2f) ... (H/2^n, W/2^n, 2^(n-1) f)
         -> Flatten -> Dense(1)                       one logit
    ```

    (`H/2^k` rounded up.) Which images get which networks, with the
    default `filters=None` (64 below 32 pixels, as kgen always had; 128
    from 32 pixels, the widths of the paper's figure 1; `filters=64`
    gives those of the authors' Torch code, 4x4x512 first for 64x64):

    ```
    image      n  f    generator feature maps (after Reshape, each ConvT, crop)
    8x8x1      2  64   2x2x128 -> 4x4x64 -> 8x8x1
    28x28x1    2  64   7x7x128 -> 14x14x64 -> 28x28x1
    30x30x1    2  64   8x8x128 -> 16x16x64 -> 32x32x1 -> 30x30x1
    32x32x3    3  128  4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x3
    48x48x3    3  128  6x6x512 -> 12x12x256 -> 24x24x128 -> 48x48x3
    64x64x3    4  128  4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 64x64x3

    image      n  f    discriminator feature maps (after each Conv)
    8x8x1      2  64   4x4x64 -> 2x2x128
    28x28x1    2  64   14x14x64 -> 7x7x128
    30x30x1    2  64   15x15x64 -> 8x8x128
    32x32x3    3  128  16x16x128 -> 8x8x256 -> 4x4x512
    48x48x3    3  128  24x24x128 -> 12x12x256 -> 6x6x512
    64x64x3    4  128  32x32x128 -> 16x16x256 -> 8x8x512 -> 4x4x1024
    ```

    Images whose shorter side is under 32 pixels get the same networks
    (layers, weight shapes and seeded initial weights) as before the
    stages followed the size; saved `.keras` files hold their networks and
    load whatever the size. Weights start from `N(0, 0.02^2)`. The
    generator's `tanh` gives samples in (-1, 1): train on images scaled to
    [-1, 1] (`kgen.datasets.to_tanh_range(x) = 2x - 1` for images in
    [0, 1]). Any number of channels works (1 for grey, 3 for colour).

    Args:
        image_shape: `(height, width, channels)`, positive ints.
        latent_dim: positive int, the dimension of `z`.
        filters: positive int, `f` above: the width of the generator's last
            hidden map and of the discriminator's first, doubling per stage
            inwards. `None` (default): 64 for images under 32 pixels, 128
            from 32 pixels (`_gan_networks.default_filters`). Saved in the
            config as the int used.
        generator_loss: `"non_saturating"` (default) or `"minimax"`.
        d_steps: int >= 1, discriminator steps per generator step.
        generator, discriminator: optional `keras.Model`s replacing the
            built-in ones (same contracts as in `GAN`).
        seed: optional int, seeds the initial weights (generator layer `i`:
            `seed + i`, discriminator layer `i`: `seed + 1000 + i`) and the
            `SeedGenerator` of all noise.
        **kwargs: base model keyword arguments, such as `name`.

    Example:

    ```python
    x, _ = kgen.datasets.load_digits()
    dcgan = kgen.models.DCGAN((8, 8, 1), latent_dim=32, seed=0)
    dcgan.compile()
    dcgan.fit(kgen.datasets.to_tanh_range(x), epochs=30, batch_size=64)
    ```

    References:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", arXiv 1511.06434.
        Goodfellow et al., "Generative Adversarial Nets", arXiv 1406.2661.
    """

    _config_arguments = GAN._config_arguments + ("image_shape", "filters")

    def __init__(
        self,
        image_shape,
        latent_dim,
        filters=None,
        generator_loss="non_saturating",
        d_steps=1,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        image_shape = check_image_shape(image_shape)
        latent_dim = _validation.positive_int("latent_dim", latent_dim)
        if filters is None:
            filters = _gan_networks.default_filters(image_shape)
        filters = _validation.positive_int("filters", filters)
        seed = _validation.seed(seed)
        if generator is None:
            generator = _gan_networks.conv_generator(latent_dim, image_shape, filters, seed)
        if discriminator is None:
            discriminator = _gan_networks.conv_discriminator(image_shape, filters, seed)
        super().__init__(generator, discriminator, latent_dim, generator_loss=generator_loss,
                         d_steps=d_steps, seed=seed, **kwargs)
        self._require_data_shape(image_shape)
        self.image_shape = image_shape
        self.filters = filters
