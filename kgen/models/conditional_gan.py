"""Conditional GAN (Mirza & Osindero, arXiv 1411.1784).

Both networks see the class label `y`: the generator models `p(x | y)` by
mapping `(z, y)` to an image, and the discriminator judges pairs `(x, y)`,
so it can reject a good "3" offered as a "7". The game is the GAN game
with every term conditioned on `y`:

```
V(D, G) = E_{(x, y) ~ p_data}[log D(x, y)]
        + E_{z ~ p(z), y ~ p_data(y)}[log(1 - D(G(z, y), y))]
```

The label enters as a one-hot vector, as in the paper: concatenated to `z`
for the generator, and broadcast to `num_classes` constant feature maps
stacked on the image's channels for the discriminator
(`kgen.models._gan_networks.conditional_conv_generator` and
`conditional_conv_discriminator`).
"""

import keras
import numpy as np
import tensorflow as tf

from kgen import _validation
from kgen.models import _gan_losses
from kgen.models import _gan_networks
from kgen.models.gan import GAN


@keras.saving.register_keras_serializable(package="kgen")
class ConditionalGAN(GAN):
    """GAN whose generator and discriminator are conditioned on a class label.

    Mathematical details:

    With labels `y` in `{0, ..., num_classes - 1}` and `c(y)` their one-hot
    codes, the generator is `G(z, y) = G'([z, c(y)])` and the
    discriminator's logit is `l(x, y) = l'([x, c(y) broadcast over the
    pixels])`, with `G'`, `l'` the DCGAN networks of
    `kgen.models.DCGAN` (with `num_classes` extra inputs). Training is
    `GAN`'s Algorithm 1 on

    ```
    V(D, G) = E_{(x, y)}[log D(x, y)] + E_{z, y}[log(1 - D(G(z, y), y))]
    ```

    where the generated examples of a step take the labels of the real
    minibatch (so classes are drawn as often as in the data). Losses and
    metrics (`d_loss`, `g_loss`, `d_real`, `d_fake`) are as in `GAN`.

    `fit` takes `(x, y)`: images `(N, *image_shape)` scaled to [-1, 1]
    (`kgen.datasets.to_tanh_range`) and integer labels `(N,)`. Array
    labels are checked to lie in `[0, num_classes)` when `fit` starts
    (inside a compiled step an out-of-range label would silently become
    an all-zero code).

    Args:
        image_shape: `(height, width, channels)`, positive ints.
        num_classes: int >= 2, the number of labels.
        latent_dim: positive int, the dimension of `z`.
        filters: positive int, the DCGAN width `f`; `None` (default): 64
            for images under 32 pixels, 128 from 32 (as `DCGAN`, whose
            docstring lists the networks each image size gets).
        generator_loss: `"non_saturating"` (default) or `"minimax"`.
        d_steps: int >= 1, discriminator steps per generator step.
        generator: optional `keras.Model` mapping `[z (batch, latent_dim),
            labels (batch,) int]` to `(batch, *image_shape)`.
        discriminator: optional `keras.Model` mapping `[x (batch,
            *image_shape), labels (batch,) int]` to one logit per example.
        seed: optional int, seeds the initial weights (as `DCGAN`) and all
            noise.
        **kwargs: base model keyword arguments, such as `name`.

    Example:

    ```python
    x, y = kgen.datasets.load_digits()
    cgan = kgen.models.ConditionalGAN((8, 8, 1), num_classes=10, latent_dim=32, seed=0)
    cgan.compile()
    cgan.fit(kgen.datasets.to_tanh_range(x), y, epochs=30, batch_size=64)
    threes = cgan.generate(np.full(16, 3), seed=1)
    ```

    References:
        Mirza & Osindero, "Conditional Generative Adversarial Nets",
        arXiv 1411.1784.
        Radford, Metz & Chintala, arXiv 1511.06434 (the networks).
    """

    labelled = True

    _config_arguments = GAN._config_arguments + ("image_shape", "num_classes", "filters")

    def __init__(
        self,
        image_shape,
        num_classes,
        latent_dim,
        filters=None,
        generator_loss="non_saturating",
        d_steps=1,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        image_shape = _validation.shape("image_shape", image_shape, rank=3)
        num_classes = _validation.integer("num_classes", num_classes, minimum=2)
        latent_dim = _validation.positive_int("latent_dim", latent_dim)
        if filters is None:
            filters = _gan_networks.default_filters(image_shape)
        filters = _validation.positive_int("filters", filters)
        seed = _validation.seed(seed)
        if generator is None:
            generator = _gan_networks.conditional_conv_generator(
                latent_dim, image_shape, num_classes, filters, seed
            )
        if discriminator is None:
            discriminator = _gan_networks.conditional_conv_discriminator(
                image_shape, num_classes, filters, seed
            )
        super().__init__(generator, discriminator, latent_dim, generator_loss=generator_loss,
                         d_steps=d_steps, seed=seed, **kwargs)
        self._require_data_shape(image_shape)
        self.image_shape = image_shape
        self.num_classes = num_classes
        self.filters = filters

    def _network_input_shape(self, name):
        if name == "generator":
            return [(None, self.latent_dim), (None,)]
        return [(None, *self.data_shape), (None,)]

    # The networks on batches: both take the labels.

    def _generate(self, z, labels=None, training=None):
        return self.generator([z, labels], training=training)

    def _discriminate(self, x, labels=None, training=None):
        logits = self.discriminator([x, labels], training=training)
        return keras.ops.reshape(logits, (-1,))

    def _unpack(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError(
                "`ConditionalGAN` must be fit on `(x, y)` with integer labels `y`. "
                "Received: y=None"
            )
        labels = keras.ops.reshape(keras.ops.cast(y, "int32"), (-1,))
        return self._standardize_x(x), labels

    def _check_labels(self, labels, name="labels"):
        """Returns `labels` as an int32 array of shape `(n,)` in range, or raises."""
        array = np.asarray(keras.ops.convert_to_numpy(labels))
        if array.ndim == 2 and array.shape[-1] == 1:
            array = array[:, 0]
        integral = np.issubdtype(array.dtype, np.integer) or (
            np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array))
        )
        if array.ndim != 1 or not integral or array.size == 0:
            raise ValueError(
                f"`{name}` must be a non-empty 1-D array of ints. "
                f"Received: {name} of shape {array.shape} and dtype {array.dtype}"
            )
        low, high = array.min(), array.max()
        if low < 0 or high >= self.num_classes:
            raise ValueError(
                f"`{name}` must lie in [0, num_classes) = [0, {self.num_classes}). "
                f"Received: {name} from {low} to {high}"
            )
        return array.astype("int32")

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on images `x` and integer labels `y`.

        Array (or tensor) images and labels are checked first; those in a
        dataset are checked only as far as a compiled step can.
        """
        if y is not None and not isinstance(y, tf.data.Dataset):
            self._check_labels(y, name="y")
        return super().fit(x, y, *args, **kwargs)

    # Generation.

    def call(self, inputs, training=None):
        """`G(z, labels)` for `inputs = (z, labels)`, so `predict` generates."""
        z, labels = inputs
        return self._generate(z, labels, training=training)

    def generate(self, labels, seed=None, z=None):
        """Generates one image per label, `G(z, y)`, in inference mode.

        Args:
            labels: ints in `[0, num_classes)`, shape `(n,)`.
            seed: optional int for drawing `z` when `z` is None: `None` uses
                the model's seed generator (advancing it), an int gives the
                same samples every time.
            z: optional array of shape `(n, latent_dim)`.

        Returns:
            A tensor of shape `(n, *image_shape)`.
        """
        labels = self._check_labels(labels)
        z = self._latents(len(labels) if z is None else z, seed)
        if z.shape[0] != len(labels):
            raise ValueError(
                f"`z` must have one row per label ({len(labels)}). "
                f"Received: z.shape={tuple(z.shape)}"
            )
        return self._generate(z, keras.ops.convert_to_tensor(labels), training=False)

    def sample(self, num_samples, seed=None):
        """`num_samples` images with labels `0, 1, ..., num_classes - 1, 0, 1, ...`.

        For `kgen.callbacks.GenerativePictures`: with `num_samples` a
        multiple of `num_classes`, a grid `num_classes` wide shows one class
        per column.
        """
        num_samples = _validation.positive_int("num_samples", num_samples)
        return self.generate(np.arange(num_samples) % self.num_classes, seed=seed)

    def interpolate(self, z_a, z_b, label, steps=8):
        """Generates class `label` along the line `z_t = (1 - t) z_a + t z_b`.

        Args:
            z_a, z_b: arrays of shape `(latent_dim,)` or `(1, latent_dim)`.
            label: int in `[0, num_classes)`.
            steps: int >= 2, the number of points, both ends included.

        Returns:
            A tensor of shape `(steps, *image_shape)`.
        """
        z = self._interpolation_latents(z_a, z_b, steps)
        labels = self._check_labels(np.full(steps, label), name="label")
        return self._generate(z, keras.ops.convert_to_tensor(labels), training=False)

    def value(self, x, labels, seed=None):
        """Monte Carlo estimate of `V(D, G)` on `(x, labels)` and `G(z, labels)`.

        Returns a float scalar tensor in nats (`-log 4` at the equilibrium).
        """
        x = self._standardize_x(x)
        labels = self._check_labels(labels)
        x_fake = self.generate(labels, seed=seed)
        labels = keras.ops.convert_to_tensor(labels)
        real = self._discriminate(x, labels, training=False)
        fake = self._discriminate(x_fake, labels, training=False)
        return -_gan_losses.discriminator_loss(real, fake)

    # Saving and export.

    def _export_signatures(self):
        """The SavedModel's signature: `generate` (also `serving_default`).

        `generate`: inputs `z`, float32 `(None, latent_dim)`, latents the
        client draws from `N(0, I)`, and `labels`, int32 `(None,)`; output
        `samples`, float32 `(None, *image_shape)`, `G(z, labels)` with the
        networks in inference mode, in (-1, 1). Labels are not range-checked
        in the served graph (an out-of-range label gets an all-zero one-hot
        code).
        """

        @tf.function(
            input_signature=[
                tf.TensorSpec((None, self.latent_dim), tf.float32, name="z"),
                tf.TensorSpec((None,), tf.int32, name="labels"),
            ]
        )
        def generate(z, labels):
            return {"samples": self._generate(z, labels, training=False)}

        return {"generate": generate}
