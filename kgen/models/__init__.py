"""Generative models as Keras 3 `Model` subclasses."""
