"""Shared pytest set-up: quiet TensorFlow, Keras on the TensorFlow backend."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pathlib  # noqa: E402

import pytest  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
MNIST_NPZ = REPO_ROOT.parent / "shared" / "data" / "mnist" / "mnist-t10k-8k.npz"


@pytest.fixture
def mnist_npz_path():
    """Path of the shared real-MNIST subset; skips when it is not beside the repo."""
    if not MNIST_NPZ.exists():
        pytest.skip(f"shared MNIST subset not found at {MNIST_NPZ}")
    return MNIST_NPZ


@pytest.fixture(autouse=True)
def _fixed_global_seeds():
    """Resets Python's, NumPy's and TensorFlow's global seeds before every test.

    `fit` shuffles with the global generators, so without this a test's
    outcome would depend on which tests ran before it. Skipped where Keras is
    not installed (the GPU machine runs the native tests without it).
    """
    import importlib.util

    if importlib.util.find_spec("keras") is not None:
        import keras

        keras.utils.set_random_seed(20261121)
    yield


@pytest.fixture(scope="session")
def cli_run(tmp_path_factory):
    """`cli_run(name, data="digits")`: the folder of a 1-epoch `kgen train` of model `name`.

    Each (model, data) pair is trained once per test process
    (`zoo.train_with_cli`: 128 examples, batch size 32, seed 0), and the
    tests that read a run share it: they must not change it.
    """
    import zoo

    runs = {}

    def run(name, data="digits"):
        if (name, data) not in runs:
            out = tmp_path_factory.mktemp("cli_runs") / name
            runs[name, data] = zoo.train_with_cli(name, out, data)
        return runs[name, data]

    return run
