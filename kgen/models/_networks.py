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


# Two stride-2 convolutions: images shrink by 4 in height and width.
_CONV_FILTERS = (32, 64)


def check_conv_input_shape(input_shape):
    """Raises unless `input_shape` is `(height, width, channels)`, sides % 4 == 0."""
    if len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4:
        raise ValueError(
            '`input_shape` must be (height, width, channels) with height and '
            'width divisible by 4 for architecture="conv". '
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


def conv_encoder(input_shape, latent_dim, seed=None):
    """`Conv2D(32, 3, strides=2) -> Conv2D(64, 3, strides=2) -> Dense(2 * latent)`."""
    check_conv_input_shape(input_shape)
    x = keras.Input(shape=input_shape, name="x")
    h = _stride_2_stack(x, keras.layers.Conv2D, _CONV_FILTERS, seed, first_index=0)
    h = keras.layers.Flatten()(h)
    return _encoder_model(x, h, latent_dim, _initializer(seed, len(_CONV_FILTERS)))


def conv_decoder(latent_dim, input_shape, seed=None):
    """The mirror image of `conv_encoder`, ending in one logit or mean per pixel."""
    check_conv_input_shape(input_shape)
    seed = _seeding.layer_seed(seed, 0, offset=_DECODER_SEED_OFFSET)
    height, width, channels = input_shape
    z = keras.Input(shape=(latent_dim,), name="z")
    smallest = (height // 4, width // 4, _CONV_FILTERS[-1])
    h = keras.layers.Dense(
        math.prod(smallest), activation="relu", kernel_initializer=_initializer(seed, 0)
    )(z)
    h = keras.layers.Reshape(smallest)(h)
    h = _stride_2_stack(h, keras.layers.Conv2DTranspose, tuple(reversed(_CONV_FILTERS)), seed,
                        first_index=1)
    h = keras.layers.Conv2D(
        channels,
        3,
        padding="same",
        kernel_initializer=_initializer(seed, len(_CONV_FILTERS) + 1),
    )(h)
    params = keras.layers.Flatten(name="likelihood_params")(h)
    return keras.Model(z, params, name="decoder")
