"""Export a Keras model as a SavedModel with named serving signatures.

TF Serving (and any process that has only TensorFlow) runs a SavedModel by
its *signatures*: named functions with typed inputs and named outputs. A
kgen model exports a few of them (a VAE: `encode`, `decode`, `sample`,
`reconstruct`) plus the `serving_default` alias that TF Serving calls when
a request names no signature.

`export_model` builds the SavedModel with Keras' own `keras.export.
ExportArchive` rather than a hand-made `tf.Module`:

- the archive saves the model's variables and whatever the traced
  signature functions use, not the whole Keras object graph with its
  optimizer, metrics and Python-only state (and it needs no Keras to load);
- each function is registered under its own name, so the signature keys,
  the input names (from the `tf.TensorSpec` names or argument names) and
  the output names (the keys of the returned dict) are the ones the caller
  chose, with no `output_0` renaming;
- it also tracks lookup tables and other resources that a plain
  `tf.Module` would silently miss.

The write is atomic: the SavedModel is written into a fresh temporary folder
beside `path` and renamed into place only once it is complete, so a reader
(for example TF Serving polling its model folder) never sees half a model.

Example:

```python
import keras
import tensorflow as tf
from kgen.export import export_model

model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])

@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
def predict(x):
    return {"y": model(x)}

@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
def argmax(x):
    return {"label": tf.argmax(model(x), axis=-1)}

export_model(
    model,
    "/tmp/dense/1",  # TF Serving wants a numeric version folder
    signatures={"predict": predict, "argmax": argmax},
    serving_default="predict",
)
```
"""

import os
import re
import shutil
import tempfile

import keras
import tensorflow as tf

from kgen import _validation

_SIGNATURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SERVING_DEFAULT = "serving_default"


def export_model(model, path, signatures, serving_default=None, overwrite=False):
    """Write `model` as a SavedModel with the given named signatures.

    Every entry of `signatures` becomes a SavedModel signature of that name;
    the one named by `serving_default` is also exported as
    `"serving_default"`. The SavedModel holds the variables the signature
    functions read, and its graph only the ops those functions trace to: if
    a function calls a kgen custom op (`Kgen>...`), the export still
    succeeds but TF Serving will not load it. Check an export with
    `kgen.serving.check_serving`.

    The SavedModel is first written into a temporary folder in the parent
    directory of `path` (named `.{basename}.tmp-<random>`, unique by
    `tempfile.mkdtemp`), then renamed to `path`. On any failure the
    temporary folder is removed and an existing export at `path` is left
    untouched. With `overwrite=True` an existing export is renamed away,
    the new one renamed in, then the old one deleted; if the second rename
    fails the old export is put back.

    Args:
        model: A built `keras.Layer` or `keras.Model` whose variables the
            signature functions read.
        path: `str` or path-like. The SavedModel folder to create. For TF
            Serving it should end in a numeric version folder, e.g.
            `exports/vae/1`.
        signatures: Non-empty `dict` mapping a signature name (a Python
            identifier) to a `tf.function` created with an
            `input_signature`. Each function must return a `dict` mapping
            output names (`str`) to tensors.
        serving_default: Optional name of the entry of `signatures` that is
            also exported as `"serving_default"`. Defaults to the first
            entry. Must be `None` if `signatures` already has a
            `"serving_default"` entry.
        overwrite: Whether to replace an existing file or folder at `path`.

    Returns:
        The absolute path of the written SavedModel, as a `str`.

    Raises:
        ValueError: If an argument is invalid, or a signature function does
            not return a dict of tensors.
        FileExistsError: If `path` exists and `overwrite` is `False`.

    Example:

    ```python
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def predict(x):
        return {"y": model(x)}

    export_model(model, "exports/dense/1", {"predict": predict})
    loaded = tf.saved_model.load("exports/dense/1")
    loaded.signatures["predict"](x=tf.zeros([1, 3]))["y"]
    ```
    """
    _validate(model, path, signatures, serving_default)
    overwrite = _validation.boolean("overwrite", overwrite)
    path = os.path.abspath(os.fspath(path))
    if serving_default is None and _SERVING_DEFAULT not in signatures:
        serving_default = next(iter(signatures))
    if os.path.lexists(path) and not overwrite:
        raise _exists_error(path)

    parent, base = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{base}.tmp-", dir=parent)
    try:
        _write_archive(model, tmp, signatures, serving_default)
        # mkdtemp makes the folder private (0700); give the export the
        # permissions any new folder gets, so a server running as another
        # user can read it.
        _chmod_tree_like_umask(tmp)
        _move_into_place(tmp, path, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _validate(model, path, signatures, serving_default):
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(
            "`model` must be a `keras.Layer` or `keras.Model`. "
            f"Received: model={model!r}"
        )
    if not model.built:
        raise ValueError(
            "`model` must be built (call it once or call `build`) before "
            f"export. Received: model={model!r}"
        )
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ValueError(
            f"`path` must be a non-empty `str` or path-like. Received: path={path!r}"
        )
    if not isinstance(signatures, dict) or not signatures:
        raise ValueError(
            "`signatures` must be a non-empty dict mapping names to "
            f"`tf.function`s. Received: signatures={signatures!r}"
        )
    for name, fn in signatures.items():
        if not isinstance(name, str) or not _SIGNATURE_NAME.match(name):
            raise ValueError(
                "Every key of `signatures` must be a Python identifier "
                f"(letters, digits, `_`). Received: signatures key {name!r}"
            )
        if not isinstance(fn, tf.types.experimental.GenericFunction):
            raise ValueError(
                f"`signatures[{name!r}]` must be a `tf.function`. "
                f"Received: signatures[{name!r}]={fn!r}"
            )
        if fn.input_signature is None:
            raise ValueError(
                f"`signatures[{name!r}]` must be a `tf.function` created "
                "with an `input_signature`. "
                f"Received: signatures[{name!r}]={fn!r}"
            )
    if serving_default is not None:
        if _SERVING_DEFAULT in signatures:
            raise ValueError(
                "`serving_default` must be None when `signatures` already "
                f"has a {_SERVING_DEFAULT!r} entry. "
                f"Received: serving_default={serving_default!r}"
            )
        _validation.choice("serving_default", serving_default, (None, *sorted(signatures)))


def _exists_error(path):
    return FileExistsError(
        f"`path` must not exist unless `overwrite=True`. Received: path={path!r}"
    )


def _write_archive(model, folder, signatures, serving_default):
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, fn in signatures.items():
        # Tracing here (rather than letting the archive re-wrap the Python
        # function) keeps the caller's tf.function exactly as written, and
        # lets us check the outputs before anything is written.
        concrete = fn.get_concrete_function()
        _check_outputs(name, concrete.structured_outputs)
        archive.add_endpoint(name, fn)
    if serving_default is not None:
        archive.add_endpoint(_SERVING_DEFAULT, signatures[serving_default])
    archive.write_out(folder, verbose=False)


def _check_outputs(name, outputs):
    ok = (
        isinstance(outputs, dict)
        and outputs
        and all(isinstance(k, str) for k in outputs)
        and all(isinstance(v, tf.Tensor) for v in outputs.values())
    )
    if not ok:
        raise ValueError(
            f"`signatures[{name!r}]` must return a non-empty dict mapping "
            f"output names to tensors. Received: outputs={outputs!r}"
        )


def _chmod_tree_like_umask(folder):
    umask = os.umask(0)
    os.umask(umask)
    dir_mode = 0o777 & ~umask
    file_mode = 0o666 & ~umask
    os.chmod(folder, dir_mode)
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), dir_mode)
        for f in files:
            os.chmod(os.path.join(root, f), file_mode)


def _move_into_place(tmp, path, overwrite):
    parent, base = os.path.split(path)
    if not os.path.lexists(path):
        # Re-checked here: the write took a while and `os.rename` would
        # silently replace an empty folder created meanwhile.
        os.rename(tmp, path)
        return
    if not overwrite:
        raise _exists_error(path)
    # The old export goes into its own fresh folder, so its new name cannot
    # collide with anything, then the new one takes its place.
    trash = tempfile.mkdtemp(prefix=f".{base}.old-", dir=parent)
    old = os.path.join(trash, base)
    os.rename(path, old)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.rename(old, path)
        shutil.rmtree(trash, ignore_errors=True)
        raise
    shutil.rmtree(trash, ignore_errors=True)
