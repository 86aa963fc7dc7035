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

The network builders here (`_conv_generator_body`, `_conv_discriminator_body`)
are shared with the conditional GAN and the WGAN-GP.
"""

import math

import keras

from kgen.models.gan import GAN
from kgen.models.gan import _batch_normalization
from kgen.models.gan import _check_positive_int
from kgen.models.gan import _check_seed
from kgen.models.gan import _check_shape
from kgen.models.gan import _initializers

# Kernel 4 with stride 2: every output pixel gets the same number of kernel
# taps, which avoids the checkerboard artefacts of kernel 3 or 5.
_KERNEL_SIZE = 4


def check_image_shape(image_shape, arg="image_shape"):
    """Returns `image_shape` as `(height, width, channels)` ints, or raises."""
    shape = _check_shape(arg, image_shape)
    if len(shape) != 3:
        raise ValueError(
            f"`{arg}` must be (height, width, channels). Received: {arg}={image_shape!r}"
        )
    return shape


def _start_shape(image_shape):
    """The generator's first feature map: `ceil(H / 4) x ceil(W / 4)`.

    Two stride-2 upsamplings make it `4 ceil(H/4) x 4 ceil(W/4)`, cropped to
    `H x W`: 2x2 -> 8x8 for the digits, 7x7 -> 28x28 for MNIST (no crop),
    8x8 -> 32x32 -> 30x30 for a 30x30 image.
    """
    height, width, _ = image_shape
    return math.ceil(height / 4), math.ceil(width / 4)


def _conv_generator_body(h, image_shape, filters, seed, output_activation="tanh"):
    """`Dense -> BN -> ReLU -> (ConvT stride 2 -> BN -> ReLU) -> ConvT stride 2 -> tanh`.

    `h` is a `(batch, features)` tensor (`z`, or `z` with a label code).
    Feature maps: `(H/4, W/4, 2 filters) -> (H/2, W/2, filters) -> (H, W, C)`.
    """
    init = _initializers(seed, kind="dcgan")
    height, width, channels = image_shape
    start_h, start_w = _start_shape(image_shape)
    # `use_bias=False` before batch normalisation, whose offset replaces it.
    h = keras.layers.Dense(
        start_h * start_w * 2 * filters, use_bias=False, kernel_initializer=next(init)
    )(h)
    h = keras.layers.Reshape((start_h, start_w, 2 * filters))(h)
    h = _batch_normalization()(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2DTranspose(
        filters,
        _KERNEL_SIZE,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=next(init),
    )(h)
    h = _batch_normalization()(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2DTranspose(
        channels,
        _KERNEL_SIZE,
        strides=2,
        padding="same",
        activation=output_activation,
        kernel_initializer=next(init),
    )(h)
    crop_h, crop_w = 4 * start_h - height, 4 * start_w - width
    if crop_h or crop_w:
        h = keras.layers.Cropping2D(
            ((crop_h // 2, crop_h - crop_h // 2), (crop_w // 2, crop_w - crop_w // 2))
        )(h)
    return h


def _conv_discriminator_body(h, filters, seed, batch_norm=True):
    """`Conv stride 2 -> LeakyReLU -> Conv stride 2 -> [BN] -> LeakyReLU -> Dense(1)`.

    No batch normalisation on the input layer (Radford et al.); none at all
    with `batch_norm=False` (the WGAN-GP critic, whose gradient penalty is
    per example). Feature maps: `(H/2, W/2, filters) -> (H/4, W/4, 2 filters)`.
    """
    init = _initializers(seed, kind="dcgan")
    h = keras.layers.Conv2D(
        filters, _KERNEL_SIZE, strides=2, padding="same", kernel_initializer=next(init)
    )(h)
    h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    h = keras.layers.Conv2D(
        2 * filters,
        _KERNEL_SIZE,
        strides=2,
        padding="same",
        use_bias=not batch_norm,
        kernel_initializer=next(init),
    )(h)
    if batch_norm:
        h = _batch_normalization()(h)
    h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    h = keras.layers.Flatten()(h)
    return keras.layers.Dense(1, kernel_initializer=next(init), name="logit")(h)


def _seeds(seed):
    """Distinct initializer seeds for the generator and the discriminator."""
    return (None, None) if seed is None else (seed, seed + 1000)


@keras.saving.register_keras_serializable(package="kgen")
class DCGAN(GAN):
    """Deep convolutional GAN: the GAN game with Radford et al.'s networks.

    Training, losses, metrics and methods are those of `kgen.models.GAN`
    (Algorithm 1 of Goodfellow et al.; `V(D, G) = E log D(x) +
    E log(1 - D(G(z)))`, the non-saturating generator loss by default).

    Architecture, with `f = filters` and `(H, W, C) = image_shape`:

    ```
    G: z -> Dense(h0 * w0 * 2f) -> BN -> ReLU           (h0, w0) = (ceil(H/4), ceil(W/4))
         -> ConvT(f, 4, stride 2) -> BN -> ReLU          (2 h0, 2 w0, f)
         -> ConvT(C, 4, stride 2) -> tanh -> crop       (H, W, C)
    D: x -> Conv(f, 4, stride 2) -> LeakyReLU(0.2)      (H/2, W/2, f)
         -> Conv(2f, 4, stride 2) -> BN -> LeakyReLU     (H/4, W/4, 2f)
         -> Flatten -> Dense(1)                          one logit
    ```

    So 8x8 digits start from 2x2 maps and 28x28 MNIST from 7x7. Weights
    start from `N(0, 0.02^2)`. The generator's `tanh` gives samples in
    (-1, 1): train on images scaled to [-1, 1]
    (`kgen.models.gan.to_tanh_range(x) = 2x - 1` for images in [0, 1]).

    Args:
        image_shape: `(height, width, channels)`, positive ints.
        latent_dim: positive int, the dimension of `z`.
        filters: positive int, `f` above (64 in the paper's first layer).
        generator_loss: `"non_saturating"` (default) or `"minimax"`.
        d_steps: int >= 1, discriminator steps per generator step.
        generator, discriminator: optional `keras.Model`s replacing the
            built-in ones (same contracts as in `GAN`).
        seed: optional int, seeds the initial weights and the
            `SeedGenerator` of all noise.
        **kwargs: base model keyword arguments, such as `name`.

    Example:

    ```python
    x, _ = kgen.datasets.load_digits()
    dcgan = kgen.models.DCGAN((8, 8, 1), latent_dim=32, seed=0)
    dcgan.compile()
    dcgan.fit(kgen.models.gan.to_tanh_range(x), epochs=30, batch_size=64)
    ```

    References:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", arXiv 1511.06434.
        Goodfellow et al., "Generative Adversarial Nets", arXiv 1406.2661.
    """

    def __init__(
        self,
        image_shape,
        latent_dim,
        filters=64,
        generator_loss="non_saturating",
        d_steps=1,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        image_shape = check_image_shape(image_shape)
        _check_positive_int("latent_dim", latent_dim)
        _check_positive_int("filters", filters)
        _check_seed(seed)
        g_seed, d_seed = _seeds(seed)
        if generator is None:
            z = keras.Input((latent_dim,), name="z")
            samples = _conv_generator_body(z, image_shape, filters, g_seed)
            generator = keras.Model(z, samples, name="generator")
        if discriminator is None:
            x = keras.Input(image_shape, name="x")
            logit = _conv_discriminator_body(x, filters, d_seed)
            discriminator = keras.Model(x, logit, name="discriminator")
        super().__init__(
            generator,
            discriminator,
            latent_dim,
            generator_loss=generator_loss,
            d_steps=d_steps,
            seed=seed,
            **kwargs,
        )
        self._require_data_shape(image_shape)
        self.image_shape = image_shape
        self.filters = int(filters)

    def get_config(self):
        config = super().get_config()
        config.update({"image_shape": self.image_shape, "filters": self.filters})
        return config
