"""Keras 3 layers that emit TensorFlow Probability distributions."""
