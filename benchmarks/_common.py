"""Helpers shared by the benchmark scripts: data, machine description, timing."""

import json
import os
import pathlib
import platform
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from kgen import datasets

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED_MNIST = REPO_ROOT.parent / "shared" / "data" / "mnist" / "mnist-t10k-8k.npz"
BINARIZATION = "pixel = 1 if raw uint8 value > 127 else 0 (fixed, deterministic)"


def load_binarized_mnist(path):
    """MNIST from `path`, binarised at raw > 127 (threshold 0.5 after / 255).

    Returns:
        `(x_train, x_test)`, float32 arrays of shape `(N, 28, 28, 1)` in {0, 1}.
    """
    (x_train, _), (x_test, _) = datasets.load_mnist(path)
    return datasets.binarize(x_train), datasets.binarize(x_test)


def machine_info():
    """Where the numbers were measured: platform, CPUs, library versions."""
    try:
        usable_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # Not on Linux.
        usable_cpus = os.cpu_count()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus,
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


class StepTimer(keras.callbacks.Callback):
    """Records the wall-clock time and step index at the end of every execution.

    With `steps_per_execution=N`, Keras calls `on_train_batch_end` once per N
    steps with the index of the last one, so steps are counted from those
    indices. `steps_per_second()` uses the steps after the first execution of
    the `fit` call, so neither `fit`'s set-up nor the first call's latency
    (tracing, compilation) is counted.
    """

    def on_train_begin(self, logs=None):
        self.times = []
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())
        self.steps.append(batch)

    def steps_per_second(self):
        return (self.steps[-1] - self.steps[0]) / (self.times[-1] - self.times[0])


def summarize(values):
    """Median, min and max of a list of timing windows."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "windows": list(values),
    }


def relative_paths(value):
    """`value` with every absolute path string under the repository's parent made relative.

    Results JSON is committed: it records paths relative to the repository
    (`../shared/data/...`, `benchmarks/results/...`), never this machine's
    absolute ones. Walks dicts, lists and tuples; other values are kept.
    """
    if isinstance(value, dict):
        return {key: relative_paths(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [relative_paths(item) for item in value]
    if isinstance(value, (str, pathlib.PurePath)):
        text = str(value)
        prefix = str(REPO_ROOT.parent) + os.sep
        if text.startswith(prefix):
            return text.replace(str(REPO_ROOT) + os.sep, "").replace(prefix, "../")
    return value


def write_json(path, payload):
    """Writes `payload` as indented JSON, absolute paths made relative (`relative_paths`)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(relative_paths(payload), indent=2) + "\n")


def gemm_floor(shapes, repeats=30, with_tensorflow=False):
    """Seconds per step if a step did nothing but the `(m, k, n)` products `shapes`.

    Each distinct shape is timed alone (best of `repeats`), NumPy's BLAS with
    its default threads, in this process and on this machine, and the step's
    products summed: the speed the step would have at NumPy's matrix-product
    rate for its shapes. With `with_tensorflow`, `tf.matmul` (in a
    `tf.function`, result fetched) is timed too and each shape counts at the
    faster of the two.

    Returns:
        A dict: `seconds_per_step`, `steps_per_second`, `flops_per_step`
        (2 m k n summed), `gflops_per_second` (the rate over the step) and
        `engines` (the libraries timed).
    """
    if with_tensorflow:
        import tensorflow as tf  # noqa: PLC0415 (only the GAN benchmark asks for it)

        tf_matmul = tf.function(tf.matmul, autograph=False)
    rng = np.random.default_rng(0)
    best_of = {}
    for shape in sorted(set(shapes)):
        m, k, n = shape
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        calls = [lambda: np.matmul(a, b)]
        if with_tensorflow:
            a_tf, b_tf = tf.constant(a), tf.constant(b)
            tf_matmul(a_tf, b_tf).numpy()  # trace
            calls.append(lambda: tf_matmul(a_tf, b_tf).numpy())
        best = float("inf")
        for _ in range(repeats):
            for call in calls:
                start = time.perf_counter()
                call()
                best = min(best, time.perf_counter() - start)
        best_of[shape] = best
    total = sum(best_of[shape] for shape in shapes)
    flops = sum(2 * m * k * n for m, k, n in shapes)
    return {"seconds_per_step": total, "steps_per_second": 1.0 / total, "flops_per_step": flops,
            "gflops_per_second": flops / total / 1e9,
            "engines": ["numpy"] + (["tensorflow"] if with_tensorflow else [])}
