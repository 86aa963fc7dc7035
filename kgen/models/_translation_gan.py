"""The base of kgen's unpaired image-to-image translation GANs: `CycleGAN` and `DiscoGAN`.

Two domains of images, A and B, are given without pairs. Two generators
translate between them, `G: A -> B` and `F: B -> A`, and two discriminators
judge each domain, `D_B` (real images of B against `G(a)`) and `D_A` (real
images of A against `F(b)`). Translations must fool the discriminators and
come back to where they started:

```
L(G, F, D_A, D_B) = L_adv(G, D_B) + L_adv(F, D_A)
                    + lambda_cyc (d(F(G(a)), a) + d(G(F(b)), b))
                    + lambda_cyc lambda_id (|F(a) - a|_1 + |G(b) - b|_1)     (CycleGAN only)
```

`d` is the cycle distance (CycleGAN: the mean absolute error, the L1 norm
per pixel; DiscoGAN: the mean squared error), `L_adv` the adversarial loss
(`_gan_losses.ADVERSARIAL_TERMS`: least squares or the non-saturating GAN
loss). This module holds what the two share: the training step (one step
of both generators, then one of both discriminators on images drawn from
the image pools, as in the CycleGAN authors' code), data in two domains
(`fit(a, b)` with arrays of different lengths), the translation methods,
the export signatures `a_to_b` and `b_to_a`, and the saved configuration.
`cyclegan.py` and `discogan.py` build the papers' networks on it.
"""

import inspect
import math

import keras
import tensorflow as tf

from kgen import _validation
from kgen import schedules  # noqa: F401  (registers the paper's schedule for loading)
from kgen.models import _data_range
from kgen.models import _gan_losses
from kgen.models import _gan_networks
from kgen.models import _model
from kgen.models import _protocols
from kgen.models import _replicas

GAN_LOSSES = tuple(_gan_losses.ADVERSARIAL_TERMS)
CYCLE_DISTANCES = ("l1", "mse")
DIRECTIONS = ("a_to_b", "b_to_a")
# Seeds of the second pair of networks (F, D_A) and of the pools, added to
# the model's seed so that no two layers share one (`_seeding`).
SECOND_PAIR_OFFSET = 5000
POOL_OFFSET = 9000


def _second_seed(seed):
    """The seed of the second network of a pair (F, D_A): far from the first's layers' seeds."""
    return None if seed is None else seed + SECOND_PAIR_OFFSET


def _distance(kind, x, y):
    """The mean over every element of `|x - y|` ("l1") or `(x - y)^2` ("mse")."""
    difference = x - y
    if kind == "l1":
        return keras.ops.mean(keras.ops.abs(difference))
    return keras.ops.mean(keras.ops.square(difference))


class TranslationGAN(_model.Model, _protocols.Translator):
    """Two generators and two discriminators trained on unpaired images of domains A and B.

    Subclasses (`CycleGAN`, `DiscoGAN`) build the networks and pass them
    here; see their docstrings for the mathematics, arguments and example.

    Each training step (one batch `(a, b)` of `fit`) computes the two
    updates of the CycleGAN authors' `optimize_parameters` from one forward
    pass (the discriminators' update does not depend on the generators'):

    1. generators: `fake_b = G(a)`, `fake_a = F(b)`; one step of
       `g_optimizer` on the weights of `G` and `F` together, minimising
       `adv(D_B(fake_b)) + adv(D_A(fake_a)) + lambda_cyc (d(F(fake_b), a)
       + d(G(fake_a), b))` (+ the identity terms);
    2. discriminators: `fake_b` and `fake_a` go through the image pools
       (`kgen.layers.ImagePool`: past translations, so the discriminators
       do not only chase the generators' latest output); one step of
       `d_optimizer` on the weights of `D_A` and `D_B` together,
       minimising `(real(D_B(b)) + fake(D_B(pooled_b))) / 2 +
       (real(D_A(a)) + fake(D_A(pooled_a))) / 2`.

    Each term is a mean over the rows of its domain's batch (and every
    element of a patch map), so the two domains' batches may differ in
    size; under `tf.distribute` every mean is over the global batch.

    Metrics (epoch means): `g_loss` (the generators' whole loss),
    `adversarial_a_to_b` and `adversarial_b_to_a` (the generators'
    adversarial terms, `G` against `D_B` and `F` against `D_A`), `cycle_a`
    and `cycle_b` (`d(F(G(a)), a)`, `d(G(F(b)), b)`, unweighted, in pixel
    units of [-1, 1] images), `identity_loss` (CycleGAN with an identity
    weight: `mean|F(a) - a| + mean|G(b) - b|`, unweighted), `d_a_loss` and
    `d_b_loss` (each discriminator's halved loss).
    """

    # The constructor arguments that may hold a pair of networks.
    _NETWORK_PAIRS = ("generator", "discriminator")
    _OPTIMIZER_NAMES = ("d_optimizer", "g_optimizer")

    default_jit_compile = "auto"
    """Keras' `"auto"`: XLA with a GPU, not on the CPU (as the other GANs)."""

    default_steps_per_execution = 1
    """1 step per call of `fit`'s compiled function (Keras' default; the other GANs: 8).

    A translation step is long (four generator passes and their backward),
    so the per-call work that several steps per call save is small:
    `benchmarks/translation_mnist.py` measured 8 steps per call within a few
    percent of 1 on the CPU, faster in one run and slower in another
    (benchmarks/RESULTS.md, "Unpaired translation on MNIST"). With 1,
    callbacks see every batch, as in Keras.
    """

    serving_default_signature = "a_to_b"

    # The built-in networks a subclass offers: `{name: builder}`, a
    # generator builder called as `build(image_shape, output_channels=...,
    # filters=..., seed=..., name=...)`, a discriminator's without
    # `output_channels` (`_translation_networks`).
    _GENERATORS = {}
    _DISCRIMINATORS = {}

    def __init__(self, image_shape_a, image_shape_b, generator, discriminator, filters,
                 cycle_weight, identity_weight, gan_loss, pool_size, cycle_distance, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        from kgen.layers import ImagePool

        self._init_seed(seed)
        self.filters = _validation.positive_int("filters", filters)
        self._set_networks(*self._network_pairs(image_shape_a, image_shape_b, generator,
                                                discriminator))
        self.cycle_weight = _validation.non_negative_number("cycle_weight", cycle_weight)
        self.identity_weight = _validation.non_negative_number("identity_weight", identity_weight)
        self.gan_loss = _validation.choice("gan_loss", gan_loss, GAN_LOSSES)
        self.pool_size = _validation.non_negative_int("pool_size", pool_size)
        self.cycle_distance = _validation.choice("cycle_distance", cycle_distance, CYCLE_DISTANCES)
        if self.identity_weight > 0 and self.image_shape_a != self.image_shape_b:
            raise ValueError(
                "`identity_weight` must be 0 when the two domains' images differ in shape (the "
                "identity loss compares G(b) with b and F(a) with a). Received: "
                f"identity_weight={identity_weight!r} with image_shape_a={self.image_shape_a}, "
                f"image_shape_b={self.image_shape_b}"
            )
        pool_seed = None if self.seed is None else self.seed + POOL_OFFSET
        # pool_a holds translations into A (F(b)), for D_A; pool_b those into B.
        self.pool_a = ImagePool(self.pool_size, seed=pool_seed, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, seed=None if pool_seed is None else pool_seed + 1,
                                name="pool_b")
        self.pool_a.build((None, *self.image_shape_a))
        self.pool_b.build((None, *self.image_shape_b))
        self._adversarial_terms = _gan_losses.ADVERSARIAL_TERMS[self.gan_loss]
        names = ["g_loss", "adversarial_a_to_b", "adversarial_b_to_a", "cycle_a", "cycle_b"]
        if self.identity_weight > 0:
            names.append("identity_loss")
        names += ["d_a_loss", "d_b_loss"]
        # Created here and returned by `metrics`, so `fit` resets them each epoch.
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.g_optimizer = None
        self.d_optimizer = None

    # Networks.

    def _network_pairs(self, image_shape_a, image_shape_b, generator, discriminator):
        """`(generators, discriminators)`: each a user's pair as given, or the built-ins named.

        Also records how each pair was given (`_network_specs`, saved by
        `get_config`). The built-ins are `G: A -> B` seeded with `seed`,
        `F: B -> A` with `seed + SECOND_PAIR_OFFSET`, `D_B` with `seed`
        and `D_A` with `seed + SECOND_PAIR_OFFSET` (each at its builder's
        own offset, so that no two layers share a seed).
        """
        image_shape_a = _validation.shape("image_shape_a", image_shape_a, rank=3)
        image_shape_b = (image_shape_a if image_shape_b is None
                         else _validation.shape("image_shape_b", image_shape_b, rank=3))
        self._network_specs, pairs = {}, {}
        for name, value, builders in (("generator", generator, self._GENERATORS),
                                      ("discriminator", discriminator, self._DISCRIMINATORS)):
            if isinstance(value, str) and value in builders:
                self._network_specs[name] = value
            elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
                    isinstance(n, keras.Model) for n in value):
                self._network_specs[name] = None
                pairs[name] = tuple(value)
            else:
                _validation.fail(name, f"one of {tuple(builders)!r} or a pair of keras.Models", value)
        seed, second = self.seed, _second_seed(self.seed)
        if self._network_specs["generator"] is not None:
            build = self._GENERATORS[self._network_specs["generator"]]
            pairs["generator"] = (
                build(image_shape_a, output_channels=image_shape_b[-1], filters=self.filters,
                      seed=seed, name="generator_a_to_b"),
                build(image_shape_b, output_channels=image_shape_a[-1], filters=self.filters,
                      seed=second, name="generator_b_to_a"),
            )
        if self._network_specs["discriminator"] is not None:
            build = self._DISCRIMINATORS[self._network_specs["discriminator"]]
            pairs["discriminator"] = (
                build(image_shape_a, filters=self.filters, seed=second, name="discriminator_a"),
                build(image_shape_b, filters=self.filters, seed=seed, name="discriminator_b"),
            )
        self._requested_shapes = (image_shape_a, image_shape_b)
        return pairs["generator"], pairs["discriminator"]

    def _set_networks(self, generators, discriminators):
        """Checks the four networks against each other; sets the shapes and the networks."""
        pairs = {"generator": generators, "discriminator": discriminators}
        for name, pair in pairs.items():
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2
                    and all(isinstance(n, keras.Model) for n in pair)):
                raise ValueError(f"`{name}` must be a pair of `keras.Model`s. Received: {name}={pair!r}")
        g, f = generators
        shape_a = self._example_shape("generator[0] (G: A -> B)", g.inputs)
        shape_b = self._example_shape("generator[1] (F: B -> A)", f.inputs)
        for label, network, source, target in (("generator[0] (G: A -> B)", g, shape_a, shape_b),
                                               ("generator[1] (F: B -> A)", f, shape_b, shape_a)):
            out = tuple(network.compute_output_shape((None, *source)))[1:]
            if out != target:
                raise ValueError(
                    f"`{label}` must map images of shape {source} to {target}. "
                    f"Received: output shape=(None, *{out})"
                )
        for label, network, shape in (("discriminator[0] (D_A)", discriminators[0], shape_a),
                                      ("discriminator[1] (D_B)", discriminators[1], shape_b)):
            try:
                network.compute_output_shape((None, *shape))
            except Exception as error:  # Keras raises various types on mismatches.
                raise ValueError(
                    f"`{label}` must accept images of shape (None, *{shape}). "
                    f"Received: {type(error).__name__}: {error}"
                ) from None
        for name, want, got in zip(("image_shape_a", "image_shape_b"), self._requested_shapes,
                                   (shape_a, shape_b)):
            if want != got:
                raise ValueError(
                    f"`{name}` must be the shape the generators translate. Received: "
                    f"{name}={want} with generators of {got}"
                )
        self.image_shape_a, self.image_shape_b = shape_a, shape_b
        self.generator_a_to_b, self.generator_b_to_a = g, f
        self.discriminator_a, self.discriminator_b = discriminators
        self.built = True

    @staticmethod
    def _example_shape(label, inputs):
        shape = tuple(inputs[0].shape)[1:] if inputs else ()
        if len(shape) != 3 or None in shape:
            raise ValueError(
                f"`{label}` must take images of a fixed shape (height, width, channels). "
                f"Received: input shape=(None, *{shape})"
            )
        return tuple(int(d) for d in shape)

    @property
    def sample_value_range(self):
        """`(-1.0, 1.0)` if both generators end in `tanh`, else `(-inf, inf)`: the images' range."""
        tanh = keras.activations.tanh
        if all(_gan_networks.output_activation(g) is tanh
               for g in (self.generator_a_to_b, self.generator_b_to_a)):
            return (-1.0, 1.0)
        return (-math.inf, math.inf)

    # Saving.

    def get_config(self):
        """The base config, with `generator` and `discriminator`: a built-in's name, or two configs.

        A pair of your own networks is saved as a list of their two
        configs (their weights are in the `.keras` file with the others').
        """
        config = super().get_config()
        pairs = {"generator": (self.generator_a_to_b, self.generator_b_to_a),
                 "discriminator": (self.discriminator_a, self.discriminator_b)}
        for name, pair in pairs.items():
            spec = self._network_specs[name]
            config[name] = spec if spec is not None else [
                keras.saving.serialize_keras_object(network) for network in pair]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls._NETWORK_PAIRS:
            if isinstance(config.get(name), (tuple, list)):
                config[name] = tuple(keras.saving.deserialize_keras_object(n) for n in config[name])
        return cls(**config)

    # Training configuration.

    def _default_optimizer(self):
        """The CycleGAN paper's Adam(2e-4, beta_1=0.5) (also DiscoGAN's code's)."""
        return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)

    def compile(self, d_optimizer=None, g_optimizer=None, jit_compile=None, steps_per_execution=None,
                **kwargs):
        """Sets the discriminators' and the generators' optimizers (in `GAN.compile`'s order).

        Args:
            d_optimizer: optimizer of both discriminators' weights (an
                instance, a name or a config). `None`: `Adam(2e-4, beta_1=0.5)`.
            g_optimizer: optimizer of both generators' weights, likewise; a
                different object from `d_optimizer`. For the paper's schedule
                (constant, then linearly to zero) give each optimizer
                `kgen.schedules.ConstantThenLinearDecay.per_epoch(...)` as its
                learning rate.
            jit_compile: `None` means `default_jit_compile` (`"auto"`).
            steps_per_execution: `None` means `default_steps_per_execution` (1).
            **kwargs: other `keras.Model.compile` arguments (no `loss`).

        Under a `tf.distribute` strategy with several replicas XLA is off
        and `steps_per_execution` is 1 (`_replicas`); the optimizers'
        variables are created here, inside the model's strategy
        (`_model.Model._compile_optimizers`).
        """
        self._compile_optimizers(
            {"d_optimizer": (d_optimizer, self._discriminator_weights()),
             "g_optimizer": (g_optimizer, self._generator_weights())},
            jit_compile, steps_per_execution, **kwargs)

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _generator_weights(self):
        return self.generator_a_to_b.trainable_weights + self.generator_b_to_a.trainable_weights

    def _discriminator_weights(self):
        return self.discriminator_a.trainable_weights + self.discriminator_b.trainable_weights

    # Data in two domains.

    def _unpack(self, data):
        """`(a, b)` of a batch: `(a, b)`, `((a, b),)` or `(a, b, weights)` (weights unused)."""
        if isinstance(data, (tuple, list)) and len(data) == 1:
            data = data[0]
        if not (isinstance(data, (tuple, list)) and len(data) in (2, 3)):
            raise ValueError(
                f"`x` must give batches of two domains, (a, b), for {type(self).__name__}. "
                f"Received: a batch of {type(data).__name__}"
            )
        a = self._standardize_batch(data[0], self.image_shape_a, name="a")
        b = self._standardize_batch(data[1], self.image_shape_b, name="b")
        return a, b

    def _domains(self, x, y, name):
        """`(a, b)` arrays from `fit(a, b)` or `fit((a, b))`, or None for other inputs (datasets)."""
        if y is None and isinstance(x, (tuple, list)) and len(x) == 2:
            x, y = x
        if y is None or not all(hasattr(v, "shape") for v in (x, y)) or isinstance(x, tf.data.Dataset):
            return None
        for domain, value, shape in (("a", x, self.image_shape_a), ("b", y, self.image_shape_b)):
            self._check_batch_shape(tuple(value.shape), shape, name=f"{name} ({domain})")
            if len(value) == 0:
                raise ValueError(
                    f"`{name}` must hold at least one image of domain {domain.upper()}. "
                    f"Received: an array of shape {tuple(value.shape)}"
                )
        return x, y

    def _as_dataset(self, a, b, batch_size, shuffle):
        from kgen.datasets import unpaired

        return unpaired(a, b, batch_size or _data_range.DEFAULT_BATCH_SIZE,
                        seed=0 if self.seed is None else self.seed, shuffle=shuffle)

    def _check_domains(self, data, batch_size, name):
        """Checks the first batch of both domains of `data` against `data_value_range`."""
        if data is None:
            return
        if isinstance(data, tf.data.Dataset):
            element = next(iter(data.take(1)), None)
            if element is None:
                return
            pair = element[0] if len(element) == 1 else element
        else:
            pair = data
        rows = batch_size or _data_range.DEFAULT_BATCH_SIZE
        for domain, value in zip("ab", pair[:2]):
            batch = _data_range.as_array(value[:rows])
            _data_range.check(batch, self.data_value_range, type(self).__name__, f"{name} ({domain})")

    def fit(self, x=None, y=None, *args, check_data_range=True, **kwargs):
        """`keras.Model.fit` on two domains: `fit(a, b)`, `fit((a, b))` or a dataset of `(a, b)`.

        Args:
            x, y: images of domain A `(n_a, *image_shape_a)` and of domain
                B `(n_b, *image_shape_b)`, in `data_value_range` ([-1, 1]
                for the built-in generators: `kgen.datasets.to_tanh_range`),
                of any lengths; or `x` a `tf.data.Dataset` of batches `(a,
                b)` (e.g. `tf.data.Dataset.zip((da, db))`) and `y` None.
                Arrays become `kgen.datasets.unpaired(a, b, batch_size,
                seed, shuffle)`: an epoch is `max(n_a, n_b)` images of each
                domain, each shuffled on its own (so no pairing is seen
                twice), the shorter domain repeated.
            validation_data: `(a_val, b_val)` (any lengths; not shuffled) or
                a dataset of `(a, b)`.
            check_data_range: bool; if True (default), the first batch of
                each domain must be finite and in `data_value_range`.
            *args, **kwargs: as `keras.Model.fit` (`validation_split` is
                refused: hold out each domain yourself).
        """
        call = inspect.signature(keras.Model.fit).bind(self, x, y, *args, **kwargs)
        arguments = call.arguments
        if arguments.get("validation_split"):
            raise ValueError(
                "`validation_split` must be 0 for two domains (hold out images of each and "
                f"pass validation_data=(a_val, b_val)). Received: "
                f"validation_split={arguments['validation_split']!r}"
            )
        batch_size = arguments.get("batch_size")
        check = _validation.boolean("check_data_range", check_data_range)
        domains = self._domains(arguments.get("x"), arguments.get("y"), "x")
        if domains is not None:
            if check:
                self._check_domains(domains, batch_size, "x")
            arguments["x"] = self._as_dataset(*domains, batch_size, arguments.get("shuffle", True))
            arguments["y"] = None
            arguments["batch_size"] = None
            arguments["shuffle"] = False  # the dataset shuffles each domain itself
        elif check:
            self._check_domains(arguments.get("x"), None, "x")
        validation = arguments.get("validation_data")
        if validation is not None:
            pair = self._domains(validation, None, "validation_data")
            if pair is not None:
                if check:
                    self._check_domains(pair, batch_size, "validation_data")
                arguments["validation_data"] = self._as_dataset(*pair, batch_size, shuffle=False)
            elif check:
                self._check_domains(validation, None, "validation_data")
        return super().fit(*call.args[1:], **call.kwargs, check_data_range=False)

    def evaluate(self, x=None, y=None, *args, check_data_range=True, **kwargs):
        """`keras.Model.evaluate` on two domains (as `fit`: arrays of any lengths, or a dataset)."""
        call = inspect.signature(keras.Model.evaluate).bind(self, x, y, *args, **kwargs)
        arguments = call.arguments
        check = _validation.boolean("check_data_range", check_data_range)
        domains = self._domains(arguments.get("x"), arguments.get("y"), "x")
        if domains is not None:
            if check:
                self._check_domains(domains, arguments.get("batch_size"), "x")
            arguments["x"] = self._as_dataset(*domains, arguments.get("batch_size"), shuffle=False)
            arguments["y"] = None
            arguments["batch_size"] = None
        elif check and not kwargs.get("_use_cached_eval_dataset"):
            self._check_domains(arguments.get("x"), None, "x")
        return super().evaluate(*call.args[1:], **call.kwargs, check_data_range=False)

    # The losses of a step.

    def _generator_losses(self, a, b, share_a, share_b, training):
        """The generators' forward pass and losses; returns `(total, values, fakes, scores)`.

        `total` is this replica's contribution to the generators' global
        loss; `values` the unweighted terms for the metrics, each a mean over
        its domain's rows of this replica; `fakes` `(fake_a, fake_b)`;
        `scores` `(D_A(fake_a), D_B(fake_b))`, the discriminators' outputs on
        them (reused by the discriminators' loss when there is no pool).
        """
        g, f = self.generator_a_to_b, self.generator_b_to_a
        _, _, adversarial = self._adversarial_terms
        fake_b = g(a, training=training)
        fake_a = f(b, training=training)
        scores = (self.discriminator_a(fake_a, training=training),
                  self.discriminator_b(fake_b, training=training))
        values = {
            "adversarial_a_to_b": adversarial(scores[1]),
            "adversarial_b_to_a": adversarial(scores[0]),
            "cycle_a": _distance(self.cycle_distance, f(fake_b, training=training), a),
            "cycle_b": _distance(self.cycle_distance, g(fake_a, training=training), b),
        }
        terms_a = values["adversarial_a_to_b"] + self.cycle_weight * values["cycle_a"]
        terms_b = values["adversarial_b_to_a"] + self.cycle_weight * values["cycle_b"]
        if self.identity_weight > 0:
            identity_a = _distance("l1", f(a, training=training), a)
            identity_b = _distance("l1", g(b, training=training), b)
            values["identity_a"], values["identity_b"] = identity_a, identity_b
            weight = self.cycle_weight * self.identity_weight
            terms_a += weight * identity_a
            terms_b += weight * identity_b
        total = share_a.scale(terms_a) + share_b.scale(terms_b)
        values["g_a"], values["g_b"] = terms_a, terms_b
        return total, values, (fake_a, fake_b), scores

    def _discriminator_losses(self, a, b, fake_a, fake_b, share_a, share_b, training,
                              fake_scores=None):
        """`(total, values)`: this replica's part of the discriminators' loss, and each halved loss.

        `fake_scores`: `(D_A(fake_a), D_B(fake_b))` if already computed
        (the generators' pass, without a pool), else None.
        """
        real, fake, _ = self._adversarial_terms
        if fake_scores is None:
            fake_scores = (self.discriminator_a(fake_a, training=training),
                           self.discriminator_b(fake_b, training=training))
        d_a_real = real(self.discriminator_a(a, training=training))
        d_a_fake = fake(fake_scores[0])
        d_b_real = real(self.discriminator_b(b, training=training))
        d_b_fake = fake(fake_scores[1])
        total = 0.5 * (share_a.scale(d_a_real) + share_b.scale(d_a_fake)
                       + share_b.scale(d_b_real) + share_a.scale(d_b_fake))
        values = {"d_a_real": d_a_real, "d_a_fake": d_a_fake, "d_b_real": d_b_real, "d_b_fake": d_b_fake}
        return total, values

    def _update_metrics(self, values, d_values, share_a, share_b):
        t = self._trackers
        share_a.update(t["adversarial_a_to_b"], values["adversarial_a_to_b"])
        share_b.update(t["adversarial_b_to_a"], values["adversarial_b_to_a"])
        share_a.update(t["cycle_a"], values["cycle_a"])
        share_b.update(t["cycle_b"], values["cycle_b"])
        # Sums of means over different domains' rows: each replica adds its
        # weighted parts (the global means' sum is the sum over replicas).
        _update_sum(t["g_loss"], (share_a, values["g_a"]), (share_b, values["g_b"]))
        if "identity_loss" in t:
            _update_sum(t["identity_loss"], (share_a, values["identity_a"]),
                        (share_b, values["identity_b"]))
        _update_sum(t["d_a_loss"], (share_a, 0.5 * d_values["d_a_real"]),
                    (share_b, 0.5 * d_values["d_a_fake"]))
        _update_sum(t["d_b_loss"], (share_b, 0.5 * d_values["d_b_real"]),
                    (share_a, 0.5 * d_values["d_b_fake"]))

    def train_step(self, data):
        a, b = self._unpack(data)
        share_a = _replicas.share(keras.ops.shape(a)[0])
        share_b = _replicas.share(keras.ops.shape(b)[0])
        # One forward pass for both updates, as keras-io's CycleGAN: the
        # discriminators' step uses the translations made before the
        # generators' update and its own weights, which that update leaves
        # alone, so it equals the authors' second step. Without a pool the
        # discriminators' scores of the translations are shared too.
        with tf.GradientTape(persistent=True) as tape:
            total, values, (fake_a, fake_b), scores = self._generator_losses(
                a, b, share_a, share_b, training=True)
            # Weight regularisers of users' networks, counted once.
            regularisers = self.generator_a_to_b.losses + self.generator_b_to_a.losses
            if regularisers:
                total += share_a.scale(sum(regularisers))
            total = self.g_optimizer.scale_loss(total)
            if self.pool_size:
                # The discriminators see past translations from the pools
                # (which stop the gradient into the generators).
                fake_a = self.pool_a(fake_a, training=True)
                fake_b = self.pool_b(fake_b, training=True)
                scores = None
            d_total, d_values = self._discriminator_losses(
                a, b, fake_a, fake_b, share_a, share_b, training=True, fake_scores=scores)
            regularisers = self.discriminator_a.losses + self.discriminator_b.losses
            if regularisers:
                d_total += share_a.scale(sum(regularisers))
            d_total = self.d_optimizer.scale_loss(d_total)
        generator_weights = self._generator_weights()
        discriminator_weights = self._discriminator_weights()
        generator_gradients = tape.gradient(total, generator_weights)
        discriminator_gradients = tape.gradient(d_total, discriminator_weights)
        del tape
        self.g_optimizer.apply(generator_gradients, generator_weights)
        self.d_optimizer.apply(discriminator_gradients, discriminator_weights)
        self._update_metrics(values, d_values, share_a, share_b)
        return _replicas.logs(self.metrics)

    def test_step(self, data):
        a, b = self._unpack(data)
        share_a = _replicas.share(keras.ops.shape(a)[0])
        share_b = _replicas.share(keras.ops.shape(b)[0])
        _, values, (fake_a, fake_b), scores = self._generator_losses(
            a, b, share_a, share_b, training=False)
        _, d_values = self._discriminator_losses(
            a, b, fake_a, fake_b, share_a, share_b, training=False, fake_scores=scores)
        self._update_metrics(values, d_values, share_a, share_b)
        return _replicas.logs(self.metrics)

    # Translation.

    def call(self, x, training=None):
        """`G(x)`: so `predict(a)` translates images of A into B."""
        return self.generator_a_to_b(x, training=training)

    def translate_a_to_b(self, x):
        """`G(x)`, the networks in inference mode.

        Args:
            x: images of domain A, `(n, *image_shape_a)`, in `data_value_range`.

        Returns:
            A tensor `(n, *image_shape_b)`, in `sample_value_range`.
        """
        return self.generator_a_to_b(self._standardize_batch(x, self.image_shape_a), training=False)

    def translate_b_to_a(self, x):
        """`F(x)`: images of B `(n, *image_shape_b)` -> images of A `(n, *image_shape_a)`."""
        return self.generator_b_to_a(self._standardize_batch(x, self.image_shape_b), training=False)

    def cycle(self, x, direction="a_to_b"):
        """A round trip: `F(G(x))` for `"a_to_b"` (x in A), `G(F(x))` for `"b_to_a"` (x in B).

        Returns:
            A tensor of the shape of `x`: what the cycle loss compares with `x`.
        """
        direction = _validation.choice("direction", direction, DIRECTIONS)
        if direction == "a_to_b":
            return self.generator_b_to_a(self.translate_a_to_b(x), training=False)
        return self.generator_a_to_b(self.translate_b_to_a(x), training=False)

    # Export.

    def _export_signatures(self):
        """The SavedModel's signatures: `a_to_b` (also `serving_default`) and `b_to_a`.

        `a_to_b`: input `images`, float32 `(None, *image_shape_a)`, images
        of A in `data_value_range`; output `translations`, float32 `(None,
        *image_shape_b)`, `G(images)` in inference mode. `b_to_a`: input
        `images` `(None, *image_shape_b)`, output `translations` `(None,
        *image_shape_a)`, `F(images)`.
        """
        spec_a = tf.TensorSpec((None, *self.image_shape_a), tf.float32, name="images")
        spec_b = tf.TensorSpec((None, *self.image_shape_b), tf.float32, name="images")

        @tf.function(input_signature=[spec_a])
        def a_to_b(images):
            return {"translations": self.generator_a_to_b(images, training=False)}

        @tf.function(input_signature=[spec_b])
        def b_to_a(images):
            return {"translations": self.generator_b_to_a(images, training=False)}

        return {"a_to_b": a_to_b, "b_to_a": b_to_a}


def _update_sum(tracker, *parts):
    """Adds `sum_k mean_k` to a `keras.metrics.Mean` over steps, each mean over its own `Share` of rows.

    Under `tf.distribute` each replica adds `R * sum_k share_k.scale(mean_k)`
    with weight `1 / R` (`R` replicas): summed over replicas, the tracker
    gets the sum of the global means with weight 1 per step. A replica
    without rows of a domain adds nothing for it.
    """
    if not any(share.distributed for share, _ in parts):
        tracker.update_state(sum(value for _, value in parts))
        return
    replicas = _replicas.num_replicas()
    total = 0.0
    for share, value in parts:
        total += tf.where(share.count > 0, share.scale(value), tf.zeros_like(value))
    tracker.update_state(replicas * total, sample_weight=1.0 / replicas)
