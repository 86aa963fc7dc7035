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


def start_shape(image_shape):
    """The generator's first feature map: `ceil(H / 4) x ceil(W / 4)`.

    Two stride-2 upsamplings make it `4 ceil(H/4) x 4 ceil(W/4)`, cropped to
    `H x W`: 2x2 -> 8x8 for the digits, 7x7 -> 28x28 for MNIST (no crop),
    8x8 -> 32x32 -> 30x30 for a 30x30 image.
    """
    height, width, _ = image_shape
    return math.ceil(height / 4), math.ceil(width / 4)


def _conv_transpose(filters, init, **kwargs):
    """A stride-2 `Conv2DTranspose` with the DCGAN kernel: doubles height and width."""
    return keras.layers.Conv2DTranspose(
        filters, KERNEL_SIZE, strides=2, padding="same", kernel_initializer=init, **kwargs
    )


def conv_generator_body(h, image_shape, filters, seed):
    """`Dense -> BN -> ReLU -> ConvT(stride 2) -> BN -> ReLU -> ConvT(stride 2) -> tanh -> crop`.

    `h` is a `(batch, features)` tensor (`z`, or `z` with a label code).
    Feature maps: `(H/4, W/4, 2 filters) -> (H/2, W/2, filters) -> (H, W, C)`.
    Weights from `N(0, 0.02^2)`.
    """
    init = functools.partial(
        _seeding.random_normal, seed, stddev=_DCGAN_STDDEV, offset=GENERATOR_OFFSET
    )
    height, width, channels = image_shape
    start_h, start_w = start_shape(image_shape)
    # `use_bias=False` before batch normalisation, whose offset replaces it.
    h = keras.layers.Dense(
        start_h * start_w * 2 * filters, use_bias=False, kernel_initializer=init(0)
    )(h)
    h = keras.layers.Reshape((start_h, start_w, 2 * filters))(h)
    h = batch_normalization()(h)
    h = keras.layers.ReLU()(h)
    h = _conv_transpose(filters, init(1), use_bias=False)(h)
    h = batch_normalization()(h)
    h = keras.layers.ReLU()(h)
    h = _conv_transpose(channels, init(2), activation="tanh")(h)
    crop_h, crop_w = 4 * start_h - height, 4 * start_w - width
    if crop_h or crop_w:
        h = keras.layers.Cropping2D(
            ((crop_h // 2, crop_h - crop_h // 2), (crop_w // 2, crop_w - crop_w // 2))
        )(h)
    return h


def conv_discriminator_body(h, filters, seed, batch_norm=True):
    """`Conv(stride 2) -> LeakyReLU -> Conv(stride 2) -> [BN] -> LeakyReLU -> Dense(1)`.

    No batch normalisation on the input layer (Radford et al.); none at all
    with `batch_norm=False` (the WGAN-GP critic, whose gradient penalty is
    per example). Feature maps: `(H/2, W/2, filters) -> (H/4, W/4, 2 filters)`.
    Weights from `N(0, 0.02^2)`.
    """
    init = functools.partial(
        _seeding.random_normal, seed, stddev=_DCGAN_STDDEV, offset=DISCRIMINATOR_OFFSET
    )
    h = keras.layers.Conv2D(
        filters, KERNEL_SIZE, strides=2, padding="same", kernel_initializer=init(0)
    )(h)
    h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    h = keras.layers.Conv2D(
        2 * filters,
        KERNEL_SIZE,
        strides=2,
        padding="same",
        use_bias=not batch_norm,
        kernel_initializer=init(1),
    )(h)
    if batch_norm:
        h = batch_normalization()(h)
    h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    h = keras.layers.Flatten()(h)
    return keras.layers.Dense(1, kernel_initializer=init(2), name="logit")(h)


def conv_generator(latent_dim, image_shape, filters, seed):
    """The DCGAN generator, `z (batch, latent_dim)` -> images `(batch, *image_shape)` in (-1, 1)."""
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, conv_generator_body(z, image_shape, filters, seed), name="generator")


def conv_discriminator(image_shape, filters, seed, batch_norm=True, name="discriminator"):
    """The DCGAN discriminator, images `(batch, *image_shape)` -> logits `(batch, 1)`."""
    x = keras.Input(image_shape, name="x")
    return keras.Model(x, conv_discriminator_body(x, filters, seed, batch_norm), name=name)


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
    logit = conv_discriminator_body(h, filters, seed)
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
