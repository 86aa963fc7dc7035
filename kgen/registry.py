"""The model registry: one row per model, read by the CLI and the test zoo.

A model is one module under `kgen/models/`, its tests, its example and one
row here. The row says how `kgen train NAME` builds the model from the
command line's arguments, how its data is prepared (binarised, scaled to a
tanh generator's range, with labels), which flags of its own it takes, and
how to build a tiny instance for the tests (`tests/zoo.py` runs the
round-trip, safe-mode, export, distribution, CLI and bad-argument tests
over every row, so a new row is covered without editing those tests).

This module imports neither TensorFlow nor Keras at import time: `kgen
--help` lists the models from here and answers at once. The recipes import
the model classes when they run.

Example:

```python
from kgen import registry

entry = registry.get("vae")
model = entry.tiny((8, 8, 1), seed=0)      # small, compiled: for tests
[e.name for e in registry.entries()]       # ['vae', 'rbm', ...]
```
"""

import dataclasses
import math
import typing


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """How a model's training data is prepared from images in [0, 1] (or 2-D points).

    Attributes:
        images_only: the model needs images `(H, W, C)`, not points `(d,)`.
        binary: the data is binarised (`pixel > 0.5`; on MNIST, raw value >
            127) because the model's units or likelihood are binary.
        tanh_range: images are scaled from [0, 1] to [-1, 1] (`2x - 1`),
            the range of a tanh generator; samples are mapped back to draw.
        labelled: the model trains on `(images, labels)`.
        two_domains: the model translates between two domains of images
            (CycleGAN, DiscoGAN) and trains on unpaired `(a, b)`: `kgen
            train` reads A from `--data-a` (default `--data`) and B from
            `--data-b` (default: A's images in colour,
            `kgen.datasets.colour_digits`); the tiny test models translate
            grey 8x8 digits into colour ones.
    """

    images_only: bool = False
    binary: bool = False
    tanh_range: bool = False
    labelled: bool = False
    two_domains: bool = False


@dataclasses.dataclass(frozen=True)
class Flag:
    """A command-line flag of `kgen train` that some models read.

    `dest` is the attribute of the parsed arguments (`--n-hidden` ->
    `n_hidden`); `kwargs` go to `argparse.ArgumentParser.add_argument`.
    """

    name: str
    kwargs: dict

    @property
    def dest(self):
        return self.name.lstrip("-").replace("-", "_")


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One registered model.

    Attributes:
        name: the command-line name (`kgen train NAME`).
        class_name: the model class, as `kgen.models.<Name>`.
        summary: one line for `kgen train --help`.
        data: how its training data is prepared (`DataSpec`).
        learning_rate: the default `--learning-rate`.
        latent_dim: the default `--latent-dim` on images (points: 2), or
            None if the model has no latent dimension.
        flags: names of the model-specific flags it reads (keys of `FLAGS`).
        build: `build(example_shape, args) -> compiled model`, from the
            parsed command line (`args.latent_dim`, `args.learning_rate`,
            `args.seed`, `args.data` and the model's flags).
        tiny: `tiny(example_shape, seed) -> compiled model`, a small
            instance for the tests (seconds per step on a CPU). Its
            training step must be the same on one device as on several
            replicas (`tests/test_distribute.py`): no dropout, whose masks
            are drawn per replica.
    """

    name: str
    class_name: str
    summary: str
    data: DataSpec
    learning_rate: float
    latent_dim: typing.Optional[int]
    flags: tuple
    build: typing.Callable
    tiny: typing.Callable

    def model_class(self):
        """The model class (imports TensorFlow)."""
        import kgen.models

        return getattr(kgen.models, self.class_name.rsplit(".", 1)[1])


# Flags that only some models read; each row names those it uses.
FLAGS = {
    "n_hidden": Flag("--n-hidden", {"type": int, "default": 64,
                                    "help": "RBM hidden units (default 64)"}),
    "time_steps": Flag("--time-steps", {"type": int, "default": 10,
                                        "help": "DRAW glimpses T (default 10)"}),
    "generator": Flag("--generator", {
        "choices": ("resnet", "unet"), "default": "resnet",
        "help": "cyclegan: the paper's ResNet generator (default) or the pix2pix U-Net, which "
                "keeps digits' labels better at small budgets (benchmarks/RESULTS.md)"}),
    "attention": Flag("--attention", {
        "action": "boolean_optional", "default": True,
        "help": "DRAW with Gaussian attention (default) or reading and writing whole images"}),
}

# Widths of the GANs' networks on 2-D points (tests/test_gan_toy2d.py covers
# >= 6 of 8 ring modes with them).
_TOY_GAN_UNITS = (128, 128)
_TOY_WGAN_UNITS = (128, 128, 128)


def _adam(learning_rate, **kwargs):
    import keras

    return keras.optimizers.Adam(learning_rate, **kwargs)


def _gan_optimizers(learning_rate, beta_1=0.5, beta_2=0.999):
    """Two Adam optimizers (discriminator, generator); Radford et al.'s beta_1 = 0.5."""
    return {
        name: _adam(learning_rate, beta_1=beta_1, beta_2=beta_2)
        for name in ("d_optimizer", "g_optimizer")
    }


# vae


def _build_vae(shape, args):
    from kgen.models import VAE

    # Images in [0, 1] get a Bernoulli likelihood; real-valued points a Gaussian one.
    likelihood = "bernoulli" if len(shape) == 3 else "gaussian"
    model = VAE(shape, latent_dim=args.latent_dim, likelihood=likelihood, seed=args.seed)
    model.compile(optimizer=_adam(args.learning_rate))
    return model


def _tiny_vae(shape, seed):
    from kgen.models import VAE

    likelihood = "bernoulli" if len(shape) == 3 else "gaussian"
    model = VAE(shape, latent_dim=2, hidden_units=(16,), likelihood=likelihood, seed=seed)
    model.compile()
    return model


# rbm


def _build_rbm(shape, args):
    import keras

    from kgen.models import RBM

    # PCD with 100 persistent chains: samples from noise look like digits,
    # where CD-1's chains collapse to one blurry mode (examples/rbm_mnist.py).
    model = RBM(math.prod(shape), n_hidden=args.n_hidden, cd_k=1, persistent=True,
                num_chains=100, visible_shape=shape, seed=args.seed)
    model.compile(optimizer=keras.optimizers.SGD(args.learning_rate, momentum=0.5))
    return model


def _tiny_rbm(shape, seed):
    from kgen.models import RBM

    model = RBM(math.prod(shape), 8, persistent=True, num_chains=8, visible_shape=shape, seed=seed)
    model.compile()
    return model


# gan


def _build_gan(shape, args):
    from kgen.models import GAN

    if len(shape) == 1:
        # Points of any range: a linear output, narrower networks.
        model = GAN.mlp(shape, latent_dim=args.latent_dim, output_activation=None,
                        generator_units=_TOY_GAN_UNITS, discriminator_units=_TOY_GAN_UNITS,
                        dropout=0.0, seed=args.seed)
    else:
        model = GAN.mlp(shape, latent_dim=args.latent_dim, seed=args.seed)
    model.compile(**_gan_optimizers(args.learning_rate))
    return model


def _tiny_gan(shape, seed):
    from kgen.models import GAN

    # Points of any range need a linear output, as in `_build_gan`.
    output_activation = None if len(shape) == 1 else "tanh"
    model = GAN.mlp(shape, latent_dim=4, generator_units=(16,), discriminator_units=(16,),
                    dropout=0.0, output_activation=output_activation, seed=seed)
    model.compile()
    return model


# dcgan


def _build_dcgan(shape, args):
    from kgen.models import DCGAN

    model = DCGAN(shape, latent_dim=args.latent_dim, seed=args.seed)
    model.compile(**_gan_optimizers(args.learning_rate))
    return model


def _tiny_dcgan(shape, seed):
    from kgen.models import DCGAN

    model = DCGAN(shape, latent_dim=4, filters=4, seed=seed)
    model.compile()
    return model


# cgan


def _build_cgan(shape, args):
    from kgen.models import ConditionalGAN

    model = ConditionalGAN(shape, num_classes=args.num_classes, latent_dim=args.latent_dim,
                           seed=args.seed)
    model.compile(**_gan_optimizers(args.learning_rate))
    return model


def _tiny_cgan(shape, seed):
    from kgen.models import ConditionalGAN

    model = ConditionalGAN(shape, 10, latent_dim=4, filters=4, seed=seed)
    model.compile()
    return model


# wgan


def _build_wgan(shape, args):
    from kgen.models import WGANGP

    # On points, a gradient penalty weight of 1 (tests/test_gan_toy2d.py; the
    # paper used 0.1 on its toys); 10 (the paper's) on images.
    kwargs = {"hidden_units": _TOY_WGAN_UNITS, "gp_weight": 1.0} if len(shape) == 1 else {}
    model = WGANGP(shape, latent_dim=args.latent_dim, n_critic=5, seed=args.seed, **kwargs)
    # The WGAN-GP paper's Adam(beta_1=0, beta_2=0.9).
    model.compile(**_gan_optimizers(args.learning_rate, beta_1=0.0, beta_2=0.9))
    return model


def _tiny_wgan(shape, seed):
    from kgen.models import WGANGP

    model = WGANGP(shape, latent_dim=4, n_critic=2, filters=4, hidden_units=(16,), seed=seed)
    model.compile()
    return model


# draw


def _build_draw(shape, args):
    from kgen.models import DRAW

    # Gregor et al.'s MNIST set-up (read 2x2, write 5x5, 256-unit LSTMs)
    # with fewer glimpses by default; write grids no larger than the image.
    model = DRAW(shape, time_steps=args.time_steps, latent_dim=args.latent_dim,
                 encoder_units=256, decoder_units=256, attention=args.attention,
                 read_n=min(2, *shape[:2]), write_n=min(5, *shape[:2]), seed=args.seed)
    # DRAW's default optimizer (gradients clipped at a global norm of 100).
    model.compile(optimizer=_adam(args.learning_rate, global_clipnorm=100.0))
    return model


def _tiny_draw(shape, seed):
    from kgen.models import DRAW

    model = DRAW(shape, time_steps=2, latent_dim=2, encoder_units=8, decoder_units=8,
                 read_n=2, write_n=3, seed=seed)
    model.compile()
    return model


# flow


def _build_flow(shape, args):
    from kgen.models import RealNVP

    if len(shape) == 1:
        # Points: alternating halves, continuous density.
        model = RealNVP(shape, num_coupling_layers=6, hidden_units=(64, 64), seed=args.seed)
    else:
        # Images of discrete grey levels, dequantised: the digits have 17
        # levels (0..16), MNIST 256.
        num_bins = 17 if args.data == "digits" else 256
        model = RealNVP(shape, num_coupling_layers=6, filters=(32, 32), num_bins=num_bins,
                        seed=args.seed)
    model.compile(optimizer=_adam(args.learning_rate))
    return model


def _tiny_flow(shape, seed):
    from kgen.models import RealNVP

    if len(shape) == 1:
        model = RealNVP(shape, num_coupling_layers=2, hidden_units=(8,), seed=seed)
    else:
        model = RealNVP(shape, num_coupling_layers=2, filters=(8,), num_bins=17, seed=seed)
    model.compile()
    return model


# cyclegan, discogan: A -> B with `args.image_shape_b` (set by `kgen train`
# from domain B's data); the tiny models translate grey 8x8 digits to colour.


def _colour(shape):
    return (*shape[:2], 3)


def _build_cyclegan(shape, args):
    from kgen.models import CycleGAN

    shape_b = tuple(args.image_shape_b)
    # The paper's identity weight where it applies (domains of one shape).
    identity_weight = 0.5 if tuple(shape) == shape_b else 0.0
    model = CycleGAN(shape, shape_b, generator=args.generator, identity_weight=identity_weight,
                     seed=args.seed)
    model.compile(g_optimizer=_adam(args.learning_rate, beta_1=0.5),
                  d_optimizer=_adam(args.learning_rate, beta_1=0.5))
    return model


def _tiny_cyclegan(shape, seed):
    from kgen.models import CycleGAN

    # The U-Net: at 8x8 the ResNet generator's residual blocks work on 2x2
    # maps, whose instance normalisation amplifies rounding step by step, so
    # that two replicas, which agree with one device after one step, drift
    # past tests/test_distribute.py's tolerance within its three steps.
    model = CycleGAN(shape, _colour(shape), generator="unet", identity_weight=0.0, pool_size=4,
                     filters=4, seed=seed)
    model.compile()
    return model


def _build_discogan(shape, args):
    from kgen.models import DiscoGAN

    model = DiscoGAN(shape, tuple(args.image_shape_b), seed=args.seed)
    model.compile(g_optimizer=_adam(args.learning_rate, beta_1=0.5),
                  d_optimizer=_adam(args.learning_rate, beta_1=0.5))
    return model


def _tiny_discogan(shape, seed):
    from kgen.models import DiscoGAN

    model = DiscoGAN(shape, _colour(shape), filters=4, seed=seed)
    model.compile()
    return model


_ENTRIES = (
    ModelEntry("vae", "kgen.models.VAE", "variational autoencoder (Kingma & Welling)",
               DataSpec(), 1e-3, 2, (), _build_vae, _tiny_vae),
    ModelEntry("rbm", "kgen.models.RBM", "restricted Boltzmann machine, PCD-1 on the Gibbs op",
               DataSpec(images_only=True, binary=True), 0.02, None, ("n_hidden",),
               _build_rbm, _tiny_rbm),
    # Radford et al.'s Adam(2e-4, beta_1=0.5) for the GANs.
    ModelEntry("gan", "kgen.models.GAN", "GAN with MLP networks (Goodfellow et al.)",
               DataSpec(tanh_range=True), 2e-4, 32, (), _build_gan, _tiny_gan),
    ModelEntry("dcgan", "kgen.models.DCGAN", "deep convolutional GAN (Radford et al.)",
               DataSpec(images_only=True, tanh_range=True), 2e-4, 32, (),
               _build_dcgan, _tiny_dcgan),
    ModelEntry("cgan", "kgen.models.ConditionalGAN", "class-conditional GAN (Mirza & Osindero)",
               DataSpec(images_only=True, tanh_range=True, labelled=True), 2e-4, 32, (),
               _build_cgan, _tiny_cgan),
    # Gulrajani et al.'s Adam(1e-4, beta_1=0, beta_2=0.9).
    ModelEntry("wgan", "kgen.models.WGANGP", "Wasserstein GAN with gradient penalty",
               DataSpec(tanh_range=True), 1e-4, 32, (), _build_wgan, _tiny_wgan),
    # 3e-3: the learning rate of the DRAW rows of benchmarks/likelihood_mnist.py
    # (benchmarks/RESULTS.md, "Likelihoods on binarised MNIST").
    ModelEntry("draw", "kgen.models.DRAW", "DRAW: a recurrent VAE with attention (Gregor et al.)",
               DataSpec(images_only=True, binary=True), 3e-3, 10, ("time_steps", "attention"),
               _build_draw, _tiny_draw),
    ModelEntry("flow", "kgen.models.RealNVP", "RealNVP normalising flow (Dinh et al.)",
               DataSpec(), 1e-3, None, (), _build_flow, _tiny_flow),
    # The CycleGAN paper's Adam(2e-4, beta_1=0.5), also DiscoGAN's code's.
    ModelEntry("cyclegan", "kgen.models.CycleGAN",
               "unpaired image-to-image translation, cycle-consistent (Zhu et al.)",
               DataSpec(images_only=True, tanh_range=True, two_domains=True), 2e-4, None,
               ("generator",), _build_cyclegan, _tiny_cyclegan),
    ModelEntry("discogan", "kgen.models.DiscoGAN",
               "unpaired translation with reconstruction losses (Kim et al.)",
               DataSpec(images_only=True, tanh_range=True, two_domains=True), 2e-4, None, (),
               _build_discogan, _tiny_discogan),
)


def entries():
    """Every registered model, in the registry's order (a tuple of `ModelEntry`)."""
    return _ENTRIES


def names():
    """The registered command-line names, in the registry's order."""
    return tuple(entry.name for entry in _ENTRIES)


def get(name):
    """The `ModelEntry` named `name`.

    Raises:
        ValueError: "`model` must be one of (...). Received: model=..."
    """
    for entry in _ENTRIES:
        if entry.name == name:
            return entry
    raise ValueError(f"`model` must be one of {names()!r}. Received: model={name!r}")
