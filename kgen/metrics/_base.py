"""What the sample-quality metrics share: features of a batch, stored features, the Metric base.

The metrics compare two sets, real and generated, through a feature map
(a classifier's penultimate layer). Their mathematics runs on the host in
float64 (an eigendecomposition, nearest neighbours, subset sampling), so
their state is NumPy arrays, not Keras variables: `update_state` runs
eagerly, batch by batch, outside `tf.function`.
"""

import keras
import numpy as np

from kgen import _validation


def as_feature_matrix(name, value):
    """`value` as a float64 array `[n, d]` (a batch of images is flattened to `[n, H*W*C]`).

    Raises:
        ValueError: "`name` must be an array of at least one example. Received: ...".
    """
    array = np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)
    if array.ndim == 0 or array.shape[0] == 0 or array.size == 0:
        _validation.fail(name, "an array of at least one example", value)
    return array.reshape(array.shape[0], -1)


def check_pair(x, y, x_name="x_features", y_name="y_features"):
    """Both sets as float64 `[n, d]` and `[m, d]`, with the same `d`."""
    x = as_feature_matrix(x_name, x)
    y = as_feature_matrix(y_name, y)
    if x.shape[1] != y.shape[1]:
        _validation.fail(y_name, f"features of the same size as `{x_name}` ({x.shape[1]})",
                         y.shape)
    return x, y


class FeatureStore:
    """The features seen so far, at most `max_samples` rows, in float64.

    Memory: `max_samples * d * 8` bytes (2,048 Inception features of 10,000
    images: 164 MB).
    """

    def __init__(self, name, max_samples):
        self.name = name
        self.max_samples = max_samples
        self.reset()

    def reset(self):
        self.parts = []
        self.count = 0

    def add(self, features):
        if self.count + len(features) > self.max_samples:
            _validation.fail(
                f"{self.name} samples", f"at most max_samples={self.max_samples} in all",
                self.count + len(features))
        self.parts.append(features)
        self.count += len(features)

    def array(self):
        if not self.parts:
            raise ValueError(f"No {self.name} features yet: call `update_state` first.")
        return np.concatenate(self.parts)


class FeatureMetric(keras.metrics.Metric):
    """A metric of two sets of examples compared through `features`.

    Args:
        features: a Keras model or any callable mapping a batch of examples
            to features `[batch, d]`; None: the inputs are features already
            (images are flattened).
        batch_size: int >= 1, examples per call of `features`.
        name: the metric's name (the key in `fit`'s logs).

    `get_config` holds a Keras `features` model's architecture, not its
    weights (as every Keras config): keep the trained feature model in its
    own `.keras` file. A plain callable has no config.
    """

    def __init__(self, features=None, batch_size=256, name=None, dtype="float64"):
        super().__init__(name=name, dtype=dtype)
        if features is not None and not callable(features):
            _validation.fail("features", "None, a Keras model or a callable", features)
        self.features = features
        self.batch_size = _validation.positive_int("batch_size", batch_size)

    def features_of(self, name, x):
        """The features of `x` (float64 `[n, d]`), computed `batch_size` examples at a time."""
        if self.features is None:
            return as_feature_matrix(name, x)
        x = np.asarray(keras.ops.convert_to_numpy(x))
        if x.ndim == 0 or len(x) == 0:
            _validation.fail(name, "an array of at least one example", x)
        parts = [
            as_feature_matrix(name, self.features(x[i:i + self.batch_size]))
            for i in range(0, len(x), self.batch_size)
        ]
        return np.concatenate(parts)

    def pair_features(self, real, generated):
        """The features of both batches, float64 `[n, d]` and `[m, d]` with the same `d`."""
        return check_pair(self.features_of("real", real), self.features_of("generated", generated),
                          "real", "generated")

    def get_config(self):
        if self.features is not None and not isinstance(self.features, keras.layers.Layer):
            _validation.fail("features", "None or a Keras model to save the metric's config",
                             self.features)
        return {
            **super().get_config(),
            "features": keras.saving.serialize_keras_object(self.features),
            "batch_size": self.batch_size,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["features"] = keras.saving.deserialize_keras_object(config["features"])
        return cls(**config)


class StoredFeatureMetric(FeatureMetric):
    """A `FeatureMetric` that keeps the features of both sets (at most `max_samples` rows each).

    Memory: `2 * max_samples * d * 8` bytes (164 MB for 5,000 Inception
    features `d = 2,048` of each set); storing more raises `ValueError`.
    Subclasses compute `result()` from `self.stored()`.
    """

    def __init__(self, features=None, max_samples=5000, batch_size=256, name=None,
                 dtype="float64"):
        super().__init__(features=features, batch_size=batch_size, name=name, dtype=dtype)
        self.max_samples = _validation.integer("max_samples", max_samples, minimum=2)
        self._real = FeatureStore("real", self.max_samples)
        self._generated = FeatureStore("generated", self.max_samples)

    def update_state(self, real, generated):
        real, generated = self.pair_features(real, generated)
        self._real.add(real)
        self._generated.add(generated)

    def stored(self):
        """The stored features: `(real [n, d], generated [m, d])`."""
        return self._real.array(), self._generated.array()

    def reset_state(self):
        self._real.reset()
        self._generated.reset()

    def get_config(self):
        return {**super().get_config(), "max_samples": self.max_samples}
