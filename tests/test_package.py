"""Tests of kgen as a package: what `import kgen` reaches, and what the build refuses.

The wheel itself (built by plain `pip wheel .`, installed in a fresh virtual
environment) is checked by `make wheel-check`, which `.ci/run` runs after
the test suite: too slow for it (it installs TensorFlow twice).
"""

import importlib
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import kgen

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["callbacks", "diagnostics", "serving", "evaluation", "metrics", "registry"])
def test_import_kgen_reaches_every_submodule_as_an_attribute(monkeypatch, name):
    # Another test may have imported the submodule already, which sets the
    # attribute; take it off so that `kgen.<name>` must come from the package.
    monkeypatch.delattr(kgen, name, raising=False)
    assert getattr(kgen, name) is importlib.import_module(f"kgen.{name}")
    assert name in dir(kgen)


def _cmake():
    """The CMake the Makefile installs into the virtual environment, else the one on PATH."""
    beside_python = pathlib.Path(sys.executable).parent / "cmake"
    return str(beside_python) if beside_python.exists() else shutil.which("cmake")


@pytest.mark.skipif(_cmake() is None, reason="needs cmake")
def test_the_build_fails_without_tensorflow_unless_asked_for_no_op_library(tmp_path):
    # A `tensorflow` module that cannot be imported stands for a build
    # environment without TensorFlow (pip's isolation before TensorFlow was a
    # build requirement): the configure must fail and say how to go on,
    # instead of building a package without the op library.
    hidden = tmp_path / "no_tensorflow"
    hidden.mkdir()
    (hidden / "tensorflow.py").write_text('raise ImportError("TensorFlow hidden by the test")\n')
    env = {**os.environ, "PYTHONPATH": str(hidden)}
    configure = [
        _cmake(), "-S", str(REPO_ROOT), "-B", str(tmp_path / "build"), f"-DPython_EXECUTABLE={sys.executable}",
        "-DKGEN_CUDA=OFF", "-DKGEN_CUDA_EMULATION=OFF",
    ]
    refused = subprocess.run(configure, env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    message = " ".join(refused.stderr.split())
    assert "TensorFlow hidden by the test" in message
    assert "KGEN_TF_OPS=OFF pip install ." in message and "--no-build-isolation" in message

    # Asked for no op library, the same configure passes (as `make gpu-check` asks).
    built = subprocess.run([*configure, "-DKGEN_TF_OPS=OFF"], env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "kgen: TensorFlow op library 0" in built.stdout
    # The option's former name, which a build script may still pass, wins over the cached KGEN_TF_OPS=ON.
    former = subprocess.run(
        [*configure, "-DKGEN_TF_OPS=ON", "-DKGEN_TENSORFLOW=OFF"], env=env, capture_output=True, text=True, timeout=300
    )
    assert former.returncode == 0, former.stderr
