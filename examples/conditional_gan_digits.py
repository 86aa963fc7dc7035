"""
Title: Conditional GAN on the 8x8 digits
Author: kgen
Date created: 2026/11/22
Last modified: 2026/11/22
Description: Train a GAN that draws the digit you ask for.
"""

"""
## Introduction

An ordinary GAN draws digits of whatever class its noise happens to map
to. A conditional GAN (Mirza & Osindero, arXiv 1411.1784) gives both
networks the class label `y`: the generator learns `p(x | y)`, an image of
digit `y` for each noise vector `z`, and the discriminator judges whether
an image is a real example *of that class*. Then `generate(labels)` draws
the digits we ask for.

This example trains `kgen.models.ConditionalGAN` (DCGAN networks with the
one-hot label appended to `z` and, as constant feature maps, to the image)
on scikit-learn's 1,797 handwritten 8x8 digits, which ship with kgen's
dependencies. The defaults run in about a minute on a laptop CPU;
`KGEN_EXAMPLE_BUDGET=tiny` (as the tests set) trains one epoch on a small
subset.
"""

"""
## Setup
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kgen  # noqa: E402
from kgen import plotting  # noqa: E402
from kgen.callbacks import GenerativePictures  # noqa: E402
from kgen.datasets import from_tanh_range  # noqa: E402
from kgen.datasets import to_tanh_range  # noqa: E402
from kgen.models.conditional_gan import ConditionalGAN  # noqa: E402

epochs = 40  # use ~150 for crisper digits
batch_size = 64
latent_dim = 32
num_classes = 10
output_dir = "conditional_gan_digits_pictures"
tiny = os.environ.get("KGEN_EXAMPLE_BUDGET") == "tiny"

keras.utils.set_random_seed(0)

"""
## The data

Images in [0, 1] are scaled to [-1, 1], the range of the generator's
`tanh`; the labels are the digit classes 0-9.
"""

(x_train, y_train), _ = kgen.datasets.load_digits(test_fraction=0.1, seed=0)
if tiny:
    epochs, x_train, y_train = 1, x_train[:256], y_train[:256]
x_train = to_tanh_range(x_train)
print(f"train: {x_train.shape}, labels {np.bincount(y_train, minlength=num_classes)}")

"""
## The model

`compile()` without optimizers gives each network its own
`Adam(2e-4, beta_1=0.5)`. `fit` takes the images and their labels; in each
step the generated images get the labels of the real batch, so every class
is drawn as often as it occurs in the data.
"""

cgan = ConditionalGAN((8, 8, 1), num_classes=num_classes, latent_dim=latent_dim, seed=0)
cgan.compile()

"""
## Training

`sample(n)` (what `GenerativePictures` calls) cycles through the labels
0, 1, ..., 9, each image with its own noise vector, so in the 10-wide grid
of 100 samples each column holds one class: reading down a column shows
the variety the generator has learned for one digit.
"""

pictures = GenerativePictures(
    output_dir, num_samples=10 * num_classes, seed=0, every=max(1, epochs // 4), curves="metrics", value_range=(-1, 1)
)
history = cgan.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, callbacks=[pictures], verbose=2)

"""
## Asking for digits

`generate(labels, seed=...)` draws one image per label. Keeping the noise
fixed and changing only the label shows what the label controls (the
digit) and what the noise controls (thickness, slant, position): each row
below uses one noise vector for all ten classes.
"""

z = np.repeat(np.random.default_rng(1).standard_normal((8, latent_dim)), num_classes, axis=0)
labels = np.tile(np.arange(num_classes), 8)
styles = from_tanh_range(keras.ops.convert_to_numpy(cgan.generate(labels, z=z)))
plotting.save_png(
    os.path.join(output_dir, "digits_by_class.png"), plotting.image_grid(styles, ncols=num_classes, scale=4)
)

sevens = from_tanh_range(keras.ops.convert_to_numpy(cgan.generate(np.full(16, 7), seed=2)))
plotting.save_png(os.path.join(output_dir, "sevens.png"), plotting.image_grid(sevens, ncols=8, scale=4))

"""
## Saving and reloading

The `.keras` file holds both networks and the label count; the reloaded
model draws the same digits from the same seed.
"""

path = os.path.join(output_dir, "conditional_gan_digits.keras")
cgan.save(path)
reloaded = keras.saving.load_model(path)
again = from_tanh_range(keras.ops.convert_to_numpy(reloaded.generate(np.full(16, 7), seed=2)))
print(f"reloaded from {path}; same samples: {np.allclose(again, sevens, atol=1e-5)}")
print(f"final d_loss {history.history['d_loss'][-1]:.3f}, g_loss {history.history['g_loss'][-1]:.3f}")
print(f"pictures written to {os.path.abspath(output_dir)}")
