"""What kgen's models offer, as protocols the CLI and the evaluation code ask.

A model declares what it can do by inheriting these classes (they are
`typing.Protocol`s, so a user's own model that defines the methods also
passes an `isinstance` check without inheriting them). The CLI, the
evaluation functions (`kgen.evaluation`) and the test zoo ask
`isinstance(model, protocols.Sampler)` instead of probing with `hasattr`.

- `Sampler`: draws examples (`sample`) in a known value range.
- `Reconstructor`: maps examples to reconstructions (`reconstruct`).
- `LowerBoundModel`: a per-example evidence lower bound (`elbo`) and an
  importance-weighted estimate of `log p(x)` (`log_likelihood` with
  `num_samples`): VAE, DRAW.
- `LikelihoodModel`: `log p(x)` per example (`log_likelihood`), exactly or
  by an estimate of the partition function: the RBM.
- `DensityModel`: an exact log-density (`log_prob`) and its bits per
  dimension (`bits_per_dim`): RealNVP.
- `AdversarialModel`: a generator judged by a discriminator or a critic;
  `value` estimates the game's value (or the Wasserstein distance) on
  held-out data: the GANs.
- `CanvasModel`: paints an image in steps (`canvas_sequence`,
  `reconstruct_sequence`): DRAW.
- `Translator`: maps images of one domain to another and back
  (`translate_a_to_b`, `translate_b_to_a`, `cycle`): CycleGAN, DiscoGAN.

Every method's arguments, shapes and units are documented on the models
that implement it; here are the signatures the callers rely on.
"""

import typing


@typing.runtime_checkable
class Sampler(typing.Protocol):
    """Draws examples.

    Attributes:
        sample_value_range: `(low, high)`, the range of the samples' values
            (images in `[0, 1]`; a tanh generator's in `[-1, 1]`).
    """

    sample_value_range: tuple

    def sample(self, num_samples, seed=None):
        """`num_samples` examples, shape `(num_samples, *example_shape)`."""


@typing.runtime_checkable
class Reconstructor(typing.Protocol):
    """Maps examples to their reconstructions (through a code or a chain)."""

    def reconstruct(self, x):
        """Reconstructions of `x`, the same shape as `x`."""


@typing.runtime_checkable
class LowerBoundModel(typing.Protocol):
    """A latent-variable model with an evidence lower bound, in nats per example."""

    def elbo(self, x):
        """The ELBO of each example, shape `(batch_size,)`, nats."""

    def log_likelihood(self, x, num_samples=1000):
        """The importance-weighted bound on `log p(x)` (IWAE, K = `num_samples`), nats.

        kgen's models also take `verbose` (a progress bar), which
        `kgen.evaluation.held_out_metrics` passes only when it is not 0.
        """


@typing.runtime_checkable
class LikelihoodModel(typing.Protocol):
    """A model whose `log p(x)` per example is computed (exactly or with an estimated log Z)."""

    def log_likelihood(self, x):
        """`log p(x)` of each example, shape `(batch_size,)`, nats."""


@typing.runtime_checkable
class DensityModel(typing.Protocol):
    """A model with an exact log-density."""

    def log_prob(self, x, seed=None):
        """`log p(x)` of each example, shape `(batch_size,)`, nats."""

    def bits_per_dim(self, x, seed=None):
        """`-log2 p(x) / D` of each example, shape `(batch_size,)`."""


@typing.runtime_checkable
class AdversarialModel(typing.Protocol):
    """A generator trained against a discriminator (or a critic).

    Attributes:
        value_name: the key under which `value` is reported:
            `"value_nats"` (the GAN value `V(D, G)`, nats) or
            `"wasserstein"` (a critic's estimate, critic units).
        d_steps: discriminator (critic) steps per generator step; each
            reads a minibatch of `batch_size` examples.
        labelled: whether the model trains on `(images, labels)`.
    """

    value_name: str
    d_steps: int

    def value(self, x, *args, seed=None):
        """The held-out value of the game on `x` (and labels for a conditional model)."""


@typing.runtime_checkable
class CanvasModel(typing.Protocol):
    """Paints images step by step on a canvas (DRAW)."""

    def canvas_sequence(self, n, seed=None):
        """`n` images painted from the prior: a dict with `canvases` and `write_windows`."""

    def reconstruct_sequence(self, x, seed=None):
        """`x` painted back: a dict with `canvases`, `read_windows`, `write_windows`."""


@typing.runtime_checkable
class Translator(typing.Protocol):
    """Translates images between two domains A and B (unpaired image-to-image translation).

    Attributes:
        image_shape_a, image_shape_b: the shapes of one image of each domain.
    """

    image_shape_a: tuple
    image_shape_b: tuple

    def translate_a_to_b(self, x):
        """`G(x)`: images of A `(n, *image_shape_a)` -> images of B `(n, *image_shape_b)`."""

    def translate_b_to_a(self, x):
        """`F(x)`: images of B -> images of A."""

    def cycle(self, x, direction="a_to_b"):
        """`F(G(x))` (`"a_to_b"`: x in A) or `G(F(x))` (`"b_to_a"`: x in B)."""
