"""Keras 3 layers that turn parameter tensors into TFP distributions.

These are the Keras 3 replacement for `tfp.layers.IndependentNormal` and
`tfp.layers.IndependentBernoulli`, which only work with Keras 2 (`tf_keras`).
Each layer takes a tensor of shape `(batch_size, params_size)` (any number of
leading batch axes) and returns a `tfp.distributions.Independent` whose event
shape is the layer's `event_shape`, so that `log_prob(x)` sums over the event
axes and returns one number per example, in nats.

The `tfp.layers` habits work as they did with Keras 2:

```python
model = keras.Sequential([
    keras.layers.Dense(IndependentNormal.params_size(8)),
    IndependentNormal(8),  # or IndependentNormal(8, tfd.Distribution.mean)
])
model.compile("adam", loss=lambda y, rv: -rv.log_prob(y))
model.fit(x, y)
rv = model(x)          # a distribution: rv.log_prob(y), rv.mean(), ...
model.predict(x)       # NumPy values of `convert_to_tensor_fn(rv)`
```

How a distribution travels through a Keras 3 model. Keras 3 builds
`Sequential` and functional models from symbolic `KerasTensor`s and, in
`compile`'s losses, converts `y_pred` with `keras.ops.convert_to_tensor`. The
layers therefore return a `tfd.Independent` subclass that is also tensor-like:

- `compute_output_spec` gives Keras the shape and dtype of
  `convert_to_tensor_fn(distribution)` (found by tracing it once), so the layer
  can be a model's output or feed further layers;
- a conversion function registered with `tf.register_tensor_conversion_function`
  makes `tf.convert_to_tensor(rv)`, `np.asarray(rv)`, TensorFlow ops and the
  next layer see `convert_to_tensor_fn(rv)` (`tfd.Distribution.sample` by
  default, as in TFP; `mean`, `mode`, `stddev`, `variance` or any callable).
  The value is computed on first use and reused, so one distribution stands
  for one draw wherever it is converted within a graph;
- the distribution has `shape`, `dtype` and `is_tensor_like` (so `tf.is_tensor`
  is true), so Keras passes it to a loss unchanged and `lambda y, rv:
  -rv.log_prob(y)` works in `compile` and `fit`; it is a `CompositeTensor`
  (TFP's auto composite tensors), so `predict` can return it from its
  `tf.function` and then turns it into the converted NumPy values.

Limits. `keras.ops.convert_to_tensor(rv)` returns `rv` itself (Keras takes it
for a tensor); use `tf.convert_to_tensor` or `np.asarray` for the value.
Keras casts `y_pred` to the loss dtype (`keras.config.floatx()`, float32
unless changed) before calling the loss, and a cast turns the distribution
into its value: an NLL loss needs a distribution of that dtype, and targets
`y` of shape `(batch_size, *event_shape)` (Keras would otherwise squeeze or
expand `y_pred`, converting it too). A model saved with a lambda loss reloads
with `compile=False` (or the loss in `custom_objects`), as for any lambda.
This relies on how Keras 3 treats tensor-like objects (checked with Keras
3.15); `tests/test_distribution_layers.py` fails if a release changes it.
"""

import math
import warnings

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import _validation

tfd = tfp.distributions

# The `convert_to_tensor_fn`s saved by name, as in `tfp.layers`. Each returns
# a tensor of shape `batch_shape + event_shape`.
_NAMED_CONVERT_TO_TENSOR_FNS = {
    "sample": tfd.Distribution.sample,
    "mean": tfd.Distribution.mean,
    "mode": tfd.Distribution.mode,
    "stddev": tfd.Distribution.stddev,
    "variance": tfd.Distribution.variance,
}


def _event_shape(event_shape):
    """`event_shape` as a tuple of positive ints (a size `n` becomes `(n,)`), or raises."""
    return _validation.event_size_or_shape("event_shape", event_shape)


class _WrappedProperty:
    """Reads a property of the wrapped distribution, e.g. `tfd.Bernoulli.logits`.

    `tfp.layers` users write `IndependentBernoulli(shape, tfd.Bernoulli.logits)`;
    the layers return an `Independent`, so the property is read from its
    `distribution`. Saved by the property's name.
    """

    def __init__(self, name):
        self.name = name

    def __call__(self, distribution):
        wrapped = distribution.distribution
        # A Bernoulli built from logits has `probs=None`; its `probs_parameter()`
        # computes them (and `logits_parameter()` the logits, either way).
        parameter = getattr(wrapped, f"{self.name}_parameter", None)
        return parameter() if parameter is not None else getattr(wrapped, self.name)

    def __eq__(self, other):
        return isinstance(other, _WrappedProperty) and other.name == self.name

    def __hash__(self):
        return hash((_WrappedProperty, self.name))


def _convert_to_tensor_fn(value, distribution_class):
    """The callable `distribution -> tensor` that `value` names, or raises.

    Accepts what `tfp.layers` accepts: a name in `_NAMED_CONVERT_TO_TENSOR_FNS`
    or the function itself (`tfd.Distribution.sample`), a property of
    `distribution_class` (the wrapped class, e.g. `tfd.Bernoulli.logits`) or its
    name, any callable, and the dict `keras.saving.serialize_keras_object` makes
    of a callable.
    """
    if isinstance(value, dict):
        value = keras.saving.deserialize_keras_object(value)
    if isinstance(value, property) and value.fget is not None:
        value = value.fget.__name__
    if isinstance(value, str):
        if value in _NAMED_CONVERT_TO_TENSOR_FNS:
            return _NAMED_CONVERT_TO_TENSOR_FNS[value]
        if isinstance(getattr(distribution_class, value, None), property):
            return _WrappedProperty(value)
    elif callable(value):
        return value
    _validation.fail(
        "convert_to_tensor_fn",
        "a callable `distribution -> tensor` such as `tfd.Distribution.sample`, "
        f"one of {tuple(_NAMED_CONVERT_TO_TENSOR_FNS)}, or a property of "
        f"`tfd.{distribution_class.__name__}`",
        value,
    )


def _serialize_convert_to_tensor_fn(fn):
    """A name for the standard functions and properties, else Keras' serialisation."""
    for name, named_fn in _NAMED_CONVERT_TO_TENSOR_FNS.items():
        if fn is named_fn:
            return name
    if isinstance(fn, _WrappedProperty):
        return fn.name
    return keras.saving.serialize_keras_object(fn)


class _TensorCoercibleIndependent(tfd.Independent):
    """A `tfd.Independent` that TensorFlow and Keras can also use as a tensor.

    Its value as a tensor is `convert_to_tensor_fn(self)`, computed on first
    use in each graph (or eagerly) and then reused. See the module docstring
    for how Keras 3 uses it.
    """

    def __init__(
        self,
        distribution,
        reinterpreted_batch_ndims,
        convert_to_tensor_fn=tfd.Distribution.sample,
        validate_args=False,
        name=None,
    ):
        parameters = dict(locals())
        super().__init__(
            distribution,
            reinterpreted_batch_ndims=reinterpreted_batch_ndims,
            validate_args=validate_args,
            name=name,
        )
        # TFP rebuilds the distribution from `parameters` (e.g. when it leaves
        # a `tf.function`), so they must include `convert_to_tensor_fn`.
        self._parameters = parameters
        self._convert_to_tensor_fn = convert_to_tensor_fn
        self._concrete_value = None
        self._concrete_value_graph = None

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        # The tensor parameters are those of `Independent`.
        return tfd.Independent._parameter_properties(dtype, num_classes=num_classes)

    def _value(self, dtype=None, name=None, as_ref=False):
        """`convert_to_tensor_fn(self)` as a tensor, the same one on every call in a graph."""
        del as_ref  # distributions are not references
        graph = tf.compat.v1.get_default_graph()
        if self._concrete_value is None or self._concrete_value_graph is not graph:
            value = tf.convert_to_tensor(self._convert_to_tensor_fn(self))
            self._concrete_value, self._concrete_value_graph = value, graph
        return tf.convert_to_tensor(self._concrete_value, dtype=dtype, name=name)

    def is_tensor_like(self):
        """Marks the distribution as a tensor for `tf.is_tensor` (and so for Keras)."""
        return True

    @property
    def shape(self):
        """The static shape of the value: `batch_shape + event_shape` for the named functions."""
        named_fns = _NAMED_CONVERT_TO_TENSOR_FNS.values()
        if any(self._convert_to_tensor_fn is fn for fn in named_fns):
            # Known without drawing a sample (Keras reads shapes in every loss).
            return self.batch_shape.concatenate(self.event_shape)
        return self._value().shape

    def numpy(self):
        """The value as a NumPy array (eager only), as `tf.Tensor.numpy`."""
        return self._value().numpy()

    def __array__(self, dtype=None, copy=None):
        del copy  # the value is always copied out of TensorFlow
        return np.asarray(self.numpy(), dtype=dtype)


tf.register_tensor_conversion_function(
    _TensorCoercibleIndependent,
    lambda value, dtype=None, name=None, as_ref=False: value._value(
        dtype=dtype, name=name, as_ref=as_ref
    ),
)


class _DistributionLayer(keras.layers.Layer):
    """Shared plumbing: `event_shape`, `convert_to_tensor_fn`, input checks, config.

    Each concrete layer defines the static method `params_size(event_shape)`,
    the number of input parameters per example, `_distribution_class` (what
    it wraps, for `convert_to_tensor_fn` properties), and `call`, which builds
    the distribution over the event axes and wraps it with `_independent`.
    """

    def __init__(
        self,
        event_shape,
        convert_to_tensor_fn=tfd.Distribution.sample,
        validate_args=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.event_shape = _event_shape(event_shape)
        self.convert_to_tensor_fn = _convert_to_tensor_fn(
            convert_to_tensor_fn, self._distribution_class
        )
        self.validate_args = _validation.boolean("validate_args", validate_args)
        self.input_spec = keras.layers.InputSpec(
            min_ndim=1, axes={-1: self.params_size(self.event_shape)}
        )

    def _to_event_shape(self, params):
        """`(*batch_shape, prod(event_shape))` -> `(*batch_shape, *event_shape)`."""
        batch_shape = keras.ops.shape(params)[:-1]
        return keras.ops.reshape(params, (*batch_shape, *self.event_shape))

    def _independent(self, distribution):
        """Treats the trailing `len(event_shape)` axes as one event."""
        return _TensorCoercibleIndependent(
            distribution,
            reinterpreted_batch_ndims=len(self.event_shape),
            convert_to_tensor_fn=self.convert_to_tensor_fn,
            validate_args=self.validate_args,
        )

    def compute_output_spec(self, params):
        # Keras calls this for symbolic inputs (`keras.Input`, `Sequential`),
        # where the output must be a `KerasTensor`: that of the distribution's
        # value, whose shape and dtype depend on `convert_to_tensor_fn`, so
        # trace the conversion once to read them.
        def value(params):
            return tf.convert_to_tensor(self.call(params))

        spec = tf.TensorSpec(params.shape, params.dtype)
        output = tf.function(value).get_concrete_function(spec).structured_outputs
        return keras.KerasTensor(output.shape, dtype=output.dtype.name)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "event_shape": self.event_shape,
            "convert_to_tensor_fn": _serialize_convert_to_tensor_fn(
                self.convert_to_tensor_fn
            ),
            "validate_args": self.validate_args,
        }
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="kgen")
class IndependentNormal(_DistributionLayer):
    """A diagonal Gaussian whose mean and scale both come from the input.

    The Keras 3 replacement for `tfp.layers.IndependentNormal`, with its
    arguments in the same order. The input is split in half along its last
    axis into `loc` and `raw_scale`, and

    ```
    scale = softplus(raw_scale) + epsilon
    p(x) = prod_i Normal(x_i; loc_i, scale_i)
    ```

    the product running over the `prod(event_shape)` event dimensions, so
    `log_prob` returns one value (in nats) per batch element. `softplus` keeps
    the scale positive with a gradient everywhere; `epsilon` bounds it away from
    zero so that `log_prob` stays finite on data the model fits exactly.

    TFP's layer has no floor (`epsilon=0`). With the default floor, where the
    network's scale `s = softplus(raw_scale)` is not much larger than
    `epsilon`, `log_prob` differs from TFP's: at `x = loc` it is lower by
    `log((s + epsilon) / s)` nats per dimension (`log 2` at `s = epsilon`,
    about `epsilon / s` for `s >> epsilon`), and where `|x - loc|` is several
    `s` it is higher (the floor widens the density). Pass `epsilon=0` for
    TFP's numbers exactly (then `log_prob` is infinite where `softplus`
    underflows to 0).

    Args:
        event_shape: int or tuple of ints (NumPy integers and 0-d integer
            arrays or tensors too, as TFP takes them), the shape of one draw `x`.
        convert_to_tensor_fn: how the distribution becomes a tensor when one is
            needed (`tf.convert_to_tensor`, a following layer, `predict`): a
            callable `distribution -> tensor`, or `"sample"` (default, as
            `tfd.Distribution.sample`), `"mean"`, `"mode"`, `"stddev"`,
            `"variance"`, or a property of `tfd.Normal` (`"loc"`, `"scale"`).
            Other callables are saved with `keras.saving.serialize_keras_object`
            (register them to reload).
        validate_args: bool, passed to the distributions (checks that the
            scale is positive, at some cost).
        epsilon: float >= 0, the smallest possible scale (see above). Before
            `convert_to_tensor_fn` existed it was the second argument; a
            number there is still read as `epsilon`, with a warning.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch_size, 2 * prod(event_shape))`: `loc` then `raw_scale`, each
        flattened in row-major order. More leading batch axes are allowed.

    Output:
        A `tfd.Independent(tfd.Normal(loc, scale))` with batch shape
        `(batch_size,)` and event shape `event_shape`; as a tensor, of shape
        `(batch_size, *event_shape)` for the named `convert_to_tensor_fn`s.

    Example:

    >>> layer = IndependentNormal(event_shape=3)
    >>> IndependentNormal.params_size(3)
    6
    >>> dist = layer(keras.ops.zeros((2, 6)))
    >>> dist.log_prob(keras.ops.zeros((2, 3))).shape
    TensorShape([2])
    """

    _distribution_class = tfd.Normal

    def __init__(
        self,
        event_shape,
        convert_to_tensor_fn=tfd.Distribution.sample,
        validate_args=False,
        epsilon=1e-5,
        **kwargs,
    ):
        if _validation.as_number(convert_to_tensor_fn) is not None:
            # The signature was `(event_shape, epsilon=1e-5)` before the
            # `tfp.layers` order; keep such calls working.
            warnings.warn(
                "`IndependentNormal(event_shape, epsilon)` is deprecated: the "
                "second argument is now `convert_to_tensor_fn`, as in "
                "`tfp.layers`. Pass `epsilon=` by keyword. Received: "
                f"convert_to_tensor_fn={convert_to_tensor_fn!r}",
                DeprecationWarning,
                stacklevel=2,
            )
            epsilon, convert_to_tensor_fn = convert_to_tensor_fn, "sample"
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, **kwargs)
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
                loc=self._to_event_shape(loc),
                scale=self._to_event_shape(scale),
                validate_args=self.validate_args,
            )
        )

    def get_config(self):
        base_config = super().get_config()
        config = {"epsilon": self.epsilon}
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="kgen")
class IndependentBernoulli(_DistributionLayer):
    """Independent Bernoulli variables parameterised by their logits.

    The Keras 3 replacement for `tfp.layers.IndependentBernoulli`, with its
    arguments in the same order:

    ```
    p_i = sigmoid(logits_i)
    p(x) = prod_i p_i^x_i (1 - p_i)^(1 - x_i)
    ```

    Samples are zeros and ones of `sample_dtype`, by default the dtype of the
    logits (the layer's compute dtype, float32 unless set), and `log_prob`
    computes in that dtype. `log_prob` is the negative sigmoid cross-entropy
    summed over the event, so it also accepts grey values in [0, 1] (the usual,
    if not normalised, likelihood for MNIST-like images) while `sample_dtype`
    is a float type.

    Args:
        event_shape: int or tuple of ints (NumPy integers and 0-d integer
            arrays or tensors too, as TFP takes them), the shape of one draw `x`.
        convert_to_tensor_fn: how the distribution becomes a tensor (see
            `IndependentNormal`); also a property of `tfd.Bernoulli`,
            `tfd.Bernoulli.logits` or `tfd.Bernoulli.probs` (or their names),
            read from the wrapped Bernoulli.
        sample_dtype: None or a dtype name, the dtype of samples (and of the
            `x` that `log_prob` reads). None: the dtype of the logits.
        validate_args: bool, passed to the distributions.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch_size, prod(event_shape))`: the logits, flattened in row-major
        order. More leading batch axes are allowed.

    Output:
        A `tfd.Independent(tfd.Bernoulli(logits=logits, dtype=sample_dtype))`
        with batch shape `(batch_size,)` and event shape `event_shape`.
    """

    _distribution_class = tfd.Bernoulli

    def __init__(
        self,
        event_shape,
        convert_to_tensor_fn=tfd.Distribution.sample,
        sample_dtype=None,
        validate_args=False,
        **kwargs,
    ):
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, **kwargs)
        if sample_dtype is not None:
            try:
                sample_dtype = keras.backend.standardize_dtype(sample_dtype)
            except (TypeError, ValueError):
                _validation.fail("sample_dtype", "None or a dtype name", sample_dtype)
        self.sample_dtype = sample_dtype

    @staticmethod
    def params_size(event_shape):
        """Number of input units needed: `prod(event_shape)`."""
        return math.prod(_event_shape(event_shape))

    def call(self, params):
        return self._independent(
            tfd.Bernoulli(
                logits=self._to_event_shape(params),
                dtype=self.sample_dtype or params.dtype,
                validate_args=self.validate_args,
            )
        )

    def get_config(self):
        base_config = super().get_config()
        config = {"sample_dtype": self.sample_dtype}
        return {**base_config, **config}


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
    `IndependentNormal` when the network should predict the scales. (No
    `tfp.layers` counterpart.)

    Args:
        event_shape: int or tuple of ints (NumPy integers and 0-d integer
            arrays or tensors too, as TFP takes them), the shape of one draw `x`.
        scale: positive float, or `"learned"`.
        initial_scale: positive float, the starting value of a learned scale.
        epsilon: float >= 0, the smallest possible learned scale.
        convert_to_tensor_fn: how the distribution becomes a tensor (see
            `IndependentNormal`).
        validate_args: bool, passed to the distributions.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch_size, prod(event_shape))`: the means, flattened in row-major
        order. More leading batch axes are allowed.

    Output:
        A `tfd.Independent(tfd.Normal(loc, scale))` with batch shape
        `(batch_size,)` and event shape `event_shape`.
    """

    _distribution_class = tfd.Normal

    def __init__(
        self,
        event_shape,
        scale=1.0,
        initial_scale=1.0,
        epsilon=1e-3,
        convert_to_tensor_fn=tfd.Distribution.sample,
        validate_args=False,
        **kwargs,
    ):
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, **kwargs)
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
        return self._independent(
            tfd.Normal(loc=loc, scale=scale, validate_args=self.validate_args)
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "scale": self.scale,
            "initial_scale": self.initial_scale,
            "epsilon": self.epsilon,
        }
        return {**base_config, **config}
