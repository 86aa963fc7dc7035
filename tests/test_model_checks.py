"""The checks every kgen model inherits from `kgen.models._model.Model`.

- `fit` and `evaluate` check the first batch against the model's
  `data_value_range` (`kgen.models._data_range`): one model per family,
  fed data in the wrong range, as arrays, `tf.data`, generators and
  `PyDataset`s; NaN data; `validation_data`; the opt-out.
- `save` refuses legacy `.h5` files.

The refusals come before Keras' loop, so no test here traces a step.
"""

import math
import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import registry
from kgen.models import GAN, VAE, RealNVP, _data_range

IMAGE_SHAPE = (8, 8, 1)


def tiny(name):
    """The registry's tiny compiled model `name` on 8x8 images."""
    return registry.get(name).tiny(IMAGE_SHAPE, 0)


def pixels(num_examples=16, seed=0):
    """0-255 pixel values, float32, shape `(num_examples, 8, 8, 1)`."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (num_examples, *IMAGE_SHAPE)).astype("float32")


class Batches(keras.utils.PyDataset):
    """A `PyDataset` of `(x,)` batches of the given arrays."""

    def __init__(self, *batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return (self.batches[index],)


PIXEL_FIX = r"`x` must be in \[0, 1\] for {model}\. Received: x from 0 to 255 in the first batch\. .*\(x / 255\)"


def test_bernoulli_vae_refuses_0_255_pixels():
    with pytest.raises(ValueError, match=PIXEL_FIX.format(model="VAE") + r".*check_data_range=False"):
        tiny("vae").fit(pixels(), batch_size=8, verbose=0)


def test_rbm_refuses_0_255_pixels_in_a_tf_data_dataset():
    dataset = tf.data.Dataset.from_tensor_slices(pixels()).batch(8)
    with pytest.raises(ValueError, match=PIXEL_FIX.format(model="RBM")):
        tiny("rbm").fit(dataset, verbose=0)


def test_draw_refuses_0_255_pixels_in_a_py_dataset():
    with pytest.raises(ValueError, match=PIXEL_FIX.format(model="DRAW")):
        tiny("draw").fit(Batches(pixels()[:8], pixels()[8:]), verbose=0)


@pytest.mark.parametrize(
    "scale, match",
    [
        (1.0 / 255.0, r"`x` must be in \[-1, 1\] for DCGAN\. Received: x from 0 to 1 .*kgen\.datasets\.to_tanh_range\(x\)"),
        (1.0, r"`x` must be in \[-1, 1\] for DCGAN\. Received: x from 0 to 255 .*kgen\.datasets\.to_tanh_range\(x / 255\)"),
    ],
    ids=["unit-interval", "0-255"],
)
def test_dcgan_refuses_images_not_in_tanh_range_from_a_generator(scale, match):
    batches = ((x,) for x in np.split(scale * pixels(), 2))
    with pytest.raises(ValueError, match=match):
        tiny("dcgan").fit(batches, verbose=0)


def test_nan_data_is_refused_even_by_a_real_valued_model():
    x = np.zeros((8, 2), "float32")
    x[3, 1] = np.nan
    flow = RealNVP((2,), num_coupling_layers=2, hidden_units=(4,), seed=0)
    with pytest.raises(ValueError, match=r"`x` must hold finite numbers in \(-inf, inf\) for RealNVP\. "
                                         r"Received: 1 NaN or infinite values in the first batch"):
        flow.fit(x, verbose=0)


def test_evaluate_checks_its_first_batch():
    with pytest.raises(ValueError, match=PIXEL_FIX.format(model="VAE")):
        tiny("vae").evaluate(tf.data.Dataset.from_tensor_slices(pixels()).batch(8), verbose=0)


def test_fit_checks_validation_data():
    x = pixels() / 255.0
    with pytest.raises(ValueError, match=r"`validation_data` must be in \[0, 1\] for VAE\. Received: validation_data from 0 to 255"):
        tiny("vae").fit(x, validation_data=(pixels(),), verbose=0)


def test_real_valued_models_declare_an_unbounded_range():
    # Those that differ from the default (`sample_value_range`); the bounded
    # ranges of the others are exercised by the refusals above.
    unbounded = (-math.inf, math.inf)
    assert VAE((2,), 2, likelihood="gaussian", hidden_units=(4,)).data_value_range == unbounded
    assert RealNVP((2,), num_coupling_layers=2, hidden_units=(4,)).data_value_range == unbounded
    assert RealNVP((2,), num_coupling_layers=2, hidden_units=(4,), num_bins=17).data_value_range == (0.0, 1.0)
    assert GAN.mlp((2,), 2, output_activation=None).data_value_range == unbounded


def test_first_batch_of_a_generator_is_put_back():
    # Keras takes a `types.GeneratorType` as a generator of batches: the one
    # `fit` passes on must be one, yielding the peeked element first.
    elements = [(np.full((2, 1), i, "float32"),) for i in range(3)]
    batch, restored = _data_range.first_batch(element for element in elements)
    np.testing.assert_array_equal(batch, elements[0][0])
    assert isinstance(restored, types.GeneratorType)
    assert [element[0][0, 0] for element in restored] == [0.0, 1.0, 2.0]


def test_check_data_range_false_skips_the_check():
    # epochs=0: Keras sets up the loop (data adapter, callbacks) but runs no step.
    tiny("vae").fit(pixels(), epochs=0, verbose=0, check_data_range=False)


@pytest.mark.parametrize("suffix", [".h5", ".hdf5"])
def test_save_refuses_legacy_hdf5(tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    with pytest.raises(ValueError, match=r"`filepath` must end in \.keras for a kgen model .*Received: filepath="):
        tiny("vae").save(path)
    assert not path.exists()
