"""Generative adversarial networks (Goodfellow et al., arXiv 1406.2661) for Keras 3.

A GAN trains two networks against each other. The generator `G` maps noise
`z ~ p(z) = N(0, I)` to data space; the discriminator `D` maps a point `x`
to a logit `l(x)`, and `D(x) = sigmoid(l(x))` is its belief that `x` came
from the data rather than from `G`. They play the minimax game

```
min_G max_D V(D, G),
V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 - D(G(z)))].
```

For a fixed `G` the best discriminator is `D*(x) = p_data(x) / (p_data(x) +
p_g(x))`, and `V(D*, G) = -log 4 + 2 JS(p_data || p_g)`: the generator's
global optimum is `p_g = p_data`, where `D* = 1/2` everywhere and the value
is `-log 4`. Everything is computed from logits, with `softplus`, so the
losses stay finite however confident `D` becomes (`_gan_losses`).

This module has the base class `GAN`: any generator and discriminator pair
trained by Algorithm 1 of the paper, with the classic fully connected pair
`GAN.mlp`. `dcgan.py`, `conditional_gan.py` and `wgan_gp.py` subclass it;
the losses are in `_gan_losses.py`, the networks in `_gan_networks.py`.
`discriminator_loss`, `generator_loss`, `to_tanh_range` and
`from_tanh_range` are importable from here (the last two live in
`kgen.datasets`).

The module is longer than kgen's usual 500 lines because `GAN` holds what
all four GANs share: Algorithm 1's `train_step` with its minibatch cutting
and `tf.distribute` bookkeeping, the two-optimizer `compile` and its saved
configuration, and the generation methods; splitting them would spread one
class over several files.
"""

import math

import keras
import tensorflow as tf

from kgen import _validation
from kgen.datasets.preprocessing import from_tanh_range
from kgen.datasets.preprocessing import to_tanh_range
from kgen.models import _gan_losses
from kgen.models import _gan_networks
from kgen.models import _model
from kgen.models import _protocols
from kgen.models import _replicas
from kgen.models._gan_losses import discriminator_loss
from kgen.models._gan_losses import generator_loss

__all__ = ["GAN", "discriminator_loss", "from_tanh_range", "generator_loss", "to_tanh_range"]


@keras.saving.register_keras_serializable(package="kgen")
class GAN(_model.Model, _protocols.Sampler, _protocols.AdversarialModel):
    """Generative adversarial network trained by Goodfellow et al.'s Algorithm 1.

    Mathematical details:

    `G` maps `z ~ N(0, I_latent_dim)` to data space, `D(x) = sigmoid(l(x))`
    where `l` is the discriminator's logit. The value function is

    ```
    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 - D(G(z)))]
    ```

    and each training step (one batch of `fit`) does, as Algorithm 1:

    1. `d_steps` times: take a minibatch of `m` real examples and draw `m`
       fresh `z`; take one step of `d_optimizer` on the discriminator's
       weights to minimise `-V = E softplus(-l(x)) + E softplus(l(G(z)))`.
    2. draw `m` fresh `z`; take one step of `g_optimizer` on the
       generator's weights to minimise the generator loss:
       `"minimax"`: `E log(1 - D(G(z))) = -E softplus(l(G(z)))` (the game
       as written; its gradient vanishes when `D` rejects the samples), or
       `"non_saturating"` (the paper's practical advice, the default):
       `-E log D(G(z)) = E softplus(-l(G(z)))`.

    The batch of `B` examples `fit` gives a step is cut into `d_steps`
    consecutive minibatches of `m = B // d_steps` examples (a remainder is
    left unused), so pass `batch_size = d_steps * m`. Each minibatch is
    seen once; with `B < d_steps` the minibatches wrap around, `m = 1`.
    `D` sees real and generated minibatches in separate calls (so batch
    normalisation in `D` normalises each on its own, as in DCGAN).

    Metrics (means over the epoch, of every discriminator step for the
    first three): `d_loss` (`-V`, in nats; `log 4 = 1.386` at the
    equilibrium), `g_loss`, `d_real` (mean `D(x)`), `d_fake` (mean
    `D(G(z))`). Both tend to 1/2 when `G` fools `D`.

    Randomness: every `z` (training, `generate(n)`, `sample`, `value`) comes
    from the model's `keras.random.SeedGenerator(seed)`, or from a fresh
    generator seeded with the `seed` argument of a method.

    Distributed training: created and compiled inside the `scope()` of a
    `tf.distribute` strategy (`kgen.distribute.make_strategy`), a GAN trains
    as one device would: the noise of a step is drawn for the whole global
    batch and each replica takes its rows; losses, gradients and metrics
    are means over the global batch; the built-in networks' batch
    normalisation is synchronised across replicas. With `d_steps > 1` each
    replica cuts its own part of the batch, so global minibatch `k` is made
    of every replica's minibatch `k` (other rows than one device's
    consecutive cut of the same batch, drawn alike). Dropout masks (in
    `GAN.mlp`'s discriminator) come from the layers' own seed generators,
    whose state is the same on every replica: row `i` of every replica's
    part gets the same mask (`docs/distributed.md`).

    Data range: the generators built by kgen end in `tanh` by default, with
    outputs in (-1, 1): scale the data to match, e.g. images in [0, 1]
    with `kgen.datasets.to_tanh_range(x) = 2x - 1`. Data outside [-1, 1],
    such as the 2D toys of `kgen.datasets.toy_2d` (up to about 4.2 in
    absolute value on the grid), needs a linear output:
    `GAN.mlp(..., output_activation=None)`. `sample_value_range` says which:
    `(-1.0, 1.0)` when the generator's last activation is `tanh`, else
    `(-inf, inf)` (a linear output reaches any real value; the samples are
    in the units of the training data, which the model does not know).

    Args:
        generator: `keras.Model` mapping `(batch, latent_dim)` to
            `(batch, *data_shape)`.
        discriminator: `keras.Model` mapping `(batch, *data_shape)` to one
            logit per example, `(batch, 1)` or `(batch,)`: no sigmoid.
        latent_dim: positive int, the dimension of `z`.
        generator_loss: `"non_saturating"` (default) or `"minimax"`.
        d_steps: int >= 1, discriminator steps per generator step (`k` in
            the paper, which used 1).
        seed: optional int, seeds the model's `SeedGenerator`.
        **kwargs: base model keyword arguments, such as `name`.

    Attributes:
        generator, discriminator: the two networks.
        data_shape: the shape of one example, from the generator's output.
        seed_generator: the `keras.random.SeedGenerator` behind all noise.
        d_optimizer, g_optimizer: set by `compile`.
        sample_value_range: `(-1.0, 1.0)` for a `tanh` generator, else
            `(-inf, inf)` (see "Data range").
        value_name: `"value_nats"`, what `value` estimates (`V(D, G)`, nats).
        labelled: False: trained on examples alone (`ConditionalGAN`: True).

    Example:

    ```python
    x, _ = kgen.datasets.load_digits()
    gan = kgen.models.GAN.mlp((8, 8, 1), latent_dim=32, seed=0)
    gan.compile()  # Adam(2e-4, beta_1=0.5) for both networks
    gan.fit(kgen.datasets.to_tanh_range(x), epochs=50, batch_size=64)
    images = kgen.datasets.from_tanh_range(gan.generate(16, seed=1))
    ```

    References:
        Goodfellow et al., "Generative Adversarial Nets", arXiv 1406.2661.
    """

    # Constructor arguments holding networks, serialised as nested objects.
    _NETWORK_ARGS = ("generator", "discriminator")
    _config_arguments = ("generator", "discriminator", "latent_dim", "generator_loss", "d_steps", "seed")
    _nested_config_arguments = _NETWORK_ARGS
    _OPTIMIZER_NAMES = ("d_optimizer", "g_optimizer")

    default_jit_compile = "auto"
    """Keras' `"auto"`: XLA with a GPU, not on the CPU.

    Unlike the VAE, the GANs do not force XLA on the CPU: with XLA forced,
    `benchmarks/gan_mnist.py` measured both DCGAN and WGAN-GP slower than
    their plain-Keras references there (benchmarks/RESULTS.md, "GANs on
    MNIST"). `compile(jit_compile=True)` forces it.
    """

    default_steps_per_execution = 8
    """8 steps per call of `fit`'s compiled function (Keras: 1).

    It amortises Keras' per-step Python work, which matters where a step is
    short (small convolutions on a GPU, not yet measured). On the CPU a GAN
    step is dominated by its convolutions and the gain is small
    (benchmarks/RESULTS.md, "GANs on MNIST": the rows "kgen" and "kgen at
    Keras' compile defaults"). Callbacks see every 8th batch; pass
    `steps_per_execution=1` for Keras' behaviour.
    """

    serving_default_signature = "generate"
    value_name = "value_nats"
    labelled = False

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        generator_loss="non_saturating",
        d_steps=1,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = _validation.positive_int("latent_dim", latent_dim)
        self.generator_loss = _validation.choice(
            "generator_loss", generator_loss, _gan_losses.GENERATOR_LOSSES
        )
        self.d_steps = _validation.positive_int("d_steps", d_steps)
        self._init_seed(seed)
        self._set_networks(generator, discriminator)

        # Created here and returned by `metrics`, so `fit` resets them each epoch.
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.d_optimizer = None
        self.g_optimizer = None

    def _set_networks(self, generator, discriminator):
        """Checks the two networks against each other and stores them."""
        discriminator_name = self._NETWORK_ARGS[1]
        for name, network in (("generator", generator), (discriminator_name, discriminator)):
            if not isinstance(network, keras.Model):
                raise ValueError(
                    f"`{name}` must be a `keras.Model`. Received: {name}={network!r}"
                )
        data_shape = self._network_output_shape("generator", generator)[1:]
        if not data_shape or None in data_shape:
            raise ValueError(
                "`generator` must output examples of a fixed shape. "
                f"Received: generator output shape=(None, *{tuple(data_shape)})"
            )
        self.data_shape = tuple(int(d) for d in data_shape)
        logit_shape = self._network_output_shape(discriminator_name, discriminator)
        if tuple(logit_shape[1:]) not in ((), (1,)):
            raise ValueError(
                f"`{discriminator_name}` must output one logit per example, "
                f"shape (batch, 1) or (batch,). Received: {discriminator_name} "
                f"output shape={tuple(logit_shape)}"
            )
        self.generator = generator
        self.discriminator = discriminator
        # Both networks are functional models with known shapes: `summary`,
        # `save` and `export` work before the first call.
        self.built = True

    @property
    def sample_value_range(self):
        """`(-1.0, 1.0)` if the generator's last activation is `tanh`, else `(-inf, inf)`."""
        if _gan_networks.output_activation(self.generator) is keras.activations.tanh:
            return (-1.0, 1.0)
        return (-math.inf, math.inf)

    def _network_output_shape(self, name, network):
        """`compute_output_shape` of a network for its expected inputs, or raises."""
        try:
            return tuple(network.compute_output_shape(self._network_input_shape(name)))
        except Exception as error:  # Keras raises various types on mismatches.
            expected = self._network_input_shape(name)
            raise ValueError(
                f"`{name}` must accept inputs of shape {expected}. "
                f"Received: {name} raised {type(error).__name__}: {error}"
            ) from None

    def _require_data_shape(self, expected):
        """Raises if the generator's examples are not of shape `expected`."""
        if self.data_shape != tuple(expected):
            raise ValueError(
                f"`generator` must output examples of shape {tuple(expected)}. "
                f"Received: generator output shape=(None, *{self.data_shape})"
            )

    def _network_input_shape(self, name):
        if name == "generator":
            return (None, self.latent_dim)
        return (None, *self.data_shape)

    # The classic pair.

    @classmethod
    def mlp(
        cls,
        data_shape,
        latent_dim,
        output_activation="tanh",
        generator_units=(128, 256, 512, 1024),
        discriminator_units=(512, 256),
        dropout=0.3,
        seed=None,
        **gan_kwargs,
    ):
        """Returns a `GAN` with the classic fully connected networks.

        Generator: `Dense(128), LeakyReLU(0.2)`, then for widths 256, 512,
        1024 `Dense, BatchNormalization, LeakyReLU(0.2)`, then a dense
        layer to `prod(data_shape)` with `output_activation`, reshaped to
        `data_shape`. Discriminator: `Flatten`, then for widths 512, 256
        `Dense, LeakyReLU(0.2), Dropout(0.3)`, then `Dense(1)`, the logit.

        Args:
            data_shape: tuple of positive ints, the shape of one example.
            latent_dim: positive int.
            output_activation: `"tanh"` (default) for data scaled to
                [-1, 1] (see `kgen.datasets.to_tanh_range`), or `None`
                (linear) for data of any range, such as
                `kgen.datasets.toy_2d`.
            generator_units: widths of the generator's hidden layers.
            discriminator_units: widths of the discriminator's hidden layers.
            dropout: float in [0, 1), the discriminator's dropout rate.
            seed: optional int, seeds the initial weights (generator layer
                `i`: `seed + i`; discriminator layer `i` and its dropout:
                `seed + 1000 + i`), and the returned model's `SeedGenerator`.
            **gan_kwargs: passed to `GAN`: `generator_loss`, `d_steps`, `name`.

        Returns:
            A `GAN`, not yet compiled.
        """
        if cls is not GAN:
            raise TypeError(
                f"`mlp` builds a plain `GAN`; call `GAN.mlp`, not `{cls.__name__}.mlp`."
            )
        data_shape = _validation.shape("data_shape", data_shape)
        latent_dim = _validation.positive_int("latent_dim", latent_dim)
        generator_units = _validation.positive_ints("generator_units", generator_units)
        discriminator_units = _validation.positive_ints("discriminator_units", discriminator_units)
        dropout = _validation.number("dropout", dropout, minimum=0.0, maximum=1.0,
                                     exclusive_maximum=True)
        seed = _validation.seed(seed)
        generator = _gan_networks.mlp_generator(
            latent_dim, data_shape, generator_units, output_activation, seed
        )
        discriminator = _gan_networks.mlp_discriminator(
            data_shape, discriminator_units, dropout, seed
        )
        return cls(generator, discriminator, latent_dim, seed=seed, **gan_kwargs)

    # Training configuration.

    def _default_optimizer(self):
        """Radford et al.'s Adam(2e-4, beta_1=0.5), the usual GAN choice."""
        return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        jit_compile=None,
        steps_per_execution=None,
        **kwargs,
    ):
        """Sets the two optimizers, as `keras.Model.compile` with the GANs' defaults.

        Args:
            d_optimizer: optimizer of the discriminator's weights (an
                instance, a name or a config dict). `None`: a new
                `Adam(2e-4, beta_1=0.5)` (`WGANGP`: `Adam(1e-4, beta_1=0,
                beta_2=0.9)`, the WGAN-GP paper's).
            g_optimizer: optimizer of the generator's weights, likewise.
                Must not be the same object as `d_optimizer`.
            jit_compile: `None` means `default_jit_compile`, Keras'
                `"auto"` (XLA with a GPU only; see the attribute for why).
                `True` forces XLA.
            steps_per_execution: `None` means `default_steps_per_execution`,
                8 (Keras: 1); pass 1 for Keras' behaviour.
            **kwargs: other `keras.Model.compile` arguments (no `optimizer`
                or `loss`: the losses are the model's).

        Under a `tf.distribute` strategy with several replicas (model and
        optimizers created, and `compile` called, inside `strategy.scope()`)
        XLA is off and `steps_per_execution` is 1; asking for either falls
        back with a warning, since Keras 3 cannot run them there (see
        `kgen/models/_replicas.py`). The optimizers' variables are created
        here, inside the scope: created by the first step inside `fit`'s
        compiled loop, they would not be mirrored correctly.
        """
        self._compile_optimizers(
            {"d_optimizer": (d_optimizer, self.discriminator.trainable_variables),
             "g_optimizer": (g_optimizer, self.generator.trainable_variables)},
            jit_compile, steps_per_execution, **kwargs)

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
        ]

    # The networks on batches. Subclasses that condition on labels override
    # these two; everything else goes through them.

    def _generate(self, z, labels=None, training=None):
        return self.generator(z, training=training)

    def _discriminate(self, x, labels=None, training=None):
        """The discriminator's logits, shape `(batch,)`."""
        logits = self.discriminator(x, training=training)
        return keras.ops.reshape(logits, (-1,))

    # The losses. `WGANGP` overrides both.

    def _discriminator_loss(self, x_real, x_fake, labels, training, share=None):
        """Returns `(loss, outputs)` of one discriminator step.

        `outputs` is a dict with the discriminator's outputs on the real
        (`"real"`) and generated (`"fake"`) examples, for the metrics.
        `share` (a `_replicas.Share` of the minibatch) is for losses that
        draw noise per example (`WGANGP`).
        """
        real_logits = self._discriminate(x_real, labels, training=training)
        fake_logits = self._discriminate(x_fake, labels, training=training)
        loss = _gan_losses.discriminator_loss(real_logits, fake_logits)
        return loss, {"real": real_logits, "fake": fake_logits}

    def _generator_loss(self, fake_logits):
        return _gan_losses.generator_loss(fake_logits, self.generator_loss)

    def _update_d_metrics(self, loss, outputs, share):
        share.update(self.d_loss_tracker, loss)
        share.update(self.d_real_tracker, keras.ops.mean(keras.ops.sigmoid(outputs["real"])))
        share.update(self.d_fake_tracker, keras.ops.mean(keras.ops.sigmoid(outputs["fake"])))

    # Training.

    def _noise(self, num_samples, seed_generator=None):
        return keras.random.normal(
            (num_samples, self.latent_dim),
            dtype=self.compute_dtype,
            seed=self.seed_generator if seed_generator is None else seed_generator,
        )

    def _unpack(self, data):
        """`(x, labels)` of a batch; `labels` is None for an unconditional GAN."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._standardize_x(x), None

    def _minibatch_size(self, batch_size):
        """`m = max(B // d_steps, 1)` for a batch of `B` rows (0 when `B = 0`).

        Element-wise for a tensor of batch sizes. Under tf.distribute a
        replica may get no rows of the last batch of an epoch.
        """
        if self.d_steps == 1:
            return batch_size
        return tf.where(batch_size > 0, tf.maximum(batch_size // self.d_steps, 1), 0)

    def _minibatches(self, x, labels):
        """Cuts a batch into `d_steps` minibatches of `m = max(B // d_steps, 1)`.

        Minibatch `k` holds rows `k*m .. k*m + m - 1` (modulo `B`). Returns
        a list of `(x_k, labels_k)` and `m`. Under tf.distribute each
        replica cuts its own part of the global batch, so global minibatch
        `k` is made of every replica's minibatch `k`.
        """
        if self.d_steps == 1:
            return [(x, labels)], keras.ops.shape(x)[0]
        batch_size = tf.shape(x)[0]
        m = self._minibatch_size(batch_size)
        batches = []
        for k in range(self.d_steps):
            rows = (k * m + tf.range(m)) % tf.maximum(batch_size, 1)
            batches.append(
                (
                    tf.gather(x, rows),
                    None if labels is None else tf.gather(labels, rows),
                )
            )
        return batches, m

    def train_step(self, data):
        x, labels = self._unpack(data)
        minibatches, _ = self._minibatches(x, labels)
        # Under tf.distribute: this replica's rows of each global minibatch.
        # The noise of a step is drawn for the whole global minibatch and
        # each replica takes its rows, as one device would use them.
        share = _replicas.share(keras.ops.shape(x)[0], self._minibatch_size)
        discriminator_weights = self.discriminator.trainable_weights
        generator_weights = self.generator.trainable_weights

        for x_real, labels_k in minibatches:
            # The fakes are made outside the tape: this step moves D only.
            x_fake = self._generate(share.rows(self._noise), labels_k, training=True)
            with tf.GradientTape() as tape:  # updates the discriminator's weights
                d_loss, outputs = self._discriminator_loss(
                    x_real, x_fake, labels_k, training=True, share=share
                )
                # Weight regularisers of a user's discriminator, if any.
                total = d_loss + sum(self.discriminator.losses)
                # Weighted by the replica's share, the gradients the optimizer
                # sums over replicas are those of the global minibatch's loss.
                total = self.d_optimizer.scale_loss(share.scale(total))
            gradients = tape.gradient(total, discriminator_weights)
            self.d_optimizer.apply(gradients, discriminator_weights)
            self._update_d_metrics(d_loss, outputs, share)

        # The generator step conditions on the last minibatch's labels, so
        # the classes are drawn as often as in the data.
        z = share.rows(self._noise)
        with tf.GradientTape() as tape:  # updates the generator's weights
            x_fake = self._generate(z, labels_k, training=True)
            fake_logits = self._discriminate(x_fake, labels_k, training=True)
            g_loss = self._generator_loss(fake_logits)
            total = g_loss + sum(self.generator.losses)
            total = self.g_optimizer.scale_loss(share.scale(total))
        gradients = tape.gradient(total, generator_weights)
        self.g_optimizer.apply(gradients, generator_weights)
        share.update(self.g_loss_tracker, g_loss)
        return _replicas.logs(self.metrics)

    def test_step(self, data):
        x, labels = self._unpack(data)
        share = _replicas.share(keras.ops.shape(x)[0])
        x_fake = self._generate(share.rows(self._noise), labels, training=False)
        d_loss, outputs = self._discriminator_loss(
            x, x_fake, labels, training=False, share=share
        )
        self._update_d_metrics(d_loss, outputs, share)
        share.update(self.g_loss_tracker, self._generator_loss(outputs["fake"]))
        return _replicas.logs(self.metrics)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`; the shape of array data is checked before any tracing."""
        if hasattr(x, "shape") and not isinstance(x, tf.data.Dataset):
            self._check_batch_shape(tuple(x.shape), self.data_shape)
        return super().fit(x, y, *args, **kwargs)

    def _standardize_x(self, x):
        """`x` as a float tensor, its shape checked against `(batch_size, *data_shape)`."""
        return self._standardize_batch(x, self.data_shape)

    # Generation.

    def _latents(self, z, seed=None, name="z"):
        """`z` as a `(n, latent_dim)` tensor; an int `n` draws `z ~ N(0, I)`."""
        n = _validation.as_int(z)
        if n is not None and n >= 1:
            return self._noise(n, self._seed_generator_for(seed))
        if n is not None or isinstance(z, (bool, float)):
            raise ValueError(
                f"`{name}` must be an int >= 1 or an array of shape "
                f"(n, {self.latent_dim}). Received: {name}={z!r}"
            )
        z = keras.ops.cast(keras.ops.convert_to_tensor(z), self.compute_dtype)
        if z.shape.rank != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(
                f"`{name}` must have shape (n, latent_dim) = (n, {self.latent_dim}). "
                f"Received: {name}.shape={tuple(z.shape)}"
            )
        return z

    def call(self, z, training=None):
        """`G(z)`: so `predict(z)` generates. `z` has shape `(batch, latent_dim)`."""
        return self._generate(z, training=training)

    def generate(self, z, seed=None):
        """Generates samples, `G(z)`, with the networks in inference mode.

        Args:
            z: an int `n` (draw `n` latents `z ~ N(0, I)`) or an array of
                shape `(n, latent_dim)`.
            seed: optional int, used when `z` is an int: `None` draws from
                the model's seed generator (advancing it); an int gives the
                same samples every time.

        Returns:
            A tensor of shape `(n, *data_shape)`.
        """
        return self._generate(self._latents(z, seed), training=False)

    def sample(self, num_samples, seed=None):
        """`generate(num_samples, seed)`: `(num_samples, *data_shape)` samples.

        The name `kgen.callbacks.GenerativePictures` calls with a fixed seed,
        so its grids show the same latents each epoch. The samples are in
        `sample_value_range`: (-1, 1) for tanh outputs, so give the
        callback `value_range=(-1, 1)`.
        """
        num_samples = _validation.positive_int("num_samples", num_samples)
        return self.generate(num_samples, seed=seed)

    def _interpolation_latents(self, z_a, z_b, steps):
        steps = _validation.integer("steps", steps, minimum=2)
        ends = []
        for name, z in (("z_a", z_a), ("z_b", z_b)):
            z = keras.ops.convert_to_tensor(z, dtype=self.compute_dtype)
            if tuple(z.shape) not in ((self.latent_dim,), (1, self.latent_dim)):
                raise ValueError(
                    f"`{name}` must be one latent vector of shape ({self.latent_dim},). "
                    f"Received: {name}.shape={tuple(z.shape)}"
                )
            ends.append(keras.ops.reshape(z, (self.latent_dim,)))
        t = keras.ops.linspace(0.0, 1.0, steps)[:, None]
        return (1.0 - t) * ends[0] + t * ends[1]

    def interpolate(self, z_a, z_b, steps=8):
        """Generates along the straight line between two latent vectors.

        `z_t = (1 - t) z_a + t z_b` for `steps` evenly spaced `t` in [0, 1].

        Args:
            z_a, z_b: arrays of shape `(latent_dim,)` or `(1, latent_dim)`.
            steps: int >= 2, the number of points, both ends included.

        Returns:
            A tensor of shape `(steps, *data_shape)`.
        """
        return self._generate(self._interpolation_latents(z_a, z_b, steps), training=False)

    def value(self, x, seed=None):
        """Monte Carlo estimate of `V(D, G)` on `x` and as many samples `G(z)`.

        `mean_i log D(x_i) + mean_i log(1 - D(G(z_i)))`, both networks in
        inference mode; `-log 4 = -1.386` nats at the equilibrium `D = 1/2`.

        Args:
            x: array of shape `(n, *data_shape)`.
            seed: optional int for the `z`, as in `generate`.

        Returns:
            A float scalar tensor, in nats.
        """
        x = self._standardize_x(x)
        x_fake = self.generate(keras.ops.shape(x)[0], seed=seed)
        return -_gan_losses.discriminator_loss(
            self._discriminate(x, training=False), self._discriminate(x_fake, training=False)
        )

    # Saving and export.

    def _export_signatures(self):
        """The SavedModel's signature: `generate` (also `serving_default`).

        `generate`: input `z`, float32 `(None, latent_dim)`, latents the
        client draws from `N(0, I)`; output `samples`, float32
        `(None, *data_shape)`, `G(z)` with the networks in inference mode
        (in `sample_value_range`).
        """
        z_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")

        @tf.function(input_signature=[z_spec])
        def generate(z):
            return {"samples": self._generate(z, training=False)}

        return {"generate": generate}
