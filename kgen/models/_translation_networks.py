"""The generators and discriminators of unpaired image translation, as functional `keras.Model`s.

- `resnet_generator`, `unet_generator`, `patchgan_discriminator`: the
  networks of CycleGAN (Zhu et al. 2017, arXiv 1703.10593, appendix 7.2,
  and the authors' `models/networks.py`), with instance normalisation.
- `discogan_generator`, `discogan_discriminator`: the networks of DiscoGAN
  (Kim et al. 2017, arXiv 1703.05192, section 4, and the authors' code),
  with batch normalisation.
- `receptive_field(network)`: the side of the input square that one output
  pixel of a convolutional network sees (the PatchGAN's patch size).

Images are channels-last, values in [-1, 1]: a generator maps `(batch, H, W,
C)` to `(batch, H, W, output_channels)` through `tanh`; the PatchGAN maps an
image to a map of patch logits `(batch, h', w', 1)`, the DiscoGAN
discriminator to one logit per example `(batch, 1)`; no sigmoid. Sizes that
the stride-2 stages do not divide are reflected up to a multiple of `2^n`
(`ReflectionPadding2D`) and the output cropped back centrally, so every
network takes any `H, W >= 8`.

Weights are drawn from `N(0, 0.02^2)`, the initialisation of both papers'
code. Seeding (`kgen.models._seeding`): layer `i` of a network, counting the
layers with a kernel in order, gets the seed `seed + offset + i`; the
generators' `offset` defaults to `GENERATOR_OFFSET = 0`, the discriminators'
to `DISCRIMINATOR_OFFSET = 1000`, and a model with two generators and two
discriminators (CycleGAN's `G: X -> Y`, `F: Y -> X`, `D_Y`, `D_X`) builds
the second of each at `SECOND_GENERATOR_OFFSET`, `SECOND_DISCRIMINATOR_OFFSET`,
so that no two layers share a seed. `seed=None` leaves every initializer
unseeded.
"""

import functools
import itertools
import math

import keras

from kgen import _validation
from kgen.layers.padding import ReflectionPadding2D
from kgen.models import _gan_networks
from kgen.models import _networks
from kgen.models import _seeding

GENERATOR_OFFSET = 0
DISCRIMINATOR_OFFSET = 1000
SECOND_GENERATOR_OFFSET = 2000
SECOND_DISCRIMINATOR_OFFSET = 3000

# The smallest image side the networks take: the ResNet generator's
# bottleneck (a quarter of the side) must be 2 pixels for its reflection
# padding of 1, and the PatchGAN with one stride-2 layer needs 6.
MIN_SIDE = 8

# Both papers' code: N(0, 0.02^2) weights, zero biases.
_STDDEV = 0.02

# The PatchGAN's and U-Net's 4x4 kernels, and LeakyReLU's negative slope.
_KERNEL_SIZE = 4
_SLOPE = 0.2


def instance_normalization(name=None):
    """Instance normalisation: each example's channel standardised over its pixels.

    ```
    y[b, i, j, c] = (x[b, i, j, c] - mean_ij x[b, :, :, c]) / sqrt(var_ij x[b, :, :, c] + 1e-5)
    ```

    Keras' `GroupNormalization` with one group per channel. No learned scale
    or offset (`center=False, scale=False`): the authors'
    `InstanceNorm2d(affine=False)`, the networks of the paper's experiments.
    (keras-io's CycleGAN example and the TensorFlow pix2pix tutorial learn a
    per-channel scale and offset, Ulyanov et al.'s variant; the paper does
    not.) With no parameters and no batch statistics, it computes the same
    on one device and on any number of replicas, and needs no
    synchronisation. A convolution followed by it needs no bias (the mean
    subtraction cancels it exactly), so the builders here leave it out.

    Input and output shape: `(batch, height, width, channels)`.
    """
    return keras.layers.GroupNormalization(
        groups=-1, epsilon=1e-5, center=False, scale=False, name=name
    )


def _init(seed, offset):
    """`index -> N(0, 0.02^2)` seeded `seed + offset + index`."""
    return functools.partial(_seeding.random_normal, seed, stddev=_STDDEV, offset=offset)


def _check_image_shape(image_shape):
    """`image_shape` as a tuple `(H, W, C)` with `H, W >= MIN_SIDE`."""
    shape = _validation.shape("image_shape", image_shape, rank=3)
    if min(shape[:2]) < MIN_SIDE:
        _validation.fail(
            "image_shape",
            f"(height, width, channels) with height and width >= {MIN_SIDE}",
            image_shape,
        )
    return shape


def _check_common(image_shape, output_channels, filters, seed):
    """The arguments every generator takes, checked; `output_channels=None` means `C`."""
    image_shape = _check_image_shape(image_shape)
    output_channels = _validation.optional_int("output_channels", output_channels, minimum=1)
    if output_channels is None:
        output_channels = image_shape[-1]
    filters = _validation.positive_int("filters", filters)
    seed = _validation.seed(seed)
    return image_shape, output_channels, filters, seed


def _optional_int_in(name, value, maximum, image_shape):
    """None, or an int in `[1, maximum]` (the most `image_shape` allows), as a Python int."""
    result = _validation.as_int(value)
    if value is not None and (result is None or not 1 <= result <= maximum):
        _validation.fail(
            name, f"None or an int in [1, {maximum}] for image_shape={image_shape}", value
        )
    return result


def _stride_2(layer_class, width, initializer, **kwargs):
    """A 4x4 stride-2 `Conv2D` (halves H and W) or `Conv2DTranspose` (doubles them), "same" padding.

    For even sizes, "same" pads the authors' 1 pixel on each side.
    """
    return layer_class(width, _KERNEL_SIZE, strides=2, padding="same",
                       kernel_initializer=initializer, **kwargs)


def _pad_to_multiple(h, multiple):
    """Reflects `h` (batch, H, W, C) up to `H, W` multiples of `multiple`, split evenly.

    The split (the smaller half on top and left) is `_networks.crop_to`'s,
    which takes the padding off again.
    """
    pad_h, pad_w = -h.shape[1] % multiple, -h.shape[2] % multiple
    if pad_h or pad_w:
        h = ReflectionPadding2D(
            ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2))
        )(h)
    return h


# CycleGAN's ResNet generator (Johnson et al.'s style-transfer network).


def default_num_blocks(image_shape):
    """`num_blocks=None` of `resnet_generator`: the paper's 9 from 256 pixels, else at most 6.

    Below 256 pixels, the fewest blocks that let the central pixel of the
    bottleneck map see all of it: the map is `m = ceil(min(H, W) / 4)`
    pixels on its shorter side, and the two 3x3 convolutions of a block
    widen the receptive field there by 4 pixels (2 on each side), so
    `1 + 4 num_blocks >= m`; capped at the paper's 6 (its 128x128
    generator, which the rule would give 8):

    ```
    min(H, W)    m          num_blocks
    8 .. 20      2 .. 5     1
    21 .. 36     6 .. 9     2            28x28, 30x30, 32x32
    37 .. 52     10 .. 13   3
    53 .. 68     14 .. 17   4            64x64
    69 .. 84     18 .. 21   5
    85 .. 255    22 .. 64   6            128x128 (Zhu et al.)
    >= 256                  9            256x256 (Zhu et al.)
    ```
    """
    side = min(image_shape[0], image_shape[1])
    if side >= 256:
        return 9
    bottleneck = math.ceil(side / 4)
    return min(6, max(1, math.ceil((bottleneck - 1) / 4)))


def resnet_generator(
    image_shape,
    output_channels=None,
    filters=64,
    num_blocks=None,
    seed=None,
    offset=GENERATOR_OFFSET,
    name="resnet_generator",
):
    """CycleGAN's generator: `c7s1-f, d2f, d4f, R4f x num_blocks, u2f, uf, c7s1-C'`, tanh.

    In the paper's notation (appendix 7.2), with `f = filters`:

    - `c7s1-k`: reflection padding 3, a 7x7 convolution of `k` filters,
      instance normalisation, ReLU;
    - `dk`: a 3x3 stride-2 convolution of `k` filters, instance
      normalisation, ReLU (halves height and width);
    - `Rk`: a residual block, `x + IN(conv3x3(ReLU(IN(conv3x3(x)))))`, each
      convolution after a reflection padding of 1;
    - `uk`: a 3x3 stride-2 transposed convolution of `k` filters, instance
      normalisation, ReLU (doubles height and width);
    - the last `c7s1-C'` has no normalisation and ends in `tanh`, with
      `C' = output_channels`.

    Feature maps for a 256x256x3 image with `f = 64`: `(256, 256, 64) ->
    (128, 128, 128) -> (64, 64, 256) -> [9 blocks] -> (128, 128, 128) ->
    (256, 256, 64) -> (256, 256, 3)`. The strided layers pad as Keras'
    `"same"` (where the authors pad 1 on each side): the same sizes, with
    the down and up paths aligned with each other. Images whose sides are not
    multiples of 4 are reflected up to the next multiple and the output
    cropped back.

    Args:
        image_shape: `(H, W, C)`, `H, W >= 8`.
        output_channels: `C'`, the channels of the output; None: `C`
            (e.g. 1 -> 3 translates grey images into colour).
        filters: `f`, the width of the first layer (64 in the paper).
        num_blocks: residual blocks, an int >= 0; None:
            `default_num_blocks(image_shape)` (9 from 256 pixels, 6 at 128).
        seed: None or an int seeding the initial weights (module docstring).
        offset: the network's seed offset.
        name: the model's name.

    Returns:
        A `keras.Model` `(batch, H, W, C)` -> `(batch, H, W, C')` in (-1, 1).
    """
    image_shape, output_channels, filters, seed = _check_common(
        image_shape, output_channels, filters, seed
    )
    num_blocks = _validation.optional_int("num_blocks", num_blocks, minimum=0)
    if num_blocks is None:
        num_blocks = default_num_blocks(image_shape)
    init = _init(seed, _validation.non_negative_int("offset", offset))
    index = itertools.count()  # the layers with a kernel, in order

    def conv_norm_relu(h, width, kernel, strides=1, layer=keras.layers.Conv2D, relu=True):
        padding = "valid" if strides == 1 else "same"
        h = layer(width, kernel, strides=strides, padding=padding, use_bias=False,
                  kernel_initializer=init(next(index)))(h)
        h = instance_normalization()(h)
        return keras.layers.ReLU()(h) if relu else h

    x = keras.Input(image_shape, name="x")
    h = _pad_to_multiple(x, 4)
    h = ReflectionPadding2D(3)(h)
    h = conv_norm_relu(h, filters, 7)
    h = conv_norm_relu(h, 2 * filters, 3, strides=2)
    h = conv_norm_relu(h, 4 * filters, 3, strides=2)
    for _ in range(num_blocks):
        r = ReflectionPadding2D(1)(h)
        r = conv_norm_relu(r, 4 * filters, 3)
        r = ReflectionPadding2D(1)(r)
        r = conv_norm_relu(r, 4 * filters, 3, relu=False)
        h = keras.layers.Add()([h, r])
    h = conv_norm_relu(h, 2 * filters, 3, strides=2, layer=keras.layers.Conv2DTranspose)
    h = conv_norm_relu(h, filters, 3, strides=2, layer=keras.layers.Conv2DTranspose)
    h = ReflectionPadding2D(3)(h)
    h = keras.layers.Conv2D(output_channels, 7, activation="tanh",
                            kernel_initializer=init(next(index)))(h)
    y = _networks.crop_to(h, image_shape[0], image_shape[1])
    return keras.Model(x, y, name=name)


# The U-Net generator of pix2pix (Isola et al. 2017, arXiv 1611.07004).


def max_unet_depth(image_shape):
    """The most stride-2 halvings a U-Net takes: `floor(log2(min(H, W)))`.

    Padding the image up to a multiple of `2^depth` reflects fewer than
    `2^depth <= min(H, W)` pixels, which reflection allows.
    """
    return min(image_shape[0], image_shape[1]).bit_length() - 1


def default_unet_depth(image_shape):
    """`depth=None` of `unet_generator`: `min(8, floor(log2(min(H, W))))`.

    As many halvings as take the shorter side to a 1 or 2 pixel bottleneck,
    at most the 8 of the authors' `unet_256`:

    ```
    min(H, W)    depth   bottleneck              examples
    8 .. 15      3       1 .. 2 (8 -> 1)         8x8
    16 .. 31     4       1 .. 2                  28x28 -> 32 -> 2x2, 30x30 -> 2x2
    32 .. 63     5       1 .. 2                  32x32 -> 1x1
    64 .. 127    6       1 .. 2                  64x64 -> 1x1
    128 .. 255   7       1 .. 2                  128x128 (unet_128)
    >= 256       8       ceil(min(H, W) / 256)   256x256 -> 1x1 (unet_256)
    ```
    """
    return min(8, max_unet_depth(image_shape))


def unet_generator(
    image_shape,
    output_channels=None,
    filters=64,
    depth=None,
    seed=None,
    offset=GENERATOR_OFFSET,
    name="unet_generator",
):
    """The pix2pix U-Net: `depth` 4x4 stride-2 convolutions down, as many transposed up, with skips.

    Down, level `k = 0 .. depth - 1`: `LeakyReLU(0.2)` (not on the image),
    a 4x4 stride-2 convolution of `f min(2^k, 8)` filters, instance
    normalisation (not on the first nor on the innermost level, the 1x1 or
    2x2 bottleneck). Up, from the bottleneck: `ReLU`, a 4x4 stride-2
    transposed convolution back to level `k - 1`'s width, instance
    normalisation, then the concatenation `[down_(k-1), up]`; the last
    transposed convolution gives `C' = output_channels` channels through
    `tanh`. For 256x256 with `f = 64` (`unet_256`): down widths 64, 128,
    256, 512, 512, 512, 512, 512 to a 1x1 bottleneck.

    Unlike pix2pix: instance instead of batch normalisation, so that
    replicas need no synchronised statistics, and no dropout, so that the
    network is deterministic and trains the same on one device and on
    replicas. Sides that are not multiples of `2^depth` are reflected up to
    the next multiple and the output cropped back.

    Args:
        image_shape: `(H, W, C)`, `H, W >= 8`.
        output_channels: `C'`; None: `C`.
        filters: `f`, the first level's width (64 in pix2pix).
        depth: halvings, an int in `[1, max_unet_depth(image_shape)]`;
            None: `default_unet_depth(image_shape)`.
        seed: None or an int seeding the initial weights (module docstring).
        offset: the network's seed offset.
        name: the model's name.

    Returns:
        A `keras.Model` `(batch, H, W, C)` -> `(batch, H, W, C')` in (-1, 1).
    """
    image_shape, output_channels, filters, seed = _check_common(
        image_shape, output_channels, filters, seed
    )
    depth = _optional_int_in("depth", depth, max_unet_depth(image_shape), image_shape)
    if depth is None:
        depth = default_unet_depth(image_shape)
    init = _init(seed, _validation.non_negative_int("offset", offset))
    widths = [filters * min(2**k, 8) for k in range(depth)]

    x = keras.Input(image_shape, name="x")
    h = _pad_to_multiple(x, 2**depth)
    down = []
    for k, width in enumerate(widths):
        normalized = 0 < k < depth - 1
        if k > 0:
            h = keras.layers.LeakyReLU(negative_slope=_SLOPE)(h)
        h = _stride_2(keras.layers.Conv2D, width, init(k), use_bias=not normalized)(h)
        if normalized:
            h = instance_normalization()(h)
        down.append(h)
    for k in reversed(range(1, depth)):  # from level k up to level k - 1
        h = keras.layers.ReLU()(h)
        index = 2 * depth - 1 - k
        h = _stride_2(keras.layers.Conv2DTranspose, widths[k - 1], init(index), use_bias=False)(h)
        h = instance_normalization()(h)
        h = keras.layers.Concatenate()([down[k - 1], h])
    h = keras.layers.ReLU()(h)
    h = _stride_2(keras.layers.Conv2DTranspose, output_channels, init(2 * depth - 1),
                  activation="tanh")(h)
    y = _networks.crop_to(h, image_shape[0], image_shape[1])
    return keras.Model(x, y, name=name)


# The PatchGAN discriminator (the authors' NLayerDiscriminator).


def patchgan_receptive_field(num_layers):
    """The side of the input square one PatchGAN logit sees: 16, 34, 70 for 1, 2, 3 layers.

    Back from one output pixel: the two stride-1 4x4 convolutions see `1 + 3
    + 3 = 7` pixels, each stride-2 4x4 convolution before them maps `r`
    pixels to `2 (r - 1) + 4`.
    """
    field = 7
    for _ in range(num_layers):
        field = 2 * (field - 1) + 4
    return field


def patch_map_side(side, num_layers):
    """The patch map's side for an image side: `floor(side / 2^num_layers) - 2`.

    Each padded stride-2 4x4 convolution maps `s` to `floor(s / 2)`, each
    stride-1 one `s` to `s - 1` (30x30 patches for 256x256 and 3 layers).
    """
    return (side >> num_layers) - 2


def default_num_layers(image_shape):
    """`num_layers=None` of `patchgan_discriminator`: the largest `n <= 3` whose patch fits.

    ```
    n   receptive field   min(H, W)
    1   16 x 16           < 34 (and the fallback below 16)   8x8, 28x28, 32x32
    2   34 x 34           34 .. 69                           64x64
    3   70 x 70           >= 70                              256x256 (Zhu et al.)
    ```
    """
    side = min(image_shape[0], image_shape[1])
    fitting = [n for n in (1, 2, 3) if patchgan_receptive_field(n) <= side]
    return max(fitting, default=1)


def patchgan_discriminator(
    image_shape,
    filters=64,
    num_layers=None,
    seed=None,
    offset=DISCRIMINATOR_OFFSET,
    name="patchgan_discriminator",
):
    """The PatchGAN: one logit per overlapping image patch, `C64 - C128 - C256 - C512 - conv(1)`.

    `Ck`: a 4x4 convolution of `k` filters, instance normalisation (not in
    the first), `LeakyReLU(0.2)`. With `n = num_layers` and `f = filters`:
    `n` stride-2 layers of `f min(2^i, 8)` filters (`i = 0 .. n - 1`), a
    stride-1 layer of `f min(2^n, 8)`, and a stride-1 convolution to one
    channel, the logits (no sigmoid). Each convolution pads 1 pixel of
    zeros on each side, as the authors', so that one logit sees a square of
    `patchgan_receptive_field(n)` pixels (70x70 for `n = 3`, the paper's
    256x256 discriminator) and the map is `patch_map_side` pixels a side
    (30x30 for 256x256).

    Args:
        image_shape: `(H, W, C)`, `H, W >= 8`.
        filters: `f` (64 in the paper).
        num_layers: `n`, the stride-2 layers, an int >= 1 leaving a patch map
            of at least 1x1; None: `default_num_layers(image_shape)`.
        seed: None or an int seeding the initial weights (module docstring).
        offset: the network's seed offset.
        name: the model's name.

    Returns:
        A `keras.Model` `(batch, H, W, C)` -> patch logits `(batch, h', w', 1)`.
    """
    image_shape = _check_image_shape(image_shape)
    filters = _validation.positive_int("filters", filters)
    seed = _validation.seed(seed)
    side = min(image_shape[:2])
    # The most layers that leave a patch map of at least 1x1 (1 from 8 pixels).
    deepest = max(n for n in range(1, side.bit_length()) if patch_map_side(side, n) >= 1)
    num_layers = _optional_int_in("num_layers", num_layers, deepest, image_shape)
    if num_layers is None:
        num_layers = default_num_layers(image_shape)
    init = _init(seed, _validation.non_negative_int("offset", offset))

    def conv(h, width, strides, index, normalized):
        h = keras.layers.ZeroPadding2D(1)(h)
        return keras.layers.Conv2D(width, _KERNEL_SIZE, strides=strides, use_bias=not normalized,
                                   kernel_initializer=init(index))(h)

    x = keras.Input(image_shape, name="x")
    h = x
    for i in range(num_layers + 1):
        strides = 2 if i < num_layers else 1
        h = conv(h, filters * min(2**i, 8), strides, i, normalized=i > 0)
        if i > 0:
            h = instance_normalization()(h)
        h = keras.layers.LeakyReLU(negative_slope=_SLOPE)(h)
    logits = conv(h, 1, 1, num_layers + 1, normalized=False)
    return keras.Model(x, logits, name=name)


# The receptive field of a convolutional network.

# Layers that act on each pixel alone or only move pixels: they leave the
# receptive field as it is. Normalisations are here too, although their
# statistics mix all pixels: the receptive field is the convolutions'.
_PIXELWISE_LAYERS = (
    keras.layers.InputLayer,
    keras.layers.ZeroPadding2D,
    ReflectionPadding2D,
    keras.layers.Cropping2D,
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.GroupNormalization,
    keras.layers.BatchNormalization,
    keras.layers.Add,
    keras.layers.Concatenate,
)


def receptive_field(network):
    """The input region one output pixel of `network` sees, from its `Conv2D` layers.

    Along the layers, with `r` the field and `j` the input pixels between
    two neighbouring pixels of the current map (both start at 1):

    ```
    r <- r + (d (k - 1) + 1 - 1) j,    j <- j s
    ```

    for a convolution of kernel `k`, stride `s` and dilation `d`, per axis.
    Padding, cropping, activations, normalisations and merges (`Add`,
    `Concatenate`, which take the largest field of their inputs) leave it as
    it is; the statistics of a normalisation, which mix every pixel, are
    not counted (the paper's "70x70 PatchGAN" does not count them either).

    Args:
        network: a functional or `Sequential` `keras.Model` of `Conv2D` and
            such layers, each called once (e.g. `patchgan_discriminator`);
            for several outputs, the first.

    Returns:
        An int `r` when the field is square, else `(rh, rw)`, in input pixels.

    Raises:
        ValueError: for a layer whose effect on the field is not one of the
            above (a transposed convolution, pooling, `Flatten`, `Dense`...).
    """
    fields = {id(x): (1, 1, 1, 1) for x in keras.tree.flatten(network.inputs)}  # (rh, rw, jh, jw)
    for layer in network.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if not isinstance(layer, (keras.layers.Conv2D, *_PIXELWISE_LAYERS)):
            _validation.fail(
                "network", "made of Conv2D, padding, cropping, activation, normalisation and "
                f"merge layers (found the {type(layer).__name__} layer {layer.name!r})",
                network.name,
            )
        inputs = [fields[id(t)] for t in keras.tree.flatten(layer.input)]
        rh, rw = max(f[0] for f in inputs), max(f[1] for f in inputs)
        jh, jw = inputs[0][2], inputs[0][3]
        if isinstance(layer, keras.layers.Conv2D):
            (kh, kw), (sh, sw), (dh, dw) = layer.kernel_size, layer.strides, layer.dilation_rate
            rh, rw = rh + dh * (kh - 1) * jh, rw + dw * (kw - 1) * jw
            jh, jw = jh * sh, jw * sw
        fields[id(layer.output)] = (rh, rw, jh, jw)
    rh, rw = fields[id(keras.tree.flatten(network.outputs)[0])][:2]
    return rh if rh == rw else (rh, rw)


# DiscoGAN's networks (Kim et al.): DCGAN-style, with batch normalisation.


def _check_discogan(image_shape, output_channels, filters, seed):
    image_shape, output_channels, filters, seed = _check_common(
        image_shape, output_channels, filters, seed
    )
    stages = _networks.stride_2_stages(image_shape)
    return image_shape, output_channels, filters, seed, stages


def discogan_generator(
    image_shape,
    output_channels=None,
    filters=64,
    seed=None,
    offset=GENERATOR_OFFSET,
    name="discogan_generator",
):
    """DiscoGAN's encoder-decoder: `n` 4x4 stride-2 convolutions down, `n` transposed up, tanh.

    Encoder: convolutions of `f, 2f, ..., 2^(n-1) f` filters, each followed
    by batch normalisation (not the first) and `LeakyReLU(0.2)`. Decoder:
    transposed convolutions of `2^(n-2) f, ..., f` filters, each with batch
    normalisation and ReLU, then one to `C' = output_channels` channels
    through `tanh` (the authors' code ends in a sigmoid for images in [0, 1];
    kgen's images are in [-1, 1]). No skip connections: the image passes
    through the `(H / 2^n, W / 2^n, 2^(n-1) f)` bottleneck. `n =
    _networks.stride_2_stages(image_shape)`, the DCGAN networks' rule: for
    64x64 and `f = 64`, the paper's `64 -> 128 -> 256 -> 512` down to 4x4
    and `256 -> 128 -> 64 -> C'` back up. Sides that are not multiples of
    `2^n` are reflected up to the next multiple and the output cropped back.

    Batch normalisation is `_gan_networks.batch_normalization()`, which
    synchronises its statistics across replicas when built in a strategy's
    scope.

    Args:
        image_shape: `(H, W, C)`, `H, W >= 8`.
        output_channels: `C'`; None: `C`.
        filters: `f` (64 in the paper).
        seed: None or an int seeding the initial weights (module docstring).
        offset: the network's seed offset.
        name: the model's name.

    Returns:
        A `keras.Model` `(batch, H, W, C)` -> `(batch, H, W, C')` in (-1, 1).
    """
    image_shape, output_channels, filters, seed, stages = _check_discogan(
        image_shape, output_channels, filters, seed
    )
    init = _init(seed, _validation.non_negative_int("offset", offset))
    widths = _networks.stage_widths(filters, stages)

    x = keras.Input(image_shape, name="x")
    h = _pad_to_multiple(x, 2**stages)
    for i, width in enumerate(widths):
        h = _stride_2(keras.layers.Conv2D, width, init(i), use_bias=i == 0)(h)
        if i > 0:
            h = _gan_networks.batch_normalization()(h)
        h = keras.layers.LeakyReLU(negative_slope=_SLOPE)(h)
    for i, width in enumerate(reversed(widths[:-1]), start=stages):
        h = _stride_2(keras.layers.Conv2DTranspose, width, init(i), use_bias=False)(h)
        h = _gan_networks.batch_normalization()(h)
        h = keras.layers.ReLU()(h)
    h = _stride_2(keras.layers.Conv2DTranspose, output_channels, init(2 * stages - 1),
                  activation="tanh")(h)
    y = _networks.crop_to(h, image_shape[0], image_shape[1])
    return keras.Model(x, y, name=name)


def discogan_discriminator(
    image_shape,
    filters=64,
    seed=None,
    offset=DISCRIMINATOR_OFFSET,
    name="discogan_discriminator",
):
    """DiscoGAN's discriminator: `n` 4x4 stride-2 convolutions, then one logit per image.

    Convolutions of `f, 2f, ..., 2^(n-1) f` filters ("same" padding), each
    followed by batch normalisation (not the first) and `LeakyReLU(0.2)`,
    then a convolution whose kernel covers the whole last map (`(h0, w0) =
    _networks.smallest_map(image_shape)`, the paper's 4x4 for 64x64) to one
    logit, no sigmoid. `n = _networks.stride_2_stages(image_shape)`.

    Args:
        image_shape: `(H, W, C)`, `H, W >= 8`.
        filters: `f` (64 in the paper).
        seed: None or an int seeding the initial weights (module docstring).
        offset: the network's seed offset.
        name: the model's name.

    Returns:
        A `keras.Model` `(batch, H, W, C)` -> logits `(batch, 1)`.
    """
    image_shape, _, filters, seed, stages = _check_discogan(image_shape, None, filters, seed)
    init = _init(seed, _validation.non_negative_int("offset", offset))

    x = keras.Input(image_shape, name="x")
    h = x
    for i, width in enumerate(_networks.stage_widths(filters, stages)):
        h = _stride_2(keras.layers.Conv2D, width, init(i), use_bias=i == 0)(h)
        if i > 0:
            h = _gan_networks.batch_normalization()(h)
        h = keras.layers.LeakyReLU(negative_slope=_SLOPE)(h)
    last_map = _networks.smallest_map(image_shape)
    h = keras.layers.Conv2D(1, last_map, kernel_initializer=init(stages))(h)
    logit = keras.layers.Reshape((1,), name="logit")(h)
    return keras.Model(x, logit, name=name)
