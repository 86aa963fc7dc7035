"""The base class of the models trained by maximising an ELBO: `VAE` and `DRAW`.

Both minimise, per example, the negative evidence lower bound

```
loss = reconstruction + beta * kl,  reconstruction = -log p(x|z),
kl = KL(q(z|x) || p(z))
```

(nats; DRAW's `beta` is 1 and its `kl` a sum over steps), and report the
same three metrics. They differ only in how a step computes the
per-example terms, so `ELBOModel` holds the rest: the trackers, `metrics`,
`train_step` and `test_step`. A subclass implements `_standardize_x` (the
shape of its examples) and `_step_loss_terms` (its model, and how it draws
the step's noise for this replica's rows of the global batch).
"""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.models import _model
from kgen.models import _replicas

tfd = tfp.distributions


class ELBOModel(_model.Model):
    """`kgen.models._model.Model` trained on the negative ELBO, with its three metrics.

    Metrics, in this order, each in nats per example averaged over the
    epoch: `loss` (the mean of `reconstruction + beta * kl`, what the
    gradient descends), `reconstruction` and `kl`. Regularisation losses of
    the layers (`model.losses`) are added to the gradient's loss but not to
    the `loss` metric.

    Under a `tf.distribute` strategy each replica weights its loss and its
    metric updates by its share of the global batch (`_replicas.Share`), so
    the gradients and metrics are those of the whole batch on one device.

    The prior is the standard normal over the subclass's `latent_dim`
    units. A subclass defines two methods:

    - `_standardize_x(x)`: `x` as a float tensor `(batch_size,
      *example_shape)`, its shape checked;
    - `_step_loss_terms(x, share, training)`: the terms of a training
      (`training=True`) or test step on this replica's rows `x` (from
      `_standardize_x`), drawing its noise for the global batch and keeping
      this replica's rows with `share.rows` (`share` is the step's
      `_replicas.Share`). Returns `(loss, reconstruction, kl)`: `loss` the
      scalar mean of `reconstruction + beta * kl`, the two others per
      example, shape `(batch_size,)`, in nats.

    Attributes:
        loss_tracker, reconstruction_tracker, kl_tracker: the
            `keras.metrics.Mean` trackers named `"loss"`, `"reconstruction"`
            and `"kl"`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Created here and returned by `metrics`, so `fit` resets them each epoch.
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def prior(self):
        """`p(z) = N(0, I)` over `latent_dim` units (DRAW: of every step's `z_t`).

        Returns:
            A TFP distribution with batch shape `()` and event shape
            `(latent_dim,)`.
        """
        zeros = keras.ops.zeros((self.latent_dim,), dtype=self.compute_dtype)
        return tfd.Independent(
            tfd.Normal(loc=zeros, scale=keras.ops.ones_like(zeros)),
            reinterpreted_batch_ndims=1,
        )

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = self._standardize_x(x)
        # Under tf.distribute: this replica's part of the global batch.
        share = _replicas.share(keras.ops.shape(x)[0])
        with tf.GradientTape() as tape:
            loss, reconstruction, kl = self._step_loss_terms(x, share, training=True)
            # Weight regularisers of the layers, if any.
            total_loss = loss + sum(self.losses) if self.losses else loss
            # Weighted by the replica's share, the gradients the optimizer
            # sums over replicas are those of the global-batch mean.
            total_loss = self.optimizer.scale_loss(share.scale(total_loss))
        gradients = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self._update_metrics(share, loss, reconstruction, kl)

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = self._standardize_x(x)
        share = _replicas.share(keras.ops.shape(x)[0])
        loss, reconstruction, kl = self._step_loss_terms(x, share, training=False)
        return self._update_metrics(share, loss, reconstruction, kl)

    def _update_metrics(self, share, loss, reconstruction, kl):
        share.update(self.loss_tracker, loss)
        share.update(self.reconstruction_tracker, keras.ops.mean(reconstruction))
        share.update(self.kl_tracker, keras.ops.mean(kl))
        return _replicas.logs(self.metrics)
