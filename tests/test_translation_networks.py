"""The image-translation networks (CycleGAN's, pix2pix's U-Net, DiscoGAN's) and their parts.

Checked here: `ReflectionPadding2D` against `np.pad(mode="reflect")`;
instance normalisation against a NumPy standardisation; every generator
keeps the image's size (sizes not divisible by the strides included) and
maps into (-1, 1); the paper's networks at the paper's sizes by parameter
count, counted by hand; the PatchGAN's receptive field against the paper's
70x70 and against autodiff; saving with `safe_mode=True`; seeds and argument
checks. Networks are built with `filters=4` unless the paper's width is
the point.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.layers import ReflectionPadding2D
from kgen.models import _gan_networks
from kgen.models import _translation_networks as tn

RNG = np.random.default_rng(0)

GENERATORS = {
    "resnet": tn.resnet_generator,
    "unet": tn.unet_generator,
    "discogan": tn.discogan_generator,
}


def images(shape, batch=2):
    return RNG.uniform(-1.0, 1.0, (batch, *shape)).astype("float32")


# ReflectionPadding2D.


@pytest.mark.parametrize(
    "padding, pairs",
    [(1, ((1, 1), (1, 1))), ((2, 1), ((2, 2), (1, 1))), (((0, 3), (2, 1)), ((0, 3), (2, 1)))],
)
def test_reflection_padding_matches_numpy_and_round_trips_its_config(padding, pairs):
    x = images((4, 5, 2))
    layer = ReflectionPadding2D(padding)
    expected = np.pad(x, ((0, 0), *pairs, (0, 0)), mode="reflect")
    np.testing.assert_array_equal(layer(x), expected)
    assert layer.compute_output_shape((None, 4, 5, 2)) == (None, *expected.shape[1:])
    assert layer.compute_output_shape((None, None, 5, 2))[1] is None
    # A config read back from JSON holds lists, which must mean the same.
    config = keras.tree.map_structure(lambda v: v, layer.get_config())
    config["padding"] = [list(pair) for pair in config["padding"]]
    twin = ReflectionPadding2D.from_config(config)
    assert twin.padding == pairs
    np.testing.assert_array_equal(twin(x), expected)


def test_reflection_padding_refuses_bad_padding():
    with pytest.raises(ValueError, match=r"`padding` must be an int >= 0.*Received: padding=-1"):
        ReflectionPadding2D(-1)
    with pytest.raises(ValueError, match=r"`padding` must be.*Received: padding=\(1, 2, 3\)"):
        ReflectionPadding2D((1, 2, 3))
    # Reflection mirrors about the edge row: at most size - 1 rows a side.
    with pytest.raises(ValueError, match=r"at most height - 1 rows .* shape \(None, 3, 5, 1\)"):
        ReflectionPadding2D(3)(keras.Input((3, 5, 1)))


# Instance normalisation.


def test_instance_normalization_standardises_each_example_and_channel():
    x = RNG.normal(2.0, 3.0, (3, 5, 6, 4)).astype("float32")
    mean = x.mean(axis=(1, 2), keepdims=True)
    variance = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(variance + 1e-5)
    layer = tn.instance_normalization()
    # float32 sums of 30 values of size ~10: errors ~1e-6 relative.
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)
    assert layer.count_params() == 0  # the authors' affine=False


# The generators.


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@pytest.mark.parametrize(
    "image_shape, output_channels",
    [((8, 8, 1), None), ((28, 28, 1), 3), ((30, 30, 3), None), ((32, 32, 3), None)],
)
def test_generators_keep_the_image_size_and_map_into_minus_one_one(
    kind, image_shape, output_channels
):
    generator = GENERATORS[kind](image_shape, output_channels, filters=4, seed=0)
    channels = output_channels or image_shape[-1]
    y = keras.ops.convert_to_numpy(generator(images(image_shape)))
    assert y.shape == (2, *image_shape[:2], channels)
    assert _gan_networks.output_activation(generator) is keras.activations.tanh
    assert np.all(np.abs(y) <= 1.0) and np.std(y) > 0


def test_resnet_generator_at_256_pixels_is_the_papers_with_9_blocks():
    generator = tn.resnet_generator((256, 256, 3), seed=0)
    convs = [layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 1 + 2 + 2 * 9 + 1
    # c7s1-64, d128, d256, R256 x 9 (two 3x3 convs each), u128, u64, c7s1-3;
    # no bias before instance normalisation (it would be cancelled), one on
    # the output. The authors' 11,378,179 less their 5,248 cancelled biases.
    expected = (
        7 * 7 * 3 * 64 + 3 * 3 * 64 * 128 + 3 * 3 * 128 * 256 + 18 * 3 * 3 * 256 * 256
        + 3 * 3 * 256 * 128 + 3 * 3 * 128 * 64 + 7 * 7 * 64 * 3 + 3
    )
    assert expected == 11_378_179 - 5_248
    assert generator.count_params() == expected


def test_unet_generator_halves_down_to_a_one_or_two_pixel_bottleneck():
    generator = tn.unet_generator((256, 256, 3), filters=4, seed=0)
    down = [tuple(layer.output.shape[1:]) for layer in generator.layers
            if type(layer) is keras.layers.Conv2D]
    # unet_256: eight halvings, widths f, 2f, 4f, 8f, 8f, 8f, 8f, 8f.
    assert down == [(256 // 2**k, 256 // 2**k, 4 * min(2 ** (k - 1), 8)) for k in range(1, 9)]
    # 28x28 is reflected up to 32x32, four halvings to 2x2.
    small = tn.unet_generator((28, 28, 1), filters=4, seed=0)
    assert [layer.output.shape[1] for layer in small.layers
            if type(layer) is keras.layers.Conv2D] == [16, 8, 4, 2]


def test_discogan_networks_at_64_pixels_are_the_papers():
    generator = tn.discogan_generator((64, 64, 3), seed=0)
    shapes = [tuple(layer.output.shape[1:]) for layer in generator.layers
              if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    assert shapes == [(32, 32, 64), (16, 16, 128), (8, 8, 256), (4, 4, 512),
                      (8, 8, 256), (16, 16, 128), (32, 32, 64), (64, 64, 3)]
    discriminator = tn.discogan_discriminator((64, 64, 3), filters=4, seed=0)
    convs = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [tuple(c.output.shape[1:]) for c in convs] == [
        (32, 32, 4), (16, 16, 8), (8, 8, 16), (4, 4, 32), (1, 1, 1)]
    assert convs[-1].kernel_size == (4, 4)  # the paper's last 4x4 convolution
    assert discriminator(images((64, 64, 3))).shape == (2, 1)


@pytest.mark.parametrize(
    "side, blocks, depth, layers",
    [(8, 1, 3, 1), (20, 1, 4, 1), (21, 2, 4, 1), (28, 2, 4, 1), (32, 2, 5, 1), (34, 2, 5, 2),
     (64, 4, 6, 2), (70, 5, 6, 3), (128, 6, 7, 3), (255, 6, 7, 3), (256, 9, 8, 3), (512, 9, 8, 3)],
)
def test_defaults_follow_the_documented_tables(side, blocks, depth, layers):
    shape = (side, side + 5, 3)  # the shorter side decides
    assert tn.default_num_blocks(shape) == blocks
    assert tn.default_unet_depth(shape) == depth
    assert tn.default_num_layers(shape) == layers


# The PatchGAN discriminator and the receptive field.


@pytest.mark.parametrize(
    "image_shape, num_layers, patches",
    [((8, 8, 1), 1, (2, 2)), ((28, 28, 1), 1, (12, 12)), ((30, 32, 3), 1, (13, 14)),
     ((64, 64, 3), 2, (14, 14)), ((256, 256, 3), 3, (30, 30))],
)
def test_patchgan_gives_a_map_of_patch_logits(image_shape, num_layers, patches):
    discriminator = tn.patchgan_discriminator(image_shape, filters=4, seed=0)
    assert discriminator(images(image_shape)).shape == (2, *patches, 1)
    assert tn.receptive_field(discriminator) == tn.patchgan_receptive_field(num_layers)


def test_patchgan_at_256_pixels_is_the_papers_70x70():
    fields = [tn.receptive_field(tn.patchgan_discriminator((256, 256, 3), 4, n, seed=0))
              for n in (1, 2, 3)]
    assert fields == [16, 34, 70]
    paper = tn.patchgan_discriminator((256, 256, 3), seed=0)
    # C64 - C128 - C256 - C512 - conv(1), 4x4 kernels; the authors' 2,764,737
    # less the 896 biases that instance normalisation cancels.
    expected = 4 * 4 * 3 * 64 + 64 + 4 * 4 * (64 * 128 + 128 * 256 + 256 * 512) + 4 * 4 * 512 + 1
    assert expected == 2_764_737 - 896
    assert paper.count_params() == expected


def _without_normalization(network):
    """`network` with each normalisation replaced by the identity, the same weights otherwise."""
    def clone(layer):
        if isinstance(layer, keras.layers.GroupNormalization):
            return keras.layers.Identity()
        return layer.__class__.from_config(layer.get_config())
    twin = keras.models.clone_model(network, clone_function=clone)
    twin.set_weights(network.get_weights())
    return twin


@pytest.mark.parametrize("num_layers", [2, 3])
def test_receptive_field_is_where_the_gradient_of_one_logit_is_nonzero(num_layers):
    # The independent reference: autodiff. The gradient of one central logit
    # with respect to the image is nonzero exactly on the pixels it sees (with
    # random weights and LeakyReLU, no cancellation). Instance normalisation's
    # statistics reach every pixel, so it is taken out for the reference: the
    # receptive field is the convolutions'.
    discriminator = tn.patchgan_discriminator((96, 96, 1), filters=4, num_layers=num_layers, seed=0)
    reference = _without_normalization(discriminator)
    x = tf.constant(images((96, 96, 1), batch=1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = reference(x)
        centre = logits.shape[1] // 2
        logit = logits[0, centre, centre, 0]
    seen = np.abs(tape.gradient(logit, x).numpy()[0, :, :, 0]) > 0
    rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
    assert 0 < rows[0] and rows[-1] < 95 and 0 < cols[0] and cols[-1] < 95  # clear of the borders
    size = tn.receptive_field(discriminator)
    assert (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == (size, size)
    assert seen[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()


def test_receptive_field_refuses_layers_it_cannot_follow():
    generator = tn.resnet_generator((8, 8, 1), filters=4, seed=0)
    with pytest.raises(ValueError, match=r"`network` must be made of Conv2D.*Conv2DTranspose"):
        tn.receptive_field(generator)
    dilated = keras.Sequential([keras.Input((32, 32, 1)),
                                keras.layers.Conv2D(1, 3, dilation_rate=2),
                                keras.layers.Conv2D(1, (3, 1), strides=2)])
    assert tn.receptive_field(dilated) == (5 + 2, 5)


# Saving, seeds and arguments.


def test_a_generator_reloads_in_safe_mode(tmp_path):
    generator = tn.resnet_generator((8, 8, 1), 3, filters=4, seed=0)
    path = tmp_path / "generator.keras"
    generator.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    x = images((8, 8, 1))
    np.testing.assert_array_equal(reloaded(x), generator(x))


def test_seeds_fix_the_weights_and_offsets_separate_the_networks():
    def weights(**kwargs):
        return tn.patchgan_discriminator((8, 8, 1), filters=4, **kwargs).get_weights()[0]
    np.testing.assert_array_equal(weights(seed=3), weights(seed=3))
    second = weights(seed=3, offset=tn.SECOND_DISCRIMINATOR_OFFSET)
    assert not np.array_equal(weights(seed=3), second)
    assert not np.array_equal(weights(seed=None), weights(seed=None))


@pytest.mark.parametrize(
    "build, kwargs, message",
    [
        (tn.resnet_generator, {"image_shape": (7, 8, 1)},
         r"`image_shape` must be \(height, width, channels\) with height and width >= 8. "
         r"Received: image_shape=\(7, 8, 1\)"),
        (tn.unet_generator, {"image_shape": (8, 8)}, r"`image_shape` must be a tuple of 3 ints"),
        (tn.resnet_generator, {"filters": 0}, r"`filters` must be an int >= 1"),
        (tn.resnet_generator, {"num_blocks": -1}, r"`num_blocks` must be None or an int >= 0"),
        (tn.discogan_generator, {"output_channels": 0}, r"`output_channels` must be None"),
        (tn.unet_generator, {"image_shape": (28, 28, 1), "depth": 5},
         r"`depth` must be None or an int in \[1, 4\] for image_shape=\(28, 28, 1\). "
         r"Received: depth=5"),
        (tn.patchgan_discriminator, {"image_shape": (16, 16, 1), "num_layers": 3},  # 0x0 patches
         r"`num_layers` must be None or an int in \[1, 2\] for image_shape=\(16, 16, 1\)"),
        (tn.discogan_discriminator, {"seed": 1.5}, r"`seed` must be None or an int"),
        (tn.patchgan_discriminator, {"offset": -1}, r"`offset` must be an int >= 0"),
    ],
)
def test_bad_arguments_are_refused_with_the_common_message(build, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build(**{"image_shape": (8, 8, 1), **kwargs})
