"""Data sets: the embedded 8x8 digits, MNIST from a path, 2D toys."""
