"""The GAN game's losses, from the discriminator's logits.

With `l` the logit and `D = sigmoid(l)`, the log-probabilities are written
with `softplus`:

```
-log D       = -log sigmoid(l)  = softplus(-l)
-log(1 - D)  = -log sigmoid(-l) = softplus(l)
```

`softplus` is evaluated stably for any `l` (it never forms `log(0)`), so the
losses stay finite however confident the discriminator becomes. Each loss is
a mean over the batch, in nats. `kgen.models.gan` re-exports both functions
(`kgen.models.gan.discriminator_loss`, `kgen.models.gan.generator_loss`).
"""

import keras

from kgen import _validation

GENERATOR_LOSSES = ("non_saturating", "minimax")


def discriminator_loss(real_logits, fake_logits):
    """`-V(D, G)` on a batch: what the discriminator minimises.

    ```
    -V = E[-log D(x)] + E[-log(1 - D(G(z)))]
       = E[softplus(-l(x))] + E[softplus(l(G(z)))]
    ```

    This is the binary cross-entropy of labelling real examples 1 and
    generated ones 0. It is finite for every finite logit; `log 4 = 1.386`
    nats when every logit is 0 (`D = 1/2`, the equilibrium).

    Args:
        real_logits: logits `l(x)` of real examples, shape `(m,)`.
        fake_logits: logits `l(G(z))` of generated examples, shape `(m',)`.

    Returns:
        A float scalar tensor, nats.
    """
    return keras.ops.mean(keras.ops.softplus(-real_logits)) + keras.ops.mean(
        keras.ops.softplus(fake_logits)
    )


def generator_loss(fake_logits, kind="non_saturating"):
    """The generator's loss on a batch of logits `l(G(z))`, nats.

    - `"minimax"`: minimise `E[log(1 - D(G(z)))] = -E[softplus(l)]`, the
      generator's side of `V` exactly. Its gradient with respect to the
      logit is `-sigmoid(l)`, which vanishes when `D` confidently rejects
      the samples (`l -> -inf`): early in training, when the samples are
      bad, `G` barely learns ("saturation", section 3 of Goodfellow et al.).
    - `"non_saturating"`: minimise `E[-log D(G(z))] = E[softplus(-l)]`.
      Same fixed point, but the gradient `-sigmoid(-l)` tends to `-1` as
      `l -> -inf`: strong exactly when the samples are bad.

    Args:
        fake_logits: logits of generated examples, shape `(m,)`.
        kind: `"non_saturating"` (default) or `"minimax"`.

    Returns:
        A float scalar tensor, nats.

    Raises:
        ValueError: "`kind` must be one of ('non_saturating', 'minimax'). ..."
    """
    _validation.choice("kind", kind, GENERATOR_LOSSES)
    if kind == "minimax":
        return -keras.ops.mean(keras.ops.softplus(fake_logits))
    return keras.ops.mean(keras.ops.softplus(-fake_logits))



# The adversarial losses of the translation GANs (CycleGAN, DiscoGAN), term
# by term: `(real, fake, generator)`, each a mean over every element of the
# discriminator's outputs (a PatchGAN's `(m, h, w, 1)` map: every patch).
# The discriminator minimises `real(s(x)) + fake(s(G(a)))` (the models halve
# it, as the CycleGAN authors do), the generator `generator(s(G(a)))`.
#
# - "lsgan": least squares (Mao et al., arXiv 1611.04076), CycleGAN's choice:
#   the output `s` is a score regressed onto 1 for real and 0 for generated
#   images: `E(s(x) - 1)^2`, `E s(G(a))^2`, `E(s(G(a)) - 1)^2`.
# - "non_saturating": the GAN losses above on logits `l`: `E softplus(-l(x))`,
#   `E softplus(l(G(a)))`, `E softplus(-l(G(a)))` (DiscoGAN's choice).


def _mean_square_from(target):
    return lambda scores: keras.ops.mean(keras.ops.square(scores - target))


def _mean_softplus(sign):
    return lambda logits: keras.ops.mean(keras.ops.softplus(sign * logits))


ADVERSARIAL_TERMS = {
    "lsgan": (_mean_square_from(1.0), _mean_square_from(0.0), _mean_square_from(1.0)),
    "non_saturating": (_mean_softplus(-1.0), _mean_softplus(1.0), _mean_softplus(-1.0)),
}
