"""`kgen train --strategy mirrored|multiworker`: runs end to end, the chief alone writes the run.

Each case runs in fresh processes: the logical CPU devices (two, standing
for two GPUs) and a multi-worker strategy must be set up before TensorFlow
initialises, which has happened long before in the test process. The
numerical equivalence of distributed and single-device training is tested
model by model in tests/test_distribute.py; these tests check the command
line's wiring: the strategy really has two replicas, the model trains, the
chief writes a complete run and the other worker leaves nothing behind.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

_TWO_CPUS = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from kgen import cli
import kgen.distribute
strategy = kgen.distribute.make_strategy("mirrored")
assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
sys.exit(cli.main(sys.argv[1:]))
"""

_ARGS = ["--epochs", "1", "--batch-size", "64", "--max-examples", "300", "--verbose", "0"]


def _env(**extra):
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1", **extra)


@pytest.mark.parametrize("model", ["vae", "dcgan"])
def test_mirrored_over_two_cpu_devices(model, tmp_path):
    out = tmp_path / model
    process = subprocess.run(
        [sys.executable, "-c", _TWO_CPUS, "train", model, *_ARGS, "--strategy", "mirrored", "--out", str(out)],
        capture_output=True, text=True, env=_env(), timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert all(isinstance(v, float) for v in metrics["train"].values())
    assert (out / "model.keras").is_file() and (out / "saved_model" / "saved_model.pb").is_file()
    assert sorted(os.listdir(tmp_path)) == [model]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_multiworker_chief_writes_the_run_and_the_worker_nothing(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        # Each worker has its own file system in a real cluster: own folders here.
        out = tmp_path / f"host{index}" / "vae"
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "kgen", "train", "vae", *_ARGS, "--strategy", "multiworker",
                 "--out", str(out)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=_env(TF_CONFIG=json.dumps(config)),
            )
        )
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    metrics = json.loads((tmp_path / "host0" / "vae" / "metrics.json").read_text())
    # Sample quality is not computed under multiworker, and the file says so.
    assert "multiworker" in metrics["sample_quality"]["skipped"]
    assert os.listdir(tmp_path / "host1") == []  # the worker's scratch run is gone
    assert "worker 1 done" in outputs[1][0]
