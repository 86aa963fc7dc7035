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

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import _validation
from kgen.models import _model
from kgen.models import _protocols
from kgen.models import _replicas

tfd = tfp.distributions


class ELBOModel(_model.Model, _protocols.LowerBoundModel):
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
    units. A subclass defines three methods:

    - `_standardize_x(x)`: `x` as a float tensor `(batch_size,
      *example_shape)`, its shape checked;
    - `_step_loss_terms(x, share, training)`: the terms of a training
      (`training=True`) or test step on this replica's rows `x` (from
      `_standardize_x`), drawing its noise for the global batch and keeping
      this replica's rows with `share.rows` (`share` is the step's
      `_replicas.Share`). Returns `(loss, reconstruction, kl)`: `loss` the
      scalar mean of `reconstruction + beta * kl`, the two others per
      example, shape `(batch_size,)`, in nats;
    - `_log_importance_weights(x, num_samples)`: `log w_k = log p(x, z_k) -
      log q(z_k | x)` for `K = num_samples` draws `z_k ~ q(z | x)`, shape
      `(K, batch_size)`, for `log_likelihood`.

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

    def log_likelihood(self, x, num_samples=1000, batch_size=100, chunk_size=100, verbose=0):
        """Per-example importance-weighted estimate of `log p(x)`, in nats.

        The IWAE bound (Burda et al., arXiv 1509.00519) with `K = num_samples`
        draws `z_k` from the model's posterior `q(z | x)` (DRAW: of the
        whole sequence `z_1..z_T`):

        ```
        log p(x) >= L_K(x) = E[ log (1/K) sum_k w_k ],
        log w_k = log p(x | z_k) + log p(z_k) - log q(z_k | x)
        ```

        `L_1` is the ELBO, `L_K` grows with `K` and tends to `log p(x)`. The
        mean is taken in log space with log-sum-exp, accumulated over chunks
        of `chunk_size` draws, so memory does not grow with `K`. The noise
        comes from the model's `SeedGenerator`.

        Args:
            x: array of shape `(num_examples, *example_shape)`.
            num_samples: int >= 1, `K`.
            batch_size: int >= 1, examples per step.
            chunk_size: int >= 1, draws per step. One step runs the model on
                `batch_size * chunk_size` copies of the examples.
            verbose: 0 (silent), 1 (a Keras progress bar over the examples)
                or 2 (one line when done), as in `Model.predict`.

        Returns:
            A tensor of shape `(num_examples,)`.
        """
        num_samples = _validation.positive_int("num_samples", num_samples)
        batch_size = _validation.positive_int("batch_size", batch_size)
        chunk_size = _validation.positive_int("chunk_size", chunk_size)
        verbose = _validation.choice("verbose", verbose, (0, 1, 2))
        x = self._standardize_x(x)
        log_weights = tf.function(self._log_importance_weights, reduce_retracing=True)
        progress = keras.utils.Progbar(x.shape[0], verbose=verbose, unit_name="example") if verbose else None
        results = []
        for start in range(0, x.shape[0], batch_size):
            x_batch = x[start : start + batch_size]
            total = None
            for k_start in range(0, num_samples, chunk_size):
                k = min(chunk_size, num_samples - k_start)
                chunk = keras.ops.logsumexp(log_weights(x_batch, k), axis=0)
                total = chunk if total is None else keras.ops.logaddexp(total, chunk)
            results.append(total - math.log(num_samples))
            if progress is not None:
                progress.add(int(x_batch.shape[0]))
        return keras.ops.concatenate(results, axis=0)

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = self._standardize_x(x)
        # Under tf.distribute: this replica's part of the global batch.
        share = _replicas.share(keras.ops.shape(x)[0])
        loss, reconstruction, kl = self._minimise(
            share, lambda: self._step_loss_terms(x, share, training=True)
        )
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
