"""Keras 3 layers that turn parameter tensors into TFP distributions.

These are the Keras 3 replacement for `tfp.layers.IndependentNormal` and
`tfp.layers.IndependentBernoulli`, which only work with Keras 2 (`tf_keras`).
Each layer takes a tensor of shape `(batch_size, params_size)` (any number of
leading batch axes) and returns a `tfp.distributions.Independent` whose event
shape is the layer's `event_shape`, so that `log_prob(x)` sums over the event
axes and returns one number per example, in nats.

Returning a distribution from `Layer.__call__` works in Keras 3 both eagerly
and inside `tf.function` (so inside `train_step`): Keras only post-processes
outputs of *symbolic* calls. A distribution cannot be a `KerasTensor`, so these
layers cannot be the output of a functional `keras.Model`; call them on real
tensors, e.g. in a subclassed model's `call` or `train_step` (see
`kgen.models.VAE`). `compute_output_spec` below turns Keras' generic error for
that case into one that says what to do.
"""

import math

import keras
import tensorflow_probability as tfp

from kgen import _validation

tfd = tfp.distributions


def _event_shape(event_shape):
    """`event_shape` as a tuple of positive ints (a size `n` becomes `(n,)`), or raises."""
    return _validation.event_size_or_shape("event_shape", event_shape)


class _DistributionLayer(keras.layers.Layer):
    """Shared plumbing: `event_shape`, input checks, reshaping, config.

    Each concrete layer defines the static method `params_size(event_shape)`,
    the number of input parameters per example.
    """

    def __init__(self, event_shape, **kwargs):
        super().__init__(**kwargs)
        self.event_shape = _event_shape(event_shape)
        self.input_spec = keras.layers.InputSpec(
            min_ndim=1, axes={-1: self.params_size(self.event_shape)}
        )

    def _to_event_shape(self, params):
        """`(*batch_shape, prod(event_shape))` -> `(*batch_shape, *event_shape)`."""
        batch_shape = keras.ops.shape(params)[:-1]
        return keras.ops.reshape(params, (*batch_shape, *self.event_shape))

    def _independent(self, distribution):
        """Treats the trailing `len(event_shape)` axes as one event."""
        return tfd.Independent(
            distribution, reinterpreted_batch_ndims=len(self.event_shape)
        )

    def compute_output_spec(self, params):
        # Keras 3 calls this only for symbolic inputs (`keras.Input`), where every
        # output must be a `KerasTensor`. A distribution is not, so fail here with
        # advice instead of with Keras' generic "returned a non-tensor" error.
        raise TypeError(
            f"`{type(self).__name__}` returns a `tfp.distributions` object, which "
            "cannot be the output of a functional `keras.Model`. Call the layer "
            "on real tensors, e.g. inside a subclassed model's `call` or "
            f"`train_step`. Received: params={params!r}"
        )

    def get_config(self):
        base_config = super().get_config()
        config = {"event_shape": self.event_shape}
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="kgen")
class IndependentNormal(_DistributionLayer):
    """A diagonal Gaussian whose mean and scale both come from the input.

    The Keras 3 replacement for `tfp.layers.IndependentNormal`. The input is
    split in half along its last axis into `loc` and `raw_scale`, and

    ```
    scale = softplus(raw_scale) + epsilon
    p(x) = prod_i Normal(x_i; loc_i, scale_i)
    ```

    the product running over the `prod(event_shape)` event dimensions, so
    `log_prob` returns one value (in nats) per batch element. `softplus` keeps
    the scale positive with a gradient everywhere; `epsilon` bounds it away from
    zero so that `log_prob` stays finite on data the model fits exactly.

    Args:
        event_shape: int or tuple of ints (NumPy integers and 0-d integer
            arrays or tensors too, as TFP takes them), the shape of one draw `x`.
        epsilon: float >= 0, the smallest possible scale.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch_size, 2 * prod(event_shape))`: `loc` then `raw_scale`, each
        flattened in row-major order. More leading batch axes are allowed.

    Output:
        A `tfd.Independent(tfd.Normal(loc, scale))` with batch shape
        `(batch_size,)` and event shape `event_shape`.

    Example:

    >>> layer = IndependentNormal(event_shape=3)
    >>> IndependentNormal.params_size(3)
    6
    >>> dist = layer(keras.ops.zeros((2, 6)))
    >>> dist.log_prob(keras.ops.zeros((2, 3))).shape
    TensorShape([2])
    """

    def __init__(self, event_shape, epsilon=1e-5, **kwargs):
        super().__init__(event_shape, **kwargs)
        self.epsilon = _validation.non_negative_number("epsilon", epsilon)

    @staticmethod
    def params_size(event_shape):
        """Number of input units needed: `2 * prod(event_shape)`."""
        return 2 * math.prod(_event_shape(event_shape))

    def call(self, params):
        loc, raw_scale = keras.ops.split(params, 2, axis=-1)
        scale = keras.ops.softplus(raw_scale) + self.epsilon
        return self._independent(
            tfd.Normal(
                loc=self._to_event_shape(loc), scale=self._to_event_shape(scale)
            )
        )

    def get_config(self):
        base_config = super().get_config()
        config = {"epsilon": self.epsilon}
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="kgen")
class IndependentBernoulli(_DistributionLayer):
    """Independent Bernoulli variables parameterised by their logits.

    The Keras 3 replacement for `tfp.layers.IndependentBernoulli`:

    ```
    p_i = sigmoid(logits_i)
    p(x) = prod_i p_i^x_i (1 - p_i)^(1 - x_i)
    ```

    Samples are float32 zeros and ones. `log_prob` is the negative sigmoid
    cross-entropy summed over the event, so it also accepts grey values in
    [0, 1] (the usual, if not normalised, likelihood for MNIST-like images).

    Args:
        event_shape: int or tuple of ints (NumPy integers and 0-d integer
            arrays or tensors too, as TFP takes them), the shape of one draw `x`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch_size, prod(event_shape))`: the logits, flattened in row-major
        order. More leading batch axes are allowed.

    Output:
        A `tfd.Independent(tfd.Bernoulli(logits=logits, dtype="float32"))` with
        batch shape `(batch_size,)` and event shape `event_shape`.
    """

    @staticmethod
    def params_size(event_shape):
        """Number of input units needed: `prod(event_shape)`."""
        return math.prod(_event_shape(event_shape))

    def call(self, params):
        return self._independent(
            tfd.Bernoulli(logits=self._to_event_shape(params), dtype="float32")
        )


@keras.saving.register_keras_serializable(package="kgen")
class IndependentGaussian(_DistributionLayer):
    """A diagonal Gaussian with the mean from the input and a shared scale.

    ```
    p(x) = prod_i Normal(x_i; loc_i, scale)
    ```

    `scale` is either a fixed positive float or, with `scale="learned"`, one
    trainable scalar `scale = softplus(raw_scale) + epsilon` shared by all event
    dimensions (created in `build`, initialised to `initial_scale`). A learned
    shared scale calibrates a Gaussian decoder's likelihood (the sigma-VAE,
    arXiv 2006.13202) without the instability of one scale per pixel. Use
    `IndependentNormal` when the network should predict the scales.

    Args:
        event_shape: int or tuple of ints (NumPy integers and 0-d integer
            arrays or tensors too, as TFP takes them), the shape of one draw `x`.
        scale: positive float, or `"learned"`.
        initial_scale: positive float, the starting value of a learned scale.
        epsilon: float >= 0, the smallest possible learned scale.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch_size, prod(event_shape))`: the means, flattened in row-major
        order. More leading batch axes are allowed.

    Output:
        A `tfd.Independent(tfd.Normal(loc, scale))` with batch shape
        `(batch_size,)` and event shape `event_shape`.
    """

    def __init__(
        self, event_shape, scale=1.0, initial_scale=1.0, epsilon=1e-3, **kwargs
    ):
        super().__init__(event_shape, **kwargs)
        if not (isinstance(scale, str) and scale == "learned"):
            number = _validation.as_number(scale)
            if number is None or number <= 0:
                _validation.fail("scale", 'a positive number or "learned"', scale)
            scale = number
        self.scale = scale
        self.epsilon = _validation.non_negative_number("epsilon", epsilon)
        # The learned scale is softplus(raw) + epsilon > epsilon.
        self.initial_scale = _validation.number(
            "initial_scale", initial_scale, minimum=self.epsilon, exclusive_minimum=True
        )

    @staticmethod
    def params_size(event_shape):
        """Number of input units needed: `prod(event_shape)`."""
        return math.prod(_event_shape(event_shape))

    def build(self, input_shape):
        if self.scale == "learned":
            # softplus^-1(s) = log(exp(s) - 1), so the first scale is `initial_scale`.
            raw = math.log(math.expm1(self.initial_scale - self.epsilon))
            self.raw_scale = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(raw),
                name="raw_scale",
            )

    def call(self, params):
        loc = self._to_event_shape(params)
        if self.scale == "learned":
            scale = keras.ops.softplus(self.raw_scale) + self.epsilon
        else:
            scale = self.scale
        # `tfd.Normal` broadcasts the scalar scale against `loc`.
        scale = keras.ops.cast(scale, loc.dtype)
        return self._independent(tfd.Normal(loc=loc, scale=scale))

    def get_config(self):
        base_config = super().get_config()
        config = {
            "scale": self.scale,
            "initial_scale": self.initial_scale,
            "epsilon": self.epsilon,
        }
        return {**base_config, **config}
