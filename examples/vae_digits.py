"""
Title: Variational autoencoder on the 8x8 digits
Author: kgen
Date created: 2026/11/21
Last modified: 2026/11/21
Description: Train a VAE with a 2D latent space on the embedded digits and look at what it learned.
"""

"""
## Introduction

A variational autoencoder (Kingma & Welling, arXiv 1312.6114) learns a
decoder `p(x|z)` from a standard normal latent `z` to images, together with
an encoder `q(z|x)` that guesses which `z` produced an image. Both are
trained by maximising the evidence lower bound (ELBO), a lower bound on
`log p(x)`:

```
ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z))
```

This example trains `kgen.models.VAE` on scikit-learn's 1,797 handwritten
8x8 digits, which ship with kgen's dependencies, so nothing is downloaded.
With a two-dimensional latent space we can draw the whole learned manifold
on one page, as in figure 4 of the paper.

The defaults run in well under a minute on a laptop CPU. Setting the
environment variable `KGEN_EXAMPLE_BUDGET=tiny` (as the tests do) trains
one epoch on a small subset.
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

epochs = 30  # use more (~100) for sharper samples
batch_size = 32
latent_dim = 2  # 2 lets us draw the latent manifold; try 8 for a better likelihood
output_dir = "vae_digits_pictures"
tiny = os.environ.get("KGEN_EXAMPLE_BUDGET") == "tiny"

keras.utils.set_random_seed(0)

"""
## The data

`load_digits` returns float32 images of shape `(N, 8, 8, 1)` with values in
[0, 1] (each pixel counts dark cells in a 4x4 block, divided by 16). We hold
out 20% of them to measure how well the model generalises.
"""

(x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2, seed=0)
if tiny:
    epochs, x_train, x_test = 1, x_train[:256], x_test[:64]
print(f"train: {x_train.shape}, test: {x_test.shape}")

"""
## The model

Grey levels in [0, 1] are modelled with an independent Bernoulli likelihood
per pixel (its log-probability is the binary cross-entropy, which is also
defined for grey values). The encoder and decoder are small MLPs. The VAE
computes its own loss, `-ELBO` per example in nats, so `compile` only needs
an optimizer.
"""

vae = kgen.models.VAE(
    input_shape=(8, 8, 1),
    latent_dim=latent_dim,
    likelihood="bernoulli",
    hidden_units=(256, 128),
    seed=0,
)
vae.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3))
vae.summary()

"""
## Training

`GenerativePictures` draws, every few epochs, 64 samples from the same fixed
latent draws (so successive pictures are comparable), test digits beside
their reconstructions, and the latent manifold; it also keeps the ELBO
curves up to date in `curves.png`.
"""

pictures = GenerativePictures(
    output_dir,
    x_val=x_test,
    num_samples=64,
    seed=0,
    every=max(1, epochs // 5),
)
history = vae.fit(
    x_train,
    epochs=epochs,
    batch_size=batch_size,
    validation_data=(x_test,),
    callbacks=[pictures],
    verbose=2,
)

"""
## How good is it?

`-loss` is a one-sample estimate of the ELBO. The importance-weighted bound
of Burda et al. (arXiv 1509.00519) with `K` samples is tighter and tends to
`log p(x)` as `K` grows. Both are in nats per image (64 pixels).
"""

elbo = float(np.mean(keras.ops.convert_to_numpy(vae.elbo(x_test))))
num_samples = 10 if tiny else 500
log_likelihood = vae.log_likelihood(x_test, num_samples=num_samples)
log_likelihood = float(np.mean(keras.ops.convert_to_numpy(log_likelihood)))
print(f"held-out ELBO: {elbo:.2f} nats")
print(f"held-out log-likelihood (K={num_samples}): {log_likelihood:.2f} nats")

"""
## Samples, reconstructions and the latent manifold

`sample` draws `z ~ N(0, I)` and returns the decoder's means (pixel
probabilities), which look smoother than binary draws. In the manifold,
tile `(i, j)` is the decoded mean at the Gaussian quantiles of an evenly
spaced grid, so the page covers the prior evenly in probability: the digit
classes appear as regions that blend into one another.
"""

# Pictures are enlarged 4 times (`scale=4`) so that 8x8 digits are visible.
samples = keras.ops.convert_to_numpy(vae.sample(64, seed=1))
plotting.save_png(os.path.join(output_dir, "samples.png"), plotting.image_grid(samples, scale=4))

reconstructions = keras.ops.convert_to_numpy(vae.reconstruct(x_test[:32]))
plotting.save_png(
    os.path.join(output_dir, "reconstructions.png"),
    plotting.reconstruction_grid(x_test[:32], reconstructions, scale=4),
)

if latent_dim == 2:
    manifold = plotting.latent_manifold(
        lambda z: keras.ops.convert_to_numpy(vae.decode(z).mean()), n=20, scale=4
    )
    plotting.save_png(os.path.join(output_dir, "manifold.png"), manifold)

"""
## Interpolation

Decoding the straight line between the encodings of two test digits shows
how one morphs into the other through the latent space.
"""

line = keras.ops.convert_to_numpy(vae.interpolate(x_test[0], x_test[1], steps=10))
plotting.save_png(
    os.path.join(output_dir, "interpolation.png"), plotting.image_grid(line, ncols=10, scale=4)
)

"""
## Saving and reloading

The model reloads from a `.keras` file with its weights and configuration;
sampling with the same seed then gives the same digits.
"""

path = os.path.join(output_dir, "vae_digits.keras")
vae.save(path)
reloaded = keras.saving.load_model(path)
same = np.allclose(keras.ops.convert_to_numpy(reloaded.sample(8, seed=1)), samples[:8], atol=1e-6)
print(f"reloaded from {path}; same samples: {same}")

plotting.plot_curves(
    {
        "elbo": [-v for v in history.history["loss"]],
        "val_elbo": [-v for v in history.history["val_loss"]],
    },
    os.path.join(output_dir, "elbo.png"),
    title="VAE on the 8x8 digits",
    ylabel="ELBO (nats)",
)
print(f"pictures written to {os.path.abspath(output_dir)}")
