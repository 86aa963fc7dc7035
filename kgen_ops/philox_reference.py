"""Former home of the NumPy Philox reference, kept importable: see `kgen_ops.reference.philox`."""

from kgen_ops.reference.philox import bits_to_unit_float, philox4x32_10, philox_bits, philox_uniform  # noqa: F401
