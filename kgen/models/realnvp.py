"""RealNVP normalising flow (Dinh, Sohl-Dickstein & Bengio, arXiv 1605.08803).

A normalising flow is an invertible map `f` from data `x` to a latent `z`
with a simple density, here the standard normal `p(z) = N(0, I)`. By the
change of variables the model density is exact:

```
log p(x) = log N(f(x); 0, I) + log |det df/dx|
```

RealNVP builds `f` from affine coupling layers (`kgen/models/_coupling.py`),
whose Jacobians are triangular: each layer leaves the entries selected by a
binary mask unchanged and scales and shifts the others by amounts computed
from them, so its log-determinant is a sum of log-scales and its inverse is
as cheap as its forward pass. Training maximises `log p(x)` directly;
sampling draws `z ~ N(0, I)` and runs `f` backwards.

(Over 500 lines: one model; the class docstring teaches the masks, the
dequantisation and the bits-per-dimension bound (about 140 lines). The
coupling layers live in `_coupling.py`.)
"""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import _validation
from kgen.models import _coupling
from kgen.models import _model
from kgen.models import _protocols
from kgen.models import _replicas
from kgen.models import _seeding

tfd = tfp.distributions

_DEFAULT_HIDDEN_UNITS = (64, 64)
_DEFAULT_FILTERS = (32, 32)
# Layer `i` of coupling `k`'s network is seeded `seed + k * _SEED_STRIDE + i`.
_SEED_STRIDE = 100


def _parse_masks(masks):
    """`"checkerboard,channel"` or `("checkerboard", "channel")` -> a tuple of names."""
    if isinstance(masks, str):
        names = tuple(name.strip() for name in masks.split(","))
    else:
        try:
            names = tuple(masks)
        except TypeError:
            names = ()
    if not names or not all(n in _coupling.MASK_TYPES for n in names):
        raise ValueError(
            "`masks` must be a comma-separated string (or a sequence) of mask "
            f"names from {_coupling.MASK_TYPES}, e.g. 'checkerboard,channel'. "
            f"Received: masks={masks!r}"
        )
    return names


@keras.saving.register_keras_serializable(package="kgen")
class RealNVP(_model.Model, _protocols.Sampler, _protocols.DensityModel):
    """RealNVP: a normalising flow of affine coupling layers, trained by exact likelihood.

    Mathematical details:

    With `f = f_L o ... o f_1` (after an optional logit pre-processing
    `f_0`, below) the model density of a continuous `x` in `R^D`,
    `D = prod(input_shape)`, is

    ```
    log p(x) = log N(z; 0, I_D) + sum_{l} log |det df_l/dx_{l-1}|,
    z = f(x),  log N(z; 0, I_D) = -(|z|^2 + D log 2 pi) / 2
    ```

    Coupling layer `l` with mask `b` (1 on the entries it conditions on)
    maps `y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x))`, with
    log-determinant `sum_i (1 - b_i) s_i(b * x)`. The log-scale is bounded,
    `s = scale * tanh(raw_s)` (a learned `scale` per feature or channel),
    and the networks' last layers start at zero, so the flow starts as the
    identity and training is stable without the paper's batch
    normalisation (left out: it would make `log_prob` depend on the batch
    in training).

    Masks: `masks` names mask types, which the layers use in *pairs* of
    opposite parity (so each pair transforms every entry once): layers
    `2j` and `2j + 1` use `masks[j % len(masks)]`, parity 0 then 1.

    - `"checkerboard"`: images: pixels with `row + col` even vs odd (all
      channels alike); vectors: even vs odd indices.
    - `"channel"`: images are first squeezed (space-to-depth by 2,
      `(H, W, C) -> (H/2, W/2, 4C)`, as in the paper's multi-scale
      architecture; it only permutes entries, log-determinant 0), the first
      `2C` channels (the top row of each 2x2 block) vs the last `2C`, then
      unsqueezed; so height and width must be even. This is what makes
      channel masks meaningful for 1-channel images. Vectors: first half
      (`i < D // 2`) vs second half.

    The default `"checkerboard,channel"` with 8 layers is therefore
    checkerboard (0, 1), channel (0, 1), checkerboard (0, 1), channel
    (0, 1). For 2D vectors both mask types are "x_0 vs x_1": the layers
    simply alternate which coordinate they transform.

    Architecture and its limits: a single-scale flow. Every coupling acts
    on all `D` entries at the input's resolution (channel couplings at
    half resolution, internally); the paper's multi-scale factoring-out of
    half the entries after each squeeze and its deep ResNet `s`/`t`
    networks are not implemented. `s` and `t` come from one network per
    layer: vectors an MLP (`hidden_units`, relu), images a stack of 3x3
    convolutions (`filters`, relu, same padding), each ending in a
    zero-initialised linear layer with `2 x` the coupling's features or
    channels.

    Implementation: plain Keras layers computing forward, inverse and
    log-determinant (`_coupling.AffineCoupling`), not `tfp.bijectors`:
    `tfb.RealNVP` only splits the last axis into two blocks (no
    checkerboard, no squeeze), and plain layers keep the Keras 3 variables,
    XLA and the SavedModel export simple. The prior is a TFP distribution
    (`prior()`).

    Discrete data (`num_bins`): pixel values `x = n / (num_bins - 1)`,
    `n` in `{0, ..., num_bins - 1}` (as `load_digits` gives with
    `num_bins=17` and `load_mnist` with 256) are dequantised uniformly
    and logit-transformed (paper, section 4.1, with a symmetric `alpha`):

    ```
    x_deq = (n + u) / num_bins,  u ~ U[0, 1)^D          (in [0, 1))
    x_0   = logit(alpha + (1 - 2 alpha) x_deq)
    log |det dx_0/dx_deq| = sum_i log(1 - 2 alpha) - log p_i - log(1 - p_i),
                            p_i = alpha + (1 - 2 alpha) x_deq_i
    ```

    `log_prob(x)` is then the log density of `x_deq` on `[0, 1)^D` (the
    logit's log-determinant included) at one draw of `u`. The density of
    `n + u` on `[0, num_bins)^D` is `num_bins^-D` times it, and since
    `P(n) = integral of p(n + u) du`, Jensen gives the bound

    ```
    log P(n) >= E_u[log_prob(x)] - D log num_bins
    bits_per_dim(x) = -(log_prob(x) - D log num_bins) / (D log 2)
    ```

    so `bits_per_dim` is an (upper-bound) estimate of the discrete model's
    code length in bits per pixel, comparable with the paper's tables for
    `num_bins=256`. With `num_bins=None` the data are continuous:
    `log_prob` is the exact log density and `bits_per_dim = -log_prob /
    (D log 2)`.

    Training: `loss` is the mean of `-log_prob(x)` over the batch, in nats
    per example (for discrete data, of `x_deq` on `[0, 1)^D`, so it can be
    negative); the metric `bits_per_dim` is the batch mean of
    `bits_per_dim(x)`. Regularisation losses (`model.losses`) are added to
    the gradient's loss only.

    Randomness: the dequantisation noise (training, `log_prob`,
    `bits_per_dim`) and `z` in `sample` come from the model's
    `keras.random.SeedGenerator(seed)` unless a method gets its own `seed`;
    `seed` also seeds the initial weights.

    Distributed training: created and compiled inside the `scope()` of a
    `tf.distribute` strategy (`kgen.distribute.make_strategy`), the flow
    trains as one device would on the global batch: the dequantisation
    noise `u` of a step is drawn for the whole batch and each replica takes
    its rows; the gradients and metrics are means over the whole batch
    (`docs/distributed.md`).

    Args:
        input_shape: `(D,)` with `D >= 2` for vectors, or `(height, width,
            channels)` for images (even height and width with `"channel"`
            masks; `height * width >= 2`).
        num_coupling_layers: int >= 1.
        hidden_units: vectors only; tuple of positive ints, the MLP widths
            of each layer's `s`/`t` network. `None`: `(64, 64)`.
        filters: images only; tuple of positive ints, the widths of each
            layer's 3x3 convolutions. `None`: `(32, 32)`.
        masks: comma-separated string or sequence of `"checkerboard"` and
            `"channel"`, cycled over pairs of layers (above).
        num_bins: `None` for continuous data, or an int >= 2: the number of
            levels of discrete data in [0, 1] (dequantisation and logit).
        alpha: float in [0, 0.5), the logit transform's margin (used with
            `num_bins`); the paper's 0.05.
        seed: optional int, seeds the `SeedGenerator` and the initial
            weights. `None`: a fresh random seed.
        **kwargs: base model keyword arguments, such as `name`, or `dtype`
            (e.g. `"float64"`; the coupling networks follow it).

    Attributes:
        couplings: the list of `AffineCoupling` layers, data to latent.
        seed_generator: the `keras.random.SeedGenerator` behind all noise.

    Raises:
        ValueError: for an argument outside the ranges above, naming what
            was expected and what was received.

    Example:

    ```python
    x, _ = kgen.datasets.toy_2d("ring", n=4096, std=0.1)
    flow = kgen.models.RealNVP((2,), num_coupling_layers=8, hidden_units=(64, 64))
    flow.compile(optimizer=keras.optimizers.Adam(1e-3))
    flow.fit(x, epochs=20, batch_size=256)
    flow.log_prob(x[:5])               # nats, shape (5,)
    flow.sample(100, seed=0)           # shape (100, 2)

    (x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2)
    flow = kgen.models.RealNVP((8, 8, 1), 8, filters=(32, 32), num_bins=17)
    flow.compile()
    flow.fit(x_train, epochs=30, batch_size=64, validation_data=(x_test,))
    flow.bits_per_dim(x_test, seed=0)  # shape (359,)
    ```

    References:
        Dinh, Sohl-Dickstein & Bengio, "Density estimation using Real NVP",
        arXiv 1605.08803.
        Theis, van den Oord & Bethge, "A note on the evaluation of
        generative models" (dequantisation), arXiv 1511.01844.
    """

    # No XLA: on the CPU its one-off compilation of the digits flow took
    # minutes' worth of epochs and the epochs were no faster
    # (benchmarks/RESULTS.md, "RealNVP's compile defaults"). 8 steps per
    # execution (the base's default) halved the epoch on the 2-D ring.
    default_jit_compile = False
    serving_default_signature = "log_prob"
    _config_arguments = (
        "input_shape", "num_coupling_layers", "hidden_units", "filters", "masks", "num_bins",
        "alpha", "seed",
    )

    def __init__(
        self,
        input_shape,
        num_coupling_layers,
        hidden_units=None,
        filters=None,
        masks="checkerboard,channel",
        num_bins=None,
        alpha=0.05,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        shape = _validation.shape("input_shape", input_shape, rank=(1, 3))
        num_coupling_layers = _validation.positive_int("num_coupling_layers", num_coupling_layers)
        mask_names = _parse_masks(masks)
        is_image = len(shape) == 3
        if is_image:
            if hidden_units is not None:
                raise ValueError(
                    "`hidden_units` must be None for image inputs (their "
                    "networks are convolutions: pass `filters`). Received: "
                    f"hidden_units={hidden_units!r} with input_shape={shape}"
                )
            filters = _validation.positive_ints(
                "filters", _DEFAULT_FILTERS if filters is None else filters
            )
            height, width, _ = shape
            if "channel" in mask_names and (height % 2 or width % 2):
                raise ValueError(
                    "`input_shape` must have even height and width for 'channel' "
                    "masks (they squeeze 2x2 blocks into channels). "
                    f"Received: input_shape={shape}"
                )
            if height * width < 2:
                raise ValueError(
                    "`input_shape` must have height * width >= 2 for a "
                    f"'checkerboard' mask to split. Received: input_shape={shape}"
                )
        else:
            if filters is not None:
                raise ValueError(
                    "`filters` must be None for vector inputs (their networks "
                    "are MLPs: pass `hidden_units`). Received: "
                    f"filters={filters!r} with input_shape={shape}"
                )
            hidden_units = _validation.positive_ints(
                "hidden_units",
                _DEFAULT_HIDDEN_UNITS if hidden_units is None else hidden_units,
            )
            if shape[0] < 2:
                raise ValueError(
                    "`input_shape` must be (dim,) with dim >= 2 for a coupling "
                    f"layer to split it. Received: input_shape={shape}"
                )
        num_bins = _validation.optional_int("num_bins", num_bins, minimum=2)
        alpha = _validation.number("alpha", alpha, minimum=0.0, maximum=0.5, exclusive_maximum=True)
        seed = self._init_seed(seed)

        self.input_shape = shape
        self.num_coupling_layers = num_coupling_layers
        self.hidden_units = None if is_image else hidden_units
        self.filters = filters if is_image else None
        self.masks = ",".join(mask_names)
        self.num_bins = num_bins
        self.alpha = alpha
        self.event_size = math.prod(shape)  # D

        self.couplings = []
        for index in range(self.num_coupling_layers):
            coupling = _coupling.AffineCoupling(
                shape,
                mask_type=mask_names[(index // 2) % len(mask_names)],
                parity=index % 2,
                hidden_units=hidden_units or (),
                filters=filters or (),
                seed=_seeding.layer_seed(seed, 0, offset=index * _SEED_STRIDE),
                name=f"coupling_{index}",
                dtype=self.dtype_policy,
            )
            # Every shape is known: build now, so `save`, `export` and
            # loading work before the first call.
            coupling.build((None, *shape))
            self.couplings.append(coupling)
        self.built = True

        # Created here and returned by `metrics`, so `fit` resets them each epoch.
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.bits_per_dim_tracker = keras.metrics.Mean(name="bits_per_dim")

    @property
    def metrics(self):
        return [self.loss_tracker, self.bits_per_dim_tracker]

    @property
    def data_value_range(self):
        """`(0.0, 1.0)` for discrete data (`num_bins`), else `(-inf, inf)`.

        `fit` and `evaluate` check the first batch against it
        (`kgen.models.Model.fit`): `dequantize` clips the levels to
        `[0, num_bins - 1]`, so 0-255 pixels would silently become ones.
        """
        return (-math.inf, math.inf) if self.num_bins is None else (0.0, 1.0)

    # The flow.

    def prior(self):
        """`p(z) = N(0, I)`: batch shape `()`, event shape `input_shape`."""
        zeros = keras.ops.zeros(self.input_shape, dtype=self.compute_dtype)
        return tfd.Independent(
            tfd.Normal(loc=zeros, scale=keras.ops.ones_like(zeros)),
            reinterpreted_batch_ndims=len(self.input_shape),
        )

    def forward(self, x):
        """The map `x -> z = f(x)` of continuous data, and `log |det df/dx|`.

        Args:
            x: `(batch_size, *input_shape)`. With `num_bins`, continuous
                values in (0, 1) (e.g. dequantised pixels; the logit
                transform is part of `f`), otherwise any reals.

        Returns:
            `(z, log_det)`: shapes `(batch_size, *input_shape)` and
            `(batch_size,)`, the log-determinant in nats, summed over the
            logit transform (if any) and every coupling layer.
        """
        return self._forward(self._standardize_batch(x, self.input_shape))

    def inverse(self, z):
        """The map `z -> x = f^-1(z)`, and `log |det df^-1/dz|`.

        Args:
            z: `(batch_size, *input_shape)`.

        Returns:
            `(x, log_det)`: shapes `(batch_size, *input_shape)` and
            `(batch_size,)`; `log_det` is minus `forward`'s at `x`. With
            `num_bins`, `x` is continuous, within
            `(-alpha, 1 - alpha) / (1 - 2 alpha)`.
        """
        return self._inverse(self._standardize_batch(z, self.input_shape, "z"))

    def _forward(self, x):
        log_det = keras.ops.zeros(keras.ops.shape(x)[:1], dtype=x.dtype)
        if self.num_bins is not None:
            x, log_det = self._logit(x)
        for coupling in self.couplings:
            x, layer_log_det = coupling.forward(x)
            log_det = log_det + layer_log_det
        return x, log_det

    def _inverse(self, z):
        log_det = keras.ops.zeros(keras.ops.shape(z)[:1], dtype=z.dtype)
        for coupling in reversed(self.couplings):
            z, layer_log_det = coupling.inverse(z)
            log_det = log_det + layer_log_det
        if self.num_bins is not None:
            z, logit_log_det = self._sigmoid(z)
            log_det = log_det + logit_log_det
        return z, log_det

    def _logit(self, x):
        """`x_0 = logit(p)`, `p = alpha + (1 - 2 alpha) x`, and its log-det.

        `dx_0/dx = (1 - 2 alpha) / (p (1 - p))` per entry; `p` is in
        `[alpha, 1 - alpha]` for `x` in [0, 1], so both logs are finite
        for `alpha > 0`.
        """
        p = self.alpha + (1.0 - 2.0 * self.alpha) * x
        log_p, log_1mp = keras.ops.log(p), keras.ops.log(1.0 - p)
        log_det = math.log(1.0 - 2.0 * self.alpha) - log_p - log_1mp
        return log_p - log_1mp, self._sum_event(log_det)

    def _sigmoid(self, x0):
        """The inverse of `_logit`: `x = (sigmoid(x_0) - alpha) / (1 - 2 alpha)`.

        `log dx/dx_0 = log sigmoid(x_0) + log sigmoid(-x_0) - log(1 - 2 alpha)
        = -softplus(-x_0) - softplus(x_0) - log(1 - 2 alpha)`, stable for any `x_0`.
        """
        x = (keras.ops.sigmoid(x0) - self.alpha) / (1.0 - 2.0 * self.alpha)
        log_det = (
            -keras.ops.softplus(-x0)
            - keras.ops.softplus(x0)
            - math.log(1.0 - 2.0 * self.alpha)
        )
        return x, self._sum_event(log_det)

    def _sum_event(self, values):
        return keras.ops.sum(values, axis=tuple(range(1, len(self.input_shape) + 1)))

    # Densities.

    def dequantize(self, x, noise):
        """`(n + u) / num_bins` with `n = round(x (num_bins - 1))` clipped to the levels.

        Args:
            x: pixel values `n / (num_bins - 1)`, `(batch_size, *input_shape)`.
            noise: `u` in [0, 1), the same shape.

        Returns:
            The dequantised values in `[0, 1)`, the same shape.
        """
        levels = self.num_bins - 1
        n = keras.ops.clip(keras.ops.round(x * levels), 0.0, float(levels))
        return (n + noise) / self.num_bins

    def _log_prob(self, x, noise=None):
        """`log p` of `x` (continuous) or of `dequantize(x, noise)` (discrete)."""
        if self.num_bins is not None:
            x = self.dequantize(x, noise)
        z, log_det = self._forward(x)
        return self.prior().log_prob(z) + log_det

    def _bits_per_dim(self, log_prob):
        """`-(log_prob - D log num_bins) / (D log 2)` (no `num_bins` term if continuous)."""
        d = self.event_size
        offset = 0.0 if self.num_bins is None else d * math.log(self.num_bins)
        return -(log_prob - offset) / (d * math.log(2.0))

    def _noise(self, x, seed_generator, share=None):
        """The dequantisation noise `u ~ U[0, 1)` of `x`'s shape (`None` if continuous).

        With a `share` (a training or test step), `u` is this replica's rows
        of the `u` drawn for the global batch.
        """
        if self.num_bins is None:
            return None
        if share is not None:
            return share.rows(
                lambda rows: keras.random.uniform(
                    (rows, *self.input_shape), dtype=x.dtype, seed=seed_generator
                )
            )
        return keras.random.uniform(
            keras.ops.shape(x), dtype=x.dtype, seed=seed_generator
        )

    def log_prob(self, x, seed=None):
        """Per-example log density, in nats.

        Continuous data (`num_bins=None`): the exact `log p(x)`. Discrete
        data: `log p(x_deq)`, the density on `[0, 1)^D` of `x` dequantised
        with one draw of uniform noise; its expectation minus
        `D log num_bins` is a lower bound on the discrete `log P(x)` (see
        the class docstring).

        Args:
            x: `(batch_size, *input_shape)`; with `num_bins`, pixel values
                `n / (num_bins - 1)` in [0, 1].
            seed: optional int for the dequantisation noise (the same seed
                gives the same value). `None` draws from the model's seed
                generator, advancing it. Unused for continuous data.

        Returns:
            A tensor of shape `(batch_size,)`.
        """
        x = self._standardize_batch(x, self.input_shape)
        return self._log_prob(x, self._noise(x, self._seed_generator_for(seed)))

    def bits_per_dim(self, x, seed=None):
        """Per-example negative log-likelihood in bits per dimension.

        ```
        bits_per_dim = -(log_prob(x) - D log num_bins) / (D log 2)
        ```

        with `D = prod(input_shape)`: `log_prob` is the density of the
        dequantised data on `[0, 1)^D`, and `- D log num_bins` turns it into
        the density of `n + u` on `[0, num_bins)^D`, whose negative
        expectation bounds `-log P(n)` from above. Continuous data: `-log_prob
        / (D log 2)`. Same arguments as `log_prob`; shape `(batch_size,)`.
        """
        return self._bits_per_dim(self.log_prob(x, seed=seed))

    def call(self, inputs, training=None):
        """Returns `log_prob(inputs)`, so `predict(x)` gives per-example log densities."""
        return self.log_prob(inputs)

    def sample(self, num_samples, seed=None, quantize=False):
        """Draws `z ~ N(0, I)` and returns `f^-1(z)`.

        Args:
            num_samples: int >= 1.
            seed: optional int. `None` draws from the model's seed generator
                (advancing it); an int gives the same samples every time.
            quantize: with `num_bins`, whether to round the continuous
                samples to the data's levels, `clip(floor(x num_bins), 0,
                num_bins - 1) / (num_bins - 1)` (the inverse of the
                dequantisation). Needs `num_bins`.

        Returns:
            A tensor of shape `(num_samples, *input_shape)`.
        """
        num_samples = _validation.positive_int("num_samples", num_samples)
        if quantize and self.num_bins is None:
            raise ValueError(
                "`quantize=True` needs a model with `num_bins`. "
                "Received: quantize=True with num_bins=None"
            )
        z = keras.random.normal(
            (num_samples, *self.input_shape),
            dtype=self.compute_dtype,
            seed=self._seed_generator_for(seed),
        )
        x, _ = self._inverse(z)
        return self._quantize(x) if quantize else x

    def _quantize(self, x):
        levels = self.num_bins - 1
        n = keras.ops.clip(keras.ops.floor(x * self.num_bins), 0.0, float(levels))
        return n / levels

    # Training.

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = self._standardize_batch(x, self.input_shape)
        # Under tf.distribute: this replica's part of the global batch.
        share = _replicas.share(keras.ops.shape(x)[0])
        noise = self._noise(x, self.seed_generator, share)

        def loss_and_log_prob():
            log_prob = self._log_prob(x, noise)
            return -keras.ops.mean(log_prob), log_prob

        loss, log_prob = self._minimise(share, loss_and_log_prob)
        return self._update_metrics(share, loss, log_prob)

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = self._standardize_batch(x, self.input_shape)
        share = _replicas.share(keras.ops.shape(x)[0])
        log_prob = self._log_prob(x, self._noise(x, self.seed_generator, share))
        return self._update_metrics(share, -keras.ops.mean(log_prob), log_prob)

    def _update_metrics(self, share, loss, log_prob):
        share.update(self.loss_tracker, loss)
        share.update(self.bits_per_dim_tracker, keras.ops.mean(self._bits_per_dim(log_prob)))
        return _replicas.logs(self.metrics)

    # Saving and export.

    def _export_signatures(self):
        """The SavedModel's signatures (inputs -> dict of outputs), for `export`.

        - `sample`: `num_samples` int32 scalar, `seed` int64 `(2,)` ->
          `samples`: float32 `(num_samples, *input_shape)`, `f^-1(z)` as
          `RealNVP.sample` (continuous; with `num_bins` also `quantized`,
          rounded to the data's levels); `z`: float32 `(num_samples,
          *input_shape)`, TensorFlow's `stateless_normal` for `seed`.
        - `log_prob` (also `serving_default`): `x` float32
          `(None, *input_shape)`, and with `num_bins` also `seed` int64
          `(2,)` for the dequantisation noise (`stateless_uniform`) ->
          `log_prob` and `bits_per_dim`: float32 `(None,)`, as the methods.
        """
        x_spec = tf.TensorSpec((None, *self.input_shape), tf.float32, name="x")
        seed_spec = tf.TensorSpec((2,), tf.int64, name="seed")

        @tf.function(
            input_signature=[tf.TensorSpec((), tf.int32, name="num_samples"), seed_spec]
        )
        def sample(num_samples, seed):
            z = tf.random.stateless_normal((num_samples, *self.input_shape), seed=seed)
            x, _ = self._inverse(z)
            outputs = {"samples": x, "z": z}
            if self.num_bins is not None:
                outputs["quantized"] = self._quantize(x)
            return outputs

        def log_prob_outputs(x, noise):
            log_prob = self._log_prob(x, noise)
            return {"log_prob": log_prob, "bits_per_dim": self._bits_per_dim(log_prob)}

        if self.num_bins is None:

            @tf.function(input_signature=[x_spec])
            def log_prob(x):
                return log_prob_outputs(x, None)

        else:

            @tf.function(input_signature=[x_spec, seed_spec])
            def log_prob(x, seed):
                noise = tf.random.stateless_uniform(tf.shape(x), seed=seed)
                return log_prob_outputs(x, noise)

        return {"sample": sample, "log_prob": log_prob}
