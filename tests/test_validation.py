"""Tests for kgen._validation: what each check accepts, converts and refuses, and its message."""

import math
import re

import numpy as np
import pytest
import tensorflow as tf

from kgen import _validation as v


def _message(name, expectation, value):
    """The expected message as a regular expression matching the whole text."""
    return "^" + re.escape(f"`{name}` must be {expectation}. Received: {name}={value!r}") + "$"


# Integers.

INT_FOUR = [4, np.int64(4), np.int32(4), np.uint8(4), np.array(4), np.array(4, dtype=np.int16), tf.constant(4)]
NOT_INTS = [True, False, np.bool_(True), np.array(True), tf.constant(True), 4.0, np.float64(4.0), np.array(4.0),
            tf.constant(4.0), "4", None, [4], (4,), np.array([4]), tf.constant([4]), 4 + 0j,
            np.timedelta64(4, "s"), float("nan"), float("inf")]


@pytest.mark.parametrize("value", INT_FOUR, ids=repr)
def test_as_int_reads_every_integer_type_as_a_python_int(value):
    result = v.as_int(value)
    assert result == 4 and type(result) is int


@pytest.mark.parametrize("value", NOT_INTS, ids=repr)
def test_as_int_refuses_bools_floats_and_arrays(value):
    assert v.as_int(value) is None


def test_as_int_refuses_a_symbolic_tensor_without_error():
    seen = []

    @tf.function(input_signature=[tf.TensorSpec(None, tf.int32)])
    def unknown_rank(x):
        seen.append(v.as_int(x))
        return x

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def scalar(x):
        seen.append(v.as_int(x))
        return x

    unknown_rank.get_concrete_function()
    scalar.get_concrete_function()
    assert seen == [None, None]


@pytest.mark.parametrize("value", INT_FOUR, ids=repr)
def test_integer_checks_return_python_ints(value):
    for check in (v.positive_int, v.non_negative_int):
        result = check("n", value)
        assert result == 4 and type(result) is int
    assert v.integer("n", value, minimum=4, maximum=4) == 4
    assert v.optional_int("n", value, minimum=1) == 4


@pytest.mark.parametrize("value", NOT_INTS + [0, -1, np.int64(0), np.array(-3), tf.constant(0)], ids=repr)
def test_positive_int_message(value):
    with pytest.raises(ValueError, match=_message("n", "an int >= 1", value)):
        v.positive_int("n", value)


def test_non_negative_int_accepts_zero_and_refuses_negatives():
    assert v.non_negative_int("steps", 0) == 0
    assert v.non_negative_int("steps", np.int64(0)) == 0
    with pytest.raises(ValueError, match=_message("steps", "an int >= 0", -1)):
        v.non_negative_int("steps", -1)
    with pytest.raises(ValueError, match=_message("steps", "an int >= 0", 0.0)):
        v.non_negative_int("steps", 0.0)


def test_integer_bounds_are_inclusive():
    assert v.integer("k", 2, minimum=2, maximum=5) == 2
    assert v.integer("k", 5, minimum=2, maximum=5) == 5
    assert v.integer("k", -10) == -10
    for value in (1, 6):
        with pytest.raises(ValueError, match=_message("k", "an int in [2, 5]", value)):
            v.integer("k", value, minimum=2, maximum=5)
    with pytest.raises(ValueError, match=_message("k", "an int <= 5", 6)):
        v.integer("k", 6, maximum=5)
    with pytest.raises(ValueError, match=_message("k", "an int", "6")):
        v.integer("k", "6")
    with pytest.raises(ValueError, match=_message("k", "an int >= 2", True)):
        v.integer("k", True, minimum=2)


def test_optional_int():
    assert v.optional_int("n", None) is None
    assert v.optional_int("n", -5) == -5
    with pytest.raises(ValueError, match=_message("n", "None or an int >= 1", 0)):
        v.optional_int("n", 0, minimum=1)
    with pytest.raises(ValueError, match=_message("n", "None or an int", 1.5)):
        v.optional_int("n", 1.5)


def test_seed():
    assert v.seed(None) is None
    assert v.seed(np.int64(7)) == 7 and type(v.seed(np.int64(7))) is int
    assert v.seed(tf.constant(-3)) == -3
    with pytest.raises(ValueError, match=_message("seed", "None or an int", 1.0)):
        v.seed(1.0)
    with pytest.raises(ValueError, match=_message("noise_seed", "None or an int", True)):
        v.seed(True, name="noise_seed")


# Sequences of integers and shapes.


@pytest.mark.parametrize(
    "value", [(28, 28, 1), [28, 28, 1], (np.int64(28), np.int32(28), 1), np.array([28, 28, 1]),
              tf.constant([28, 28, 1]), (np.array(28), tf.constant(28), 1)], ids=repr,
)
def test_shapes_read_every_integer_sequence(value):
    for result in (v.shape("input_shape", value), v.positive_ints("units", value),
                   v.event_size_or_shape("event_shape", value), v.shape("input_shape", value, rank=3)):
        assert result == (28, 28, 1) and all(type(d) is int for d in result)


def test_shape_rank_and_message():
    assert v.shape("input_shape", (8, 8), rank=(2, 3)) == (8, 8)
    with pytest.raises(ValueError, match=_message("input_shape", "a tuple of 3 ints >= 1", (8, 8))):
        v.shape("input_shape", (8, 8), rank=3)
    with pytest.raises(ValueError, match=_message("input_shape", "a tuple of 1 or 3 ints >= 1", [8, 8])):
        v.shape("input_shape", [8, 8], rank=(1, 3))
    for value in ((), (8, 0), (8, -1), (8.0, 8), (True, 8), 8, "88", None, np.zeros((2, 2), int)):
        with pytest.raises(ValueError, match=_message("input_shape", "a non-empty tuple of ints >= 1", value)):
            v.shape("input_shape", value)


def test_positive_ints_empty_and_message():
    assert v.positive_ints("units", [], allow_empty=True) == ()
    with pytest.raises(ValueError, match=_message("units", "a non-empty tuple of ints >= 1", [])):
        v.positive_ints("units", [])
    with pytest.raises(ValueError, match=_message("units", "a tuple of ints >= 1", (4, 0))):
        v.positive_ints("units", (4, 0), allow_empty=True)
    with pytest.raises(ValueError, match=_message("units", "a non-empty tuple of ints >= 1", 4)):
        v.positive_ints("units", 4)


@pytest.mark.parametrize("value", INT_FOUR + [np.prod((2, 2))], ids=repr)
def test_event_size_or_shape_reads_a_size_as_a_shape(value):
    assert v.event_size_or_shape("event_shape", value) == (4,)


@pytest.mark.parametrize("value", [0, -2, (), (2, 0), 2.0, True, "4", None, np.array([[2]])], ids=repr)
def test_event_size_or_shape_message(value):
    expectation = "a positive int or a non-empty tuple of positive ints"
    with pytest.raises(ValueError, match=_message("event_shape", expectation, value)):
        v.event_size_or_shape("event_shape", value)


# Numbers.

HALF = [0.5, np.float32(0.5), np.float64(0.5), np.array(0.5), tf.constant(0.5), tf.constant(0.5, tf.float64)]
NOT_NUMBERS = [True, np.bool_(False), tf.constant(False), float("nan"), float("inf"), -math.inf, np.float32("nan"),
               np.array(np.inf), tf.constant(float("nan")), 10**400, 1j, np.complex64(1), "0.5", None, [0.5],
               np.array([0.5])]


@pytest.mark.parametrize("value", HALF, ids=repr)
def test_as_number_reads_every_real_type_as_a_python_float(value):
    result = v.as_number(value)
    assert result == 0.5 and type(result) is float


def test_as_number_reads_integers_as_floats():
    for value in (3, np.int64(3), tf.constant(3)):
        assert v.as_number(value) == 3.0 and type(v.as_number(value)) is float


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_number_refuses_bools_nan_inf_and_non_numbers(value):
    assert v.as_number(value) is None
    with pytest.raises(ValueError, match=_message("x", "a finite number", value)):
        v.number("x", value)


def test_number_bounds_inclusive_and_exclusive():
    assert v.number("x", 0.0, minimum=0.0, maximum=1.0) == 0.0
    assert v.number("x", 1, minimum=0.0, maximum=1.0) == 1.0
    for value in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match=_message("alpha", "a number in (0, 1)", value)):
            v.number("alpha", value, minimum=0.0, maximum=1.0, exclusive_minimum=True, exclusive_maximum=True)
    with pytest.raises(ValueError, match=_message("alpha", "a number in [0, 0.5)", 0.5)):
        v.number("alpha", 0.5, minimum=0, maximum=0.5, exclusive_maximum=True)
    with pytest.raises(ValueError, match=_message("x", "a number > 0.001", 0.001)):
        v.number("x", 0.001, minimum=1e-3, exclusive_minimum=True)
    with pytest.raises(ValueError, match=_message("x", "a number >= 2", 1.5)):
        v.number("x", 1.5, minimum=2)
    with pytest.raises(ValueError, match=_message("x", "a number <= 1", 2)):
        v.number("x", 2, maximum=1)
    with pytest.raises(ValueError, match=_message("x", "a number < 1", 1.0)):
        v.number("x", 1.0, maximum=1, exclusive_maximum=True)


def test_positive_non_negative_and_probability():
    assert v.positive_number("lr", np.float32(1e-3)) == pytest.approx(1e-3)
    assert v.non_negative_number("beta", 0) == 0.0
    assert v.probability("p", 1) == 1.0 and v.probability("p", tf.constant(0.0)) == 0.0
    with pytest.raises(ValueError, match=_message("lr", "a positive number", 0.0)):
        v.positive_number("lr", 0.0)
    with pytest.raises(ValueError, match=_message("lr", "a positive number", float("inf"))):
        v.positive_number("lr", float("inf"))
    with pytest.raises(ValueError, match=_message("beta", "a number >= 0", -1e-9)):
        v.non_negative_number("beta", -1e-9)
    with pytest.raises(ValueError, match=_message("p", "a number in [0, 1]", 1.5)):
        v.probability("p", 1.5)
    with pytest.raises(ValueError, match=_message("p", "a number in [0, 1]", True)):
        v.probability("p", True)


def test_optional_number():
    assert v.optional_number("std", None, minimum=0, exclusive_minimum=True) is None
    assert v.optional_number("std", np.float32(0.25), minimum=0, exclusive_minimum=True) == 0.25
    with pytest.raises(ValueError, match=_message("std", "None or a positive number", 0)):
        v.optional_number("std", 0, minimum=0, exclusive_minimum=True)
    with pytest.raises(ValueError, match=_message("std", "None or a finite number", float("nan"))):
        v.optional_number("std", float("nan"))


def test_interval():
    assert v.interval("limits", (-4, 4)) == (-4.0, 4.0)
    assert v.interval("limits", np.array([0.0, 1.0])) == (0.0, 1.0)
    assert v.interval("limits", [np.int64(-1), tf.constant(1.0)]) == (-1.0, 1.0)
    expectation = "a pair (low, high) of finite numbers with low < high"
    for value in ((1, 1), (1, -1), (0, float("inf")), (0,), (0, 1, 2), 1, "01", None, (True, 2), np.zeros((2, 1))):
        with pytest.raises(ValueError, match=_message("limits", expectation, value)):
            v.interval("limits", value)


# Choices, booleans, and the message helper.


def test_choice_returns_the_matching_choice():
    assert v.choice("method", "threshold", ("threshold", "stochastic")) == "threshold"
    assert v.choice("method", np.str_("stochastic"), ("threshold", "stochastic")) == "stochastic"
    result = v.choice("k", np.int64(2), (1, 2))
    assert result == 2 and type(result) is int
    assert v.choice("k", tf.constant(1), (1, 2)) == 1
    assert v.choice("curves", None, ("elbo", None)) is None
    assert v.choice("flag", np.bool_(True), (True, "auto")) is True


def test_choice_message():
    with pytest.raises(ValueError, match=_message("method", "one of ('threshold', 'stochastic')", "bernoulli")):
        v.choice("method", "bernoulli", ("threshold", "stochastic"))
    with pytest.raises(ValueError, match=_message("k", "one of (1, 2)", True)):
        v.choice("k", True, (1, 2))
    with pytest.raises(ValueError, match=_message("k", "one of (1, 2)", 2.0)):
        v.choice("k", 2.0, (1, 2))
    with pytest.raises(ValueError, match=_message("curves", "None or one of ('elbo', 'metrics')", "loss")):
        v.choice("curves", "loss", ("elbo", "metrics", None))
    array = np.array(["elbo"])
    with pytest.raises(ValueError, match=_message("curves", "one of ('elbo',)", array)):
        v.choice("curves", array, ("elbo",))
    with pytest.raises(ValueError, match=_message("flag", "one of (True,)", 1)):
        v.choice("flag", 1, (True,))


def test_boolean():
    assert v.boolean("overwrite", np.bool_(True)) is True
    assert v.boolean("overwrite", False) is False
    for value in (1, 0, "yes", None, np.array([True])):
        with pytest.raises(ValueError, match=_message("overwrite", "a bool", value)):
            v.boolean("overwrite", value)


def test_fail_uses_the_common_shape():
    with pytest.raises(ValueError, match=_message("scale", 'a positive number or "learned"', "fixed")):
        v.fail("scale", 'a positive number or "learned"', "fixed")
