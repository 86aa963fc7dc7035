"""`make gpu-check` rehearsed on the emulated CUDA device, so that it passes the first time a GPU is lent.

The rehearsal is the very command a GPU machine runs, with
KGEN_GPU_CHECK_DEVICE=cuda-emulated: CMake configures and builds the pybind11
module without TensorFlow (kgen_ops._native_emulated instead of the nvcc-built
kgen_ops.native), the native tests run against that fresh module from the repo
root (KGEN_NATIVE_PATH), and benchmarks/gibbs_gpu.py runs at toy sizes through
both CUDA paths and writes its JSON. Only the hardware is left out: see
benchmarks/RESULTS.md ("What the CUDA emulation proves").

To stay within CI time the rehearsal runs only the CUDA cases of the native
tests (the CPU cases run in the suite anyway) and leaves out
test_cuda_tiled_with_the_large_tile_shape (a 4500 x 1100 x 1030 problem, about
a minute emulated); tests/test_cuda_emulation.py runs the 128 x 128 tile kernel
on small problems instead. The build folder (build/gpu-emulated) is kept, so
reruns only rebuild what changed.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("cmake") is None, reason="needs make and cmake")
def test_gpu_check_rehearsal_on_the_emulated_device(tmp_path):
    out = tmp_path / "results"
    env = {**os.environ, "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("KGEN_NATIVE_PATH", None)
    command = [
        "make", "--no-print-directory", "gpu-check",
        "KGEN_GPU_CHECK_DEVICE=cuda-emulated",
        f"GPU_PYTHON={sys.executable}",
        "GPU_JOBS=2",
        f"GPU_OUT={out}",
        "GPU_TEST_ARGS=-k cuda --deselect tests/test_native_gibbs.py::test_cuda_tiled_with_the_large_tile_shape",
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert "passed" in result.stdout and " failed" not in result.stdout
    payload = json.loads((out / "gibbs_gpu.json").read_text())
    assert payload["emulated"] and payload["machine"]["native_cuda_emulated"]
    assert {row["path"] for row in payload["rows"]} <= {"fused", "tiled"} and payload["rows"]
    assert all("fused_net_s" in row and "tiled_net_s" in row for row in payload["crossover"])
