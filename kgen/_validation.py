"""The argument checks of kgen, with the project's one error-message shape.

Every public constructor, method and dataset function checks its arguments
here, so that a value means the same thing everywhere (`np.int64(4)`, a
0-d integer array and a scalar integer tensor all mean 4; `True` is not an
integer) and every refusal reads the same:

```
`{name}` must be {expectation}. Received: {name}={value!r}
```

Each function returns the value converted to a plain Python type (an
`int`, a `float`, a tuple of ints), so the caller stores what it checked,
and raises `ValueError` otherwise. The module imports NumPy only: the CLI
uses it before TensorFlow is loaded.
"""

import math
import numbers

import numpy as np


def _fail(name, expectation, value):
    raise ValueError(f"`{name}` must be {expectation}. Received: {name}={value!r}")


def _as_scalar(value):
    """`value` as a NumPy scalar if it is a number or a 0-d array or tensor, else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (numbers.Number, np.generic)):
        return value
    if getattr(value, "shape", None) is not None and tuple(value.shape) == ():
        try:
            array = np.asarray(value)  # an eager tensor or a 0-d array
        except Exception:  # a symbolic tensor has no value to check
            return None
        return array[()] if array.shape == () else None
    return None


def as_int(value):
    """`value` as a Python int if it is an integer (or a 0-d integer array or tensor), else None.

    Booleans are not integers here, nor are floats with an integral value
    (`4.0`): a count written as a float is more often a mistake than not.
    """
    scalar = _as_scalar(value)
    if scalar is None or isinstance(scalar, (bool, np.bool_)):
        return None
    if isinstance(scalar, numbers.Integral) or (
        isinstance(scalar, np.generic) and np.issubdtype(scalar.dtype, np.integer)
    ):
        return int(scalar)
    return None


def integer(name, value, minimum=None, maximum=None):
    """Checks an integer argument, optionally within `[minimum, maximum]`.

    Args:
        name: the argument's name, as the caller spells it.
        value: the value received.
        minimum, maximum: optional inclusive bounds.

    Returns:
        `value` as a Python `int`.

    Raises:
        ValueError: "`name` must be an int >= minimum. Received: ...".
    """
    result = as_int(value)
    if minimum is not None and maximum is not None:
        expectation = f"an int in [{minimum}, {maximum}]"
    elif minimum is not None:
        expectation = f"an int >= {minimum}"
    elif maximum is not None:
        expectation = f"an int <= {maximum}"
    else:
        expectation = "an int"
    if result is None or (minimum is not None and result < minimum) or (
        maximum is not None and result > maximum
    ):
        _fail(name, expectation, value)
    return result


def positive_int(name, value):
    """An integer >= 1 (a size, a count), as a Python `int`."""
    return integer(name, value, minimum=1)


def non_negative_int(name, value):
    """An integer >= 0 (a number of steps that may be zero), as a Python `int`."""
    return integer(name, value, minimum=0)


def optional_int(name, value, minimum=None):
    """None, or an integer >= `minimum`."""
    if value is None:
        return None
    result = as_int(value)
    if result is None or (minimum is not None and result < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        _fail(name, f"None or an int{bound}", value)
    return result


def seed(value, name="seed"):
    """A seed: None (fresh randomness) or an integer, as a Python `int`."""
    if value is None:
        return None
    result = as_int(value)
    if result is None:
        _fail(name, "None or an int", value)
    return result


def positive_ints(name, values, allow_empty=False):
    """A sequence of integers >= 1 (layer widths, a shape), as a tuple of ints."""
    result = None
    if isinstance(values, (tuple, list)) or (
        isinstance(values, np.ndarray) and values.ndim == 1
    ):
        converted = tuple(as_int(v) for v in values)
        if all(v is not None and v >= 1 for v in converted) and (converted or allow_empty):
            result = converted
    if result is None:
        kind = "a tuple of ints >= 1" if allow_empty else "a non-empty tuple of ints >= 1"
        _fail(name, kind, values)
    return result


def shape(name, value, rank=None):
    """The shape of one example: a tuple of integers >= 1, of `rank` axes if given.

    Args:
        name: the argument's name.
        value: a tuple or list of sizes (NumPy integers accepted).
        rank: an int or a tuple of allowed ranks, or None for any rank >= 1.

    Returns:
        The shape as a tuple of Python ints.
    """
    ranks = (rank,) if isinstance(rank, int) else rank
    result = None
    if isinstance(value, (tuple, list)):
        converted = tuple(as_int(v) for v in value)
        if converted and all(v is not None and v >= 1 for v in converted):
            if ranks is None or len(converted) in ranks:
                result = converted
    if result is None:
        if ranks is None:
            expectation = "a non-empty tuple of ints >= 1"
        else:
            words = " or ".join(str(r) for r in ranks)
            expectation = f"a tuple of {words} ints >= 1"
        _fail(name, expectation, value)
    return result


def event_size_or_shape(name, value):
    """An event size or shape: an integer >= 1 becomes `(n,)`; a shape stays a tuple."""
    size = as_int(value)
    if size is not None:
        if size < 1:
            _fail(name, "a positive int or a non-empty tuple of positive ints", value)
        return (size,)
    if isinstance(value, (tuple, list)):
        converted = tuple(as_int(v) for v in value)
        if converted and all(v is not None and v >= 1 for v in converted):
            return converted
    _fail(name, "a positive int or a non-empty tuple of positive ints", value)


def number(name, value, minimum=None, maximum=None, exclusive_minimum=False,
           exclusive_maximum=False):
    """A finite real number (int or float, not bool) within optional bounds, as a `float`.

    Args:
        name: the argument's name.
        value: the value received (NumPy scalars and 0-d tensors accepted).
        minimum, maximum: optional bounds.
        exclusive_minimum, exclusive_maximum: whether the bounds are excluded.

    Returns:
        `value` as a Python `float`.
    """
    scalar = _as_scalar(value)
    result = None
    if scalar is not None and (
        isinstance(scalar, numbers.Real)
        or (isinstance(scalar, np.generic) and np.issubdtype(scalar.dtype, np.number)
            and not np.issubdtype(scalar.dtype, np.complexfloating))
    ):
        result = float(scalar)
        if not math.isfinite(result):
            result = None
        elif minimum is not None and (result <= minimum if exclusive_minimum else result < minimum):
            result = None
        elif maximum is not None and (result >= maximum if exclusive_maximum else result > maximum):
            result = None
    if result is None:
        _fail(name, _range_words(minimum, maximum, exclusive_minimum, exclusive_maximum), value)
    return result


def _range_words(minimum, maximum, exclusive_minimum, exclusive_maximum):
    if minimum is not None and maximum is not None:
        left = "(" if exclusive_minimum else "["
        right = ")" if exclusive_maximum else "]"
        return f"a number in {left}{minimum:g}, {maximum:g}{right}"
    if minimum is not None:
        if minimum == 0 and exclusive_minimum:
            return "a positive number"
        return f"a number {'>' if exclusive_minimum else '>='} {minimum:g}"
    if maximum is not None:
        return f"a number {'<' if exclusive_maximum else '<='} {maximum:g}"
    return "a finite number"


def positive_number(name, value):
    """A finite number > 0 (a learning rate, a scale), as a `float`."""
    return number(name, value, minimum=0.0, exclusive_minimum=True)


def non_negative_number(name, value):
    """A finite number >= 0 (a loss weight), as a `float`."""
    return number(name, value, minimum=0.0)


def probability(name, value):
    """A number in [0, 1], as a `float`."""
    return number(name, value, minimum=0.0, maximum=1.0)


def choice(name, value, choices):
    """One of `choices` (compared with ==); returns `value`."""
    if not any(isinstance(value, type(c)) and value == c for c in choices):
        _fail(name, f"one of {tuple(choices)!r}", value)
    return value


def boolean(name, value):
    """A bool (NumPy's included), as a Python `bool`."""
    if not isinstance(value, (bool, np.bool_)):
        _fail(name, "a bool", value)
    return bool(value)
