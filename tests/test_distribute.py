"""kgen models under `tf.distribute`: two replicas train as one device does.

- `MirroredStrategy` over two logical CPUs: the same model, from the same
  weights, on the same global batches ends with the weights and epoch
  metrics of one device, for every registered model (its tiny instance,
  `tests/zoo.py`, with plain SGD; tolerances below). The last batch splits
  unevenly (2 + 1 rows), or, for models without convolutions, leaves the
  second replica with no rows (1 + 0). The RBM's CD-k case (an extra: the
  tiny RBM is persistent) is checked against a replay of both replicas'
  Gibbs-op calls with their statistics averaged.
- `MultiWorkerMirroredStrategy`: two worker processes on 127.0.0.1 train
  one epoch of each registered model and end with bit-identical weights.
- `compile` under two replicas turns XLA and multi-step execution off.

The strategies run in `tests/distribute_worker.py`, in fresh processes:
logical devices must be configured before TensorFlow initialises, which
this pytest process has long done, and each worker needs a process of its
own. About 40 s for the mirrored runs and 45 s for the workers on 2 CPU
cores (112 s and 52 s measured with the cores busy with other jobs, load
average 7), a fifth to a quarter of each for DRAW, whose recurrent train
step is slow to trace.
"""

import fcntl
import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

from distribute_worker import IMAGE_POOL_SPLITS
from distribute_worker import MIRRORED_CASES
from zoo import MODEL_NAMES

WORKER = pathlib.Path(__file__).with_name("distribute_worker.py")
REPO_ROOT = WORKER.parent.parent
TIMEOUT_S = 600

# Tolerances of the mirrored comparisons, in absolute weight units (weights
# are up to about 2, SGD with rate 3e-3, 3 steps; the updates move the
# largest weights of every model by 5e-3 to 0.6).
#
# Without batch normalisation the two runs do the same arithmetic except
# the order of float32 sums: one device sums a gradient over the whole
# batch, two replicas sum halves and the all-reduce adds the halves. Each
# gradient element then differs by a few ulps (float32 eps = 6e-8) of the
# magnitudes summed; after three SGD steps the weights differed by at most
# 4e-8 (RealNVP; DRAW 1.5e-8) when the test was written. 1e-6 leaves a
# factor 25 for other CPUs' orders of summation, and is 1e4 times below
# what a wrong aggregation leaves: a sum over the replicas instead of a mean
# doubles every update, and noise drawn differently on a replica changes
# the updates by their own size.
ATOL = 1e-6
# Synchronised batch normalisation computes the variance as E[x^2] - E[x]^2,
# which turns those ulps into relative errors larger by E[x^2] / Var[x]; the
# biases feeding a normalisation also get gradients that are pure rounding
# (normalisation removes their effect). Largest difference seen: 7e-7.
ATOL_BATCH_NORM = 1e-5
# The epoch metrics are means of per-step global-batch means, a few float32
# ulps apart in both runs.
METRIC_RTOL = 1e-5


def _tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


def _run_worker(command, out_dir, env=None):
    """Starts `distribute_worker.py command out_dir` in a fresh process."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), command, str(out_dir)],
        cwd=REPO_ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(processes):
    """Waits for all `processes`; fails with their stderr on a timeout or an error."""
    try:
        outputs = [process.communicate(timeout=TIMEOUT_S) for process in processes]
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
        errors = [_tail(process.communicate()[1]) for process in processes]
        pytest.fail(f"worker timed out after {TIMEOUT_S} s:\n" + "\n---\n".join(errors))
    for process, (_, err) in zip(processes, outputs):
        if process.returncode != 0:
            pytest.fail(f"worker exited with {process.returncode}:\n{_tail(err)}")


def _free_ports(count):
    """`count` distinct TCP ports free on 127.0.0.1 (held open together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _weights(arrays, prefix):
    keys = sorted((k for k in arrays.files if k.startswith(prefix + "_")), key=lambda k: int(k.split("_")[-1]))
    return [arrays[k] for k in keys]


@pytest.fixture(scope="module")
def mirrored_results(tmp_path_factory):
    """The mirrored worker's output folder, made once per test session.

    Under pytest-xdist each test process would set up this module fixture
    (the parameters are split between them); the first one to take the lock
    in the session's shared temporary folder runs the worker, the others
    wait for it and read its files (pytest-xdist's documented pattern for
    session-wide data).
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # common to every xdist worker of the session
    out_dir = shared / "mirrored-results"
    with open(shared / "mirrored-results.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (out_dir / "done").exists():
                out_dir.mkdir(exist_ok=True)
                _wait([_run_worker("mirrored", out_dir)])
                (out_dir / "done").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return out_dir


@pytest.mark.parametrize("case", MIRRORED_CASES)
def test_mirrored_strategy_trains_as_one_device_on_the_global_batch(mirrored_results, case):
    error = mirrored_results / f"{case}.error"
    if error.exists():
        pytest.fail(f"{case} failed in the worker:\n{error.read_text()}")
    arrays = np.load(mirrored_results / f"{case}.npz")
    before, single, mirrored = (_weights(arrays, name) for name in ("before", "single", "mirrored"))
    assert len(single) == len(mirrored) == len(before) > 0

    # The comparison means something only if training moved the weights by
    # far more than the tolerance: a wrong aggregation changes them by the
    # size of the updates.
    atol = ATOL_BATCH_NORM if arrays["batch_norm"] else ATOL
    moved = max(float(np.max(np.abs(s - b))) for s, b in zip(single, before))
    assert moved > 100 * atol, f"{case}: the weights moved by {moved:.2e} only"
    for index, (s, m) in enumerate(zip(single, mirrored)):
        np.testing.assert_allclose(m, s, rtol=0, atol=atol, err_msg=f"{case}: weight {index}")

    metrics = {k.split(":", 1)[1] for k in arrays.files if k.startswith("single:")}
    assert case == "rbm_cd" or metrics, case  # the CD-k replay has no one-device fit
    if case == "rbm":
        # The PCD model's reconstruction_error samples h_0 ~ p(h | v) for each
        # data row from the replica's own Philox stream (as CD-k chains do),
        # so on two replicas the draws differ from one device's: the same
        # distribution, other numbers. The weights and the other metrics
        # must still agree.
        metrics.discard("reconstruction_error")
    # The RBM's loss is a difference of two mean free energies of about 45
    # nats, which one device (the fused step: softplus sums in the kernel)
    # and two replicas (TensorFlow's softplus) round differently in float32:
    # a few ulps of 45 nats, 1e-5 absolute.
    atol = 1e-5 if case == "rbm" else 0.0
    for name in metrics:
        np.testing.assert_allclose(
            arrays[f"mirrored:{name}"], arrays[f"single:{name}"], rtol=METRIC_RTOL, atol=atol,
            err_msg=f"{case}: {name}",
        )


def test_image_pool_under_mirrored_strategy_is_one_device_on_the_global_batch(mirrored_results):
    # Every replica queries the pool with the all-gathered global batch and
    # the same draws, and returns its rows: the outputs and both replicas'
    # pools must be one device's exactly (the query only moves images).
    error = mirrored_results / "image_pool.error"
    if error.exists():
        pytest.fail(f"the image pool failed in the worker:\n{error.read_text()}")
    arrays = np.load(mirrored_results / "image_pool.npz")
    returned_stored = 0
    for k in range(len(IMAGE_POOL_SPLITS)):
        np.testing.assert_array_equal(arrays[f"mirrored_{k}"], arrays[f"single_{k}"], err_msg=f"query {k}")
        returned_stored += np.sum(arrays[f"single_{k}"] != arrays[f"images_{k}"])
    assert returned_stored > 0  # the pool filled and swapped: the comparison covers both
    for r in range(2):
        np.testing.assert_array_equal(arrays[f"mirrored_images_{r}"], arrays["single_images"], err_msg=f"replica {r}")
        assert arrays[f"mirrored_count_{r}"] == arrays["single_count"] == 4


def test_multiworker_workers_end_with_identical_weights(tmp_path):
    # Each worker applies the same all-reduced gradients (the collective
    # hands every worker the same bits) to the same weights (broadcast from
    # worker 0 when created) with the same deterministic ops, so the weights
    # must agree exactly, BN moving statistics and PCD chains included.
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    processes = []
    for index in range(2):
        (tmp_path / f"worker{index}").mkdir()
        tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        # CPU only: two workers must not share a GPU.
        env = {"TF_CONFIG": json.dumps(tf_config), "CUDA_VISIBLE_DEVICES": "-1"}
        processes.append(_run_worker("multiworker", tmp_path / f"worker{index}", env))
    _wait(processes)

    for name in MODEL_NAMES:
        first, second = (np.load(tmp_path / f"worker{i}" / f"{name}.npz") for i in range(2))
        assert sorted(first.files) == sorted(second.files) and first.files, name
        for key in first.files:
            assert np.all(np.isfinite(first[key])), f"{name}: {key} not finite"
            np.testing.assert_array_equal(first[key], second[key], err_msg=f"{name}: {key}")


def test_compile_under_two_replicas_turns_off_xla_and_multi_step_execution(mirrored_results):
    # Keras 3 cannot run either under several replicas (see
    # kgen/models/_replicas.py): the defaults become no XLA and one step per
    # execution, and asking for them falls back with a warning.
    error = mirrored_results / "compile.error"
    if error.exists():
        pytest.fail(f"compile failed in the worker:\n{error.read_text()}")
    choices = json.loads((mirrored_results / "compile.json").read_text())
    for name in MODEL_NAMES:
        default, explicit = choices[f"{name}/default"], choices[f"{name}/explicit"]
        for choice in (default, explicit):
            assert choice["jit_compile"] is False and choice["steps_per_execution"] == 1, (name, choice)
        assert default["warnings"] == [], name
        messages = " | ".join(explicit["warnings"])
        assert "`steps_per_execution` > 1 does not work under a tf.distribute strategy" in messages
        assert "Received: steps_per_execution=8" in messages
        if not explicit["refuses_xla"]:  # the RBM refuses XLA anywhere
            assert "`jit_compile=True` does not work under a tf.distribute strategy" in messages


def test_make_strategy():
    import tensorflow as tf

    from kgen.distribute import make_strategy

    assert make_strategy() is tf.distribute.get_strategy()
    strategy = make_strategy("mirrored", devices=["/cpu:0"])
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert strategy.num_replicas_in_sync == 1
    with pytest.raises(ValueError, match=r"`name` must be None or one of \('mirrored', 'multiworker'\). Received: name='tpu'"):
        make_strategy("tpu")
    with pytest.raises(ValueError, match=r"`devices` can only be given with name='mirrored'. Received: name='multiworker'"):
        make_strategy("multiworker", devices=["/cpu:0"])
