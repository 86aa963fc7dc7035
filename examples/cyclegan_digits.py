"""
Title: CycleGAN: grey digits to colour digits, without pairs
Author: kgen
Date created: 2026/12/07
Last modified: 2026/12/07
Description: Translate 8x8 grey digits into colour ones and back with a CycleGAN.
"""

"""
## Introduction

CycleGAN (Zhu et al., arXiv 1703.10593) learns to translate images of one
domain A into another domain B from two collections that come without
pairs: nobody says which colour digit a grey digit should become. Two
generators, `G: A -> B` and `F: B -> A`, are trained against two
discriminators, and a round trip must come back: `F(G(a)) ~ a`,
`G(F(b)) ~ b` (the cycle-consistency loss), which keeps `G` from mapping
every grey digit to one plausible colour digit.

Domain A here is scikit-learn's 8x8 grey digits; domain B is colour
digits made by the MNIST-M recipe (`kgen.datasets.colour_digits`: each
digit blended with a patch of a colour photograph), from *other* digits,
so no image of A has its counterpart in B. A good translation keeps the
digit and changes the colours. The defaults take a few minutes on a
laptop CPU; `KGEN_EXAMPLE_BUDGET=tiny` (as the tests set) trains one
epoch on a small subset.
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

epochs = 30
batch_size = 16
output_dir = "cyclegan_digits_pictures"
tiny = os.environ.get("KGEN_EXAMPLE_BUDGET") == "tiny"

keras.utils.set_random_seed(0)

"""
## Two unpaired domains

The training digits are split in two halves: A is the first half in grey,
B the second half in colour. Both are scaled to [-1, 1], the range of the
generators' `tanh`.
"""

(x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.1, seed=0)
half = len(x_train) // 2
grey, colour = x_train[:half], kgen.datasets.colour_digits(x_train[half:], seed=0)
if tiny:
    epochs, grey, colour = 1, grey[:64], colour[:48]
a_train, b_train = to_tanh_range(grey), to_tanh_range(colour)
a_test = to_tanh_range(x_test[:8])
b_test = to_tanh_range(kgen.datasets.colour_digits(x_test[8:16], seed=1))
print(f"domain A: {a_train.shape} grey, domain B: {b_train.shape} colour")

"""
## The model

`CycleGAN((8, 8, 1), (8, 8, 3))` builds the paper's ResNet generators and
PatchGAN discriminators, scaled to 8x8 images (fewer residual blocks, a
PatchGAN whose receptive field fits the image). The identity loss needs
both domains to have one shape, so it is off here (`identity_weight=0`).
`compile()` gives each pair `Adam(2e-4, beta_1=0.5)`; the paper's
schedule (constant, then linearly to zero) is one argument away:
`kgen.schedules.ConstantThenLinearDecay.per_epoch`.
"""

steps_per_epoch = -(-max(len(a_train), len(b_train)) // batch_size)
schedule = kgen.schedules.ConstantThenLinearDecay.per_epoch(
    2e-4, steps_per_epoch, constant_epochs=max(1, epochs // 2), decay_epochs=max(1, epochs // 2))
model = kgen.models.CycleGAN((8, 8, 1), (8, 8, 3), identity_weight=0.0, seed=0)
model.compile(g_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5),
              d_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5))

"""
## Training

`fit(a, b)` takes the two domains as they are, of different lengths: an
epoch shows every image of the larger domain once, each domain shuffled on
its own. `GenerativePictures` draws, for held-out images of each domain,
the input, its translation and the round trip back.
"""

pictures = GenerativePictures(output_dir, x_val=(a_test, b_test), every=max(1, epochs // 3),
                              curves="metrics", value_range=(-1, 1))
history = model.fit(a_train, b_train, epochs=epochs, batch_size=batch_size, callbacks=[pictures],
                    verbose=2)

"""
## Translating

`translate_a_to_b` colours grey digits; `cycle(x, "a_to_b")` takes them to
colour and back, which is what the cycle loss compares with the input.
"""

coloured = from_tanh_range(keras.ops.convert_to_numpy(model.translate_a_to_b(a_test)))
back = from_tanh_range(keras.ops.convert_to_numpy(model.cycle(a_test, "a_to_b")))
plotting.save_png(os.path.join(output_dir, "grey_to_colour.png"),
                  plotting.translation_grid(from_tanh_range(a_test), coloured, back, scale=6))
print(f"cycle error on held-out grey digits: {np.abs(back - from_tanh_range(a_test)).mean():.3f} "
      "(mean absolute, pixels in [0, 1])")

"""
## Saving, reloading and serving

The `.keras` file holds the four networks, the pools and both optimizers
(with the schedule); `export` writes a SavedModel with the signatures
`a_to_b` and `b_to_a` for TF Serving.
"""

path = os.path.join(output_dir, "cyclegan_digits.keras")
model.save(path)
reloaded = keras.saving.load_model(path)
same = np.allclose(keras.ops.convert_to_numpy(reloaded.translate_a_to_b(a_test)),
                   to_tanh_range(coloured), atol=1e-5)
model.export(os.path.join(output_dir, "saved_model"), overwrite=True)
print(f"reloaded from {path}; same translations: {same}")
print(f"final cycle_a {history.history['cycle_a'][-1]:.3f}, cycle_b {history.history['cycle_b'][-1]:.3f}")
print(f"pictures written to {os.path.abspath(output_dir)}")
