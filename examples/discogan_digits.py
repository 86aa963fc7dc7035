"""
Title: DiscoGAN: discovering the relation between grey and colour digits
Author: kgen
Date created: 2026/12/07
Last modified: 2026/12/07
Description: Learn a two-way translation between grey and colour 8x8 digits with DiscoGAN.
"""

"""
## Introduction

DiscoGAN (Kim et al., arXiv 1703.05192) appeared beside CycleGAN with the
same idea: two generators `G_AB`, `G_BA` and two discriminators, trained
on unpaired images, with a reconstruction loss `d(G_BA(G_AB(x_A)), x_A)`
that makes the two generators each other's inverse. Its choices differ:
encoder-decoder generators with batch normalisation, discriminators that
give one logit per image, the GAN log-loss, a squared reconstruction
distance of weight 1, and no image pool.

As in `cyclegan_digits.py`, domain A is grey 8x8 digits and domain B
colour digits made from other digits (`kgen.datasets.colour_digits`).
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
from kgen.datasets import from_tanh_range  # noqa: E402
from kgen.datasets import to_tanh_range  # noqa: E402

epochs = 40
batch_size = 32
output_dir = "discogan_digits_pictures"
tiny = os.environ.get("KGEN_EXAMPLE_BUDGET") == "tiny"
os.makedirs(output_dir, exist_ok=True)

keras.utils.set_random_seed(0)

"""
## Two unpaired domains
"""

(x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.1, seed=0)
half = len(x_train) // 2
grey, colour = x_train[:half], kgen.datasets.colour_digits(x_train[half:], seed=0)
if tiny:
    epochs, grey, colour = 1, grey[:64], colour[:64]
a_train, b_train = to_tanh_range(grey), to_tanh_range(colour)
a_test = to_tanh_range(x_test[:8])
b_test = to_tanh_range(kgen.datasets.colour_digits(x_test[8:16], seed=1))

"""
## The model and its training

`DiscoGAN((8, 8, 1), (8, 8, 3))` builds the paper's networks with as many
stride-2 stages as the image allows; `compile()` gives each pair
`Adam(2e-4, beta_1=0.5)`. The metrics are each generator's adversarial
loss, each reconstruction error (`cycle_a`, `cycle_b`: mean squared, in
[-1, 1] pixel units) and each discriminator's loss.
"""

model = kgen.models.DiscoGAN((8, 8, 1), (8, 8, 3), seed=0)
model.compile()
history = model.fit(a_train, b_train, epochs=epochs, batch_size=batch_size, verbose=2)
plotting.plot_curves(history.history, os.path.join(output_dir, "curves.png"),
                     title="DiscoGAN on grey <-> colour digits")

"""
## Both directions

Each picture follows held-out images: the input, its translation, and the
round trip back.
"""

for name, images, translate, direction in (
    ("grey_to_colour", a_test, model.translate_a_to_b, "a_to_b"),
    ("colour_to_grey", b_test, model.translate_b_to_a, "b_to_a"),
):
    translated = from_tanh_range(keras.ops.convert_to_numpy(translate(images)))
    back = from_tanh_range(keras.ops.convert_to_numpy(model.cycle(images, direction)))
    plotting.save_png(os.path.join(output_dir, f"{name}.png"),
                      plotting.translation_grid(from_tanh_range(images), translated, back, scale=6,
                                                names=("A", "B") if direction == "a_to_b" else ("B", "A")))

"""
## Saving and serving
"""

path = os.path.join(output_dir, "discogan_digits.keras")
model.save(path)
reloaded = keras.saving.load_model(path)
same = np.allclose(keras.ops.convert_to_numpy(reloaded.translate_b_to_a(b_test)),
                   keras.ops.convert_to_numpy(model.translate_b_to_a(b_test)), atol=1e-5)
model.export(os.path.join(output_dir, "saved_model"), overwrite=True)
print(f"reloaded from {path}; same translations: {same}")
print(f"pictures written to {os.path.abspath(output_dir)}")
