"""Affine coupling layers, masks and the squeeze for `kgen.models.RealNVP`.

An affine coupling layer (Dinh et al., arXiv 1605.08803, section 3.3) splits
its input with a binary mask `b` (1: conditioning entries, passed through;
0: transformed entries) and computes

```
y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x))
log|det dy/dx| = sum_i (1 - b_i) * s_i(b * x)
x = b * y + (1 - b) * (y - t(b * y)) * exp(-s(b * y))       (inverse)
```

The Jacobian is triangular (`y`'s conditioning part is `x`'s, and each
transformed entry depends on itself only through `exp(s) * x_i`), so its
log-determinant is the sum of the log-scales; and since `b * y = b * x`,
the inverse reevaluates the same `s` and `t`. Neither network has to be
invertible.

Masks (parity 0; parity 1 is the complement `1 - b`):

- `"checkerboard"`: images: `b[i, j, c] = 1` where `i + j` is even;
  vectors: `b[i] = 1` at even indices.
- `"channel"`: images are first *squeezed* (each 2x2 block of pixels
  becomes 4 channels, `(H, W, C) -> (H/2, W/2, 4C)`, a permutation with
  log-determinant 0), then `b = 1` on the first `2C` of the `4C` channels,
  i.e. on the top row of every 2x2 block; the result is unsqueezed. Without
  the squeeze a 1-channel image has no channels to split. Vectors:
  `b[i] = 1` on the first half, indices `i < D // 2`.
"""

import keras

from kgen.models import _seeding
import numpy as np

MASK_TYPES = ("checkerboard", "channel")


def squeeze(x):
    """Space-to-depth by 2: `(B, H, W, C) -> (B, H/2, W/2, 4C)`.

    Pixel `(2i + dy, 2j + dx, c)` goes to `(i, j, (2 * dy + dx) * C + c)`:
    the same order as `tf.nn.space_to_depth(x, 2)`. `H` and `W` must be even.
    """
    _, height, width, channels = x.shape
    x = keras.ops.reshape(x, (-1, height // 2, 2, width // 2, 2, channels))
    x = keras.ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return keras.ops.reshape(x, (-1, height // 2, width // 2, 4 * channels))


def unsqueeze(x):
    """The inverse of `squeeze`: `(B, H, W, 4C) -> (B, 2H, 2W, C)`."""
    _, height, width, channels4 = x.shape
    channels = channels4 // 4
    x = keras.ops.reshape(x, (-1, height, width, 2, 2, channels))
    x = keras.ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return keras.ops.reshape(x, (-1, 2 * height, 2 * width, channels))


def coupling_shape(event_shape, mask_type):
    """The shape the networks see: the squeezed one for images with `"channel"`."""
    if len(event_shape) == 3 and mask_type == "channel":
        height, width, channels = event_shape
        return (height // 2, width // 2, 4 * channels)
    return tuple(event_shape)


def make_mask(event_shape, mask_type, parity):
    """The float32 mask `b` (1 = conditioning) in the coupling shape; see the module doc."""
    shape = coupling_shape(event_shape, mask_type)
    if len(shape) == 1:
        index = np.arange(shape[0])
        if mask_type == "checkerboard":
            mask = index % 2 == 0
        else:
            mask = index < shape[0] // 2
    else:
        height, width, channels = shape
        if mask_type == "checkerboard":
            rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
            mask = np.broadcast_to(((rows + cols) % 2 == 0)[..., None], shape)
        else:
            mask = np.broadcast_to(np.arange(channels) < channels // 2, shape)
    if parity == 1:
        mask = ~mask
    return mask.astype("float32")


@keras.saving.register_keras_serializable(package="kgen")
class AffineCoupling(keras.layers.Layer):
    """One affine coupling layer of RealNVP, with `forward` and `inverse`.

    The log-scale is bounded, `s = scale * tanh(raw_s)` with a learned
    `scale` per feature (vectors) or channel (images) starting at 1, and
    the networks' last layer starts at zero, so every coupling starts as
    the identity (`s = t = 0`) and no step can blow `exp(s)` up.

    Networks: vectors get an MLP `Dense(u, relu)` per entry of
    `hidden_units`, then `Dense(2 * D)`; images get `Conv2D(f, 3x3, relu,
    same padding)` per entry of `filters`, then `Conv2D(2 * C', 3x3)` with
    `C'` the channels of the coupling shape. The output's first half is
    `raw_s`, the second `t`.

    Args:
        event_shape: `(D,)` or `(H, W, C)`, the shape of one example.
        mask_type: `"checkerboard"` or `"channel"`.
        parity: 0 or 1; 1 swaps the conditioning and transformed entries.
        hidden_units: tuple of positive ints (vectors).
        filters: tuple of positive ints (images).
        seed: optional int seeding the kernel initializers
            (`seed, seed + 1, ...` per layer).
        **kwargs: base layer keyword arguments, such as `name`.

    Input shape: `(batch_size, *event_shape)`, for `forward` and `inverse`.
    Output shape: the same, and the log-determinant `(batch_size,)`.
    """

    def __init__(
        self,
        event_shape,
        mask_type,
        parity,
        hidden_units=(),
        filters=(),
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.event_shape = tuple(event_shape)
        self.mask_type = mask_type
        self.parity = int(parity)
        self.hidden_units = tuple(hidden_units)
        self.filters = tuple(filters)
        self.seed = seed
        self.squeezes = len(self.event_shape) == 3 and mask_type == "channel"
        self.coupling_shape = coupling_shape(self.event_shape, mask_type)
        self.mask = make_mask(self.event_shape, mask_type, self.parity)
        self.network = self._make_network()

    def _make_network(self):
        def initializer(index):
            return _seeding.glorot_uniform(self.seed, index)

        # The networks compute in this layer's dtype (e.g. float64 when the
        # model is built with `dtype="float64"`).
        dtype = self.dtype_policy
        layers = [keras.Input(self.coupling_shape, dtype=self.compute_dtype)]
        if len(self.coupling_shape) == 1:
            for i, units in enumerate(self.hidden_units):
                layers.append(
                    keras.layers.Dense(
                        units,
                        activation="relu",
                        kernel_initializer=initializer(i),
                        dtype=dtype,
                    )
                )
            layers.append(
                keras.layers.Dense(
                    2 * self.coupling_shape[0], kernel_initializer="zeros", dtype=dtype
                )
            )
        else:
            for i, width in enumerate(self.filters):
                layers.append(
                    keras.layers.Conv2D(
                        width,
                        3,
                        padding="same",
                        activation="relu",
                        kernel_initializer=initializer(i),
                        dtype=dtype,
                    )
                )
            layers.append(
                keras.layers.Conv2D(
                    2 * self.coupling_shape[-1],
                    3,
                    padding="same",
                    kernel_initializer="zeros",
                    dtype=dtype,
                )
            )
        return keras.Sequential(layers, name="shift_and_log_scale")

    def build(self, input_shape=None):
        self.scale = self.add_weight(
            shape=(self.coupling_shape[-1],), initializer="ones", name="scale"
        )
        self.built = True

    def _shift_and_log_scale(self, conditioning):
        """`(s, t)` for the transformed entries, zero on the conditioning ones."""
        mask = keras.ops.convert_to_tensor(self.mask, dtype=conditioning.dtype)
        raw_s, t = keras.ops.split(self.network(conditioning), 2, axis=-1)
        log_scale = self.scale * keras.ops.tanh(raw_s) * (1.0 - mask)
        return log_scale, t * (1.0 - mask)

    def _sum_event(self, values):
        return keras.ops.sum(values, axis=tuple(range(1, len(self.coupling_shape) + 1)))

    def forward(self, x):
        """`x -> y`; returns `(y, log|det dy/dx|)`, shapes `x.shape` and `(batch,)`."""
        u = squeeze(x) if self.squeezes else x
        mask = keras.ops.convert_to_tensor(self.mask, dtype=u.dtype)
        log_scale, shift = self._shift_and_log_scale(u * mask)
        v = u * keras.ops.exp(log_scale) + shift
        y = unsqueeze(v) if self.squeezes else v
        return y, self._sum_event(log_scale)

    def inverse(self, y):
        """`y -> x`; returns `(x, log|det dx/dy|)` (minus `forward`'s at `x`)."""
        v = squeeze(y) if self.squeezes else y
        mask = keras.ops.convert_to_tensor(self.mask, dtype=v.dtype)
        log_scale, shift = self._shift_and_log_scale(v * mask)
        u = (v - shift) * keras.ops.exp(-log_scale)
        x = unsqueeze(u) if self.squeezes else u
        return x, -self._sum_event(log_scale)

    def call(self, x):
        """`forward(x)`."""
        return self.forward(x)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "event_shape": self.event_shape,
            "mask_type": self.mask_type,
            "parity": self.parity,
            "hidden_units": self.hidden_units,
            "filters": self.filters,
            "seed": self.seed,
        }
        return {**base_config, **config}
