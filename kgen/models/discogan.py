"""DiscoGAN: discovering cross-domain relations (Kim, Cha, Kim, Lee & Kim, arXiv 1703.05192).

DiscoGAN, published beside CycleGAN, trains the same four networks on
unpaired images of two domains with the same two constraints: translations
must fool each domain's discriminator, and a round trip must reconstruct
the image. It differs in its choices: encoder-decoder generators with batch
normalisation and no skips, discriminators that output one logit per
image, the GAN log-loss, a squared reconstruction distance with weight 1,
no identity term and no image pool. Training is
`kgen.models._translation_gan.TranslationGAN`'s.
"""

import keras

from kgen import _validation
from kgen.models import _translation_networks
from kgen.models._translation_gan import CYCLE_DISTANCES
from kgen.models._translation_gan import TranslationGAN


@keras.saving.register_keras_serializable(package="kgen")
class DiscoGAN(TranslationGAN):
    """DiscoGAN: the paper's encoder-decoder generators, logit discriminators and reconstruction loss.

    Mathematical details (Kim et al., section 3.2, equations 5-6):

    ```
    L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B
    L_CONST_A = d(G_BA(G_AB(x_A)), x_A),     L_GAN_B = -E log D_B(G_AB(x_A))
    L_D = L_D_A + L_D_B,                       L_D_B = -E log D_B(x_B) - E log(1 - D_B(G_AB(x_A)))
    ```

    `d` is the reconstruction distance (`reconstruction_distance="mse"`,
    the paper's; `"l1"` also offered) weighted by `reconstruction_weight`
    (1 in the paper); `G_AB = G`, `G_BA = F`. The adversarial loss is the
    non-saturating GAN loss on logits (`gan_loss="non_saturating"`;
    `"lsgan"` also offered). kgen halves each discriminator's loss and
    trains with the step of `TranslationGAN` (both generators, then both
    discriminators), `pool_size=0` by default (DiscoGAN has no pool).

    Networks (`kgen.models._translation_networks.discogan_generator` and
    `discogan_discriminator`, with `n` stride-2 stages from the image size,
    `kgen.models._networks.stride_2_stages`: 4 at the paper's 64x64):

    ```
    G: x -> [Conv(4, stride 2) -> (BN) -> LeakyReLU(0.2)] x n      encoder, f, 2f, ... channels
         -> [ConvT(4, stride 2) -> BN -> ReLU] x (n - 1) -> ConvT(C, 4, stride 2) -> tanh
    D: x -> [Conv(4, stride 2) -> (BN) -> LeakyReLU(0.2)] x n -> one logit
    ```

    Args:
        image_shape_a, image_shape_b: `(height, width, channels)` of each
            domain (`image_shape_b=None`: the same as A).
        generator: `"discogan"` (default) or a pair `(G, F)` of `keras.Model`s.
        discriminator: `"discogan"` (default) or a pair `(D_A, D_B)`.
        reconstruction_weight: float >= 0 (default 1).
        reconstruction_distance: `"mse"` (default) or `"l1"`.
        gan_loss: `"non_saturating"` (default) or `"lsgan"`.
        pool_size: int >= 0 (default 0: no image pool).
        filters: positive int, the width of the networks' first layer (default 64).
        seed: optional int; seeds the weights (`F` and `D_A` at `seed +
            5000`), the pools and the shuffling of `fit`.
        **kwargs: base model keyword arguments, such as `name`.

    Example:

    ```python
    model = kgen.models.DiscoGAN((8, 8, 1), (8, 8, 3), seed=0)
    model.compile()
    model.fit(a, b, epochs=20, batch_size=16)     # a, b in [-1, 1], as for CycleGAN
    ```

    References:
        Kim, Cha, Kim, Lee & Kim, "Learning to Discover Cross-Domain
        Relations with Generative Adversarial Networks", arXiv 1703.05192.
    """

    _config_arguments = ("image_shape_a", "image_shape_b",
                         "reconstruction_weight", "reconstruction_distance", "gan_loss",
                         "pool_size", "filters", "seed")

    _GENERATORS = {"discogan": _translation_networks.discogan_generator}
    _DISCRIMINATORS = {"discogan": _translation_networks.discogan_discriminator}

    def __init__(self, image_shape_a, image_shape_b=None, generator="discogan",
                 discriminator="discogan", reconstruction_weight=1.0,
                 reconstruction_distance="mse", gan_loss="non_saturating", pool_size=0, filters=64,
                 seed=None, **kwargs):
        reconstruction_distance = _validation.choice(
            "reconstruction_distance", reconstruction_distance, CYCLE_DISTANCES)
        super().__init__(image_shape_a, image_shape_b, generator, discriminator, filters,
                         reconstruction_weight, 0.0, gan_loss, pool_size,
                         cycle_distance=reconstruction_distance, seed=seed, **kwargs)
        self.reconstruction_distance = reconstruction_distance

    @property
    def reconstruction_weight(self):
        """The weight of the reconstruction (cycle) terms: `cycle_weight` of the base."""
        return self.cycle_weight
