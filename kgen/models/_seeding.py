"""How kgen seeds the initial weights of a model's layers: one scheme for every model.

Layer `index` of a network gets the seed `seed + offset + index` (or none
when the model's `seed` is None). Every layer gets its own seed, because
two layers drawing from one seed start from correlated weights; a model
gives each of its networks its own `offset` (e.g. a GAN's discriminator
starts at 1000, a VAE's decoder at 100), far enough apart that no two
layers share a seed.
"""

import keras


def layer_seed(seed, index, offset=0):
    """The seed of layer `index` of the network at `offset`: `seed + offset + index`, or None."""
    return None if seed is None else seed + offset + index


def glorot_uniform(seed, index, offset=0):
    """Glorot uniform (the Keras default kernel initializer), seeded as `layer_seed`."""
    return keras.initializers.GlorotUniform(seed=layer_seed(seed, index, offset))


def orthogonal(seed, index, offset=0):
    """Orthogonal (the Keras default recurrent initializer), seeded as `layer_seed`."""
    return keras.initializers.Orthogonal(seed=layer_seed(seed, index, offset))


def random_normal(seed, index, stddev, offset=0):
    """`N(0, stddev^2)` (Radford et al.'s DCGAN weights with 0.02), seeded as `layer_seed`."""
    return keras.initializers.RandomNormal(0.0, stddev, seed=layer_seed(seed, index, offset))
