"""The generators and discriminators of kgen's GANs, as functional `keras.Model`s.

- `mlp_generator`, `mlp_discriminator`: the fully connected pair of
  Goodfellow et al. (`GAN.mlp`).
- `conv_generator`, `conv_discriminator`: Radford et al.'s DCGAN networks
  (`DCGAN`; `WGANGP` on images, with a critic without batch normalisation),
  and `conditional_conv_generator`, `conditional_conv_discriminator`, the
  same networks fed a one-hot label (`ConditionalGAN`).
- `relu_mlp_generator`, `relu_mlp_critic`: the ReLU networks of the WGAN-GP
  paper's toy experiments (`WGANGP` on vectors).

Every network maps a batch to a batch: a generator `(batch, latent_dim)` ->
`(batch, *example_shape)`, a discriminator `(batch, *example_shape)` ->
`(batch, 1)`, one logit (or critic value) per example, no sigmoid.

Seeding (`kgen.models._seeding`): layer `i` of a generator gets the seed
`seed + i` (`GENERATOR_OFFSET = 0`), layer `i` of a discriminator or critic
`seed + 1000 + i` (`DISCRIMINATOR_OFFSET`), counting the layers with a
kernel in order; a discriminator's dropout after its layer `i` shares that
layer's seed. `seed=None` leaves every initializer unseeded.
"""

import functools
import math

import keras
import tensorflow as tf

from kgen.models import _networks
from kgen.models import _seeding

GENERATOR_OFFSET = 0
DISCRIMINATOR_OFFSET = 1000

# Kernel 4 with stride 2: every output pixel gets the same number of kernel
# taps, which avoids the checkerboard artefacts of kernel 3 or 5.
KERNEL_SIZE = 4

# Radford et al.'s initial weights, N(0, 0.02^2).
_DCGAN_STDDEV = 0.02


def batch_normalization():
    """PyTorch's `BatchNorm(momentum=0.1, eps=1e-5)` in Keras' terms (`momentum=0.9`).

    Built inside a `tf.distribute` strategy's scope, the layer synchronises
    its batch statistics across replicas (Keras' `synchronized=True`): every
    replica normalises with the mean and variance of the global batch, as one
    device would, and the moving statistics stay the same on every replica
    (unsynchronised, each replica would normalise its own part of the batch
    and keep its own moving statistics). Outside a scope it is the plain
    layer.
    """
    return keras.layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, synchronized=tf.distribute.has_strategy()
    )


def output_activation(network):
    """The activation of the last layer of `network` that has one, or None.

    Layers that only move values (`Reshape`, `Cropping2D`) have no
    activation and are skipped; `keras.activations.linear` means a linear
    output.
    """
    for layer in reversed(network.layers):
        activation = getattr(layer, "activation", None)
        if activation is not None:
            return activation
    return None


# The fully connected pair (Goodfellow et al.).


def mlp_generator(latent_dim, data_shape, units, output_activation, seed):
    """`Dense(units[0]), LeakyReLU(0.2)`, then `Dense, BN, LeakyReLU(0.2)` per further width.

    A last dense layer maps to `prod(data_shape)` values with
    `output_activation` (`"tanh"`: in (-1, 1); `None`: linear), reshaped to
    `data_shape`. Glorot uniform weights.
    """
    init = functools.partial(_seeding.glorot_uniform, seed, offset=GENERATOR_OFFSET)
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i, width in enumerate(units):
        h = keras.layers.Dense(width, kernel_initializer=init(i))(h)
        if i > 0:
            h = batch_normalization()(h)
        h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    h = keras.layers.Dense(
        math.prod(data_shape), activation=output_activation, kernel_initializer=init(len(units))
    )(h)
    samples = keras.layers.Reshape(data_shape, name="samples")(h)
    return keras.Model(z, samples, name="generator")


def mlp_discriminator(data_shape, units, dropout, seed):
    """`Flatten`, then `Dense, LeakyReLU(0.2), Dropout(dropout)` per width, then `Dense(1)`.

    No dropout layers when `dropout` is 0. Glorot uniform weights.
    """
    init = functools.partial(_seeding.glorot_uniform, seed, offset=DISCRIMINATOR_OFFSET)
    x = keras.Input(data_shape, name="x")
    h = keras.layers.Flatten()(x)
    for i, width in enumerate(units):
        h = keras.layers.Dense(width, kernel_initializer=init(i))(h)
        h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
        if dropout:
            dropout_seed = _seeding.layer_seed(seed, i, DISCRIMINATOR_OFFSET)
            h = keras.layers.Dropout(dropout, seed=dropout_seed)(h)
    logit = keras.layers.Dense(1, kernel_initializer=init(len(units)), name="logit")(h)
    return keras.Model(x, logit, name="discriminator")


# The DCGAN networks (Radford et al.).


def default_filters(image_shape):
    """`filters=None` of the DCGAN-style models: 64 below 32 pixels, 128 from 32 up.

    Below 32 pixels (two stages) it is the width kgen has always used, so
    the networks of the digit sizes are unchanged; from 32 pixels it is the
    width of Radford et al.'s figure 1, whose 64x64 generator starts at
    `4 x 4 x 1024 = 4 x 4 x (2^3 * 128)`.
    """
    return 64 if _networks.stride_2_stages(image_shape) == 2 else 128


def start_shape(image_shape):
    """The generator's first feature map: `ceil(H / 2^n) x ceil(W / 2^n)`.

    `n = _networks.stride_2_stages(image_shape)` stride-2 upsamplings make
    it `2^n ceil(H / 2^n) x 2^n ceil(W / 2^n)`, cropped to `H x W`: 2x2 ->
    8x8 for the digits, 7x7 -> 28x28 for MNIST (no crop), 8x8 -> 32x32 ->
    30x30 for a 30x30 image (n = 2 below 32 pixels), 4x4 -> 64x64 (n = 4),
    6x6 -> 48x48 (n = 3).
    """
    return _networks.smallest_map(image_shape)


def _conv_transpose(filters, init, **kwargs):
    """A stride-2 `Conv2DTranspose` with the DCGAN kernel: doubles height and width."""
    return keras.layers.Conv2DTranspose(
        filters, KERNEL_SIZE, strides=2, padding="same", kernel_initializer=init, **kwargs
    )


def conv_generator_body(h, image_shape, filters, seed):
    """`Dense, BN, ReLU, [ConvT(stride 2), BN, ReLU] x (n - 1), ConvT(stride 2), tanh, crop`.

    `h` is a `(batch, features)` tensor (`z`, or `z` with a label code);
    `n = _networks.stride_2_stages(image_shape)`, `(h0, w0) =
    start_shape(image_shape)`. Feature maps, with `f = filters`:
    `(h0, w0, 2^(n-1) f) -> (2 h0, 2 w0, 2^(n-2) f) -> ... -> (2^(n-1) h0,
    2^(n-1) w0, f) -> (2^n h0, 2^n w0, C)`, cropped to `(H, W, C)`. Layer
    `i` (the projection is 0, the output `n`) is seeded `seed + i`; weights
    from `N(0, 0.02^2)`.
    """
    init = functools.partial(
        _seeding.random_normal, seed, stddev=_DCGAN_STDDEV, offset=GENERATOR_OFFSET
    )
    height, width, channels = image_shape
    widths = _networks.stage_widths(filters, _networks.stride_2_stages(image_shape))
    start_h, start_w = start_shape(image_shape)
    # `use_bias=False` before batch normalisation, whose offset replaces it.
    h = keras.layers.Dense(
        start_h * start_w * widths[-1], use_bias=False, kernel_initializer=init(0)
    )(h)
    h = keras.layers.Reshape((start_h, start_w, widths[-1]))(h)
    h = batch_normalization()(h)
    h = keras.layers.ReLU()(h)
    for i, width_i in enumerate(reversed(widths[:-1]), start=1):
        h = _conv_transpose(width_i, init(i), use_bias=False)(h)
        h = batch_normalization()(h)
        h = keras.layers.ReLU()(h)
    h = _conv_transpose(channels, init(len(widths)), activation="tanh")(h)
    return _networks.crop_to(h, height, width)


def conv_discriminator_body(h, image_shape, filters, seed, batch_norm=True):
    """`Conv(stride 2), LeakyReLU, [Conv(stride 2), [BN], LeakyReLU] x (n - 1), Dense(1)`.

    `h` is `(batch, H, W, channels)` (the image, or the image with label
    maps); `n = _networks.stride_2_stages(image_shape)`. No batch
    normalisation on the input layer (Radford et al.); none at all with
    `batch_norm=False` (the WGAN-GP critic, whose gradient penalty is per
    example). Feature maps, with `f = filters`: `(H/2, W/2, f) -> (H/4,
    W/4, 2f) -> ... -> (H/2^n, W/2^n, 2^(n-1) f)` (sizes rounded up), then
    one logit. Layer `i` (the output is `n`) is seeded `seed + 1000 + i`;
    weights from `N(0, 0.02^2)`.
    """
    init = functools.partial(
        _seeding.random_normal, seed, stddev=_DCGAN_STDDEV, offset=DISCRIMINATOR_OFFSET
    )
    widths = _networks.stage_widths(filters, _networks.stride_2_stages(image_shape))
    h = keras.layers.Conv2D(
        widths[0], KERNEL_SIZE, strides=2, padding="same", kernel_initializer=init(0)
    )(h)
    h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    for i, width_i in enumerate(widths[1:], start=1):
        h = keras.layers.Conv2D(
            width_i,
            KERNEL_SIZE,
            strides=2,
            padding="same",
            use_bias=not batch_norm,
            kernel_initializer=init(i),
        )(h)
        if batch_norm:
            h = batch_normalization()(h)
        h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    h = keras.layers.Flatten()(h)
    return keras.layers.Dense(1, kernel_initializer=init(len(widths)), name="logit")(h)


def conv_generator(latent_dim, image_shape, filters, seed):
    """The DCGAN generator, `z (batch, latent_dim)` -> images `(batch, *image_shape)` in (-1, 1)."""
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, conv_generator_body(z, image_shape, filters, seed), name="generator")


def conv_discriminator(image_shape, filters, seed, batch_norm=True, name="discriminator"):
    """The DCGAN discriminator, images `(batch, *image_shape)` -> logits `(batch, 1)`."""
    x = keras.Input(image_shape, name="x")
    logit = conv_discriminator_body(x, image_shape, filters, seed, batch_norm)
    return keras.Model(x, logit, name=name)


# The conditional networks (Mirza & Osindero): the DCGAN networks fed a label.


def _one_hot(labels, num_classes):
    return keras.layers.CategoryEncoding(num_classes, output_mode="one_hot")(labels)


def conditional_conv_generator(latent_dim, image_shape, num_classes, filters, seed):
    """`[z (batch, latent_dim), labels (batch,) int32]` -> images: `G'([z, one_hot(y)])`."""
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    h = keras.layers.Concatenate()([z, _one_hot(labels, num_classes)])
    samples = conv_generator_body(h, image_shape, filters, seed)
    return keras.Model([z, labels], samples, name="generator")


def conditional_conv_discriminator(image_shape, num_classes, filters, seed):
    """`[x (batch, H, W, C), labels (batch,) int32]` -> logits `(batch, 1)`.

    The one-hot code is broadcast to `num_classes` constant `H x W` maps
    stacked on the image's channels: the input of the DCGAN discriminator
    is `(H, W, C + num_classes)`.
    """
    x = keras.Input(image_shape, name="x")
    labels = keras.Input((), dtype="int32", name="labels")
    height, width, _ = image_shape
    maps = keras.layers.Reshape((1, 1, num_classes))(_one_hot(labels, num_classes))
    maps = keras.layers.UpSampling2D(size=(height, width))(maps)
    h = keras.layers.Concatenate()([x, maps])
    logit = conv_discriminator_body(h, image_shape, filters, seed)
    return keras.Model([x, labels], logit, name="discriminator")


# The WGAN-GP paper's toy networks.


def _relu_mlp(h, units, outputs, seed, offset):
    """`[Dense(u), ReLU] per u in units -> Dense(outputs)`, Glorot uniform weights."""
    init = functools.partial(_seeding.glorot_uniform, seed, offset=offset)
    for i, width in enumerate(units):
        h = keras.layers.Dense(width, activation="relu", kernel_initializer=init(i))(h)
    return keras.layers.Dense(outputs, kernel_initializer=init(len(units)))(h)


def relu_mlp_generator(latent_dim, dim, units, seed):
    """`z (batch, latent_dim)` -> points `(batch, dim)`, linear output (any range)."""
    z = keras.Input((latent_dim,), name="z")
    samples = _relu_mlp(z, units, dim, seed, GENERATOR_OFFSET)
    return keras.Model(z, samples, name="generator")


def relu_mlp_critic(dim, units, seed):
    """Points `(batch, dim)` -> critic values `(batch, 1)`."""
    x = keras.Input((dim,), name="x")
    return keras.Model(x, _relu_mlp(x, units, 1, seed, DISCRIMINATOR_OFFSET), name="critic")
