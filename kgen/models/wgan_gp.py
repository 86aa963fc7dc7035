"""Wasserstein GAN with gradient penalty (Gulrajani et al., arXiv 1704.00028).

A Wasserstein GAN replaces the discriminator by a *critic* `D` with
unbounded real outputs and trains the generator to minimise the
Wasserstein-1 (earth mover's) distance, in its Kantorovich-Rubinstein dual
form

```
W(p_data, p_g) = max_{||D||_L <= 1} E_{x ~ p_data}[D(x)] - E_{x ~ p_g}[D(x)].
```

The maximum is over 1-Lipschitz functions. The original WGAN enforced the
constraint by clipping the weights; WGAN-GP instead penalises the critic's
gradient norm, since an optimal critic has gradient norm 1 almost everywhere
on the lines between real and generated points. The critic minimises

```
L = E[D(G(z))] - E[D(x)] + lambda E[(||grad_x_hat D(x_hat)||_2 - 1)^2],
x_hat = eps x + (1 - eps) G(z),   eps ~ U[0, 1], one per example,
```

and the generator minimises `-E[D(G(z))]`. Unlike the log-loss of the
original GAN, `-L` without the penalty estimates a distance that keeps a
useful gradient when the two distributions barely overlap, and it falls
as the samples improve, so it is a meaningful training curve.
"""

import keras
import tensorflow as tf

from kgen import _validation
from kgen.models import _gan_networks
from kgen.models.gan import GAN


@keras.saving.register_keras_serializable(package="kgen")
class WGANGP(GAN):
    """Wasserstein GAN whose critic is kept 1-Lipschitz by a gradient penalty.

    Mathematical details:

    Each training step takes `n_critic` critic steps, each on a fresh
    real minibatch `x` and fresh noise `z`, minimising

    ```
    L_D = mean D(G(z)) - mean D(x) + gp_weight * gradient_penalty(x, G(z))
    gradient_penalty = mean (||grad_x_hat D(x_hat)||_2 - 1)^2,
    x_hat = eps x + (1 - eps) G(z),  eps ~ U[0, 1] per example
    ```

    then one generator step minimising `L_G = -mean D(G(z))` (Algorithm 1
    of the paper). The fit batch of `B` examples is cut into `n_critic`
    minibatches of `B // n_critic` (see `GAN`), so pass
    `batch_size = n_critic * m`.

    Metrics: `d_loss` (`L_D`), `g_loss` (`L_G`), `gradient_penalty` (the
    unweighted penalty) and `wasserstein` (`mean D(x) - mean D(G(z))`, the
    critic's estimate of `W(p_data, p_g)`; it falls as `G` improves).

    Networks: for images `(H, W, C)`, the DCGAN networks of
    `kgen.models.DCGAN` with a `tanh` generator and a critic *without*
    batch normalisation (which would make each example's critic value,
    and hence the per-example gradient penalty, depend on the rest of the
    batch); train on images scaled to [-1, 1]. For vectors `(d,)`, such
    as the 2D toys of `kgen.datasets.toy_2d`, ReLU MLPs with
    `hidden_units` and a linear generator output, so any range is reached
    (`sample_value_range` is then `(-inf, inf)`).

    Defaults follow the paper: `n_critic = 5`, `gp_weight = lambda = 10`,
    and `compile()` with no optimizers uses `Adam(1e-4, beta_1=0.0,
    beta_2=0.9)` for both networks.

    Args:
        image_shape: the shape of one example: `(height, width, channels)`
            for images or `(d,)` for vectors.
        latent_dim: positive int, the dimension of `z`.
        n_critic: int >= 1, critic steps per generator step.
        gp_weight: float >= 0, `lambda` above.
        filters: positive int, the DCGAN width `f` (images only); `None`
            (default): 64 for images under 32 pixels, 128 from 32 (as
            `DCGAN`, whose docstring lists the networks each image size
            gets; the critic has the discriminator's layers without batch
            normalisation). Saved in the config as the int used.
        hidden_units: tuple of positive ints, the MLP widths (vectors only).
        generator, critic: optional `keras.Model`s replacing the built-in
            ones. The critic maps `(batch, *image_shape)` to one real
            number per example and must not mix examples (no batch
            normalisation).
        seed: optional int, seeds the initial weights (generator layer `i`:
            `seed + i`, critic layer `i`: `seed + 1000 + i`) and all noise
            (`z` and `eps`).
        **kwargs: base model keyword arguments, such as `name`.

    Attributes:
        critic: the critic (also `discriminator`).
        d_steps: `n_critic`.
        value_name: `"wasserstein"`, what `value` estimates (critic units).

    Example:

    ```python
    x, _ = kgen.datasets.toy_2d("ring", n=10000)
    wgan = kgen.models.WGANGP((2,), latent_dim=2, seed=0)
    wgan.compile()
    wgan.fit(x, epochs=20, batch_size=5 * 64)  # 64 examples per critic step
    ```

    References:
        Gulrajani et al., "Improved Training of Wasserstein GANs",
        arXiv 1704.00028.
        Arjovsky, Chintala & Bottou, "Wasserstein GAN", arXiv 1701.07875.
    """

    _NETWORK_ARGS = ("generator", "critic")
    _config_arguments = (
        "generator", "critic", "latent_dim", "seed", "image_shape", "n_critic", "gp_weight",
        "filters", "hidden_units",
    )
    _nested_config_arguments = _NETWORK_ARGS
    value_name = "wasserstein"

    def __init__(
        self,
        image_shape,
        latent_dim,
        n_critic=5,
        gp_weight=10.0,
        filters=None,
        hidden_units=(512, 512, 512),
        generator=None,
        critic=None,
        seed=None,
        **kwargs,
    ):
        image_shape = _validation.shape("image_shape", image_shape, rank=(1, 3))
        latent_dim = _validation.positive_int("latent_dim", latent_dim)
        n_critic = _validation.positive_int("n_critic", n_critic)
        gp_weight = _validation.non_negative_number("gp_weight", gp_weight)
        units = _validation.positive_ints("hidden_units", hidden_units)
        seed = _validation.seed(seed)
        images = len(image_shape) == 3
        if filters is None and images:
            filters = _gan_networks.default_filters(image_shape)
        if filters is not None:
            filters = _validation.positive_int("filters", filters)
        if generator is None and images:
            generator = _gan_networks.conv_generator(latent_dim, image_shape, filters, seed)
        elif generator is None:
            generator = _gan_networks.relu_mlp_generator(latent_dim, image_shape[0], units, seed)
        if critic is None and images:
            critic = _gan_networks.conv_discriminator(
                image_shape, filters, seed, batch_norm=False, name="critic"
            )
        elif critic is None:
            critic = _gan_networks.relu_mlp_critic(image_shape[0], units, seed)
        super().__init__(generator, critic, latent_dim, d_steps=n_critic, seed=seed, **kwargs)
        self.generator_loss = None  # Not the log-loss game: see `_generator_loss`.
        self._require_data_shape(image_shape)
        self.image_shape = image_shape
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.filters = filters
        self.hidden_units = units
        self.gradient_penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.wasserstein_tracker = keras.metrics.Mean(name="wasserstein")

    @property
    def critic(self):
        return self.discriminator

    def _default_optimizer(self):
        """The paper's Adam(1e-4, beta_1=0, beta_2=0.9)."""
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.gradient_penalty_tracker,
            self.wasserstein_tracker,
        ]

    def gradient_penalty(self, x_real, x_fake, training=True, eps=None):
        """`mean_i (||grad_x D(x_hat_i)||_2 - 1)^2` on random interpolates.

        `x_hat_i = eps_i x_real_i + (1 - eps_i) x_fake_i` with `eps_i ~
        U[0, 1]` drawn per example from the model's seed generator (the
        paper's sampling: uniform along the line between a real and a
        generated point, not a normal). The gradient of the critic at
        `x_hat` is taken with respect to its input, per example (the
        critic's outputs do not mix examples), and flattened.

        Args:
            x_real, x_fake: tensors of shape `(m, *image_shape)`.
            training: passed to the critic.
            eps: optional tensor of shape `(m,)`, the interpolation
                weights. `None`: drawn as above.

        Returns:
            A float scalar tensor: the penalty before weighting by `gp_weight`.
        """
        batch_size = keras.ops.shape(x_real)[0]
        if eps is None:
            eps = self._interpolation_weights(batch_size, x_real.dtype)
        eps = keras.ops.reshape(
            keras.ops.cast(eps, x_real.dtype), (-1,) + (1,) * len(self.image_shape)
        )
        x_hat = eps * x_real + (1.0 - eps) * x_fake
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            # Summing over the batch gives each example's own gradient,
            # since example i's value depends only on x_hat_i.
            total = keras.ops.sum(self._discriminate(x_hat, training=training))
        gradients = tape.gradient(total, x_hat)
        gradients = keras.ops.reshape(gradients, (batch_size, -1))
        # sqrt(sum g^2 + tiny): the norm's gradient at g = 0 would be 0/0.
        norms = keras.ops.sqrt(keras.ops.sum(keras.ops.square(gradients), axis=1) + 1e-12)
        return keras.ops.mean(keras.ops.square(norms - 1.0))

    def _interpolation_weights(self, num_samples, dtype):
        """`eps ~ U[0, 1]`, shape `(num_samples,)`, from the model's seed generator."""
        return keras.random.uniform(
            (num_samples,), minval=0.0, maxval=1.0, dtype=dtype, seed=self.seed_generator
        )

    def _discriminator_loss(self, x_real, x_fake, labels, training, share=None):
        real_values = self._discriminate(x_real, training=training)
        fake_values = self._discriminate(x_fake, training=training)
        # Under tf.distribute: this replica's rows of the global minibatch's eps.
        eps = None
        if share is not None:
            eps = share.rows(lambda rows: self._interpolation_weights(rows, x_real.dtype))
        penalty = self.gradient_penalty(x_real, x_fake, training=training, eps=eps)
        loss = (
            keras.ops.mean(fake_values)
            - keras.ops.mean(real_values)
            + self.gp_weight * penalty
        )
        return loss, {"real": real_values, "fake": fake_values, "gradient_penalty": penalty}

    def _generator_loss(self, fake_values):
        return -keras.ops.mean(fake_values)

    def _update_d_metrics(self, loss, outputs, share):
        share.update(self.d_loss_tracker, loss)
        share.update(self.gradient_penalty_tracker, outputs["gradient_penalty"])
        share.update(
            self.wasserstein_tracker,
            keras.ops.mean(outputs["real"]) - keras.ops.mean(outputs["fake"]),
        )

    def value(self, x, seed=None):
        """The critic's estimate of `W(p_data, p_g)`: `mean D(x) - mean D(G(z))`.

        On `x` and as many generated samples (`seed` as in `generate`).
        Meaningful as a distance only while the critic is close to optimal
        and 1-Lipschitz.
        """
        x = self._standardize_x(x)
        x_fake = self.generate(keras.ops.shape(x)[0], seed=seed)
        return keras.ops.mean(self._discriminate(x, training=False)) - keras.ops.mean(
            self._discriminate(x_fake, training=False)
        )

    @property
    def critic(self):
        """The critic network `D` (the base class's `discriminator`, by its WGAN name)."""
        return self.discriminator
