"""
Title: Restricted Boltzmann machine on binarised MNIST
Author: kgen
Date created: 2026/11/21
Last modified: 2026/11/21
Description: Train an RBM with contrastive divergence, sample it by Gibbs sampling and estimate its log-likelihood with AIS.
"""

"""
## Introduction

A restricted Boltzmann machine (RBM) is an energy-based model of binary
vectors `v` with binary hidden units `h`:

```
E(v, h) = -v^T W h - b_vis^T v - b_hid^T h,   p(v, h) = exp(-E(v, h)) / Z
```

Its log-likelihood gradient is a data term minus a model term. Contrastive
divergence (CD-k, Hinton 2002) estimates the model term from `k` block-Gibbs
sweeps started at the data; persistent contrastive divergence (PCD, Tieleman
2008), used here, continues a set of chains from one update to the next, so
that they explore the model's own distribution. `kgen.models.RBM` runs those
sweeps in kgen's compiled op `kgen_ops.gibbs_sweeps` and hands the estimate
to an ordinary Keras optimizer.

The partition function `Z` is a sum over `2^H` hidden configurations, so the
log-likelihood cannot be computed for a realistic model; annealed importance
sampling (AIS, Salakhutdinov & Murray 2008) estimates `log Z` with a standard
error.

The data: MNIST if it can be found (the file named by the environment variable
`KGEN_MNIST`, or the shared 8,000-image subset beside the repository),
otherwise scikit-learn's embedded 8x8 digits. Images are binarised at 0.5.
The defaults run in about a minute on a laptop CPU; `KGEN_EXAMPLE_BUDGET=tiny`
(as the tests set) trains one epoch on a small subset.
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

epochs = 30  # use ~100 for sharper samples
batch_size = 64
n_hidden = 64  # for MNIST; 16 for the 8x8 digits, so that log Z is also exact
cd_k = 1
num_chains = 100  # persistent chains
num_sweeps = 1000  # Gibbs sweeps per sample
ais_chains, ais_betas = 100, 10000  # Salakhutdinov & Murray used 100 and 14,500
output_dir = "rbm_mnist_pictures"
tiny = os.environ.get("KGEN_EXAMPLE_BUDGET") == "tiny"

keras.utils.set_random_seed(0)

"""
## The data
"""

shared_mnist = pathlib.Path(__file__).resolve().parent.parent.parent / "shared/data/mnist/mnist-t10k-8k.npz"
mnist_path = os.environ.get("KGEN_MNIST") or (str(shared_mnist) if shared_mnist.exists() else None)
if mnist_path:
    (x_train, _), (x_test, _) = kgen.datasets.load_mnist(mnist_path)
    print(f"MNIST from {mnist_path}")
else:
    (x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2, seed=0)
    n_hidden = 16
    print("MNIST not found: using the embedded 8x8 digits")
if tiny:
    epochs, num_sweeps, ais_chains, ais_betas = 1, 20, 20, 200
    x_train, x_test = x_train[:512], x_test[:128]

# "raw > 127" for MNIST (see `binarize`); the RBM flattens each image.
x_train = kgen.datasets.binarize(x_train, threshold=0.5)
x_test = kgen.datasets.binarize(x_test, threshold=0.5)
image_shape = x_train.shape[1:]
n_visible = int(np.prod(image_shape))
print(f"train: {x_train.shape}, test: {x_test.shape}")

"""
## The model

`visible_shape` only tells the model how to shape its samples; it works on
flat vectors of `n_visible` pixels. Following Hinton's practical guide, the
visible biases start at the log-odds of each pixel's mean, and the optimizer
is SGD with momentum.

Why PCD rather than CD-1? Both learn good features and similar
likelihoods, but a CD-1 model only ever sees its chains one sweep away from
the data, so nothing stops it from putting mass on regions far from the
data: chains started from noise, as `sample` does, then tend to stay in a
blurry mode. PCD's chains wander into such regions and the update removes
the mass there.
"""

rbm = kgen.models.RBM(
    n_visible, n_hidden, cd_k=cd_k, persistent=True, num_chains=num_chains, visible_shape=image_shape, seed=0
)
pixel_means = (x_train.reshape(-1, n_visible).sum(axis=0) + 1) / (len(x_train) + 2)  # never 0 or 1
rbm.b_vis.assign(np.log(pixel_means / (1 - pixel_means)))
rbm.compile(optimizer=keras.optimizers.SGD(learning_rate=0.02, momentum=0.5))

"""
## Training

`loss` is the free-energy gap `mean F(data) - mean F(chains)`, whose
gradient is the update; `reconstruction_error` and
`pseudo_log_likelihood` (nats per image) are the usual progress monitors.
"""

history = rbm.fit(x_train, epochs=epochs, batch_size=batch_size, validation_data=(x_test,), verbose=2)

"""
## How good is it?

`log p(v) = -F(v) - log Z`. We estimate `log Z` by AIS from a base-rate model
whose visible biases match the pixel means of the training data. When the
smaller layer has at most 20 units, the exact value is also available.
"""

ais = rbm.log_partition(method="ais", num_chains=ais_chains, num_betas=ais_betas, data=x_train, seed=0)
print(f"AIS log Z = {ais.log_z:.3f} +- {ais.stderr:.3f} nats")
if min(n_visible, n_hidden) <= 20:
    print(f"exact log Z = {rbm.log_partition(method='exact').log_z:.3f} nats")
log_likelihood = np.mean(rbm.log_likelihood(x_test, log_z=ais))
print(f"held-out log-likelihood: {log_likelihood:.2f} nats per image")

"""
## Samples and filters

Each sample is the end of its own Gibbs chain. We draw `p(v|h)` of the last
sweep (`mean=True`), which looks smoother than the binary state. The columns
of `W` (the hidden units' filters) show which strokes each unit detects.
"""

samples = rbm.sample(64, num_sweeps=num_sweeps, seed=1, mean=True).numpy()
scale = plotting.auto_scale(image_shape[0])
plotting.save_png(os.path.join(output_dir, "samples.png"), plotting.image_grid(samples, scale=scale))

filters = rbm.w.numpy().T.reshape(n_hidden, *image_shape)
low, high = filters.min(axis=(1, 2, 3), keepdims=True), filters.max(axis=(1, 2, 3), keepdims=True)
filters = (filters - low) / np.maximum(high - low, 1e-8)
plotting.save_png(os.path.join(output_dir, "filters.png"), plotting.image_grid(filters, scale=scale))

plotting.plot_curves(
    {key: history.history[key] for key in ("pseudo_log_likelihood", "val_pseudo_log_likelihood")},
    os.path.join(output_dir, "pseudo_log_likelihood.png"),
    title="RBM trained by PCD",
    ylabel="pseudo-log-likelihood (nats)",
)
print(f"pictures written to {os.path.abspath(output_dir)}")
