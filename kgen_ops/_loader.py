"""Finds and loads the compiled TensorFlow op library `_kgen_ops.so`.

With an editable install the package's `__file__` is in the source tree while
the built libraries sit in site-packages, so the library is searched along the
package's `__path__`, which lists both places.
"""

import json
import os

import kgen_ops

_LIBRARY_NAME = "_kgen_ops.so"
_library = None


def library_path():
    """Path of the op library, or None when it was not built."""
    for folder in kgen_ops.__path__:
        candidate = os.path.join(folder, _LIBRARY_NAME)
        if os.path.exists(candidate):
            return candidate
    return None


def build_info():
    """What the op library was built with: {"tensorflow": version, "cuda": 0|1}, or {}."""
    for folder in kgen_ops.__path__:
        candidate = os.path.join(folder, "_build_info.json")
        if os.path.exists(candidate):
            with open(candidate) as f:
                return json.load(f)
    return {}


def load_op_library():
    """Loads the op library once and returns its generated op module.

    Raises:
        ImportError: when the library was not built, or was built for another
            TensorFlow than the one imported (the message says which).
    """
    global _library
    if _library is not None:
        return _library
    import tensorflow as tf

    path = library_path()
    if path is None:
        raise ImportError(
            "kgen's TensorFlow op library (_kgen_ops.so) was not built. Build it with "
            "`make build` (or `pip install --no-build-isolation -e .` in an environment "
            "where `import tensorflow` works)."
        )
    built_for = build_info().get("tensorflow")
    try:
        _library = tf.load_op_library(path)
    except (tf.errors.NotFoundError, OSError) as error:
        raise ImportError(
            f"kgen's op library at {path} failed to load: it was built for TensorFlow "
            f"{built_for}, and TensorFlow {tf.__version__} is imported. Rebuild with "
            f"`make build`. Loader said: {error}"
        ) from error
    return _library


def op_library_loaded():
    """True when the op library can be (or has been) loaded in this process."""
    try:
        load_op_library()
    except ImportError:
        return False
    return True
