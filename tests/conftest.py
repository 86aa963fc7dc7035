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
