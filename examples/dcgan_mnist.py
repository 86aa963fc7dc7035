"""
Title: DCGAN on MNIST
Author: kgen
Date created: 2026/11/22
Last modified: 2026/11/22
Description: Train a deep convolutional GAN on handwritten digits and watch its samples improve.
"""

"""
## Introduction

A generative adversarial network (Goodfellow et al., arXiv 1406.2661) trains
a generator `G`, which turns noise `z ~ N(0, I)` into images, against a
discriminator `D`, which tells real images from generated ones. DCGAN
(Radford, Metz & Chintala, arXiv 1511.06434) gives both networks
convolutions, batch normalisation and a few rules that make this game
train reliably on images.

The data: MNIST if it can be found (the file named by the environment
variable `KGEN_MNIST`, or the shared 8,000-image subset beside the
repository), otherwise scikit-learn's embedded 8x8 digits. The defaults run
in about a minute on a laptop CPU; `KGEN_EXAMPLE_BUDGET=tiny` (as the tests
set) trains one epoch on a small subset.
"""

"""
## Setup
"""

import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kgen  # noqa: E402
from kgen import plotting  # noqa: E402
from kgen.callbacks import GenerativePictures  # noqa: E402
from kgen.datasets import from_tanh_range  # noqa: E402
from kgen.datasets import to_tanh_range  # noqa: E402
from kgen.models.dcgan import DCGAN  # noqa: E402

epochs = 5  # use ~25 for clean digits
batch_size = 64
latent_dim = 64
filters = 32  # the paper's 64 is sharper and about 3 times slower
output_dir = "dcgan_mnist_pictures"
tiny = os.environ.get("KGEN_EXAMPLE_BUDGET") == "tiny"

keras.utils.set_random_seed(0)

"""
## The data

The generator ends in `tanh`, whose outputs lie in (-1, 1), so the images
are scaled from [0, 1] to [-1, 1] with `to_tanh_range(x) = 2x - 1`. A GAN
has no likelihood to hold data out for; we train on all training images.
"""

shared_mnist = pathlib.Path(__file__).resolve().parent.parent.parent / "shared/data/mnist/mnist-t10k-8k.npz"
mnist_path = os.environ.get("KGEN_MNIST") or (str(shared_mnist) if shared_mnist.exists() else None)
if mnist_path:
    (x_train, _), _ = kgen.datasets.load_mnist(mnist_path)
    print(f"MNIST from {mnist_path}")
else:
    (x_train, _), _ = kgen.datasets.load_digits(test_fraction=0.2, seed=0)
    epochs = 30
    print("MNIST not found: using the embedded 8x8 digits")
if tiny:
    epochs, x_train = 1, x_train[:256]
x_train = to_tanh_range(x_train)
image_shape = x_train.shape[1:]
print(f"train: {x_train.shape}, values in [{x_train.min():.0f}, {x_train.max():.0f}]")

"""
## The model

For 28x28 images the generator grows a 7x7 map to 14x14 and 28x28 with two
stride-2 transposed convolutions; the discriminator mirrors it with
stride-2 convolutions and ends in one logit. `compile()` without optimizers
gives each network its own `Adam(2e-4, beta_1=0.5)`, the DCGAN paper's.
"""

dcgan = DCGAN(image_shape, latent_dim=latent_dim, filters=filters, seed=0)
dcgan.compile()
dcgan.generator.summary()
dcgan.discriminator.summary()

"""
## Training

Each step updates the discriminator on a real and a generated batch, then
the generator with the non-saturating loss `-log D(G(z))`. The metrics:
`d_loss` (`log 4 = 1.39` when `D` is reduced to guessing), `g_loss`, and
the mean `D(x)` and `D(G(z))` (`d_real`, `d_fake`), which both tend to
1/2 as the generator improves. `GenerativePictures` draws 64 samples of
the same fixed noise every epoch (`value_range=(-1, 1)` maps the `tanh`
outputs back to [0, 1] for the picture) and plots every metric in
`curves.png`.
"""

pictures = GenerativePictures(output_dir, num_samples=64, seed=0, curves="metrics", value_range=(-1, 1))
history = dcgan.fit(x_train, epochs=epochs, batch_size=batch_size, callbacks=[pictures], verbose=2)

"""
## Samples and interpolation

`generate(n, seed=...)` draws `n` latent vectors from `N(0, I)`; the same
seed gives the same images. Walking in a straight line between two latent
vectors morphs one digit into another.
"""

scale = plotting.auto_scale(image_shape[0])
samples = from_tanh_range(keras.ops.convert_to_numpy(dcgan.generate(64, seed=1)))
plotting.save_png(os.path.join(output_dir, "samples.png"), plotting.image_grid(samples, scale=scale))

rng = np.random.default_rng(2)
rows = [
    keras.ops.convert_to_numpy(
        dcgan.interpolate(rng.standard_normal(latent_dim), rng.standard_normal(latent_dim), steps=10)
    )
    for _ in range(4)
]
plotting.save_png(
    os.path.join(output_dir, "interpolation.png"),
    plotting.image_grid(from_tanh_range(np.concatenate(rows)), ncols=10, scale=scale),
)

"""
## Saving, reloading and serving

The model reloads from a `.keras` file; `export` writes a SavedModel whose
`generate` signature maps `z` to images in [-1, 1], for TF Serving.
"""

path = os.path.join(output_dir, "dcgan_mnist.keras")
dcgan.save(path)
reloaded = keras.saving.load_model(path)
same = np.allclose(from_tanh_range(keras.ops.convert_to_numpy(reloaded.generate(8, seed=1))), samples[:8], atol=1e-5)
print(f"reloaded from {path}; same samples: {same}")
dcgan.export(os.path.join(output_dir, "saved_model"), overwrite=True)
print(f"final d_loss {history.history['d_loss'][-1]:.3f}, g_loss {history.history['g_loss'][-1]:.3f}")
print(f"pictures written to {os.path.abspath(output_dir)}")
