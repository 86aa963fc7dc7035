"""The convolutional networks follow the image size; small images keep the old ones.

`kgen/models/_networks.py` (the conv VAE) and `_gan_networks.py` (DCGAN, the
conditional GAN, the WGAN-GP critic) use `n = max(2, floor(log2(min(H, W) /
4)))` stride-2 stages. Checked here: the rule itself, the paper's 64x64
networks layer by layer with hand-counted parameters (built, never trained:
building takes under a second), cropping for sizes that are not multiples
of `2^n`, one training step of every colour model on a 3-stage size, and
that 28x28 networks are weight for weight those of the code before the
rule (fingerprints recorded from commit bf1e2d9).
"""

import keras
import numpy as np
import pytest

from kgen.models import _networks
from kgen.models.conditional_gan import ConditionalGAN
from kgen.models.dcgan import DCGAN
from kgen.models.vae import VAE
from kgen.models.wgan_gp import WGANGP


def layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def output_shapes(model, kind):
    return [tuple(layer.output.shape[1:]) for layer in layers_of(model, kind)]


@pytest.mark.parametrize(
    "image_shape, stages, smallest",
    [
        ((1, 1, 1), 2, (1, 1)),
        ((8, 8, 1), 2, (2, 2)),
        ((28, 28, 1), 2, (7, 7)),
        ((30, 30, 1), 2, (8, 8)),
        ((31, 64, 3), 2, (8, 16)),  # the shorter side decides
        ((32, 32, 3), 3, (4, 4)),
        ((36, 44, 3), 3, (5, 6)),
        ((48, 48, 3), 3, (6, 6)),
        ((63, 63, 3), 3, (8, 8)),
        ((64, 64, 3), 4, (4, 4)),
        ((100, 64, 3), 4, (7, 4)),
        ((128, 128, 3), 5, (4, 4)),
    ],
)
def test_stride_2_stages_follow_the_shorter_side(image_shape, stages, smallest):
    assert _networks.stride_2_stages(image_shape) == stages
    assert _networks.smallest_map(image_shape) == smallest


def test_dcgan_64x64_colour_has_the_networks_of_radford_et_al():
    dcgan = DCGAN((64, 64, 3), 100, seed=0)
    generator, discriminator = dcgan.generator, dcgan.discriminator
    assert dcgan.filters == 128  # the default from 32 pixels up
    # Figure 1 of the paper: z -> 4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 64x64x3.
    assert output_shapes(generator, keras.layers.Reshape) == [(4, 4, 1024)]
    assert output_shapes(generator, keras.layers.Conv2DTranspose) == [
        (8, 8, 512), (16, 16, 256), (32, 32, 128), (64, 64, 3),
    ]
    assert not layers_of(generator, keras.layers.Cropping2D)
    assert len(layers_of(generator, keras.layers.BatchNormalization)) == 4
    # The discriminator mirrors it, batch normalisation on all but the input layer.
    assert output_shapes(discriminator, keras.layers.Conv2D) == [
        (32, 32, 128), (16, 16, 256), (8, 8, 512), (4, 4, 1024),
    ]
    assert len(layers_of(discriminator, keras.layers.BatchNormalization)) == 3
    # Parameters by hand: 4x4 kernels; BN has 4 numbers per channel (gamma,
    # beta and the two moving statistics); no bias before BN.
    projection = 100 * 4 * 4 * 1024
    upsampling = 16 * (1024 * 512 + 512 * 256 + 256 * 128) + (16 * 128 * 3 + 3)
    assert generator.count_params() == projection + upsampling + 4 * (1024 + 512 + 256 + 128)
    downsampling = (16 * 3 * 128 + 128) + 16 * (128 * 256 + 256 * 512 + 512 * 1024)
    logit = 4 * 4 * 1024 + 1
    assert discriminator.count_params() == downsampling + 4 * (256 + 512 + 1024) + logit
    # The conditional GAN and the WGAN-GP critic get the same stages.
    critic = WGANGP((64, 64, 3), 100, filters=4, seed=0).critic
    assert output_shapes(critic, keras.layers.Conv2D) == [
        (32, 32, 4), (16, 16, 8), (8, 8, 16), (4, 4, 32),
    ]
    assert not layers_of(critic, keras.layers.BatchNormalization)


@pytest.mark.parametrize(
    "image_shape, start, uncropped",
    [((48, 48, 3), (6, 6), None), ((36, 44, 3), (5, 6), (40, 48))],
)
def test_sizes_that_are_not_powers_of_two_start_small_and_crop(image_shape, start, uncropped):
    for model in (
        DCGAN(image_shape, 4, filters=2, seed=0),
        ConditionalGAN(image_shape, 3, 4, filters=2, seed=0),
        WGANGP(image_shape, 4, filters=2, seed=0),
    ):
        generator, discriminator = model.generator, model.discriminator
        assert output_shapes(generator, keras.layers.Reshape)[-1] == (*start, 8)
        transposed = output_shapes(generator, keras.layers.Conv2DTranspose)
        assert [shape[:2] for shape in transposed] == [
            (2 * start[0], 2 * start[1]), (4 * start[0], 4 * start[1]),
            (8 * start[0], 8 * start[1]),
        ]
        assert output_shapes(generator, keras.layers.Cropping2D) == (
            [] if uncropped is None else [image_shape]
        )
        assert tuple(generator.output.shape[1:]) == image_shape
        # Same padding rounds up: 36x44 -> 18x22 -> 9x11 -> 5x6.
        assert output_shapes(discriminator, keras.layers.Conv2D)[-1] == (*start, 8)
    vae = VAE(image_shape, 2, architecture="conv", filters=2, seed=0)
    assert output_shapes(vae.encoder, keras.layers.Conv2D)[-1] == (*start, 8)
    assert output_shapes(vae.decoder, keras.layers.Cropping2D) == (
        [] if uncropped is None else [image_shape]
    )


def test_colour_models_on_three_stages_train_one_step():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, size=(4, 32, 32, 3)).astype("float32")
    y = np.arange(4) % 2
    # (DCGAN's step is the conditional GAN's without labels, on the same networks.)
    for model, data in (
        (ConditionalGAN((32, 32, 3), 2, 4, filters=2, seed=0), (x, y)),
        (WGANGP((32, 32, 3), 4, n_critic=2, filters=2, seed=0), (x,)),
        (VAE((32, 32, 3), 2, architecture="conv", filters=2, seed=0), ((x + 1) / 2,)),
    ):
        model.compile(run_eagerly=True)  # no tracing: a step in well under a second
        logs = model.train_on_batch(*data, return_dict=True)
        assert logs and all(np.isfinite(v) for v in logs.values()), type(model).__name__
    assert tuple(model.reconstruct(x[:2]).shape) == (2, 32, 32, 3)
    # The VAE's stages: 32 -> 16 -> 8 -> 4 with 2, 4, 8 filters.
    assert output_shapes(model.encoder, keras.layers.Conv2D) == [
        (16, 16, 2), (8, 8, 4), (4, 4, 8),
    ]


# Per network: the parameter count, then (shape, sum |w|, sum w) of every
# kernel, in layer order, as the code of commit bf1e2d9 built them for
# 28x28x1 images with the default widths and seed 3 (latent_dim 16, 10
# classes; the VAE: latent_dim 4, architecture="conv"). Equal sums of
# 1e4-1e5 float32 values to 1e-9 mean the same initial weights (a weight
# drawn from another seed would move them by about its own size, 0.02).
LEGACY_28X28 = {
    "dcgan.generator": (233217, [
        ((16, 6272), 1600.572147, 2.367508623),
        ((4, 4, 64, 128), 2091.645075, 10.14326807),
        ((4, 4, 1, 64), 15.76299151, -0.3830451602),
    ]),
    "dcgan.discriminator": (138945, [
        ((4, 4, 1, 64), 16.76921548, 0.1824430114),
        ((4, 4, 64, 128), 2083.327773, 6.812195195),
        ((6272, 1), 100.0401165, 2.448022425),
    ]),
    "cgan.generator": (295937, [
        ((26, 6272), 2601.954524, -7.082553101),
        ((4, 4, 64, 128), 2091.645075, 10.14326807),
        ((4, 4, 1, 64), 15.76299151, -0.3830451602),
    ]),
    "cgan.discriminator": (149185, [
        ((4, 4, 11, 64), 179.0112978, 2.705526285),
        ((4, 4, 64, 128), 2083.327773, 6.812195195),
        ((6272, 1), 100.0401165, 2.448022425),
    ]),
    "wgan.generator": (233217, [
        ((16, 6272), 1600.572147, 2.367508623),
        ((4, 4, 64, 128), 2091.645075, 10.14326807),
        ((4, 4, 1, 64), 15.76299151, -0.3830451602),
    ]),
    "wgan.discriminator": (138561, [
        ((4, 4, 1, 64), 16.76921548, 0.1824430114),
        ((4, 4, 64, 128), 2083.327773, 6.812195195),
        ((6272, 1), 100.0401165, 2.448022425),
    ]),
    "vae.encoder": (43912, [
        ((3, 3, 1, 32), 20.2087752, 1.581970744),
        ((3, 3, 32, 64), 770.2761278, 2.700957097),
        ((3136, 8), 544.6968773, 0.2235427964),
    ]),
    "vae.decoder": (71361, [
        ((4, 3136), 270.827729, -1.522781696),
        ((3, 3, 64, 64), 1332.968331, -11.68291389),
        ((3, 3, 32, 64), 765.6757033, 7.358547691),
        ((3, 3, 32, 1), 21.01983723, -1.874684244),
    ]),
}


def test_28x28_networks_are_those_of_earlier_versions():
    models = {
        "dcgan": DCGAN((28, 28, 1), 16, seed=3),
        "cgan": ConditionalGAN((28, 28, 1), 10, 16, seed=3),
        "wgan": WGANGP((28, 28, 1), 16, seed=3),
        "vae": VAE((28, 28, 1), 4, architecture="conv", seed=3),
    }
    assert models["dcgan"].filters == 64 and models["vae"].filters == 32
    for key, (count, kernels) in LEGACY_28X28.items():
        name, network = key.split(".")
        network = getattr(models[name], network)
        assert network.count_params() == count, key
        got = [np.asarray(w, np.float64) for w in network.weights if len(w.shape) >= 2]
        assert [w.shape for w in got] == [shape for shape, _, _ in kernels], key
        np.testing.assert_allclose(
            [(np.abs(w).sum(), w.sum()) for w in got],
            [(abs_sum, total) for _, abs_sum, total in kernels],
            rtol=1e-9, atol=1e-9, err_msg=key,
        )
