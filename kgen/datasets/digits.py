"""scikit-learn's bundled 8x8 handwritten digits, ready for a Keras model.

The 1,797 images ship inside scikit-learn (`sklearn.datasets.load_digits`), so
this loader never touches the network: it is kgen's default data set for
examples and tests.
"""

import numpy as np
from sklearn import datasets as _sklearn_datasets

from kgen import _validation


def load_digits(test_fraction=None, seed=0):
    """Loads the 8x8 digits as float32 images in [0, 1].

    Each pixel of the original data counts dark cells in a 4x4 block (0..16);
    it is divided by 16.

    Args:
        test_fraction: `None` (default) to return the whole set, or a float in
            (0, 1): the fraction of images held out as a test set, chosen by a
            random permutation drawn from `seed`.
        seed: int, seeds the permutation of the train/test split (ignored when
            `test_fraction` is `None`). The same seed gives the same split.

    Returns:
        With `test_fraction=None`: `(x, y)`, where `x` is float32 of shape
        `(1797, 8, 8, 1)` with values in [0, 1] and `y` is int64 of shape
        `(1797,)` with digit labels 0..9.

        Otherwise: `(x_train, y_train), (x_test, y_test)` with the same dtypes;
        the test set has `round(test_fraction * 1797)` images.

    Raises:
        ValueError: if `test_fraction` is not `None` or a number in (0, 1),
            or `seed` is not an int.

    Example:

    >>> x, y = load_digits()
    >>> x.shape, y.shape
    ((1797, 8, 8, 1), (1797,))
    """
    test_fraction = _validation.optional_number(
        "test_fraction", test_fraction, minimum=0, maximum=1,
        exclusive_minimum=True, exclusive_maximum=True,
    )
    seed = _validation.seed(seed)
    bunch = _sklearn_datasets.load_digits()
    x = (bunch.images / 16.0).astype("float32")[..., np.newaxis]
    y = bunch.target.astype("int64")
    if test_fraction is None:
        return x, y
    order = np.random.default_rng(seed).permutation(len(x))
    num_test = int(round(test_fraction * len(x)))
    test, train = order[:num_test], order[num_test:]
    return (x[train], y[train]), (x[test], y[test])
