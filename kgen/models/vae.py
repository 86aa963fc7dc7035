"""Variational autoencoder (Kingma & Welling, arXiv 1312.6114) for Keras 3.

A VAE pairs a decoder `p(x|z)` with a standard normal prior `p(z) = N(0, I)`
and trains it together with an encoder `q(z|x)` (a diagonal Gaussian) by
maximising the evidence lower bound (ELBO) of every training example:

```
log p(x) >= ELBO(x) = E_q(z|x)[log p(x|z)] - beta * KL(q(z|x) || p(z))
```

The expectation is estimated with one sample `z = mu(x) + sigma(x) * eps`,
`eps ~ N(0, I)` (the reparameterisation trick, which lets the gradient flow
through `mu` and `sigma`); the KL term is computed in closed form when TFP
has it registered, by Monte Carlo otherwise. `log_likelihood` gives the
tighter importance-weighted bound of Burda et al. (IWAE, arXiv 1509.00519).
"""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import _validation
from kgen.layers import IndependentBernoulli
from kgen.layers import IndependentGaussian
from kgen.layers import IndependentNormal
from kgen.models import _elbo_model
from kgen.models import _networks
from kgen.models import _protocols

tfd = tfp.distributions

_ARCHITECTURES = ("dense", "conv")
_LIKELIHOODS = ("bernoulli", "gaussian")


@keras.saving.register_keras_serializable(package="kgen")
class VAE(_elbo_model.ELBOModel, _protocols.Sampler, _protocols.Reconstructor):
    """Variational autoencoder trained by maximising the ELBO.

    Mathematical details:

    The generative model is `z ~ p(z) = N(0, I_latent_dim)`, `x ~ p(x|z)`,
    where `p(x|z)` is independent Bernoulli (`likelihood="bernoulli"`, logits
    from the decoder) or Gaussian with a learned scale shared by all pixels
    (`likelihood="gaussian"`, means from the decoder). The encoder gives
    `q(z|x) = N(mu(x), diag(sigma(x)^2))`. Training minimises, per example,

    ```
    loss = reconstruction + beta * kl
    reconstruction = -log p(x|z),  z = mu(x) + sigma(x) * eps,  eps ~ N(0, I)
    kl = KL(q(z|x) || p(z))
       = sum_j (sigma_j^2 + mu_j^2 - 1) / 2 - log sigma_j     (closed form)
    ```

    so that `-loss` is a one-sample estimate of the ELBO, a lower bound on
    `log p(x)` when `beta = 1`. `beta > 1` weights the KL more (beta-VAE).
    All three metrics (`loss`, `reconstruction`, `kl`) are in nats per
    example, averaged over the epoch. Regularisation losses of the encoder
    and decoder (`model.losses`) are added to the gradient's loss but not to
    the `loss` metric.

    Randomness: `eps` during training, `elbo` and `log_likelihood`, and `z`
    (and `x` with `mean=False`) in `sample`, all come from the model's
    `keras.random.SeedGenerator(seed)`, and `seed` also seeds the initial
    weights of the built-in networks: the same `seed` gives the same run
    (batch shuffling in `fit` aside).

    Distributed training: created and compiled inside the `scope()` of a
    `tf.distribute` strategy (`kgen.distribute.make_strategy`), the VAE
    trains as one device would on the global batch: each replica takes its
    rows of the `eps` drawn for the whole batch, and the gradients and
    metrics are means over the whole batch (`docs/distributed.md`).

    Args:
        input_shape: tuple of positive ints, the shape of one example,
            e.g. `(28, 28, 1)`.
        latent_dim: positive int, the dimension of `z`.
        architecture: `"dense"` (an MLP with `hidden_units`) or `"conv"`
            (needs `input_shape=(height, width, channels)`, any number of
            channels): `n` 3x3 stride-2 convolutions of `filters, 2 *
            filters, ...` (relu) and the mirror-image transposed
            convolutions, `n = max(2, floor(log2(min(H, W) / 4)))` (2 below
            32 pixels, 3 from 32, 4 from 64; see
            `kgen.models._networks.conv_encoder`). With `filters=32`:
            `(28, 28, 1) -> (14, 14, 32) -> (7, 7, 64)`, `(64, 64, 3) ->
            (32, 32, 32) -> (16, 16, 64) -> (8, 8, 128) -> (4, 4, 256)`;
            sides that are not multiples of `2^n` are rounded up and the
            decoder's output cropped. Builds whichever of `encoder` and
            `decoder` is not given.
        likelihood: `"bernoulli"` for data in [0, 1] (binary or grey) or
            `"gaussian"` for real-valued data.
        beta: float >= 0, the weight of the KL term.
        encoder: optional `keras.Model` mapping `(batch_size, *input_shape)`
            to `(batch_size, 2 * latent_dim)`: the means, then the
            pre-softplus scales, of `q(z|x)`.
        decoder: optional `keras.Model` mapping `(batch_size, latent_dim)` to
            `prod(input_shape)` parameters per example (any shape; it is
            flattened): logits for `"bernoulli"`, means for `"gaussian"`.
        hidden_units: tuple of positive ints, the widths of the dense
            encoder's hidden layers (the decoder uses them reversed). Only
            used by `architecture="dense"`.
        filters: positive int, the width of the conv networks' outermost
            stage (doubling per stage inwards). Only used by
            `architecture="conv"`. The default 32 gives images under 32
            pixels the networks of earlier kgen versions.
        analytic_kl: bool. If `True` (default), use the closed-form KL when
            `tfd.kl_divergence` has it; if `False` (or when it has not), use
            the one-sample Monte Carlo estimate `log q(z|x) - log p(z)`.
        seed: optional int, seeds the model's `SeedGenerator` and the
            built-in networks' initial weights. `None`: a fresh random seed.
        **kwargs: base model keyword arguments, such as `name`.

    Attributes:
        encoder: the encoder `keras.Model`.
        decoder: the decoder `keras.Model`.
        seed_generator: the `keras.random.SeedGenerator` behind all noise.

    Example:

    ```python
    (x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2)
    vae = kgen.models.VAE(input_shape=(8, 8, 1), latent_dim=8, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(x_train, epochs=20, batch_size=64, validation_data=(x_test,))
    vae.log_likelihood(x_test[:100], num_samples=1000)  # nats, shape (100,)
    ```

    References:
        Kingma & Welling, "Auto-Encoding Variational Bayes", arXiv 1312.6114.
        Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders",
        arXiv 1509.00519.
        Higgins et al., "beta-VAE", ICLR 2017.
    """

    # XLA on every device, the CPU included (Keras' "auto" uses it only with
    # a GPU): it fuses the sampling, the log-probabilities, the KL and the
    # update around the matrix products (benchmarks/vae_mnist.py, in
    # benchmarks/RESULTS.md). Under several replicas it is off (`_replicas`).
    default_jit_compile = True
    serving_default_signature = "reconstruct"
    _config_arguments = (
        "input_shape", "latent_dim", "architecture", "likelihood", "beta", "encoder",
        "decoder", "hidden_units", "analytic_kl", "seed", "filters",
    )
    _nested_config_arguments = ("encoder", "decoder")

    def __init__(
        self,
        input_shape,
        latent_dim,
        architecture="dense",
        likelihood="bernoulli",
        beta=1.0,
        encoder=None,
        decoder=None,
        hidden_units=(512, 256),
        analytic_kl=True,
        seed=None,
        filters=_networks.CONV_FILTERS,
        **kwargs,
    ):
        super().__init__(**kwargs)
        shape = _validation.shape("input_shape", input_shape)
        latent_dim = _validation.positive_int("latent_dim", latent_dim)
        _validation.choice("architecture", architecture, _ARCHITECTURES)
        _validation.choice("likelihood", likelihood, _LIKELIHOODS)
        beta = _validation.non_negative_number("beta", beta)
        units = _validation.positive_ints("hidden_units", hidden_units, allow_empty=True)
        filters = _validation.positive_int("filters", filters)
        seed = self._init_seed(seed)
        for name, network in (("encoder", encoder), ("decoder", decoder)):
            if network is not None and not isinstance(network, keras.layers.Layer):
                raise ValueError(
                    f"`{name}` must be None or a `keras.Model`. "
                    f"Received: {name}={network!r}"
                )

        self.input_shape = shape
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.likelihood = likelihood
        self.beta = float(beta)
        self.hidden_units = units
        self.filters = filters
        self.analytic_kl = bool(analytic_kl)

        if likelihood == "bernoulli":
            likelihood_layer = IndependentBernoulli(shape, name="likelihood")
        else:
            likelihood_layer = IndependentGaussian(
                shape, scale="learned", name="likelihood"
            )
        params_size = likelihood_layer.params_size(shape)
        if encoder is None:
            if architecture == "dense":
                encoder = _networks.dense_encoder(shape, latent_dim, units, seed)
            else:
                encoder = _networks.conv_encoder(shape, latent_dim, seed, filters)
        if decoder is None:
            if architecture == "dense":
                decoder = _networks.dense_decoder(latent_dim, params_size, units, seed)
            else:
                decoder = _networks.conv_decoder(latent_dim, shape, seed, filters)
        _check_output_size("encoder", encoder, shape, 2 * latent_dim)
        _check_output_size("decoder", decoder, (latent_dim,), params_size)

        # In data-flow order: x -> encoder -> q(z|x); z -> decoder -> p(x|z).
        self.encoder = encoder
        self.posterior_layer = IndependentNormal(latent_dim, name="posterior")
        self.decoder = decoder
        self.likelihood_layer = likelihood_layer

        # Every shape is known now, so build at once: `summary`, `save` and
        # `export` work before the first call, and loading needs no build step.
        self.posterior_layer.build((None, 2 * latent_dim))
        self.likelihood_layer.build((None, params_size))
        self.built = True

    @property
    def data_value_range(self):
        """`(0.0, 1.0)` for the Bernoulli likelihood, `(-inf, inf)` for the Gaussian one.

        `fit` and `evaluate` check the first batch against it
        (`kgen.models.Model.fit`): `log p(x|z)` of a Bernoulli is unbounded
        above for `x` outside [0, 1], so a VAE fed 0-255 pixels would
        "improve" without limit.
        """
        return (0.0, 1.0) if self.likelihood == "bernoulli" else (-math.inf, math.inf)

    # The model's distributions (the prior is `ELBOModel.prior`).

    def encode(self, x, training=None):
        """Returns the approximate posterior `q(z|x)`.

        Args:
            x: array or tensor of shape `(batch_size, *input_shape)`.
            training: passed to the encoder (for dropout and the like).

        Returns:
            A `tfd.Independent(tfd.Normal)` with batch shape `(batch_size,)`
            and event shape `(latent_dim,)`.
        """
        x = self._standardize_x(x)
        params = self.encoder(x, training=training)
        params = keras.ops.reshape(params, (-1, 2 * self.latent_dim))
        return self.posterior_layer(params)

    def decode(self, z, training=None):
        """Returns the likelihood `p(x|z)`.

        Args:
            z: array or tensor of shape `(batch_size, latent_dim)`.
            training: passed to the decoder.

        Returns:
            A `tfd.Independent` Bernoulli or Normal distribution with batch
            shape `(batch_size,)` and event shape `input_shape`.
        """
        z = keras.ops.convert_to_tensor(z, dtype=self.compute_dtype)
        params = self.decoder(z, training=training)
        params_size = self.likelihood_layer.params_size(self.input_shape)
        return self.likelihood_layer(keras.ops.reshape(params, (-1, params_size)))

    # Inference and generation.

    def call(self, inputs, training=None):
        """Returns `reconstruct(inputs)`, so `predict(x)` reconstructs `x`."""
        return self.reconstruct(inputs, training=training)

    def reconstruct(self, x, training=None):
        """The mean of `p(x|z)` at the posterior mean `z = E_q(z|x)[z]`.

        Deterministic. Returns a tensor of shape `(batch_size, *input_shape)`
        (pixel probabilities for the Bernoulli likelihood).
        """
        z = self.encode(x, training=training).mean()
        return self.decode(z, training=training).mean()

    def sample(self, num_samples, seed=None, mean=True):
        """Draws `z ~ p(z)` and decodes it.

        Args:
            num_samples: positive int.
            seed: optional int. `None` draws from the model's seed generator
                (advancing it); an int gives the same samples every time.
            mean: if `True`, return the means of `p(x|z)` (smooth images);
                if `False`, draw `x ~ p(x|z)` (e.g. binary images).

        Returns:
            A tensor of shape `(num_samples, *input_shape)`.
        """
        num_samples = _validation.positive_int("num_samples", num_samples)
        seed_generator = self._seed_generator_for(seed)
        z = keras.random.normal(
            (num_samples, self.latent_dim),
            dtype=self.compute_dtype,
            seed=seed_generator,
        )
        likelihood = self.decode(z)
        if mean:
            return likelihood.mean()
        # TFP samples statelessly from an explicit int32[2] seed tensor.
        tfp_seed = keras.random.randint(
            (2,), 0, 2**31 - 1, dtype="int32", seed=seed_generator
        )
        return likelihood.sample(seed=tfp_seed)

    def interpolate(self, x_a, x_b, steps=8):
        """Decodes the straight line between the encoder means of two examples.

        `z_t = (1 - t) * mu(x_a) + t * mu(x_b)` for `steps` evenly spaced
        `t` in [0, 1]; returns the means of `p(x|z_t)`.

        Args:
            x_a, x_b: one example each, of shape `input_shape` or
                `(1, *input_shape)`.
            steps: int >= 2, the number of points, both ends included.

        Returns:
            A tensor of shape `(steps, *input_shape)`.
        """
        steps = _validation.integer("steps", steps, minimum=2)
        ends = [
            keras.ops.reshape(
                keras.ops.convert_to_tensor(x, dtype=self.compute_dtype),
                (-1, *self.input_shape),
            )
            for x in (x_a, x_b)
        ]
        for name, x in zip(("x_a", "x_b"), ends):
            if x.shape[0] != 1:
                raise ValueError(
                    f"`{name}` must be one example of shape {self.input_shape}. "
                    f"Received: {name}.shape={tuple(x.shape)}"
                )
        mu = self.encode(keras.ops.concatenate(ends, axis=0)).mean()
        t = keras.ops.linspace(0.0, 1.0, steps)[:, None]
        z = (1.0 - t) * mu[0] + t * mu[1]
        return self.decode(z).mean()

    # Bounds on log p(x).

    def elbo(self, x):
        """Per-example one-sample ELBO estimate, in nats.

        `log p(x|z) - KL(q(z|x) || p(z))` with `z ~ q(z|x)`, independent of
        `beta` (it is the bound on `log p(x)`). Returns shape `(batch_size,)`.
        """
        reconstruction, kl = self._elbo_terms(self._standardize_x(x))
        return -(reconstruction + kl)

    def _log_importance_weights(self, x, num_samples):
        """`log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x)`, `z_k ~ q(z|x)`: shape `(K, batch)`.

        The importance weights of `ELBOModel.log_likelihood` (IWAE).
        """
        posterior = self.encode(x)
        z = self._reparameterized_sample(posterior, num_samples)  # (K, B, latent)
        # The decoder sees K * B examples: sample k of example b is row k * B + b,
        # which is where `tile` puts the matching copy of x.
        batch_size = keras.ops.shape(x)[0]
        likelihood = self.decode(keras.ops.reshape(z, (-1, self.latent_dim)))
        x_tiled = keras.ops.tile(x, (num_samples,) + (1,) * len(self.input_shape))
        log_px_given_z = keras.ops.reshape(
            likelihood.log_prob(x_tiled), (num_samples, batch_size)
        )
        return log_px_given_z + self.prior().log_prob(z) - posterior.log_prob(z)

    def _reparameterized_sample(self, posterior, num_samples=None, share=None):
        """`z = mu + sigma * eps`, `eps ~ N(0, I)`: differentiable in mu and sigma.

        Shape `(batch_size, latent_dim)`, or `(num_samples, batch_size,
        latent_dim)` when `num_samples` is given. With a `share` (a training
        or test step), `eps` is this replica's rows of the global batch's.
        """
        mu, sigma = posterior.mean(), posterior.stddev()
        if share is not None:
            eps = share.rows(
                lambda rows: keras.random.normal(
                    (rows, self.latent_dim), dtype=mu.dtype, seed=self.seed_generator
                )
            )
            return mu + sigma * eps
        shape = keras.ops.shape(mu)
        if num_samples is not None:
            shape = (num_samples, *shape)
        eps = keras.random.normal(shape, dtype=mu.dtype, seed=self.seed_generator)
        return mu + sigma * eps

    def _kl_divergence(self, posterior, z):
        """`KL(q(z|x) || p(z))` per example: closed form if TFP has it, else MC.

        The Monte Carlo estimate `log q(z|x) - log p(z)` at the sample `z` used
        for the reconstruction term is unbiased, with more variance.
        """
        prior = self.prior()
        if self.analytic_kl:
            try:
                return tfd.kl_divergence(posterior, prior)
            except NotImplementedError:
                pass  # No closed form registered for this pair: fall through.
        return posterior.log_prob(z) - prior.log_prob(z)

    def _elbo_terms(self, x, training=None, share=None):
        """Per-example `(reconstruction, kl)` in nats, each of shape `(batch_size,)`."""
        posterior = self.encode(x, training=training)
        z = self._reparameterized_sample(posterior, share=share)
        likelihood = self.decode(z, training=training)
        reconstruction = -likelihood.log_prob(x)
        kl = self._kl_divergence(posterior, z)
        return reconstruction, kl

    # Training (`train_step` and `test_step` are `ELBOModel`'s).

    def _step_loss_terms(self, x, share, training):
        """`(loss, reconstruction, kl)` of a step: `loss = mean(reconstruction + beta * kl)`."""
        reconstruction, kl = self._elbo_terms(x, training=training, share=share)
        return keras.ops.mean(reconstruction + self.beta * kl), reconstruction, kl

    def _standardize_x(self, x):
        """`x` as a float tensor, its shape checked against `(batch_size, *input_shape)`."""
        return self._standardize_batch(x, self.input_shape)

    # Saving and export.

    def _export_signatures(self):
        """The SavedModel's signatures (inputs -> dict of outputs), for `export`.

        - `encode`: `x` float32 `(None, *input_shape)` ->
          `mean`, `stddev`: float32 `(None, latent_dim)`, of `q(z|x)`.
        - `decode`: `z` float32 `(None, latent_dim)` ->
          `mean`: float32 `(None, *input_shape)`, of `p(x|z)`.
        - `sample`: `num_samples` int32 scalar, `seed` int64 `(2,)` ->
          `samples`: float32 `(num_samples, *input_shape)`, the means of
          `p(x|z)`; `z`: float32 `(num_samples, latent_dim)`. Stateless: the
          same seed gives the same samples.
        - `reconstruct` (also `serving_default`): `x` float32
          `(None, *input_shape)` -> `reconstruction`: float32
          `(None, *input_shape)`, as `VAE.reconstruct`.
        """
        x_spec = tf.TensorSpec((None, *self.input_shape), tf.float32, name="x")

        @tf.function(input_signature=[x_spec])
        def encode(x):
            posterior = self.encode(x)
            return {"mean": posterior.mean(), "stddev": posterior.stddev()}

        z_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")

        @tf.function(input_signature=[z_spec])
        def decode(z):
            return {"mean": self.decode(z).mean()}

        @tf.function(
            input_signature=[
                tf.TensorSpec((), tf.int32, name="num_samples"),
                tf.TensorSpec((2,), tf.int64, name="seed"),
            ]
        )
        def sample(num_samples, seed):
            z = tf.random.stateless_normal((num_samples, self.latent_dim), seed=seed)
            return {"samples": self.decode(z).mean(), "z": z}

        @tf.function(input_signature=[x_spec])
        def reconstruct(x):
            return {"reconstruction": self.reconstruct(x)}

        return {"encode": encode, "decode": decode, "sample": sample, "reconstruct": reconstruct}


def _check_output_size(name, network, input_shape, size):
    """Raises unless `network` maps `(batch, *input_shape)` to `size` numbers each."""
    output_shape = tuple(network.compute_output_shape((None, *input_shape)))
    if math.prod(output_shape[1:]) != size:
        raise ValueError(
            f"`{name}` must output {size} numbers per example. "
            f"Received: {name} output shape={output_shape}"
        )
