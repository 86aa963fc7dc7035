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
