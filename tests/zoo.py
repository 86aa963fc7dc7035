"""The test zoo: a tiny instance of every registered model and its training data.

Tests that must hold for every model (the `.keras` round trip, export, the
distribution strategies, one CLI epoch, argument errors) parametrize over
`MODEL_NAMES`, the names of `kgen.registry`, and take the model and its data
from here. A model with a registry row is then covered without editing a
test (STYLE.md, point 11).

- `training_data(entry, num_examples)`: the first digits prepared as the
  row's `DataSpec` says (binarised, in a tanh generator's range, with labels).
- `points(entry, num_examples)`: 2-D points of the ring, for the models that
  are not `images_only`.
- `tiny(entry, seed)`: the row's tiny model on 8x8 digits.
- `trained(entry)`: a tiny model after one training step, cached per process
  (tests must not train it further or change its weights).
- `optimizer_names(model)`: the `compile` arguments that are optimizers
  (`optimizer`, or a GAN's `d_optimizer` and `g_optimizer`).
- `recompile_with_sgd(model, learning_rate)`: the same model compiled with
  plain SGD for every optimizer and no XLA (exact comparisons).
"""

import functools

import numpy as np

from kgen import registry

MODEL_NAMES = registry.names()
IMAGE_SHAPE = (8, 8, 1)
# One training step of `trained` on this many digits.
TRAIN_EXAMPLES = 64


def entry(name):
    """The registry row `name` (`kgen.registry.ModelEntry`)."""
    return registry.get(name)


def training_data(entry, num_examples=TRAIN_EXAMPLES):
    """`(x,)` or `(x, labels)` for `fit`: the first training digits, prepared per `entry.data`.

    Images in [0, 1], binarised (`> 0.5`) for `binary` rows, mapped to
    [-1, 1] (`2x - 1`) for `tanh_range` rows; labels int32 for `labelled` rows.
    A `two_domains` row gets `(a, b)`: the first digits (grey) and the next
    ones in colour (`kgen.datasets.colour_digits`), both in [-1, 1].
    """
    from kgen import datasets

    (x, y), _ = datasets.load_digits(test_fraction=0.2, seed=0)
    if entry.data.two_domains:
        a = x[:num_examples]
        b = datasets.colour_digits(x[num_examples : 2 * num_examples], seed=0)
        return 2.0 * a - 1.0, 2.0 * b - 1.0
    x, y = x[:num_examples], y[:num_examples].astype("int32")
    spec = entry.data
    if spec.binary:
        x = datasets.binarize(x)
    if spec.tanh_range:
        x = 2.0 * x - 1.0
    return (x, y) if spec.labelled else (x,)


def points(entry, num_examples=256):
    """`(x,)`: 2-D points of the ring, for rows that are not `images_only`."""
    from kgen import datasets

    assert not entry.data.images_only, f"{entry.name} trains on images only"
    x, _ = datasets.toy_2d("ring", n=num_examples, seed=0)
    return (x,)


def tiny(entry, seed=0):
    """The row's tiny compiled model on 8x8 digits."""
    return entry.tiny(IMAGE_SHAPE, seed)


@functools.lru_cache(maxsize=None)
def trained(name):
    """`(model, data)`: the tiny model of `name` after one step on `TRAIN_EXAMPLES` digits.

    Cached: the tests that read it share one model per process, and must not
    train it or change its weights.
    """
    row = entry(name)
    model = tiny(row)
    data = training_data(row)
    model.fit(*data, epochs=1, batch_size=TRAIN_EXAMPLES, verbose=0)
    return model, data


def seeded_output(model, data):
    """What a model computes deterministically, to compare before and after a reload.

    A sampler's `sample(4, seed=3)`; a translator's translations of the
    first 4 images of domain A (`data[0]`).
    """
    import keras

    from kgen.models import _protocols

    if isinstance(model, _protocols.Translator):
        return keras.ops.convert_to_numpy(model.translate_a_to_b(data[0][:4]))
    return keras.ops.convert_to_numpy(model.sample(4, seed=3))


def optimizer_names(model):
    """The keyword arguments of the model's `compile` that hold its optimizers, sorted."""
    import keras

    names = []
    for key, value in model.get_compile_config().items():
        if isinstance(value, dict) and value.get("module") == "keras.optimizers":
            names.append(key)
        elif isinstance(value, keras.optimizers.Optimizer):
            names.append(key)
    return sorted(names)


def recompile_with_sgd(model, learning_rate):
    """Compiles `model` again with `SGD(learning_rate)` for each optimizer and no XLA.

    Plain SGD makes an update a fixed multiple of the gradient, so two runs
    whose gradients agree to rounding agree to rounding after the update
    (Adam divides by the gradient's size and amplifies rounding in a
    gradient that is itself rounding). Returns the model.
    """
    import keras

    names = optimizer_names(model)
    assert names, f"{type(model).__name__}: no optimizer in its compile config"
    with model.distribute_strategy.scope():
        optimizers = {name: keras.optimizers.SGD(learning_rate) for name in names}
    model.compile(**optimizers, jit_compile=False)
    return model


def weights_of(model):
    """The model's weights as NumPy arrays (copies)."""
    return [np.array(w) for w in model.get_weights()]


# One short `kgen train` per model (tests/conftest.py's `cli_run` fixture
# runs each once per test process).
CLI_TRAIN_ARGS = ("--epochs", "1", "--max-examples", "128", "--batch-size", "32", "--seed", "0",
                  "--sample-quality-samples", "128", "--verbose", "0")


def train_with_cli(name, out, data="digits"):
    """Runs `kgen train NAME --data DATA --out OUT` with `CLI_TRAIN_ARGS`; returns `out`."""
    from kgen import cli

    status = cli.main(["train", name, "--data", data, "--out", str(out), *CLI_TRAIN_ARGS])
    assert status == 0, f"kgen train {name} exited with {status}"
    return out


def serve_in_process(path, inputs):
    """`kgen.serving.check_serving`'s report, from this process: load and call the SavedModel.

    For the tests that check what a model's signatures compute: the
    fresh-process check (a TensorFlow-only process, every op stock) runs
    once per registered model in `test_zoo.py::test_export_serves_with_stock_tensorflow`,
    so these tests skip the ~6 s of a fresh TensorFlow. Here `non_stock_ops`
    lists the graph's kgen ops (`Kgen>...`), the only non-stock ops kgen
    registers.
    """
    import tensorflow as tf

    from kgen import serving

    def specs(structure):
        return {
            name: ([None if d is None else int(d) for d in spec.shape.as_list()], spec.dtype.name)
            for name, spec in structure.items()
        }

    op_types = serving.graph_op_types(path)
    loaded = tf.saved_model.load(str(path))
    signatures = loaded.signatures
    outputs = {}
    for name, named_or_list in inputs.items():
        function = signatures[name]
        argument_specs = function.structured_input_signature[1]
        calls = [named_or_list] if isinstance(named_or_list, dict) else named_or_list
        results = [
            {
                key: value.numpy()
                for key, value in function(**{
                    arg: tf.convert_to_tensor(value, dtype=argument_specs[arg].dtype)
                    for arg, value in call.items()
                }).items()
            }
            for call in calls
        ]
        outputs[name] = results[0] if isinstance(named_or_list, dict) else results
    return serving.ServingReport(
        outputs=outputs,
        signature_names=sorted(signatures),
        signature_inputs={name: specs(fn.structured_input_signature[1]) for name, fn in signatures.items()},
        signature_outputs={name: specs(fn.structured_outputs) for name, fn in signatures.items()},
        op_types=op_types,
        non_stock_ops=sorted(op for op in op_types if op.startswith("Kgen>")),
    )
