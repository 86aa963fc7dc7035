"""Feature maps for the sample-quality metrics: a digit classifier trained here, or InceptionV3.

FID, KID and precision/recall compare images through the penultimate
layer of a classifier, and the classifier score uses its softmax. FID
proper uses ImageNet's InceptionV3, which kgen never downloads: pass the
weights file you have (`inception_v3`). For digits, a small convolutional
classifier trained on your own labelled digits needs no download at all
(`train_feature_extractor`); on MNIST it reaches the accuracy listed in
`benchmarks/RESULTS.md` (`benchmarks/sample_quality_mnist.py`). Numbers
computed with different feature maps are not comparable.
"""

import os

import keras
import numpy as np

from kgen import _validation

FEATURES_LAYER = "features"

INCEPTION_WEIGHTS_FILES = {
    False: "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    True: "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
}


def digit_classifier(input_shape=(28, 28, 1), num_classes=10, feature_dim=128, seed=0):
    """A small convolutional classifier of digits (8x8 or 28x28), compiled, untrained.

    Two blocks of 3x3 convolutions (32 then 64 filters, ReLU, "same"
    padding) each followed by 2x2 max pooling (28 -> 14 -> 7; 8 -> 4 -> 2),
    dropout 0.25, a dense ReLU layer of `feature_dim` units named
    `"features"` (the feature map of the metrics), dropout 0.5 and a softmax
    over `num_classes` (the classifier score's `p(y | x)`). Dropout acts in
    training only and is seeded: the same seed gives the same network. A functional model: it saves and loads as `.keras` without kgen.

    Args:
        input_shape: the shape of one image `(H, W, C)`, H, W >= 4.
        num_classes: int >= 2.
        feature_dim: int >= 1, the size of the features.
        seed: int, the seed of the initial weights.

    Returns:
        A `keras.Model` compiled with Adam and sparse categorical
        cross-entropy (labels are integers), reporting accuracy.
    """
    input_shape = _validation.shape("input_shape", input_shape, rank=3)
    if min(input_shape[:2]) < 4:
        _validation.fail("input_shape", "(H, W, C) with H, W >= 4", input_shape)
    num_classes = _validation.integer("num_classes", num_classes, minimum=2)
    feature_dim = _validation.positive_int("feature_dim", feature_dim)
    seed = _validation.seed(seed)
    seeds = iter(range(seed or 0, (seed or 0) + 4))

    def initializer():
        return keras.initializers.GlorotUniform(seed=next(seeds))

    inputs = keras.Input(input_shape)
    h = inputs
    for filters in (32, 64):
        h = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                kernel_initializer=initializer())(h)
        h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Dropout(0.25, seed=seed)(keras.layers.Flatten()(h))
    h = keras.layers.Dense(feature_dim, activation="relu", kernel_initializer=initializer(),
                           name=FEATURES_LAYER)(h)
    outputs = keras.layers.Dense(num_classes, activation="softmax",
                                 kernel_initializer=initializer(), name="probabilities")(
        keras.layers.Dropout(0.5, seed=seed)(h))
    model = keras.Model(inputs, outputs, name="digit_classifier")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_feature_extractor(x, y, epochs=15, batch_size=64, seed=0, path=None, verbose=0):
    """Trains `digit_classifier` on labelled digits; optionally saves it as `.keras`.

    Args:
        x: images `[n, H, W]` or `[n, H, W, C]` in [0, 1].
        y: integer labels `[n]` in `[0, num_classes)`; `num_classes` is
            `max(y) + 1`.
        epochs, batch_size: of `fit` (15 epochs: 98.65% on MNIST, benchmarks/RESULTS.md).
        seed: the seed of the initial weights and of the shuffling.
        path: optional `.keras` file to save the trained classifier to.
        verbose: `fit`'s verbosity.

    Returns:
        The trained classifier; `feature_extractor(classifier)` gives its
        features.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    y = np.asarray(y).astype(np.int64)
    if x.ndim != 4 or y.shape != (len(x),) or len(x) == 0:
        _validation.fail("y", f"integer labels of shape ({len(x)},) for images [n, H, W(, C)]",
                         y.shape)
    epochs = _validation.positive_int("epochs", epochs)
    batch_size = _validation.positive_int("batch_size", batch_size)
    seed = _validation.seed(seed)
    if path is not None and not os.fspath(path).endswith(".keras"):
        _validation.fail("path", "None or a path ending in .keras", path)
    if seed is not None:
        keras.utils.set_random_seed(seed)  # fit's shuffling
    classifier = digit_classifier(x.shape[1:], int(y.max()) + 1, seed=seed)
    classifier.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=verbose)
    if path is not None:
        classifier.save(path)
    return classifier


def feature_extractor(classifier):
    """The penultimate (`"features"`) layer of a `digit_classifier`, as a `keras.Model`."""
    try:
        layer = classifier.get_layer(FEATURES_LAYER)
    except (AttributeError, ValueError):
        _validation.fail("classifier", f"a Keras model with a layer named {FEATURES_LAYER!r}",
                         classifier)
    return keras.Model(classifier.input, layer.output, name="digit_features")


def inception_preprocess(images, value_range=(0.0, 1.0)):
    """Images as InceptionV3 reads them: 299x299, three channels, values in [-1, 1].

    Args:
        images: `[n, H, W]`, `[n, H, W, 1]` or `[n, H, W, 3]`, values in
            `value_range`; grey images are repeated over three channels.
        value_range: `(low, high)` of the pixel values (`(-1, 1)` for a
            tanh generator).

    Returns:
        A float32 tensor `[n, 299, 299, 3]`, bilinearly resized, scaled as
        `keras.applications.inception_v3.preprocess_input` does (to [-1, 1]).
    """
    low, high = _validation.interval("value_range", value_range)
    images = keras.ops.convert_to_tensor(images, dtype="float32")
    if len(images.shape) == 3:
        images = images[..., None]
    if len(images.shape) != 4 or images.shape[-1] not in (1, 3):
        _validation.fail("images", "an array [n, H, W] or [n, H, W, C] with C in (1, 3)",
                         tuple(images.shape))
    if images.shape[-1] == 1:
        images = keras.ops.repeat(images, 3, axis=-1)
    images = keras.ops.image.resize(images, (299, 299), interpolation="bilinear")
    return 2.0 * (images - low) / (high - low) - 1.0


class InceptionV3Features:
    """InceptionV3's 2,048 pool features (or, with `include_top`, its 1,000 class probabilities).

    A callable for the metrics' `features=` (or `classifier=`): it applies
    `inception_preprocess` and the network. Not serialisable: a metric
    using it has no config; rebuild it from the weights file.

    Args:
        weights: the path of the Keras InceptionV3 weights file
            (`INCEPTION_WEIGHTS_FILES[include_top]`, from
            `keras.applications`' release page), or None for a randomly
            initialised network (tests only: its numbers mean nothing).
        include_top: False: pooled features; True: class probabilities.
        value_range: `(low, high)` of the images' values.

    Raises:
        FileNotFoundError: when `weights` names no file; the message names
            the expected file.
    """

    def __init__(self, weights, include_top=False, value_range=(0.0, 1.0)):
        include_top = _validation.boolean("include_top", include_top)
        self.value_range = _validation.interval("value_range", value_range)
        if weights is not None and not os.path.isfile(weights):
            raise FileNotFoundError(
                f"InceptionV3 weights not found at {os.fspath(weights)!r}: kgen never "
                f"downloads them. Expected the Keras file "
                f"{INCEPTION_WEIGHTS_FILES[include_top]!r} (include_top={include_top}).")
        self.network = keras.applications.InceptionV3(
            weights=None if weights is None else os.fspath(weights), include_top=include_top,
            pooling=None if include_top else "avg", input_shape=(299, 299, 3))

    def __call__(self, images):
        return self.network(inception_preprocess(images, self.value_range), training=False)
