"""CycleGAN: unpaired image-to-image translation (Zhu, Park, Isola & Efros, arXiv 1703.10593).

Two generators `G: A -> B`, `F: B -> A` and two discriminators `D_A`, `D_B`
learn from images of two domains that come without pairs (photographs and
paintings, grey digits and colour digits). Besides the adversarial losses,
a translation must come back: `F(G(a)) ~ a` and `G(F(b)) ~ b` (cycle
consistency), which keeps `G` from mapping every image to one plausible
image of B. Training is `kgen.models._translation_gan.TranslationGAN`'s;
this module builds the paper's networks (`_translation_networks`).
"""

import keras

from kgen.models import _translation_networks
from kgen.models._translation_gan import TranslationGAN


@keras.saving.register_keras_serializable(package="kgen")
class CycleGAN(TranslationGAN):
    """CycleGAN: two generators and two PatchGAN discriminators, with cycle consistency.

    Mathematical details (Zhu et al., equations 1-3 and section 5.2):

    ```
    L = L_adv(G, D_B) + L_adv(F, D_A)
        + lambda (mean|F(G(a)) - a| + mean|G(F(b)) - b|)                    cycle
        + lambda lambda_id (mean|F(a) - a| + mean|G(b) - b|)                identity
    ```

    with `lambda = cycle_weight` (the paper: 10) and `lambda_id =
    identity_weight` (0.5, relative to `lambda` as in the authors' code:
    the identity term's weight is `lambda * lambda_id = 5`). `L_adv` is the
    least squares loss (`gan_loss="lsgan"`, the paper's): the
    discriminators regress their scores onto 1 for real images and 0 for
    translations, the generators push their translations' scores to 1; or
    `"non_saturating"`, the GAN log-loss on logits. Means are over every
    pixel (and every patch of a discriminator's output); the halved
    discriminator loss and the training step are described in
    `TranslationGAN`. The identity term keeps colours when a generator is
    given an image of its target domain (the paper's paintings <-> photos);
    it needs both domains to have the same shape, and is an error
    otherwise unless `identity_weight=0`.

    Networks (`kgen.models._translation_networks`; images in [-1, 1],
    `tanh` outputs; instance normalisation: Keras 3's
    `GroupNormalization(groups=-1)`, one group per channel; reflection
    padding):

    - `generator="resnet"` (the paper's): `c7s1-f, d2f, d4f, R4f x n,
      u2f, uf, c7s1-C`, `n` residual blocks chosen by the image size (9
      from 256 pixels, 6 below, fewer for small images; see
      `resnet_generator`); `"unet"`: the pix2pix U-Net with skip
      connections (TensorFlow's CycleGAN tutorial). Or your own pair
      `(G, F)`: `keras.Model`s mapping `(batch, *image_shape_a)` to
      `(batch, *image_shape_b)` and back.
    - `discriminator="patchgan"`: the 70x70 PatchGAN at 256x256 (`C64 -
      C128 - C256 - C512 - 1`, 4x4 convolutions), fewer layers when the
      image is smaller than the receptive field (see
      `patchgan_discriminator` and `receptive_field`): it outputs a map of
      scores, one per overlapping patch. Or your own pair `(D_A, D_B)`,
      each mapping images of its domain to scores of any shape.

    Data: images in [-1, 1] (`kgen.datasets.to_tanh_range`), domains of
    any sizes (`fit(a, b)`: see `TranslationGAN.fit`); the channels may
    differ (grey digits -> colour digits: `(28, 28, 1)` -> `(28, 28, 3)`).

    Args:
        image_shape_a: `(height, width, channels)` of domain A.
        image_shape_b: of domain B; `None` (default): the same as A.
        generator: `"resnet"` (default), `"unet"` or a pair `(G, F)`.
        discriminator: `"patchgan"` (default) or a pair `(D_A, D_B)`.
        cycle_weight: float >= 0, `lambda` (default 10).
        identity_weight: float >= 0, `lambda_id` (default 0.5); must be 0
            when the domains' shapes differ.
        gan_loss: `"lsgan"` (default) or `"non_saturating"`.
        pool_size: int >= 0, past translations kept per domain for the
            discriminators (default 50, the paper's; 0: no pool).
        filters: positive int, the width of the built-in networks' first
            layer (default 64, the paper's), doubling per downsampling.
        seed: optional int; seeds the initial weights (`F` and `D_A` at
            `seed + 5000`), the pools and the data shuffling of `fit`.
        **kwargs: base model keyword arguments, such as `name`.

    Attributes:
        generator_a_to_b, generator_b_to_a: `G` and `F`.
        discriminator_a, discriminator_b: `D_A` and `D_B`.
        pool_a, pool_b: the `kgen.layers.ImagePool`s of translations into A and B.
        image_shape_a, image_shape_b: the domains' image shapes.

    Example:

    ```python
    (x, y), _ = kgen.datasets.load_digits()
    a = kgen.datasets.to_tanh_range(x[: len(x) // 2])                       # grey digits
    b = kgen.datasets.to_tanh_range(kgen.datasets.colour_digits(x[len(x) // 2 :], seed=0))
    model = kgen.models.CycleGAN((8, 8, 1), (8, 8, 3), identity_weight=0.0, seed=0)
    model.compile()                      # Adam(2e-4, beta_1=0.5) for both pairs
    model.fit(a, b, epochs=20, batch_size=16)
    colour = model.translate_a_to_b(a[:8])        # (8, 8, 8, 3), in [-1, 1]
    back = model.cycle(a[:8], "a_to_b")           # F(G(a)), close to a
    ```

    References:
        Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", arXiv 1703.10593.
        Mao et al., "Least Squares Generative Adversarial Networks", arXiv 1611.04076.
    """

    _config_arguments = ("image_shape_a", "image_shape_b",
                         "cycle_weight", "identity_weight", "gan_loss", "pool_size", "filters",
                         "seed")

    _GENERATORS = {"resnet": _translation_networks.resnet_generator,
                   "unet": _translation_networks.unet_generator}
    _DISCRIMINATORS = {"patchgan": _translation_networks.patchgan_discriminator}

    def __init__(self, image_shape_a, image_shape_b=None, generator="resnet",
                 discriminator="patchgan", cycle_weight=10.0, identity_weight=0.5, gan_loss="lsgan",
                 pool_size=50, filters=64, seed=None, **kwargs):
        super().__init__(image_shape_a, image_shape_b, generator, discriminator, filters,
                         cycle_weight, identity_weight, gan_loss, pool_size, cycle_distance="l1",
                         seed=seed, **kwargs)
