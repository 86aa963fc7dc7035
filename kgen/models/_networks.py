"""Default encoder and decoder networks for `kgen.models.VAE`.

Each builder returns a functional `keras.Model`. Encoders map `x` of shape
`(batch_size, *input_shape)` to `2 * latent_dim` Gaussian parameters; decoders
map `z` of shape `(batch_size, latent_dim)` to `params_size` parameters of the
likelihood layer (logits or means, one per pixel), with no final activation.

`seed` (an int or `None`) seeds the kernel initializers, so that a model built
with a seed starts from the same weights every time: layer `i` of the encoder
gets `seed + i`, of the decoder `seed + 100 + i` (distinct seeds, since two
layers drawing from one seed would start from correlated weights).
"""

import math

import keras

from kgen.models import _seeding

_DECODER_SEED_OFFSET = 100


def _initializer(seed, index):
    """Glorot uniform (the Keras default), seeded `seed + index` (`_seeding`)."""
    return _seeding.glorot_uniform(seed, index)


def _encoder_model(x, h, latent_dim, initializer):
    """The encoder `Model(x, Dense(2 * latent_dim)(h))`: the means, then the raw scales, of `q(z|x)`."""
    params = keras.layers.Dense(2 * latent_dim, kernel_initializer=initializer,
                                name="posterior_params")(h)
    return keras.Model(x, params, name="encoder")


def dense_encoder(input_shape, latent_dim, hidden_units, seed=None):
    """`Flatten -> Dense(units, relu) per hidden_units -> Dense(2 * latent_dim)`."""
    x = keras.Input(shape=input_shape, name="x")
    h = keras.layers.Flatten()(x)
    for i, units in enumerate(hidden_units):
        h = keras.layers.Dense(
            units, activation="relu", kernel_initializer=_initializer(seed, i)
        )(h)
    return _encoder_model(x, h, latent_dim, _initializer(seed, len(hidden_units)))


def dense_decoder(latent_dim, params_size, hidden_units, seed=None):
    """`[Dense(units, relu)] * len(hidden_units), reversed -> Dense(params_size)`."""
    seed = _seeding.layer_seed(seed, 0, offset=_DECODER_SEED_OFFSET)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    for i, units in enumerate(reversed(hidden_units)):
        h = keras.layers.Dense(
            units, activation="relu", kernel_initializer=_initializer(seed, i)
        )(h)
    params = keras.layers.Dense(
        params_size,
        kernel_initializer=_initializer(seed, len(hidden_units)),
        name="likelihood_params",
    )(h)
    return keras.Model(z, params, name="decoder")


# The convolutional networks: stride-2 stages that follow the image size.


def stride_2_stages(image_shape):
    """The number of stride-2 stages for images `(H, W, C)`: `max(2, floor(log2(min(H, W) / 4)))`.

    Shared by the conv VAE and the DCGAN networks (`_gan_networks`). Each
    stage halves (encoder, discriminator) or doubles (decoder, generator)
    height and width, so the smallest feature map is `ceil(H / 2^n) x
    ceil(W / 2^n)`, between 4 and 8 pixels on its shorter side from 16
    pixels up:

    ```
    min(H, W)   n   smallest map                 examples
    < 32        2   ceil(H/4) x ceil(W/4)        8x8 -> 2x2, 28x28 -> 7x7, 30x30 -> 8x8
    32 .. 63    3   ceil(H/8) x ceil(W/8)        32x32 -> 4x4, 48x48 -> 6x6
    64 .. 127   4   ceil(H/16) x ceil(W/16)      64x64 -> 4x4 (Radford et al.)
    2^k .. 2^(k+1) - 1   k - 2                   ...
    ```

    Images under 32 pixels keep the two stages kgen has always used, so
    their networks (and saved models) are unchanged. Sides that are not a
    multiple of `2^n` are reached by upsampling to `2^n ceil(H / 2^n)`
    and cropping.
    """
    side = min(image_shape[0], image_shape[1])
    # floor(log2(side / 4)) in integers: the bit length of side // 4, less one.
    return max(2, (side // 4).bit_length() - 1)


def smallest_map(image_shape):
    """`(ceil(H / 2^n), ceil(W / 2^n))` with `n = stride_2_stages(image_shape)`."""
    factor = 2 ** stride_2_stages(image_shape)
    return math.ceil(image_shape[0] / factor), math.ceil(image_shape[1] / factor)


def stage_widths(filters, stages):
    """`(f, 2f, ..., 2^(stages-1) f)`: the widths of the stages, from the image inwards."""
    return tuple(filters * 2**k for k in range(stages))


def crop_to(h, height, width):
    """Crops `h` (batch, H', W', C) centrally to `height x width`; no layer if already so."""
    crop_h, crop_w = h.shape[1] - height, h.shape[2] - width
    if crop_h or crop_w:
        h = keras.layers.Cropping2D(
            ((crop_h // 2, crop_h - crop_h // 2), (crop_w // 2, crop_w - crop_w // 2))
        )(h)
    return h


# The conv VAE's base width: stages of 32, 64, ... filters.
CONV_FILTERS = 32


def check_conv_input_shape(input_shape):
    """Raises unless `input_shape` is `(height, width, channels)`."""
    if len(input_shape) != 3:
        raise ValueError(
            '`input_shape` must be (height, width, channels) for architecture="conv". '
            f"Received: input_shape={input_shape!r}"
        )


def _stride_2_stack(h, layer_class, filters, seed, first_index):
    """3x3 stride-2 relu layers of `layer_class` (halving or doubling the size), seeded from `first_index`."""
    for i, width in enumerate(filters, start=first_index):
        h = layer_class(
            width, 3, strides=2, padding="same", activation="relu",
            kernel_initializer=_initializer(seed, i),
        )(h)
    return h


def conv_encoder(input_shape, latent_dim, seed=None, filters=CONV_FILTERS):
    """`Conv2D(f, 3, strides=2) -> ... -> Conv2D(2^(n-1) f, 3, strides=2) -> Dense(2 * latent)`.

    `n = stride_2_stages(input_shape)` stages (2 below 32 pixels, 4 for
    64x64), "same" padding, so the last map is `smallest_map(input_shape)`:
    `(28, 28, 1) -> (14, 14, 32) -> (7, 7, 64)` with `f = 32`;
    `(64, 64, 3) -> (32, 32, 32) -> (16, 16, 64) -> (8, 8, 128) -> (4, 4, 256)`.
    """
    check_conv_input_shape(input_shape)
    widths = stage_widths(filters, stride_2_stages(input_shape))
    x = keras.Input(shape=input_shape, name="x")
    h = _stride_2_stack(x, keras.layers.Conv2D, widths, seed, first_index=0)
    h = keras.layers.Flatten()(h)
    return _encoder_model(x, h, latent_dim, _initializer(seed, len(widths)))


def conv_decoder(latent_dim, input_shape, seed=None, filters=CONV_FILTERS):
    """The mirror image of `conv_encoder`, ending in one logit or mean per pixel.

    `Dense(h0 * w0 * 2^(n-1) f, relu)` reshaped to `(h0, w0) =
    smallest_map(input_shape)`, `n` stride-2 `Conv2DTranspose` (relu) of
    `2^(n-1) f, ..., f` filters, a 3x3 `Conv2D(C)`, a central crop to
    `H x W` when `2^n h0 > H` (e.g. 30x30: 8x8 -> 32x32 -> 30x30), flattened.
    """
    check_conv_input_shape(input_shape)
    seed = _seeding.layer_seed(seed, 0, offset=_DECODER_SEED_OFFSET)
    height, width, channels = input_shape
    widths = stage_widths(filters, stride_2_stages(input_shape))
    z = keras.Input(shape=(latent_dim,), name="z")
    smallest = (*smallest_map(input_shape), widths[-1])
    h = keras.layers.Dense(
        math.prod(smallest), activation="relu", kernel_initializer=_initializer(seed, 0)
    )(z)
    h = keras.layers.Reshape(smallest)(h)
    h = _stride_2_stack(h, keras.layers.Conv2DTranspose, tuple(reversed(widths)), seed,
                        first_index=1)
    h = keras.layers.Conv2D(
        channels,
        3,
        padding="same",
        kernel_initializer=_initializer(seed, len(widths) + 1),
    )(h)
    h = crop_to(h, height, width)
    params = keras.layers.Flatten(name="likelihood_params")(h)
    return keras.Model(z, params, name="decoder")
