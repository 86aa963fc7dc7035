"""The check of a model's data on the first batch of `fit` and `evaluate`.

A model declares the values it is trained on (`Model.data_value_range`:
`[0, 1]` for a Bernoulli likelihood or binary units, `[-1, 1]` for a `tanh`
generator, `(-inf, inf)` for a Gaussian likelihood or a linear output).
Data in another range train without an error but to nothing useful (a
Bernoulli VAE fed 0-255 pixels reaches a "loss" of -1e6 nats), so
`Model.fit` and `Model.evaluate` look at the first batch before Keras' loop
starts and raise a `ValueError` that names the expected range, the range
found and the usual fix.

How the first batch is read, by kind of input (each costs one batch, once
per call, in Python, before any tracing: so `jit_compile`,
`steps_per_execution` and `tf.distribute` do not change it):

- arrays and tensors: the first `batch_size` rows (32 by default);
- `tf.data.Dataset`: its first element, from a new iterator (a pipeline
  with `shuffle` fills its buffer once more, as Keras does itself under a
  `tf.distribute` strategy);
- `keras.utils.PyDataset`: `dataset[0]`;
- a Python generator: its first element, put back in front of the rest
  (`fit` receives a new generator that yields it first).

Other inputs (a distributed dataset, a PyTorch `DataLoader`, a dict of
inputs) are not checked, nor are `train_on_batch` and `test_on_batch`
(called once per step). The batch's `x` is what
`keras.utils.unpack_x_y_sample_weight` gives (images, not labels).

The rules, for an expected `[low, high]`:

- every value must be finite (NaN or infinite values raise for every model);
- values must lie in `[low, high]`, up to float32 rounding (`_TOLERANCE`);
  a bounded range is not relaxed further, since e.g. a Bernoulli
  log-likelihood is unbounded above for a pixel of 1.03;
- a range symmetric about 0 (`[-1, 1]`) must be reached below 0: a batch
  with no negative value is, almost surely, images still in [0, 1] (every
  image in [-1, 1] with a pixel darker than mid-grey has one).
"""

import math
import types

import keras
import numpy as np
import tensorflow as tf

# Slack for float rounding of data scaled into the range (x / 255, 2x - 1).
_TOLERANCE = 1e-6
# Rows of array data `fit` batches when `batch_size` is None (Keras' default).
DEFAULT_BATCH_SIZE = 32
_OPT_OUT = "To train on them anyway, pass check_data_range=False."


def first_batch(x, batch_size=None):
    """The first batch of `x` as `fit` would draw it (unshuffled), and `x` to pass on.

    Args:
        x: what `fit` or `evaluate` received as `x` (or `validation_data`'s
            inputs).
        batch_size: the rows of array data per batch; `None` means 32.

    Returns:
        `(batch, x)`: `batch`, the inputs of the first batch as a NumPy
        array, or `None` if `x` is of a kind that is not checked (see the
        module docstring); `x`, the data to hand to Keras: `x` itself, or
        for a generator a new generator that yields the peeked element first.
    """
    if x is None:
        return None, x
    if isinstance(x, tf.data.Dataset):
        element = next(iter(x.take(1)), None)
        return _inputs(element), x
    if isinstance(x, keras.utils.PyDataset):
        return (_inputs(x[0]) if len(x) else None), x
    if isinstance(x, types.GeneratorType):
        try:
            element = next(x)
        except StopIteration:
            return None, _chain((), x)
        return _inputs(element), _chain((element,), x)
    if hasattr(x, "shape") and hasattr(x, "__getitem__") and len(x.shape) >= 1:
        return as_array(x[: batch_size or DEFAULT_BATCH_SIZE]), x
    return None, x


def _chain(head, generator):
    """A generator that yields the elements of `head`, then those of `generator`."""
    yield from head
    yield from generator


def _inputs(element):
    """The `x` of a dataset element `x`, `(x,)`, `(x, y)` or `(x, y, w)`, as an array or None."""
    if element is None:
        return None
    x, _, _ = keras.utils.unpack_x_y_sample_weight(element)
    return as_array(x)


def as_array(x):
    """`x` as a NumPy array of floats, or None when it is not one tensor (a dict, a list).

    A `scipy.sparse` matrix (its rows, `x[:n]`) is made dense; a
    `tf.SparseTensor` or `tf.RaggedTensor` is not checked.
    """
    if type(x).__module__.startswith("scipy.sparse") and hasattr(x, "toarray"):
        return np.asarray(x.toarray(), dtype=np.float64)
    if not hasattr(x, "shape") or isinstance(x, (tf.SparseTensor, tf.RaggedTensor)):
        return None
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def check(batch, value_range, model_name, name="x"):
    """Raises a `ValueError` unless the values of `batch` suit `value_range`.

    Args:
        batch: a NumPy array (the first batch), or None (nothing to check).
        value_range: `(low, high)`, the model's `data_value_range`; either
            bound may be infinite.
        model_name: the model's class name, for the message.
        name: the argument's name in the message (`x`, `validation_data`).

    Raises:
        ValueError: for NaN or infinite values, values outside
            `[low, high]`, or, for a range symmetric about 0, no negative
            value; the message names the range expected, the range found
            and how to fix the data.
    """
    if batch is None or batch.size == 0:
        return
    low, high = value_range
    expected = _interval(low, high)
    non_finite = int(batch.size - np.count_nonzero(np.isfinite(batch)))
    if non_finite:
        raise ValueError(
            f"`{name}` must hold finite numbers in {expected} for {model_name}. "
            f"Received: {non_finite} NaN or infinite values in the first batch of {name} "
            f"(remove or replace them, e.g. with np.nan_to_num)"
        )
    found_low, found_high = float(batch.min()), float(batch.max())
    outside = found_low < low - _TOLERANCE * max(1.0, abs(low)) or (
        found_high > high + _TOLERANCE * max(1.0, abs(high))
    )
    upper_half_only = math.isfinite(low) and low == -high and found_low >= 0.0
    if outside or upper_half_only:
        raise ValueError(
            f"`{name}` must be in {expected} for {model_name}. Received: {name} from "
            f"{found_low:g} to {found_high:g} in the first batch. "
            f"{_suggestion(low, high, found_low, found_high)} {_OPT_OUT}"
        )


def _interval(low, high):
    if math.isinf(low) and math.isinf(high):
        return "(-inf, inf)"
    return f"[{low:g}, {high:g}]"


def _suggestion(low, high, found_low, found_high):
    """The likely fix for data in `[found_low, found_high]` where `[low, high]` is expected."""
    pixels = found_low >= 0.0 and 1.0 < found_high <= 255.0
    unit = found_low >= 0.0 and found_high <= 1.0
    if (low, high) == (0.0, 1.0):
        if pixels:
            return "These look like 0-255 pixel values: divide them by 255 (x / 255)."
        if found_low >= -1.0 and found_high <= 1.0:
            return "These look like values in [-1, 1]: map them with kgen.datasets.from_tanh_range(x)."
    if (low, high) == (-1.0, 1.0):
        if unit:
            return "These look like values in [0, 1]: map them with kgen.datasets.to_tanh_range(x)."
        if pixels:
            return ("These look like 0-255 pixel values: map them with "
                    "kgen.datasets.to_tanh_range(x / 255).")
        return ("Scale the data into [-1, 1], or give the generator a linear output "
                "(e.g. GAN.mlp(..., output_activation=None)) for data of any range.")
    return f"Scale the data into {_interval(low, high)}."

