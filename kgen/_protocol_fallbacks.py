"""FALLBACK: protocol attributes that today's GANs do not declare yet (issue 12).

`kgen.evaluation` and `kgen.cli` ask the protocols of
`kgen.models._protocols`. Two of their attributes are being added to the
GANs in a concurrent change: `value_name` (so today's GANs fail
`isinstance(model, AdversarialModel)`) and `sample_value_range = (-1, 1)`
(today they inherit the base class's `(0, 1)`). Until that is merged the
callers go through these functions, each of which answers from the
attribute when the model declares it. Once every GAN declares both, replace
the calls by `isinstance(model, _protocols.AdversarialModel)`,
`model.value_name` and `model.sample_value_range`, and delete this module.
"""

from kgen.models import _protocols


def is_adversarial(model):
    """`isinstance(model, AdversarialModel)`, counting a kgen GAN without `value_name` yet."""
    from kgen.models.gan import GAN

    return isinstance(model, (_protocols.AdversarialModel, GAN))


def value_name(model):
    """`model.value_name`, or what today's GANs would declare (`"wasserstein"` for WGAN-GP)."""
    name = getattr(model, "value_name", None)
    if name is not None:
        return name
    from kgen.models.wgan_gp import WGANGP

    return "wasserstein" if isinstance(model, WGANGP) else "value_nats"


def sample_value_range(model):
    """`model.sample_value_range` as floats; `(-1, 1)` for a GAN that only inherits `(0, 1)`."""
    from kgen.models import _model
    from kgen.models.gan import GAN

    inherited = type(model).sample_value_range is _model.Model.sample_value_range
    if isinstance(model, GAN) and inherited and "sample_value_range" not in vars(model):
        return (-1.0, 1.0)  # the tanh generators' range
    low, high = model.sample_value_range
    return (float(low), float(high))
