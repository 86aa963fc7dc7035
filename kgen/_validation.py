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
and raises `ValueError` otherwise. `as_int` and `as_number` convert
without raising, for callers that accept something else too (a number or
`"learned"`); `fail` raises the common message for such checks. The module
imports NumPy only: the CLI uses it before TensorFlow is loaded.
"""

import math
import numbers

import numpy as np


def fail(name, expectation, value):
    """Raises the project's one message for a check the functions below do not cover.

    E.g. `fail("scale", 'a positive number or "learned"', scale)` raises
    "`scale` must be a positive number or "learned". Received: scale=...".

    Raises:
        ValueError: always.
    """
    raise ValueError(f"`{name}` must be {expectation}. Received: {name}={value!r}")


def _as_scalar(value):
    """`value` as a number if it is one or a 0-d array or tensor holding one, else None.

    Booleans, dates and time spans (NumPy's `timedelta64` is an integer
    subtype) are not numbers here.
    """
    scalar = value
    if not isinstance(value, (numbers.Number, np.generic)):
        try:
            if tuple(value.shape) != ():
                return None
            array = np.asarray(value)  # an eager tensor or a 0-d array
        except Exception:  # no shape, an unknown rank, or a symbolic tensor's missing value
            return None
        scalar = array[()] if array.shape == () else None
    if isinstance(scalar, (bool, np.bool_, np.datetime64, np.timedelta64)):
        return None
    return scalar


def as_int(value):
    """`value` as a Python int if it is an integer (or a 0-d integer array or tensor), else None.

    Booleans are not integers here, nor are floats with an integral value
    (`4.0`): a count written as a float is more often a mistake than not.
    """
    scalar = _as_scalar(value)
    if scalar is None:
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
        fail(name, expectation, value)
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
        fail(name, f"None or an int{bound}", value)
    return result


def seed(value, name="seed"):
    """A seed: None (fresh randomness) or an integer, as a Python `int`."""
    if value is None:
        return None
    result = as_int(value)
    if result is None:
        fail(name, "None or an int", value)
    return result


def _as_ints(values):
    """`values` as a tuple of ints if it is a sequence or 1-d array of integers, else None."""
    if isinstance(values, (tuple, list)):
        items = values
    else:
        try:
            if len(tuple(values.shape)) != 1:
                return None
            items = list(np.asarray(values))  # a 1-d array or eager tensor
        except Exception:  # no shape, an unknown rank, or a symbolic tensor
            return None
    converted = tuple(as_int(v) for v in items)
    return None if None in converted else converted


def positive_ints(name, values, allow_empty=False):
    """A sequence of integers >= 1 (layer widths, a shape), as a tuple of ints.

    A tuple, a list, a 1-d integer array or a 1-d integer tensor.
    """
    result = _as_ints(values)
    if result is None or any(v < 1 for v in result) or not (result or allow_empty):
        kind = "a tuple of ints >= 1" if allow_empty else "a non-empty tuple of ints >= 1"
        fail(name, kind, values)
    return result


def shape(name, value, rank=None):
    """The shape of one example: a tuple of integers >= 1, of `rank` axes if given.

    Args:
        name: the argument's name.
        value: a tuple, a list or a 1-d integer array of sizes (NumPy
            integers accepted).
        rank: an int or a tuple of allowed ranks, or None for any rank >= 1.

    Returns:
        The shape as a tuple of Python ints.
    """
    ranks = (rank,) if isinstance(rank, int) else rank
    result = _as_ints(value)
    if (
        not result
        or any(v < 1 for v in result)
        or (ranks is not None and len(result) not in ranks)
    ):
        if ranks is None:
            expectation = "a non-empty tuple of ints >= 1"
        else:
            words = " or ".join(str(r) for r in ranks)
            expectation = f"a tuple of {words} ints >= 1"
        fail(name, expectation, value)
    return result


def event_size_or_shape(name, value):
    """An event size or shape: an integer >= 1 becomes `(n,)`; a shape stays a tuple.

    As `tfp.distributions` accepts them: a Python or NumPy integer, a 0-d
    integer array or tensor (e.g. `np.prod((28, 28))`), or a tuple, list or
    1-d integer array of sizes.
    """
    size = as_int(value)
    result = (size,) if size is not None else _as_ints(value)
    if not result or any(v < 1 for v in result):
        fail(name, "a positive int or a non-empty tuple of positive ints", value)
    return result


def as_number(value):
    """`value` as a finite Python float if it is a real number (or a 0-d array or tensor of one), else None.

    Booleans, complex numbers, NaN and infinities are not accepted.
    """
    scalar = _as_scalar(value)
    if scalar is None or not (
        isinstance(scalar, numbers.Real)
        or (isinstance(scalar, np.generic) and np.issubdtype(scalar.dtype, np.number)
            and not np.issubdtype(scalar.dtype, np.complexfloating))
    ):
        return None
    try:
        result = float(scalar)
    except OverflowError:  # an int beyond the float range
        return None
    return result if math.isfinite(result) else None


def _in_range(value, minimum, maximum, exclusive_minimum, exclusive_maximum):
    if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
        return False
    if maximum is not None and (value >= maximum if exclusive_maximum else value > maximum):
        return False
    return True


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
    bounds = (minimum, maximum, exclusive_minimum, exclusive_maximum)
    result = as_number(value)
    if result is None or not _in_range(result, *bounds):
        fail(name, _range_words(*bounds), value)
    return result


def optional_number(name, value, minimum=None, maximum=None, exclusive_minimum=False,
                    exclusive_maximum=False):
    """None, or a number as `number` checks it ("None or a positive number")."""
    if value is None:
        return None
    bounds = (minimum, maximum, exclusive_minimum, exclusive_maximum)
    result = as_number(value)
    if result is None or not _in_range(result, *bounds):
        fail(name, f"None or {_range_words(*bounds)}", value)
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


def interval(name, value):
    """A pair `(low, high)` of finite numbers with `low < high` (axis limits, a value range).

    Returns:
        `(low, high)` as two Python floats.
    """
    result = None
    if isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        if len(value) == 2:
            low, high = (as_number(v) for v in value)
            if low is not None and high is not None and low < high:
                result = (low, high)
    if result is None:
        fail(name, "a pair (low, high) of finite numbers with low < high", value)
    return result


def choice(name, value, choices):
    """One of `choices`; returns the matching choice itself.

    Strings and other values match by type and `==`; an integer choice
    matches any integer `as_int` accepts (so `np.int64(2)` among `(1, 2)`
    returns `2`), a bool choice only a bool, None only None. A None among the
    choices reads "None or one of (...)" in the message.
    """
    for option in choices:
        if option is None:
            matched = value is None
        elif isinstance(option, bool):
            matched = isinstance(value, (bool, np.bool_)) and bool(value) == option
        elif isinstance(option, numbers.Integral):
            matched = as_int(value) == option
        else:
            matched = isinstance(value, type(option)) and value == option
        if matched:
            return option
    others = tuple(option for option in choices if option is not None)
    expectation = f"one of {others!r}"
    if len(others) < len(choices):
        expectation = f"None or {expectation}"
    fail(name, expectation, value)


def boolean(name, value):
    """A bool (NumPy's included), as a Python `bool`."""
    if not isinstance(value, (bool, np.bool_)):
        fail(name, "a bool", value)
    return bool(value)
