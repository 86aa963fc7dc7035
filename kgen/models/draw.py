"""DRAW: a recurrent VAE that paints its images step by step (arXiv 1502.04623).

Gregor et al.'s Deep Recurrent Attentive Writer builds an image on a canvas
over `T` steps. At each step an LSTM encoder looks at the image and at the
error of the canvas so far, a latent `z_t` is drawn from its posterior, and
an LSTM decoder turns `z_t` into an update that is added to the canvas.
With attention, the encoder reads and the decoder writes through a grid of
Gaussian filters whose position, zoom and sharpness the decoder chooses at
every step (`kgen/models/_draw_attention.py`), so the model learns where to
look and where to draw.

The model is trained, like a VAE, by maximising the evidence lower bound;
`log_likelihood` gives the tighter importance-weighted bound (IWAE,
arXiv 1509.00519), with DRAW's sequential posterior as the proposal.

(Over 500 lines: one model, whose class docstring teaches the whole
mathematics (about 130 lines) and whose inference and generation loops,
each with their optional canvas and window sequences, belong together;
the attention filters live in `_draw_attention.py`.)
"""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import _validation
from kgen.layers import IndependentBernoulli
from kgen.layers import IndependentNormal
from kgen.models import _draw_attention
from kgen.models import _elbo_model
from kgen.models import _protocols
from kgen.models import _seeding

tfd = tfp.distributions

# The default optimizer clips the global gradient norm, against the spikes of
# the gradient through the recurrence (the gradient norms measured on MNIST
# are in benchmarks/RESULTS.md, "DRAW").
_DEFAULT_LEARNING_RATE = 1e-3
_DEFAULT_GLOBAL_CLIPNORM = 100.0


def _attention_map(n, width, height, kind):
    """`Dense(5)` of `h_dec` to a grid's parameters, starting at the centred tiling grid.

    The kernel starts at zero, so the grid starts the same for every image
    and step; the bias is `_draw_attention.initial_params` (`kind`: "read"
    or "write").
    """
    return keras.layers.Dense(
        5,
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(
            _draw_attention.initial_params(n, width, height, kind)
        ),
        name=f"{kind}_attention",
    )


@keras.saving.register_keras_serializable(package="kgen")
class DRAW(_elbo_model.ELBOModel, _protocols.Sampler, _protocols.Reconstructor,
           _protocols.CanvasModel):
    """Deep Recurrent Attentive Writer, trained by maximising the ELBO.

    Mathematical details:

    An image `x` of shape `(H, W, C)` (values in [0, 1]) is explained by a
    canvas of logits `c_T` built in `T` steps from latents `z_1..z_T`, each
    `z_t ~ p(z_t) = N(0, I_latent_dim)`:

    ```
    h_dec_t = LSTM_dec(h_dec_{t-1}, z_t)
    c_t     = c_{t-1} + write(h_dec_t)
    p(x | z_1..z_T) = prod_pixels Bernoulli(x; sigmoid(c_T))
    ```

    where, as in the paper, the initial canvas `c_0` and the LSTMs' initial
    outputs `h_enc_0`, `h_dec_0` are learned biases shared by all images
    (the LSTMs' cell states start at 0).

    The approximate posterior is sequential: at step `t`, with the error
    image `x_hat_t = x - sigmoid(c_{t-1})`,

    ```
    r_t     = read(x, x_hat_t, h_dec_{t-1})
    h_enc_t = LSTM_enc(h_enc_{t-1}, [r_t, h_dec_{t-1}])
    q(z_t | x, z_<t) = N(mu(h_enc_t), diag(sigma(h_enc_t)^2))
    z_t     = mu + sigma * eps_t,  eps_t ~ N(0, I)   (reparameterisation)
    ```

    (`mu` and `sigma` come from one linear layer through
    `kgen.layers.IndependentNormal`: `sigma = softplus(.) + 1e-5`.)
    Training minimises, per example,

    ```
    loss = reconstruction + kl
    reconstruction = -log p(x | z_1..z_T)        (summed over pixels)
    kl = sum_t KL(q(z_t | x, z_<t) || N(0, I))
       = sum_t sum_j (sigma_tj^2 + mu_tj^2 - 1) / 2 - log sigma_tj
    ```

    so `-loss` is a one-sample estimate of the ELBO, a lower bound on
    `log p(x)`. The three metrics `loss`, `reconstruction` and `kl` (as the
    VAE's) are in nats per example, averaged over the epoch.

    Reading and writing:

    - `attention=True`: `read` is the `read_n x read_n` Gaussian glimpse
      `gamma * [F_Y x F_X^T, F_Y x_hat F_X^T]` (per channel) and `write` is
      `1 / gamma' * F_Y'^T w_t F_X'` with the patch `w_t` (`write_n x
      write_n` per channel) a linear map of `h_dec_t`. The read and the
      write each place their own grid from `h_dec` through a linear map to
      `(g~X, g~Y, log sigma^2, log delta~, log gamma)`; the formulas are in
      `kgen/models/_draw_attention.py`.
      Initialisation: the biases of these two linear maps are not zero
      but `_draw_attention.initial_params`: each grid starts centred and
      tiling the image (stride `max(H, W) / N`, `sigma` half the stride),
      with an intensity that keeps the scale of a read or write of every
      pixel (zero biases would put a `2 x 2` read on the four corner
      pixels, blank on MNIST). The kernels of the two maps start at zero,
      so every image and step starts with that same grid and the
      gradients move it (a random kernel on the decoder state would shift
      and rescale each grid at random per image and step). Both choices
      are measured in `benchmarks/RESULTS.md` ("DRAW"). Without attention
      there are no such maps.
    - `attention=False`: `read` is `[x, x_hat]` flattened and `write` a
      linear map of `h_dec_t` to `H * W * C` logits: the paper's recurrent
      VAE without attention.

    The `T` steps run in a `tf.while_loop`, traced once whatever `T`, so a
    step with `T = 64` compiles in seconds (a Python loop would unroll `T`
    copies of the step into the graph).

    Randomness: `eps_t` during training, `reconstruct`, `elbo` and
    `log_likelihood`, and `z_t` in `generate` and `sample`, come from the
    model's `keras.random.SeedGenerator(seed)` unless a method's own `seed`
    is given; `seed` also seeds the initial weights. The same `seed` gives
    the same run (batch shuffling in `fit` aside).

    Distributed training: created and compiled inside the `scope()` of a
    `tf.distribute` strategy (`kgen.distribute.make_strategy`), DRAW trains
    as one device would on the global batch: the `eps_t` of a step are
    drawn for the whole batch, `(T, batch, latent_dim)`, and each replica
    takes its columns of the batch axis; the gradients and metrics are
    means over the whole batch. The default optimizer's `global_clipnorm`
    (like any Keras clipping) clips each replica's contribution before
    the gradients are summed over replicas, not the summed gradient
    (`docs/distributed.md`).

    Args:
        image_shape: `(height, width, channels)`, positive ints.
        time_steps: int >= 1, the number of steps `T`.
        latent_dim: int >= 1, the dimension of each `z_t`.
        encoder_units: int >= 1, the encoder LSTM's width.
        decoder_units: int >= 1, the decoder LSTM's width.
        attention: bool, Gaussian attention (`True`) or none (`False`).
        read_n: int in [1, min(height, width)], the read grid size `N`
            (used with attention only).
        write_n: int in [1, min(height, width)], the write grid size.
        seed: optional int, seeds the `SeedGenerator` and the initial
            weights. `None`: a fresh random seed.
        **kwargs: base model keyword arguments, such as `name`.

    Attributes:
        encoder_cell, decoder_cell: the `keras.layers.LSTMCell`s.
        posterior_params: `Dense(2 * latent_dim)` of `h_enc`, the
            parameters of `q(z_t | .)`.
        read_attention, write_attention: `Dense(5)` of `h_dec`, the grid
            parameters (`None` without attention).
        write_patch: `Dense` of `h_dec` to the patch `w_t`
            (`write_n * write_n * C` numbers) or, without attention, to the
            `H * W * C` canvas update.
        initial_canvas: weight `(H, W, C)`, the logits `c_0`.
        initial_encoder_h, initial_decoder_h: weights `(encoder_units,)`
            and `(decoder_units,)`, `h_enc_0` and `h_dec_0`.
        seed_generator: the `keras.random.SeedGenerator` behind all noise.

    Example:

    ```python
    (x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2)
    draw = kgen.models.DRAW((8, 8, 1), time_steps=8, latent_dim=8,
                            encoder_units=64, decoder_units=64, seed=0)
    draw.compile()
    draw.fit(x_train, epochs=20, batch_size=64, validation_data=(x_test,))
    canvases = draw.generate(16, seed=0)          # (8, 16, 8, 8, 1) in [0, 1]
    draw.log_likelihood(x_test[:100], num_samples=100)  # nats, shape (100,)
    ```

    References:
        Gregor, Danihelka, Graves, Rezende & Wierstra, "DRAW: A Recurrent
        Neural Network For Image Generation", arXiv 1502.04623.
        Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders",
        arXiv 1509.00519.
    """

    # Keras' "auto" (XLA with a GPU, not on the CPU): on the CPU XLA ran the
    # paper-sized model slower and compiled it far longer (benchmarks/RESULTS.md,
    # "DRAW"); `compile(jit_compile=True)` forces it.
    default_jit_compile = "auto"
    serving_default_signature = "generate"
    _config_arguments = (
        "image_shape", "time_steps", "latent_dim", "encoder_units", "decoder_units",
        "attention", "read_n", "write_n", "seed",
    )

    def __init__(
        self,
        image_shape,
        time_steps=10,
        latent_dim=10,
        encoder_units=256,
        decoder_units=256,
        attention=True,
        read_n=2,
        write_n=5,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        shape = _validation.shape("image_shape", image_shape, rank=3)
        time_steps = _validation.positive_int("time_steps", time_steps)
        latent_dim = _validation.positive_int("latent_dim", latent_dim)
        encoder_units = _validation.positive_int("encoder_units", encoder_units)
        decoder_units = _validation.positive_int("decoder_units", decoder_units)
        attention = _validation.boolean("attention", attention)
        height, width, channels = shape
        side = min(height, width)
        # Without attention the grid sizes are stored but unused.
        maximum = side if attention else None
        read_n = _validation.integer("read_n", read_n, minimum=1, maximum=maximum)
        write_n = _validation.integer("write_n", write_n, minimum=1, maximum=maximum)
        seed = self._init_seed(seed)

        self.image_shape = shape
        self.time_steps = time_steps
        self.latent_dim = latent_dim
        self.encoder_units = encoder_units
        self.decoder_units = decoder_units
        self.attention = attention
        self.read_n = read_n
        self.write_n = write_n

        def initializer(index):
            return _seeding.glorot_uniform(seed, index)

        def orthogonal(index):
            return _seeding.orthogonal(seed, index)

        # In data-flow order: read -> encoder -> q(z_t|.) -> decoder -> write.
        if attention:
            self.read_attention = _attention_map(read_n, width, height, "read")
            read_size = 2 * read_n * read_n * channels
        else:
            self.read_attention = None
            read_size = 2 * height * width * channels
        self.encoder_cell = keras.layers.LSTMCell(
            encoder_units,
            kernel_initializer=initializer(1),
            recurrent_initializer=orthogonal(2),
            name="encoder",
        )
        self.posterior_params = keras.layers.Dense(
            2 * latent_dim, kernel_initializer=initializer(3), name="posterior_params"
        )
        self.posterior_layer = IndependentNormal(latent_dim, name="posterior")
        self.decoder_cell = keras.layers.LSTMCell(
            decoder_units,
            kernel_initializer=initializer(4),
            recurrent_initializer=orthogonal(5),
            name="decoder",
        )
        if attention:
            self.write_attention = _attention_map(write_n, width, height, "write")
            patch_size = write_n * write_n * channels
        else:
            self.write_attention = None
            patch_size = height * width * channels
        self.write_patch = keras.layers.Dense(
            patch_size, kernel_initializer=initializer(7), name="write_patch"
        )
        self.likelihood_layer = IndependentBernoulli(shape, name="likelihood")
        # The paper's learned biases c_0, h_enc_0 and h_dec_0, shared by all
        # images (c_0 soon holds the logits of the mean image).
        self.initial_canvas = self.add_weight(shape=shape, initializer="zeros", name="initial_canvas")
        self.initial_encoder_h = self.add_weight(
            shape=(encoder_units,), initializer="zeros", name="initial_encoder_h"
        )
        self.initial_decoder_h = self.add_weight(
            shape=(decoder_units,), initializer="zeros", name="initial_decoder_h"
        )

        # Every shape is known now, so build at once: `summary`, `save` and
        # `export` work before the first call, and loading needs no build step.
        if attention:
            self.read_attention.build((None, decoder_units))
            self.write_attention.build((None, decoder_units))
        self.encoder_cell.build((None, read_size + decoder_units))
        self.posterior_params.build((None, encoder_units))
        self.posterior_layer.build((None, 2 * latent_dim))
        self.decoder_cell.build((None, latent_dim))
        self.write_patch.build((None, decoder_units))
        self.likelihood_layer.build((None, math.prod(shape)))
        self.built = True

    def _default_optimizer(self):
        """`Adam(1e-3, global_clipnorm=100)`: clips the gradient spikes of the recurrence.

        `compile(optimizer=None)` makes it; a name such as `"adam"` gives
        Keras' unclipped optimizer.
        """
        return keras.optimizers.Adam(_DEFAULT_LEARNING_RATE, global_clipnorm=_DEFAULT_GLOBAL_CLIPNORM)

    # The model's distributions (the prior is `ELBOModel.prior`).

    def likelihood(self, canvas):
        """`p(x | c_T)`: independent Bernoulli with logits `canvas` `(n, H, W, C)`."""
        return self.likelihood_layer(
            keras.ops.reshape(canvas, (-1, math.prod(self.image_shape)))
        )

    # One step's pieces.

    def _read(self, x, x_hat, h_dec):
        """`r_t`, shape `(batch, read size)`, and the read window `(batch, 4)` or None."""
        if not self.attention:
            both = keras.ops.concatenate([x, x_hat], axis=-1)
            return keras.ops.reshape(both, (keras.ops.shape(x)[0], -1)), None
        height, width, channels = self.image_shape
        n = self.read_n
        gx, gy, sigma2, delta, gamma = _draw_attention.attention_params(
            self.read_attention(h_dec), n, width, height
        )
        fx, fy = _draw_attention.filterbank(gx, gy, sigma2, delta, n, width, height)
        # x and x_hat are read through the same filters: one read of both.
        glimpse = _draw_attention.read(keras.ops.concatenate([x, x_hat], axis=-1), fx, fy, gamma)
        r = keras.ops.reshape(glimpse, (-1, 2 * n * n * channels))
        return r, _draw_attention.window_boxes(gx, gy, delta, n)

    def _write(self, h_dec):
        """The canvas update `(batch, H, W, C)` and the write window `(batch, 4)` or None."""
        height, width, channels = self.image_shape
        patch = self.write_patch(h_dec)
        if not self.attention:
            return keras.ops.reshape(patch, (-1, *self.image_shape)), None
        n = self.write_n
        gx, gy, sigma2, delta, gamma = _draw_attention.attention_params(
            self.write_attention(h_dec), n, width, height
        )
        fx, fy = _draw_attention.filterbank(gx, gy, sigma2, delta, n, width, height)
        patch = keras.ops.reshape(patch, (-1, n, n, channels))
        update = _draw_attention.write(patch, fx, fy, gamma)
        return update, _draw_attention.window_boxes(gx, gy, delta, n)

    def _initial_state(self, batch_size, h_0):
        """`[h_0, 0]` for a batch: the learned output `h_0`, a zero cell state."""
        h = keras.ops.broadcast_to(keras.ops.convert_to_tensor(h_0), (batch_size, h_0.shape[0]))
        return [h, keras.ops.zeros_like(h)]

    def _initial_canvas(self, batch_size):
        """The learned `c_0` for a batch: `(batch, H, W, C)`."""
        c_0 = keras.ops.convert_to_tensor(self.initial_canvas)
        return keras.ops.broadcast_to(c_0, (batch_size, *self.image_shape))

    # The two passes: inference (x given) and generation (z given).

    def _scan(self, step, carry, inputs, names):
        """Runs `carry, outputs = step(carry, inputs[t])` for `t = 0..T-1`.

        A `tf.while_loop` rather than a Python loop: the step is traced
        once, not `T` times, so a train step with `T = 64` still compiles
        in seconds (unrolled, its graph and XLA's compile time grow with
        `T`). `outputs` is a dict; its entries `names` are stacked along a
        new leading axis of length `T`.
        """
        arrays = [tf.TensorArray(self.compute_dtype, size=self.time_steps) for _ in names]

        def body(t, carry, arrays):
            carry, outputs = step(carry, inputs[t])
            return t + 1, carry, [a.write(t, outputs[n]) for a, n in zip(arrays, names)]

        _, carry, arrays = tf.while_loop(
            lambda t, carry, arrays: t < self.time_steps,
            body,
            (tf.constant(0), carry, arrays),
            maximum_iterations=self.time_steps,
        )
        return carry, {name: a.stack() for name, a in zip(names, arrays)}

    def _sequence_names(self, keep_sequence, windows):
        """The per-step outputs that `keep_sequence` adds."""
        if not keep_sequence:
            return []
        return ["canvases"] + (list(windows) if self.attention else [])

    def _infer(self, x, eps, keep_sequence=False):
        """Runs the `T` steps of the encoder and decoder on `x`.

        Args:
            x: tensor `(batch, H, W, C)`.
            eps: tensor `(T, batch, latent_dim)` of standard normal noise;
                `z_t = mu_t + sigma_t * eps_t`.
            keep_sequence: also return the canvases and windows of every step.

        Returns:
            A dict of tensors: `"logits"` `c_T` `(batch, H, W, C)`; `"kl"`
            `(T, batch)`, the closed-form `KL(q(z_t|.) || p(z_t))`;
            `"log_ratio"` `(T, batch)`, `log q(z_t|.) - log p(z_t)` at the
            drawn `z_t`; `"mu"`, `"sigma"` `(T, batch, latent_dim)`. With
            `keep_sequence`: `"canvases"` `(T, batch, H, W, C)`,
            `sigmoid(c_t)`, and `"read_windows"`, `"write_windows"`
            `(T, batch, 4)` (None without attention).
        """
        prior = self.prior()

        def step(carry, eps_t):
            encoder_state, decoder_state, canvas = carry
            h_dec = decoder_state[0]
            x_hat = x - keras.ops.sigmoid(canvas)
            r, read_window = self._read(x, x_hat, h_dec)
            h_enc, encoder_state = self.encoder_cell(
                keras.ops.concatenate([r, h_dec], axis=-1), encoder_state
            )
            posterior = self.posterior_layer(self.posterior_params(h_enc))
            mu, sigma = posterior.mean(), posterior.stddev()
            z = mu + sigma * eps_t
            h_dec, decoder_state = self.decoder_cell(z, decoder_state)
            update, write_window = self._write(h_dec)
            canvas = canvas + update
            outputs = {
                "kl": tfd.kl_divergence(posterior, prior),
                "log_ratio": posterior.log_prob(z) - prior.log_prob(z),
                "mu": mu,
                "sigma": sigma,
                "canvases": keras.ops.sigmoid(canvas),
                "read_windows": read_window,
                "write_windows": write_window,
            }
            return [encoder_state, decoder_state, canvas], outputs

        batch_size = keras.ops.shape(x)[0]
        carry = [
            self._initial_state(batch_size, self.initial_encoder_h),
            self._initial_state(batch_size, self.initial_decoder_h),
            self._initial_canvas(batch_size),
        ]
        names = ["kl", "log_ratio", "mu", "sigma"]
        names += self._sequence_names(keep_sequence, ("read_windows", "write_windows"))
        (_, _, canvas), result = self._scan(step, carry, eps, names)
        result["logits"] = canvas
        if keep_sequence and not self.attention:
            result.update(read_windows=None, write_windows=None)
        return result

    def _generate(self, z, keep_sequence=False):
        """Runs the decoder on `z` `(T, n, latent_dim)`.

        Returns a dict: `"logits"` `c_T` `(n, H, W, C)`; with
        `keep_sequence`, `"canvases"` `(T, n, H, W, C)` and `"write_windows"`
        `(T, n, 4)` (None without attention).
        """

        def step(carry, z_t):
            decoder_state, canvas = carry
            h_dec, decoder_state = self.decoder_cell(z_t, decoder_state)
            update, write_window = self._write(h_dec)
            canvas = canvas + update
            outputs = {"canvases": keras.ops.sigmoid(canvas), "write_windows": write_window}
            return [decoder_state, canvas], outputs

        batch_size = keras.ops.shape(z)[1]
        carry = [
            self._initial_state(batch_size, self.initial_decoder_h),
            self._initial_canvas(batch_size),
        ]
        names = self._sequence_names(keep_sequence, ("write_windows",))
        (_, canvas), result = self._scan(step, carry, z, names)
        result["logits"] = canvas
        if keep_sequence and not self.attention:
            result["write_windows"] = None
        return result

    # Generation.

    def call(self, inputs, training=None):
        """Returns `reconstruct(inputs)`, so `predict(x)` reconstructs `x`."""
        return self.reconstruct(inputs)

    def generate(self, n, seed=None, return_canvases=True):
        """Paints images from the prior, `z_t ~ N(0, I)`.

        Args:
            n: an int (draw `n` noise sequences) or an array `z` of shape
                `(n, time_steps, latent_dim)` (as the exported `generate`
                signature takes).
            seed: optional int, used when `n` is an int: `None` draws from
                the model's seed generator (advancing it); an int gives the
                same images every time.
            return_canvases: if `True`, return every step's canvas; if
                `False`, only the last.

        Returns:
            Pixel probabilities `sigmoid(c_t)` in [0, 1]: a tensor of shape
            `(time_steps, n, H, W, C)` (step `t` at index `t - 1`), or
            `(n, H, W, C)` with `return_canvases=False`.
        """
        z = self._prior_noise(n, seed)
        if return_canvases:
            return self._generate(z, keep_sequence=True)["canvases"]
        return keras.ops.sigmoid(self._generate(z)["logits"])

    def sample(self, num_samples, seed=None):
        """`generate(num_samples, seed, return_canvases=False)`: `(n, H, W, C)` in [0, 1].

        The final canvas's pixel probabilities (the mean of `p(x | c_T)`),
        the method `kgen.callbacks.GenerativePictures` and `kgen sample`
        call.
        """
        num_samples = _validation.positive_int("num_samples", num_samples)
        return self.generate(num_samples, seed=seed, return_canvases=False)

    def canvas_sequence(self, n, seed=None):
        """Every step of painting from the prior, with the write windows.

        Args:
            n, seed: as in `generate`.

        Returns:
            A dict: `"canvases"`, float tensor `(time_steps, n, H, W, C)` in
            [0, 1], as `generate`; `"write_windows"`, float tensor
            `(time_steps, n, 4)`: the square each write grid covers,
            `(x_min, y_min, x_max, y_max)` in pixels (pixel row `r`, column
            `c` covers `[c, c + 1) x [r, r + 1)`), or `None` without
            attention. Ready for `kgen.plotting.canvas_sequence_grid` and
            `save_canvas_gif`.
        """
        result = self._generate(self._prior_noise(n, seed), keep_sequence=True)
        return {"canvases": result["canvases"], "write_windows": result["write_windows"]}

    def _prior_noise(self, n, seed):
        """`z` as a time-major tensor `(T, n, latent_dim)`; an int `n` draws it."""
        count = _validation.as_int(n)
        if count is not None and count >= 1:
            return keras.random.normal(
                (self.time_steps, count, self.latent_dim),
                dtype=self.compute_dtype,
                seed=self._seed_generator_for(seed),
            )
        expected = f"(n, {self.time_steps}, {self.latent_dim})"
        if count is not None or isinstance(n, (bool, float)):
            raise ValueError(
                "`n` must be an int >= 1 or an array z of shape (n, time_steps, "
                f"latent_dim) = {expected}. Received: n={n!r}"
            )
        z = keras.ops.cast(keras.ops.convert_to_tensor(n), self.compute_dtype)
        if tuple(z.shape[1:]) != (self.time_steps, self.latent_dim) or z.shape.rank != 3:
            raise ValueError(
                f"`z` must have shape (n, time_steps, latent_dim) = {expected}. "
                f"Received: z.shape={tuple(z.shape)}"
            )
        return keras.ops.transpose(z, (1, 0, 2))

    # Inference.

    def _posterior_noise(self, batch_size, seed=None):
        return keras.random.normal(
            (self.time_steps, batch_size, self.latent_dim),
            dtype=self.compute_dtype,
            seed=self._seed_generator_for(seed),
        )

    def reconstruct(self, x, seed=None):
        """The mean of `p(x | c_T)` with `z_1..z_T` drawn from the posterior.

        Args:
            x: array `(batch, H, W, C)`.
            seed: optional int for the `eps_t`: `None` draws from the model's
                seed generator; an int gives the same result every time.

        Returns:
            A tensor `(batch, H, W, C)` of pixel probabilities.
        """
        x = self._standardize_x(x)
        eps = self._posterior_noise(keras.ops.shape(x)[0], seed)
        return keras.ops.sigmoid(self._infer(x, eps)["logits"])

    def reconstruct_sequence(self, x, seed=None):
        """Every step of painting `x` back, with the read and write windows.

        Args:
            x, seed: as in `reconstruct`.

        Returns:
            A dict: `"canvases"` `(time_steps, batch, H, W, C)` in [0, 1],
            the canvas after each step (the last is `reconstruct(x, seed)`);
            `"read_windows"` and `"write_windows"` `(time_steps, batch, 4)`,
            the squares the read and write grids cover at each step, in
            pixels as in `canvas_sequence` (`None` without attention).
        """
        x = self._standardize_x(x)
        eps = self._posterior_noise(keras.ops.shape(x)[0], seed)
        result = self._infer(x, eps, keep_sequence=True)
        return {
            name: result[name] for name in ("canvases", "read_windows", "write_windows")
        }

    # Bounds on log p(x).

    def _elbo_terms(self, x, eps):
        """Per-example `(reconstruction, kl)` in nats, each `(batch,)`; `kl` summed over steps."""
        result = self._infer(x, eps)
        reconstruction = -self.likelihood(result["logits"]).log_prob(x)
        return reconstruction, keras.ops.sum(result["kl"], axis=0)

    def elbo(self, x, seed=None):
        """Per-example one-sample ELBO estimate, in nats.

        `log p(x | z_1..z_T) - sum_t KL(q(z_t | x, z_<t) || p(z_t))` with the
        `z_t` drawn from the posterior (`seed` as in `reconstruct`). A lower
        bound on `log p(x)` in expectation. Returns shape `(batch,)`.
        """
        x = self._standardize_x(x)
        eps = self._posterior_noise(keras.ops.shape(x)[0], seed)
        reconstruction, kl = self._elbo_terms(x, eps)
        return -(reconstruction + kl)

    def _log_importance_weights(self, x, num_samples):
        """`log w_k` of `ELBOModel.log_likelihood`: shape `(K, batch)`.

        With DRAW's sequential posterior as the proposal, for the whole
        sequence `z^k = (z_1^k..z_T^k)`:
        `log w_k = log p(x | z^k) + sum_t [log p(z_t^k) - log q(z_t^k | x, z_<t^k)]`.
        """
        # Copy k of example b is row k * B + b, which is where `tile` puts it.
        batch_size = keras.ops.shape(x)[0]
        x_tiled = keras.ops.tile(x, (num_samples, 1, 1, 1))
        eps = self._posterior_noise(num_samples * batch_size)
        result = self._infer(x_tiled, eps)
        log_px_given_z = self.likelihood(result["logits"]).log_prob(x_tiled)
        log_w = log_px_given_z - keras.ops.sum(result["log_ratio"], axis=0)
        return keras.ops.reshape(log_w, (num_samples, batch_size))

    # Training (`train_step` and `test_step` are `ELBOModel`'s).

    def _step_loss_terms(self, x, share, training):
        """`(loss, reconstruction, kl)` of a step: `loss = mean(reconstruction + kl)`.

        The time-major `eps` `(T, batch, latent_dim)` is drawn for the whole
        batch and this replica keeps its columns. `training` is unused: DRAW's
        layers have no dropout or batch normalisation.
        """
        eps = share.rows(self._posterior_noise, axis=1)
        reconstruction, kl = self._elbo_terms(x, eps)
        return keras.ops.mean(reconstruction + kl), reconstruction, kl

    def _standardize_x(self, x):
        """`x` as a float tensor, its shape checked against `(batch_size, *image_shape)`."""
        return self._standardize_batch(x, self.image_shape)

    # Saving and export.

    def _export_signatures(self):
        """The SavedModel's signature, for `export`.

        `generate` (also `serving_default`): `z` float32
        `(None, time_steps, latent_dim)`, the noise of every step (clients
        draw `z ~ N(0, I)` themselves) -> `samples`: float32
        `(None, H, W, C)`, the final pixel probabilities `sigmoid(c_T)`;
        `canvases`: float32 `(None, time_steps, H, W, C)`, `sigmoid(c_t)`
        after every step. Both outputs are batch-major (unlike
        `DRAW.generate`'s `(T, n, ...)`), as TF Serving's row format needs
        every output to share the batch axis.
        """
        z_spec = tf.TensorSpec((None, self.time_steps, self.latent_dim), tf.float32, name="z")

        @tf.function(input_signature=[z_spec])
        def generate(z):
            result = self._generate(tf.transpose(z, (1, 0, 2)), keep_sequence=True)
            return {
                "samples": tf.sigmoid(result["logits"]),
                "canvases": tf.transpose(result["canvases"], (1, 0, 2, 3, 4)),
            }

        return {"generate": generate}
