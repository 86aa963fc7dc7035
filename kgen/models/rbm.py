"""Binary restricted Boltzmann machine trained by CD-k or PCD, for Keras 3.

(Over 500 lines: one model whose methods are its mathematics, each short:
the conditionals and free energy, CD-k/PCD training with its three
metrics, `log Z` and the likelihood, and a stock-op Gibbs chain for the
SavedModel. The estimators of `log Z` live in `_rbm_log_partition.py`.)

The RBM's sampler is kgen's compiled op `kgen_ops.gibbs_sweeps`, which runs
`k` block-Gibbs sweeps of every chain inside one kernel; the CD statistics it
returns are handed to the Keras optimizer as gradients, so any optimizer,
schedule or weight decay works as for a network trained by backpropagation.
"""

import collections
import math

import keras
import numpy as np
import tensorflow as tf

import kgen_ops
from kgen_ops.cd_update import data_run_seed
from kgen import _validation
from kgen.models import _model
from kgen.models import _protocols
from kgen.models import _rbm_log_partition
from kgen.models import _replicas

_METHODS = ("exact", "ais")

LogPartition = collections.namedtuple("LogPartition", ["log_z", "stderr"])
LogPartition.__doc__ = """An estimate of `log Z`, in nats.

Attributes:
    log_z: float, the estimate of `log Z`.
    stderr: float, its standard error (0.0 for `method="exact"`).
"""


def _is_scipy_sparse(x):
    """True for a SciPy sparse matrix or array (without importing SciPy for others)."""
    module = type(x).__module__
    return module.startswith("scipy.sparse") and hasattr(x, "toarray")


def _hidden_input(v, w, b_hid):
    """`b_hid + v W`: the hidden units' input, `(batch_size, H)` for `v` `(batch_size, V)`."""
    return tf.matmul(v, w) + b_hid


def _visible_probs(h, w, b_vis):
    """`p(v_i = 1 | h) = sigmoid(b_vis_i + (W h)_i)`, `(batch_size, V)` for `h` `(batch_size, H)`."""
    return tf.sigmoid(tf.matmul(h, w, transpose_b=True) + b_vis)


def _flipped_softplus_sum(v, hidden_activation, w, flip):
    """`sum_j softplus(a_j + s W[flip, j])`, `s = 1 - 2 v[flip]`: `(batch_size,)`.

    Flipping unit `i` of `v` changes `a = b_hid + v W` by `(1 - 2 v_i) W[i, :]`,
    so given `a` the flipped free energy costs O(H) per example, not a product.
    """
    sign = 1.0 - 2.0 * tf.gather(v, flip, axis=1, batch_dims=1)  # +1 turns on, -1 off
    return tf.reduce_sum(tf.nn.softplus(hidden_activation + sign[:, None] * tf.gather(w, flip)), axis=1)


def _pseudo_log_likelihood_formula(v, b_vis, flip, free_energy, flipped_softplus):
    """`V * log sigmoid(F(v~) - F(v))` from `F(v)` and `_flipped_softplus_sum`; `(batch_size,)`.

    `F(v~) = -(b_vis^T v + s b_vis[flip]) - flipped_softplus`, `s = 1 - 2 v[flip]`.
    """
    sign = 1.0 - 2.0 * tf.gather(v, flip, axis=1, batch_dims=1)
    flipped_free_energy = -(tf.linalg.matvec(v, b_vis) + sign * tf.gather(b_vis, flip)) - flipped_softplus
    # log sigmoid(x) = -softplus(-x).
    n_visible = tf.cast(tf.shape(v)[1], v.dtype)
    return -n_visible * tf.nn.softplus(-(flipped_free_energy - free_energy))


def _free_energy_formula(v, b_vis, activation):
    """`F(v) = -b_vis^T v - sum_j softplus(a_j)` with `a = _hidden_input(v, ...)`; nats."""
    return -tf.linalg.matvec(v, b_vis) - tf.reduce_sum(tf.nn.softplus(activation), axis=1)


@keras.saving.register_keras_serializable(package="kgen")
class RBM(_model.Model, _protocols.Sampler, _protocols.Reconstructor,
          _protocols.LikelihoodModel):
    """Restricted Boltzmann machine with binary visible and hidden units.

    A bipartite Markov random field over visible units `v` in {0, 1}^V and
    hidden units `h` in {0, 1}^H, trained by contrastive divergence (CD-k,
    Hinton 2002) or persistent contrastive divergence (PCD, Tieleman 2008).

    Mathematical details:

    ```
    E(v, h) = -v^T W h - b_vis^T v - b_hid^T h,   p(v, h) = exp(-E(v, h)) / Z
    p(h_j = 1 | v) = sigmoid(b_hid_j + (v W)_j)
    p(v_i = 1 | h) = sigmoid(b_vis_i + (W h)_i)
    F(v) = -log sum_h exp(-E(v, h)) = -b_vis^T v - sum_j softplus(b_hid_j + (v W)_j)
    log p(v) = -F(v) - log Z
    ```

    The gradient of the mean log-likelihood of a batch `v_0` (`B` rows) is a
    positive (data) phase minus a negative (model) phase:

    ```
    d/dW     = v_0^T p(h|v_0) / B  -  E_model[v^T p(h|v)]
    d/db_vis = mean(v_0)           -  E_model[v]
    d/db_hid = mean(p(h|v_0))      -  E_model[p(h|v)]
    ```

    The model expectation is estimated from `M` negative samples `v_k`: with
    CD-k, `k` Gibbs sweeps started at the batch (`M = B`); with PCD, `k`
    sweeps that continue `num_chains` persistent chains from where the last
    update left them. `train_step` gives the optimizer the negated estimate
    (optimizers minimise), e.g. `grad_W = -(v_0^T p(h|v_0) / B - v_k^T
    p(h|v_k) / M)`. This is exactly the gradient of the `loss` metric below
    with the samples held fixed.

    Metrics (epoch means of the per-batch values, as `fit` and `evaluate`
    report them):

    - `loss`: the free-energy gap `mean F(v_0) - mean F(v_k)` in nats, the
      surrogate whose gradient is the CD update. It is negative when the
      model gives the data more probability than its own samples; it is not
      the log-likelihood and does not track it closely.
    - `reconstruction_error`: `mean (v_0 - p(v | h_0))^2` over examples and
      pixels, `h_0 ~ p(h | v_0)`: one sampled up-down pass, the
      reconstruction error of Hinton's CD-1 code (for CD-k chains it is
      their first sweep, so it costs nothing; PCD runs one sweep from the
      data). Until kgen 0.1 it was the mean-field pass `reconstruct(v_0)`,
      whose extra product with W cost as much as a CD-1 sweep.
    - `pseudo_log_likelihood`: scikit-learn's stochastic estimate
      `V * log sigmoid(F(v~) - F(v_0))`, in nats per example, where `v~` is
      `v_0` with one visible unit, chosen uniformly at random per example,
      flipped. Its expectation is the pseudo-log-likelihood
      `sum_i log p(v_i | v_{-i})`.

    `test_step` (`evaluate`, validation data) reports the same metrics with
    CD-k chains started at the data, even for a PCD model, and changes
    nothing.

    Complexity: one update costs `O(k * (B + M) * V * H)` (a CD-k chain
    reuses the data batch, so `M = B` and the positive phase is free).
    `log_partition(method="exact")` costs `O(2^min(V, H) * V * H)`;
    `method="ais"` costs `O(num_betas * num_chains * V * H)`.

    Speed: with `keras.optimizers.SGD` (momentum allowed) on the CPU, each
    step of `fit` is one call of the fused op `kgen_ops.cd_step`: the k
    sweeps, the CD statistics and the update of W in place, plus per-row
    by-products computed inside the kernel (the softplus sums of the free
    energies of the data, of the flipped data and of the chains, the first
    sweep's squared reconstruction error), from which the three metrics
    take no further product with W (`compile(fused_update=...)`). Other optimizers, a strategy or a
    GPU take the general path (the statistics as gradients, the metrics'
    products in TensorFlow), with the same result for the same seed. How
    fast each is against `kgen_ops.cd_update` and stock TensorFlow:
    `benchmarks/gibbs_cpu.py`, in `benchmarks/RESULTS.md`.

    Randomness, all explicit: the Gibbs sweeps of each update, and the flipped
    units of the pseudo-log-likelihood, use seeds drawn from the model's
    `keras.random.SeedGenerator(seed)`, as do `sample` and `log_partition`
    when their `seed` is `None` (an int seed gives the same result every
    time). `seed` also seeds the initial weights `W ~ N(0, 0.01^2)`; biases
    start at 0 and persistent chains at all-zero visible states. The same
    `seed` gives the same training run (batch shuffling in `fit` aside).

    Distributed training: created and compiled inside the `scope()` of a
    `tf.distribute` strategy (`kgen.distribute.make_strategy`), every
    replica runs the Gibbs op on its part of the global batch and the CD
    statistics are averaged over the global batch as gradients are. CD-k
    chains draw from one Philox stream per replica (`(key, stream +
    replica * 2**31)`), so replicas never share random numbers; PCD chains
    are advanced by every replica with the same seed, so they stay the same
    on all replicas, as on one device (`docs/distributed.md`).

    XLA: `compile` forces `jit_compile=False`, because XLA cannot compile the
    custom op `Kgen>GibbsSweeps` (it has no XLA kernel); `jit_compile=True`
    is an error.

    Args:
        n_visible: positive int, `V`, the number of visible units. Inputs
            may have any per-example shape with `V` elements, e.g. `(8, 8, 1)`
            images for `V = 64`; they are flattened row-major. `fit`,
            `evaluate`, `predict` and the methods also take `scipy.sparse`
            matrices `(num_examples, V)`, as scikit-learn's `BernoulliRBM`
            does; `fit` makes them dense one batch at a time.
        n_hidden: positive int, `H`, the number of hidden units.
        cd_k: positive int, `k`, the Gibbs sweeps per update.
        persistent: bool. `False`: CD-k, chains start at the batch. `True`:
            PCD, chains persist across updates in `persistent_chains`.
        num_chains: positive int or `None`, the number of persistent chains
            (PCD only). `None`: the batch size of the first batch the model
            sees (the model is then built by `fit` or a first call).
        visible_shape: optional tuple of positive ints with product `V`, the
            shape of one example in the outputs of `sample` and
            `reconstruct` (and the export's inputs). Default `(V,)`.
        seed: optional int, seeds the `SeedGenerator` and the initial
            weights. `None`: fresh randomness.
        **kwargs: base model keyword arguments, such as `name` or `dtype`
            (`"float32"` or `"float64"`, the dtypes the op supports).

    Attributes:
        w: variable `[V, H]`, the weights `W`.
        b_vis: variable `[V]`, the visible biases.
        b_hid: variable `[H]`, the hidden biases.
        persistent_chains: non-trainable variable `[num_chains, V]`, the
            visible states of the PCD chains (only when `persistent=True`).
        seed_generator: the `keras.random.SeedGenerator` behind all noise.

    Example:

    ```python
    (x, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2)
    x, x_test = kgen.datasets.binarize(x), kgen.datasets.binarize(x_test)
    rbm = kgen.models.RBM(n_visible=64, n_hidden=16, cd_k=1, seed=0)
    rbm.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
    rbm.fit(x, epochs=20, batch_size=32)
    log_z = rbm.log_partition()  # exact: 2**16 hidden states
    rbm.log_likelihood(x_test, log_z=log_z)  # nats, shape (num_test,)
    digits = rbm.sample(16, num_sweeps=1000, seed=1)  # (16, 64), binary
    ```

    References:
        Hinton, "Training products of experts by minimizing contrastive
        divergence", Neural Computation 14(8), 2002.
        Tieleman, "Training restricted Boltzmann machines using
        approximations to the likelihood gradient", ICML 2008.
        Salakhutdinov & Murray, "On the quantitative analysis of deep belief
        networks", ICML 2008 (annealed importance sampling of `Z`).
    """

    # XLA cannot compile the custom op Kgen>GibbsSweeps (it has no XLA kernel).
    default_jit_compile = False
    serving_default_signature = "hidden_probs"
    _config_arguments = (
        "n_visible", "n_hidden", "cd_k", "persistent", "num_chains", "visible_shape", "seed",
    )

    def __init__(
        self,
        n_visible,
        n_hidden,
        cd_k=1,
        persistent=False,
        num_chains=None,
        visible_shape=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # Each argument is checked and stored at once (as `get_config` saves it).
        self.n_visible = n_visible = _validation.positive_int("n_visible", n_visible)
        self.n_hidden = _validation.positive_int("n_hidden", n_hidden)
        self.cd_k = _validation.positive_int("cd_k", cd_k)
        self.persistent = _validation.boolean("persistent", persistent)
        self.num_chains = _validation.optional_int("num_chains", num_chains, minimum=1)
        shape = _validation.shape(
            "visible_shape", (n_visible,) if visible_shape is None else visible_shape
        )
        if math.prod(shape) != n_visible:
            _validation.fail(
                "visible_shape", f"a tuple of positive ints with product n_visible={n_visible}",
                visible_shape,
            )
        self.visible_shape = shape
        seed = self._init_seed(seed)
        if self.compute_dtype not in ("float32", "float64"):
            raise ValueError(
                "`dtype` must be float32 or float64 (the dtypes of the Gibbs op). "
                f"Received: dtype={self.compute_dtype!r}"
            )

        self.w = self.add_weight(
            shape=(self.n_visible, self.n_hidden),
            initializer=keras.initializers.RandomNormal(stddev=0.01, seed=seed),
            name="w",
        )
        self.b_vis = self.add_weight(shape=(self.n_visible,), initializer="zeros", name="b_vis")
        self.b_hid = self.add_weight(shape=(self.n_hidden,), initializer="zeros", name="b_hid")
        self.persistent_chains = None
        # Created here and returned by `metrics`, so `fit` resets them each epoch.
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_error")
        self.pseudo_log_likelihood_tracker = keras.metrics.Mean(name="pseudo_log_likelihood")
        # Build now when every shape is known, so that `summary`, `save` and
        # `export` work before training. PCD with `num_chains=None` waits for
        # the first batch (`fit` builds the model from it).
        if not (self.persistent and self.num_chains is None):
            self.build((None, *self.visible_shape))

    def build(self, input_shape):
        """Creates `persistent_chains` (PCD); `input_shape[0]` sizes it if `num_chains` is None."""
        if self.persistent:
            num_chains = self.num_chains if self.num_chains is not None else input_shape[0]
            if num_chains is None:
                raise ValueError(
                    "`num_chains` must be given for a PCD model built without a known batch size. "
                    f"Received: num_chains=None, input_shape={tuple(input_shape)}"
                )
            self.persistent_chains = self.add_weight(
                shape=(int(num_chains), self.n_visible),
                initializer="zeros",
                trainable=False,
                name="persistent_chains",
            )

    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.fit`; `y` is ignored (`x` may also yield `(x,)` or `(x, y)`).

        A PCD model with `num_chains=None` is first built with as many
        chains as the first batch has examples.
        """
        if not self.built:
            self.build((self._first_batch_size(x, batch_size), *self.visible_shape))
        return super().fit(x, y, batch_size=batch_size, **kwargs)

    def train_on_batch(self, x, y=None, **kwargs):
        """`keras.Model.train_on_batch`; an unbuilt PCD model gets one chain per row of `x`."""
        if not self.built:
            self.build((self._flatten(keras.utils.unpack_x_y_sample_weight(x)[0]).shape[0], self.n_visible))
        return super().train_on_batch(x, y, **kwargs)

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.pseudo_log_likelihood_tracker]

    def _default_optimizer(self):
        """Keras' `RMSprop()`, what `compile()` gave the RBM before the contract's `None` default."""
        return keras.optimizers.RMSprop()

    def compile(self, optimizer=None, jit_compile=None, steps_per_execution=None,
                fused_update="auto", **kwargs):
        """`keras.Model.compile` with `jit_compile=False` (XLA cannot compile the Gibbs op).

        Only `optimizer` matters (`None`: `RMSprop()`): the RBM computes its
        own update and metrics, so a `loss` or `metrics` given here are not
        used. `steps_per_execution=None` means the class's
        `default_steps_per_execution` (8) as for every kgen model.

        Args:
            fused_update: `"auto"`, `True` or `False`. `"auto"`: each
                training step is one call of the fused op
                `kgen_ops.cd_step` (sampling, CD statistics and the SGD
                update in place, metrics from its by-products) whenever the
                optimizer is a plain `keras.optimizers.SGD` (any learning
                rate or schedule, momentum without Nesterov; no weight
                decay, clipping, EMA, gradient accumulation or loss scaling),
                the variables are on the CPU and there is no distribution
                strategy; otherwise the statistics go to the optimizer as
                gradients. Both give the same weights (within float
                rounding) and metrics for the same seed. `True`: the same,
                but an error where the fused step cannot run. `False`: always
                through the optimizer.

        Raises:
            ValueError: if `jit_compile` is neither None, False nor `"auto"`,
                or for another `fused_update`.
        """
        if jit_compile not in (None, False, "auto"):
            _validation.fail(
                "jit_compile",
                "False for an RBM: XLA cannot compile the custom op Kgen>GibbsSweeps",
                jit_compile,
            )
        self.fused_update = _validation.choice("fused_update", fused_update, ("auto", True, False))
        super().compile(optimizer, False, steps_per_execution, **kwargs)
        # Saved with the model, so that a loaded model compiles the same way.
        self._compile_config.config["fused_update"] = self.fused_update

    # The model's quantities.

    def call(self, inputs):
        """Returns `hidden_probs(inputs)`, so `predict(x)` gives the features `p(h=1|x)`."""
        return self.hidden_probs(inputs)

    def hidden_probs(self, v):
        """`p(h_j = 1 | v) = sigmoid(b_hid_j + (v W)_j)`.

        Args:
            v: array or tensor `(batch_size, V)` or `(batch_size, *visible_shape)`.

        Returns:
            A tensor of shape `(batch_size, H)`.
        """
        return tf.sigmoid(_hidden_input(self._flatten(v), self.w, self.b_hid))

    def visible_probs(self, h):
        """`p(v_i = 1 | h) = sigmoid(b_vis_i + (W h)_i)`, shape `(batch_size, V)`, for `h` `(batch_size, H)`."""
        h = tf.cast(tf.convert_to_tensor(h), self.compute_dtype)
        return _visible_probs(h, self.w, self.b_vis)

    def free_energy(self, v):
        """`F(v) = -log sum_h exp(-E(v, h)) = -b_vis^T v - sum_j softplus(b_hid_j + (v W)_j)`.

        Args:
            v: array or tensor `(batch_size, V)` or `(batch_size, *visible_shape)`.

        Returns:
            A tensor of shape `(batch_size,)`, in nats.
        """
        return self._free_energy(self._flatten(v))

    def _free_energy(self, v, hidden_activation=None):
        """F(v); `hidden_activation`, if given, is `b_hid + v W` already computed."""
        if hidden_activation is None:
            hidden_activation = _hidden_input(v, self.w, self.b_hid)
        return _free_energy_formula(v, self.b_vis, hidden_activation)

    def reconstruct(self, v):
        """One mean-field pass `p(v | h = p(h|v))`, shape `(batch_size, *visible_shape)`. Deterministic."""
        probs = self.visible_probs(self.hidden_probs(v))
        return tf.reshape(probs, (-1, *self.visible_shape))

    def sample(self, num_samples, num_sweeps=1000, seed=None, mean=False):
        """Draws visible samples by block-Gibbs sampling.

        Each of `num_samples` independent chains starts at `v ~
        Bernoulli(sigmoid(b_vis))` and runs `num_sweeps` sweeps of the
        compiled op (one call).

        Args:
            num_samples: positive int.
            num_sweeps: positive int, Gibbs sweeps per chain.
            seed: optional int. `None` draws from the model's seed generator
                (advancing it); an int gives the same samples every time.
            mean: if `True`, return `p(v | h)` of the last sweep (smoother
                pictures) instead of the binary states.

        Returns:
            A tensor of shape `(num_samples, *visible_shape)`.
        """
        num_samples = _validation.positive_int("num_samples", num_samples)
        num_sweeps = _validation.positive_int("num_sweeps", num_sweeps)
        seed = self._seed_pair(seed)
        u = tf.random.stateless_uniform((num_samples, self.n_visible), seed=seed, dtype=self.compute_dtype)
        v = tf.cast(u < tf.sigmoid(self.b_vis), self.compute_dtype)
        op_seed = tf.cast(tf.random.experimental.stateless_fold_in(seed, 1), tf.int64)
        chain = kgen_ops.gibbs_sweeps(v, self.w, self.b_vis, self.b_hid, num_sweeps, op_seed)
        return tf.reshape(chain.v_prob if mean else chain.v, (num_samples, *self.visible_shape))

    # Training.

    def train_step(self, data):
        v0 = self._unpack(data)
        # Under tf.distribute: this replica's part of the global batch.
        share = _replicas.share(tf.shape(v0)[0])
        op_seed = self._draw_op_seed()  # first draw: tests replay it
        flip = self._draw_flips(share)  # second: the pseudo-likelihood's units
        if self.persistent and self.persistent_chains is None:
            raise ValueError(
                "A PCD model with `num_chains=None` must be built before its first update: "
                "use `fit`, `train_on_batch` or `build((num_chains, n_visible))`. "
                f"Received: num_chains={self.num_chains!r}"
            )
        fused = self._fused_sgd()
        if fused is not None:
            return self._fused_train_step(share, v0, op_seed, flip, *fused)
        # b_hid + v0 W, shared by p(h | v0) for PCD and by the metrics.
        hidden_activation = _hidden_input(v0, self.w, self.b_hid)
        if self.persistent:
            # Under several replicas every replica advances all the chains
            # with the same seed, so they stay identical on every replica.
            chain = kgen_ops.gibbs_sweeps(
                self.persistent_chains, self.w, self.b_vis, self.b_hid, self.cd_k, op_seed,
                validate_args=False,
            )
            h0_prob = tf.sigmoid(hidden_activation)
            self.persistent_chains.assign(chain.v)
        else:
            chain = kgen_ops.gibbs_sweeps(
                v0, self.w, self.b_vis, self.b_hid, self.cd_k, self._replica_op_seed(op_seed),
                validate_args=False,
            )
            h0_prob = chain.h0_prob
        gradients = self._cd_gradients(v0, h0_prob, chain.v, chain.h_prob, share)
        # Metrics before the update, like `fit` for other networks.
        logs = self._update_metrics(
            share, v0, chain.v, tf.identity(self.b_vis), flip,
            *self._metric_sums(v0, hidden_activation, chain, op_seed, flip, self.persistent),
        )
        self.optimizer.apply(gradients, [self.w, self.b_vis, self.b_hid])
        return logs

    def _fused_train_step(self, share, v0, op_seed, flip, learning_rate, momentum, velocities):
        """`train_step` as one `kgen_ops.cd_step` call: SGD in place, metrics from its by-products.

        The op returns the metrics' per-row sums, computed on the parameters
        before the update; the visible biases the metrics also need are read
        before the op (which keeps earlier reads intact).
        """
        b_vis = tf.identity(self.b_vis)
        step = kgen_ops.cd_step(
            v0, self.w, self.b_vis, self.b_hid, self.cd_k, op_seed,
            tf.cast(learning_rate, self.compute_dtype), flip,
            chains=self.persistent_chains if self.persistent else None,
            momentum=momentum, velocities=velocities, validate_args=False,  # fit checked the data
        )
        if self.persistent:
            self.persistent_chains.assign(step.v_k)
        self.optimizer.iterations.assign_add(1)
        return self._update_metrics(
            share, v0, step.v_k, b_vis, flip, step.h0_softplus, step.flipped_softplus,
            step.h_softplus, step.reconstruction_error,
        )

    def _fused_sgd(self):
        """`(learning_rate, momentum, velocities)` if the fused SGD step can run, else None.

        It can for the optimizer `keras.optimizers.SGD` itself with nothing
        that changes its plain update (see `compile`'s `fused_update`), on
        CPU variables, without a distribution strategy.
        """
        choice = getattr(self, "fused_update", "auto")
        if choice is False:
            return None
        optimizer = self.optimizer
        reasons = []
        if type(optimizer) is not keras.optimizers.SGD:
            reasons.append(f"the optimizer is {type(optimizer).__name__}, not SGD")
        else:
            if optimizer.nesterov and optimizer.momentum != 0:
                reasons.append("Nesterov momentum")
            for option in ("weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
                           "gradient_accumulation_steps", "loss_scale_factor"):
                if getattr(optimizer, option, None):
                    reasons.append(f"{option}={getattr(optimizer, option)!r}")
            if optimizer.use_ema:
                reasons.append("use_ema=True")
        if tf.distribute.has_strategy():
            reasons.append(f"the strategy {type(tf.distribute.get_strategy()).__name__}")
        if any(
            tf.DeviceSpec.from_string(p.value.device or "").device_type == "GPU"
            for p in (self.w, self.b_vis, self.b_hid)
        ):
            reasons.append("the variables are on a GPU")
        if any(p.constraint is not None for p in (self.w, self.b_vis, self.b_hid)):
            reasons.append("a variable has a constraint")
        if reasons:
            if choice is True:
                raise ValueError(
                    "`fused_update=True` needs plain SGD on CPU variables without a strategy. "
                    f"Received: {'; '.join(reasons)}"
                )
            return None
        if not optimizer.built:
            optimizer.build([self.w, self.b_vis, self.b_hid])
        momentum, velocities = None, None
        if optimizer.momentum != 0:
            momentum = tf.cast(optimizer.momentum, self.compute_dtype)
            velocities = [
                optimizer.momentums[optimizer._get_variable_index(p)]
                for p in (self.w, self.b_vis, self.b_hid)
            ]
        return optimizer.learning_rate, momentum, velocities

    def test_step(self, data):
        v0 = self._unpack(data)
        share = _replicas.share(tf.shape(v0)[0])
        op_seed = self._replica_op_seed(self._draw_op_seed())
        flip = self._draw_flips(share)
        chain = kgen_ops.gibbs_sweeps(
            v0, self.w, self.b_vis, self.b_hid, self.cd_k, op_seed, validate_args=False
        )
        return self._update_metrics(
            share, v0, chain.v, self.b_vis, flip,
            *self._metric_sums(v0, _hidden_input(v0, self.w, self.b_hid), chain, op_seed, flip,
                               persistent=False),
        )

    def _metric_sums(self, v0, hidden_activation, chain, op_seed, flip, persistent):
        """`kgen_ops.cd_step`'s per-row by-products, computed with TensorFlow ops.

        Returns `(h0_softplus, flipped_softplus, h_softplus,
        reconstruction_error)`, each `(rows,)`: `sum_j softplus` of `b_hid +
        v0 W`, of the same with the unit `flip` of each row flipped, and of
        `b_hid + vk W`; and `sum_i (v0_i - p(v_i | h_0))^2`.
        """
        chain_activation = _hidden_input(chain.v, self.w, self.b_hid)
        reconstruction = self._sampled_reconstruction(v0, op_seed, chain, persistent)
        return (
            tf.reduce_sum(tf.nn.softplus(hidden_activation), axis=1),
            _flipped_softplus_sum(v0, hidden_activation, self.w, flip),
            tf.reduce_sum(tf.nn.softplus(chain_activation), axis=1),
            tf.reduce_sum(tf.square(v0 - reconstruction), axis=1),
        )

    def _sampled_reconstruction(self, v0, op_seed, chain, persistent):
        """`p(v | h_0)`, `h_0 ~ p(h | v0)`: `kgen_ops.cd_step`'s `reconstruction`, with Gibbs ops.

        CD-k chains start at `v0`, so their first sweep is the pass (for
        k = 1 it is the chain's `v_prob`); PCD runs one sweep from `v0` on
        the stream `kgen_ops.cd_update.data_run_seed` gives.
        """
        if not persistent:
            if self.cd_k == 1:
                return chain.v_prob
            seed = self._replica_op_seed(op_seed)
        else:
            seed = data_run_seed(self._replica_op_seed(op_seed))
        return kgen_ops.gibbs_sweeps(
            v0, self.w, self.b_vis, self.b_hid, 1, seed, validate_args=False
        ).v_prob

    def _cd_gradients(self, v0, h0_prob, vk, hk_prob, share):
        """The negated CD estimate of the log-likelihood gradient, for `[w, b_vis, b_hid]`.

        Positive phase from the `B` data rows, negative phase from the `M`
        chain rows (see the class docstring), computed by the compiled
        `kgen_ops.cd_statistics`, which skips the zeros of `v0` and `vk`.

        Under several replicas the statistics of each are weighted by its
        share `B_r / B` of the global batch, so that the optimizer's sum over
        replicas is the global-batch mean, as for a loss's gradients; a
        replica with no rows contributes zeros. `optimizer.apply` divides
        gradients by the optimizer's `loss_scale_factor`, if any, so the
        statistics are multiplied by it (`scale_loss`) as a loss would be.
        """

        def statistics():
            result = kgen_ops.cd_statistics(v0, h0_prob, vk, hk_prob, validate_args=False)
            return [-result.w, -result.b_vis, -result.b_hid]

        if share.distributed:
            gradients = tf.cond(
                share.count > 0,
                statistics,
                lambda: [tf.zeros_like(p) for p in (self.w, self.b_vis, self.b_hid)],
            )
        else:
            gradients = statistics()
        return [self.optimizer.scale_loss(share.scale(g)) for g in gradients]

    def _draw_flips(self, share):
        """The visible unit each example of the pseudo-log-likelihood flips, int32 `(batch_size,)`."""
        return share.rows(
            lambda rows: keras.random.randint(
                (rows,), 0, self.n_visible, dtype="int32", seed=self.seed_generator
            )
        )

    def _update_metrics(self, share, v0, vk, b_vis, flip, h0_softplus, flipped_softplus,
                        h_softplus, reconstruction_error):
        """Updates the epoch metrics from the step's per-row sums (parameters before the step).

        Args:
            v0, vk: the data `(B, V)` and the chains' states `(M, V)`.
            b_vis: the visible biases; flip: the flipped unit per example.
            h0_softplus, flipped_softplus, h_softplus, reconstruction_error:
                `kgen_ops.cd_step`'s by-products (or `_metric_sums`).
        """
        free_energy_data = -tf.linalg.matvec(v0, b_vis) - h0_softplus
        free_energy_gap = tf.reduce_mean(free_energy_data) - tf.reduce_mean(
            -tf.linalg.matvec(vk, b_vis) - h_softplus
        )
        pseudo_log_likelihood = _pseudo_log_likelihood_formula(
            v0, b_vis, flip, free_energy_data, flipped_softplus
        )
        share.update(self.loss_tracker, free_energy_gap)
        share.update(self.reconstruction_tracker, tf.reduce_mean(reconstruction_error) / self.n_visible)
        share.update(self.pseudo_log_likelihood_tracker, tf.reduce_mean(pseudo_log_likelihood))
        return _replicas.logs(self.metrics)

    def _pseudo_log_likelihood(self, v, hidden_activation=None, free_energy=None, flip=None):
        """`V * log sigmoid(F(v~) - F(v))`, `v~` = `v` with one random unit flipped; `(batch_size,)`.

        Flipping unit i changes `b_hid + v W` by `(1 - 2 v_i) W[i, :]` and
        `b_vis^T v` by `(1 - 2 v_i) b_vis_i`, so given `b_hid + v W` (and
        `F(v)`) the flipped free energy costs O(H) per example, not a product.
        """
        if hidden_activation is None:
            hidden_activation = _hidden_input(v, self.w, self.b_hid)
        if free_energy is None:
            free_energy = self._free_energy(v, hidden_activation)
        if flip is None:  # the unit to flip, per example
            flip = keras.random.randint(
                (tf.shape(v)[0],), 0, self.n_visible, dtype="int32", seed=self.seed_generator
            )
        return _pseudo_log_likelihood_formula(
            v, self.b_vis, flip, free_energy, _flipped_softplus_sum(v, hidden_activation, self.w, flip)
        )

    # The partition function and the likelihood.

    def log_partition(self, method="exact", num_chains=100, num_betas=10000, data=None, seed=None):
        """`log Z`, exactly or by annealed importance sampling, in nats.

        `method="exact"` enumerates the `2^n` states of the smaller layer
        (in float64, batched to bound memory), e.g. for `n = H`:
        `log Z = logsumexp_h [b_hid^T h + sum_i softplus(b_vis_i + (W h)_i)]`.
        It needs `min(V, H) <= 20`.

        `method="ais"` is the estimator of Salakhutdinov & Murray (2008):
        `num_chains` independent annealing runs from a base-rate model
        through `num_betas` inverse temperatures (see `kgen.models._rbm_log_partition`),
        one Gibbs sweep of the compiled op per temperature. Its `stderr` is
        the delta-method standard error of the log of the mean importance
        weight; it understates the error when too few temperatures are used
        (the estimate is then biased low).

        Args:
            method: `"exact"` or `"ais"`.
            num_chains: positive int, AIS runs.
            num_betas: int >= 10, AIS inverse temperatures (S&M used 14,500).
            data: optional array of training examples: the base-rate model's
                visible biases are the logits of its smoothed pixel means.
                `None`: zero biases (the uniform distribution).
            seed: optional int seeding AIS; `None` draws from the model's
                seed generator.

        Returns:
            `LogPartition(log_z, stderr)`, two floats in nats (`stderr` is
            0.0 for `"exact"`).

        Raises:
            ValueError: for an unknown `method`, `"exact"` with
                `min(V, H) > 20`, or bad AIS arguments.
        """
        _validation.choice("method", method, _METHODS)
        w, b_vis, b_hid = (
            np.asarray(p.numpy(), dtype=np.float64) for p in (self.w, self.b_vis, self.b_hid)
        )
        if method == "exact":
            if min(self.n_visible, self.n_hidden) > _rbm_log_partition.MAX_EXACT_UNITS:
                raise ValueError(
                    f"`method='exact'` enumerates 2**min(n_visible, n_hidden) states and needs "
                    f"min(n_visible, n_hidden) <= {_rbm_log_partition.MAX_EXACT_UNITS}; use "
                    "method='ais'. "
                    f"Received: n_visible={self.n_visible}, n_hidden={self.n_hidden}"
                )
            return LogPartition(_rbm_log_partition.exact(w, b_vis, b_hid), 0.0)
        num_chains = _validation.positive_int("num_chains", num_chains)
        num_betas = _validation.integer("num_betas", num_betas, minimum=_rbm_log_partition.MIN_BETAS)
        if data is None:
            base_vis_bias = np.zeros(self.n_visible)
        else:
            base_vis_bias = _rbm_log_partition.base_rate_biases(
                self._flatten(data).numpy(), self.n_visible
            )
        log_z, stderr, _ = _rbm_log_partition.log_partition(
            w, b_vis, b_hid, base_vis_bias, _rbm_log_partition.betas(num_betas), num_chains,
            self._seed_pair(seed),
        )
        return LogPartition(log_z, stderr)

    def log_likelihood(self, x, log_z=None):
        """`log p(x) = -F(x) - log Z` per example, in nats.

        Args:
            x: array `(num_examples, V)` or `(num_examples, *visible_shape)`.
            log_z: a float or a `LogPartition` (e.g. from
                `log_partition(method="ais")`; compute it once and reuse it).
                `None`: `log_partition()` (exact), or, when `min(V, H) > 20`,
                `log_partition(method="ais", data=x)`, recomputed each call.

        Returns:
            A tensor of shape `(num_examples,)`.
        """
        if log_z is None:
            if min(self.n_visible, self.n_hidden) <= _rbm_log_partition.MAX_EXACT_UNITS:
                log_z = self.log_partition()
            else:
                log_z = self.log_partition(method="ais", data=x)
        log_z = float(getattr(log_z, "log_z", log_z))
        return -self.free_energy(x) - tf.constant(log_z, self.compute_dtype)

    # Helpers.

    def _flatten(self, x):
        """Converts `x` to a `(batch_size, V)` float tensor, checking its width.

        `x` may be a `scipy.sparse` matrix or a `tf.SparseTensor` (what
        Keras' `fit` makes of one, batch by batch); it is made dense here, a
        batch at a time in `fit`, since the Gibbs op takes dense states.
        """
        if _is_scipy_sparse(x):
            x = x.toarray()
        elif isinstance(x, tf.SparseTensor):
            x = tf.sparse.to_dense(tf.sparse.reorder(x))
        x = tf.cast(tf.convert_to_tensor(x), self.compute_dtype)
        if x.shape.rank is not None:
            dims = list(x.shape)[1:]
            known = dims and None not in dims
            if not dims or (known and math.prod(dims) != self.n_visible):
                shapes = f"(batch_size, {self.n_visible})"
                if tuple(self.visible_shape) != (self.n_visible,):
                    shapes += f" or (batch_size, {', '.join(map(str, self.visible_shape))})"
                raise ValueError(
                    f"`x` must have shape {shapes}: n_visible={self.n_visible} values "
                    f"per example. Received: x.shape={tuple(x.shape)}"
                )
        return tf.reshape(x, (-1, self.n_visible))

    def _unpack(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._flatten(x)

    @staticmethod
    def _first_batch_size(x, batch_size):
        """The number of examples in the first batch `fit` will draw from `x`."""
        if isinstance(x, tf.data.Dataset):
            first = keras.utils.unpack_x_y_sample_weight(next(iter(x)))[0]
            return int(first.shape[0])
        if isinstance(x, keras.utils.PyDataset):
            first = keras.utils.unpack_x_y_sample_weight(x[0])[0]
            return int(np.shape(first)[0])
        try:
            num_examples = x.shape[0] if _is_scipy_sparse(x) else len(x)
        except TypeError:
            raise ValueError(
                "`num_chains` must be given for a PCD model trained on a generator. "
                f"Received: num_chains=None, x={type(x).__name__}"
            ) from None
        # Arrays: `fit` batches them by `batch_size`, 32 by default.
        return min(batch_size or 32, num_examples)

    def _draw_op_seed(self):
        """A fresh int64 `(2,)` op seed from the model's seed generator."""
        seed = keras.random.randint((2,), 0, 2**31 - 1, dtype="int32", seed=self.seed_generator)
        return tf.cast(seed, tf.int64)

    def _replica_op_seed(self, op_seed):
        """`op_seed` with this replica's own stream: `(key, stream + replica * 2**31)`.

        Streams below 2**31 (as drawn) keep replicas apart; replica 0, and
        training without a strategy, keep `op_seed` itself.
        """
        if _replicas.num_replicas() == 1:
            return op_seed
        offset = tf.cast(_replicas.replica_id(), tf.int64) * 2**31
        return op_seed + tf.stack([tf.constant(0, tf.int64), offset])

    def _seed_pair(self, seed):
        """int64 `(2,)` seed: `[seed, 0]` for an int, a fresh draw for `None`."""
        seed = _validation.seed(seed)
        if seed is None:
            return self._draw_op_seed()
        return tf.constant([seed, 0], tf.int64)

    # Saving and export.

    def _export_signatures(self):
        """The SavedModel's signatures (inputs -> dict of outputs), for `export`.

        TF Serving does not have the `Kgen>GibbsSweeps` op, so the `sample`
        signature runs its Gibbs chain with plain TensorFlow ops (a
        `tf.while_loop` over `tf.random.stateless_uniform` draws): the same
        Markov chain as `sample`, with other random numbers. The formulas
        are the module's `_hidden_input`, `_visible_probs` and
        `_free_energy_formula`, on float32 copies of the parameters.

        - `hidden_probs` (also `serving_default`): `x` float32
          `(None, *visible_shape)` -> `hidden_probs` float32 `(None, H)`.
        - `free_energy`: `x` float32 `(None, *visible_shape)` ->
          `free_energy` float32 `(None,)`, in nats.
        - `sample`: `num_samples` int32 scalar, `num_sweeps` int32 scalar
          (>= 1), `seed` int64 `(2,)` -> `samples` float32
          `(num_samples, *visible_shape)` of 0s and 1s, and `probabilities`,
          `p(v|h)` of the last sweep. Stateless: the same seed gives the same
          samples.
        """
        x_spec = tf.TensorSpec((None, *self.visible_shape), tf.float32, name="x")

        def parameters():
            return tuple(tf.cast(p, tf.float32) for p in (self.w, self.b_vis, self.b_hid))

        @tf.function(input_signature=[x_spec])
        def hidden_probs(x):
            w, _, b_hid = parameters()
            v = tf.reshape(x, (-1, self.n_visible))
            return {"hidden_probs": tf.sigmoid(_hidden_input(v, w, b_hid))}

        @tf.function(input_signature=[x_spec])
        def free_energy_signature(x):
            w, b_vis, b_hid = parameters()
            v = tf.reshape(x, (-1, self.n_visible))
            return {"free_energy": _free_energy_formula(v, b_vis, _hidden_input(v, w, b_hid))}

        @tf.function(
            input_signature=[
                tf.TensorSpec((), tf.int32, name="num_samples"),
                tf.TensorSpec((), tf.int32, name="num_sweeps"),
                tf.TensorSpec((2,), tf.int64, name="seed"),
            ]
        )
        def sample(num_samples, num_sweeps, seed):
            w, b_vis, b_hid = parameters()
            tf.debugging.assert_positive(num_sweeps, message="`num_sweeps` must be >= 1")

            def bernoulli(probs, draw_seed):
                return tf.cast(tf.random.stateless_uniform(tf.shape(probs), seed=draw_seed) < probs, tf.float32)

            u_seed = tf.random.experimental.stateless_fold_in(seed, 0)
            v = bernoulli(tf.sigmoid(tf.broadcast_to(b_vis, (num_samples, self.n_visible))), u_seed)

            def sweep(s, v, _):
                # Draws 2s + 1 (h) and 2s + 2 (v) of the seed's streams.
                h = bernoulli(
                    tf.sigmoid(_hidden_input(v, w, b_hid)),
                    tf.random.experimental.stateless_fold_in(seed, 2 * s + 1),
                )
                v_prob = _visible_probs(h, w, b_vis)
                v = bernoulli(v_prob, tf.random.experimental.stateless_fold_in(seed, 2 * s + 2))
                return s + 1, v, v_prob

            _, v, v_prob = tf.while_loop(
                lambda s, v, v_prob: s < num_sweeps,
                sweep,
                (tf.constant(0), v, tf.zeros_like(v)),
            )
            shape = tf.concat([[num_samples], self.visible_shape], axis=0)
            return {"samples": tf.reshape(v, shape), "probabilities": tf.reshape(v_prob, shape)}

        return {"hidden_probs": hidden_probs, "free_energy": free_energy_signature, "sample": sample}
