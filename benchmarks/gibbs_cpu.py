"""Benchmark: CD-k training epochs of a binary RBM on CPU, kgen's fused op against references.

## What is measured

One epoch of CD-k (k in {1, 10}) for an RBM with V = 784 visible and H = 500
hidden units, batch 100, on the 6,000 training digits of the shared MNIST subset
(`../shared/data/mnist/mnist-t10k-8k.npz`), binarised with the fixed rule
"raw value > 127". An update per batch of 100 (60 per epoch), float32:

    h0_prob = p(h | v0);  run k Gibbs sweeps from v0 to vk;  hk_prob = p(h | vk)
    W += lr / B (v0^T h0_prob - vk^T hk_prob);  b_vis += lr mean(v0 - vk);
    b_hid += lr mean(h0_prob - hk_prob)

- kgen: `kgen_ops.cd_update`, the whole step (k sweeps, the sparse CD
  statistics added into W in place, the bias updates) as one op, in one
  `tf.function` per batch. The ops' rows pass `validate_args=False` (no
  value checks per call: the data are known to be binary), as the RBM's
  own steps do; `fit` checks its first batch once per call. Extra rows: the same step as three kinds of op
  (`kgen_ops.gibbs_sweeps` + `kgen_ops.cd_statistics` + `assign_add`), and
  `kgen.models.RBM(...).fit` (Keras `fit`, SGD, its own metrics included:
  the fused step `kgen_ops.cd_step`) on a `tf.data.Dataset` of the batches
  made once, as the other rows' batches are; the same `fit` through Keras'
  optimizer (`compile(fused_update=False)`, the path of other optimizers);
  and `fit` on the NumPy array (Keras slices it into a dataset every call).
- (a) the same CD-k written in stock TensorFlow ops (matmul, sigmoid,
  `tf.random.stateless_uniform` compared with p) in one `tf.function` per batch.
- (b) scikit-learn's `BernoulliRBM` (PCD-1: k = 1 only), one epoch through
  `fit` with `n_iter=1, batch_size=100`, float32 input.
- (c) the matrix-product floor: the products CD-k needs per batch, v0 W, per
  sweep h W^T and v W, and the two gradient products v0^T h0 and vk^T hk,
  (2k + 3) products of 2 B V H FLOPs, each divided by NumPy's float32 matmul
  rate measured for exactly that shape in the same run.
- extra rows: the pure sampler over an epoch (no statistics, no update), through
  the pybind11 module and through the TensorFlow op.

The kernel sums only the rows of W selected by active (1) units, so it does
less arithmetic than a dense product and may run below the dense "floor"; that
is reported as measured.

Every method runs a warm-up epoch (tracing, caches), then `--epochs` timed
epochs; the methods take turns epoch by epoch so that they see the same machine
load, and the table gives the median epoch time. Each timed epoch starts
after 0.25 s idle (other methods' BLAS threads asleep; see `time_epochs`),
and the `tf.function` rows call their traced concrete functions. Ratios are the result, not
seconds: "speed-up" = reference time / kgen time (targets: >= 1.5 against (a),
>= 2.5 against (b)); "x floor" = kgen time / floor time (target <= 1.25).

## Usage

    PYTHONPATH=. python benchmarks/gibbs_cpu.py              # ~1.5 min on 2 cores
    PYTHONPATH=. python benchmarks/gibbs_cpu.py --epochs 10  # RESULTS.md's run, ~3 min
    PYTHONPATH=. python benchmarks/gibbs_cpu.py --quick      # smoke run
Writes benchmarks/results/gibbs_cpu.json.
"""

import argparse
import gc
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import threadpoolctl  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

import kgen_ops  # noqa: E402
from kgen_ops import native  # noqa: E402

VISIBLE, HIDDEN, BATCH = 784, 500, 100
LEARNING_RATE = 0.05
RESULTS = _common.REPO_ROOT / "benchmarks" / "results" / "gibbs_cpu.json"
TARGETS = {"vs_tf_stock": 1.5, "vs_sklearn": 2.5, "x_floor": 1.25,
           "fit_x_cd_update": 1.25, "fit_vs_tf_stock": 1.3}
SETTLE_SECONDS = 0.25  # idle time before each timed epoch (see time_epochs)


def initial_parameters(seed=0):
    """W ~ N(0, 0.01^2), zero biases (the usual RBM start, and kgen.models.RBM's)."""
    rng = np.random.default_rng(seed)
    return (
        (0.01 * rng.standard_normal((VISIBLE, HIDDEN))).astype(np.float32),
        np.zeros(VISIBLE, np.float32),
        np.zeros(HIDDEN, np.float32),
    )


# ---------------------------------------------------------------------------
# kgen: the fused op, the CD statistics and SGD in one tf.function


# The tf.function rows call their function's concrete function (traced once
# for a [100, 784] batch and a seed): a tf.function call's Python-side
# argument handling cost about 0.1 ms per call here, the same for every row.
BATCH_SPEC = tf.TensorSpec([BATCH, VISIBLE], tf.float32)
SEED_SPEC = tf.TensorSpec([2], tf.int64)


class _CDLoop:
    """One CD-k update per batch in a `tf.function`; subclasses define `step`."""

    def __init__(self, data, k):
        w, b_vis, b_hid = initial_parameters()
        self.w, self.b_vis, self.b_hid = tf.Variable(w), tf.Variable(b_vis), tf.Variable(b_hid)
        self.batches = [tf.constant(b) for b in np.split(data, len(data) // BATCH)]
        self.k = k
        self.step_count = 0
        self.traced_step = self.step.get_concrete_function(BATCH_SPEC, SEED_SPEC)

    def epoch(self):
        for v0 in self.batches:
            self.step_count += 1
            self.traced_step(v0, tf.constant([1234, self.step_count], tf.int64))
        self.w.numpy()  # wait for the last update


class FusedCD(_CDLoop):
    name = "kgen cd_update op (tf.function)"

    @tf.function(jit_compile=False)  # XLA has no kernel for the custom op
    def step(self, v0, seed):
        kgen_ops.cd_update(v0, self.w, self.b_vis, self.b_hid, self.k, seed, LEARNING_RATE, validate_args=False)


class SamplerStatisticsCD(_CDLoop):
    name = "extra: gibbs_sweeps + cd_statistics + SGD"

    @tf.function(jit_compile=False)
    def step(self, v0, seed):
        chain = kgen_ops.gibbs_sweeps(v0, self.w, self.b_vis, self.b_hid, self.k, seed, validate_args=False)
        statistics = kgen_ops.cd_statistics(v0, chain.h0_prob, chain.v, chain.h_prob, validate_args=False)
        self.w.assign_add(LEARNING_RATE * statistics.w)
        self.b_vis.assign_add(LEARNING_RATE * statistics.b_vis)
        self.b_hid.assign_add(LEARNING_RATE * statistics.b_hid)


# ---------------------------------------------------------------------------
# (a) the same CD-k in stock TensorFlow ops


class StockTensorFlowCD(_CDLoop):
    name = "(a) stock TF ops CD-k (tf.function)"

    @tf.function(jit_compile=False)  # the same graph runtime as the kgen row
    def step(self, v0, seed):
        def bernoulli(probability, draw):
            seed_of_draw = tf.stack([seed[1], tf.constant(draw, tf.int64)])
            uniform = tf.random.stateless_uniform(tf.shape(probability), seed_of_draw, alg="philox")
            return tf.cast(uniform < probability, tf.float32)

        h0_prob = tf.sigmoid(tf.matmul(v0, self.w) + self.b_hid)
        v, h_prob = v0, h0_prob
        for s in range(self.k):  # k is a Python int: the loop is unrolled in the graph
            h = bernoulli(h_prob, 2 * s)
            v_prob = tf.sigmoid(tf.matmul(h, self.w, transpose_b=True) + self.b_vis)
            v = bernoulli(v_prob, 2 * s + 1)
            h_prob = tf.sigmoid(tf.matmul(v, self.w) + self.b_hid)
        positive = tf.matmul(v0, h0_prob, transpose_a=True)
        negative = tf.matmul(v, h_prob, transpose_a=True)
        self.w.assign_add((LEARNING_RATE / BATCH) * (positive - negative))
        self.b_vis.assign_add(LEARNING_RATE * tf.reduce_mean(v0 - v, axis=0))
        self.b_hid.assign_add(LEARNING_RATE * tf.reduce_mean(h0_prob - h_prob, axis=0))


# ---------------------------------------------------------------------------
# kgen.models.RBM.fit


class KerasRBMFit:
    """`fit` for one epoch on a `tf.data.Dataset` of the batches, made once (as the
    `tf.function` rows' batches are made once); `numpy=True` passes the array."""

    name = "kgen.models.RBM.fit (Keras fit, SGD)"

    def __init__(self, data, k, fused_update="auto", numpy=False):
        import keras  # noqa: PLC0415

        from kgen.models import RBM  # noqa: PLC0415

        self.model = RBM(VISIBLE, HIDDEN, cd_k=k, persistent=False, num_chains=None, seed=0)
        self.model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), fused_update=fused_update)
        self.data = data if numpy else tf.data.Dataset.from_tensor_slices(data).batch(BATCH)

    def epoch(self):
        self.model.fit(self.data, batch_size=BATCH if isinstance(self.data, np.ndarray) else None,
                       epochs=1, shuffle=False, verbose=0)


class KerasRBMFitOptimizer(KerasRBMFit):
    name = "extra: RBM.fit, fused_update=False"

    def __init__(self, data, k):
        super().__init__(data, k, fused_update=False)


class KerasRBMFitNumPy(KerasRBMFit):
    name = "extra: RBM.fit on the NumPy array"

    def __init__(self, data, k):
        super().__init__(data, k, numpy=True)


# ---------------------------------------------------------------------------
# (b) scikit-learn's BernoulliRBM, PCD-1


class SklearnRBM:
    name = "(b) sklearn BernoulliRBM (PCD-1)"

    def __init__(self, data, k):
        assert k == 1, "BernoulliRBM runs one Gibbs step per update"
        from sklearn.neural_network import BernoulliRBM  # noqa: PLC0415

        self.rbm = BernoulliRBM(n_components=HIDDEN, learning_rate=LEARNING_RATE, batch_size=BATCH, n_iter=1, random_state=0)
        self.data = data

    def epoch(self):
        # `fit` starts over (new weights, new chains) each call: one epoch of n_iter=1.
        self.rbm.fit(self.data)


# ---------------------------------------------------------------------------
# the pure sampler, no statistics


class NativeSampler:
    name = "extra: native.gibbs_sweeps only (pybind11)"

    def __init__(self, data, k, model):
        self.batches = np.split(data, len(data) // BATCH)
        self.k = k
        self.model = model

    def prepare(self):
        # The kernel's cost depends on how many units are active, so sample from the
        # kgen model as trained so far, not from the initial weights.
        self.w, self.b_vis, self.b_hid = (x.numpy() for x in (self.model.w, self.model.b_vis, self.model.b_hid))

    def epoch(self):
        for step, v0 in enumerate(self.batches):
            native.gibbs_sweeps(v0, self.w, self.b_vis, self.b_hid, self.k, [7, step])


class TensorFlowOpSampler:
    name = "extra: kgen_ops.gibbs_sweeps only (TF op)"

    def __init__(self, data, k, model):
        self.batches = [tf.constant(b) for b in np.split(data, len(data) // BATCH)]
        self.k = k
        self.model = model  # its variables: the parameters as trained so far
        self.traced_sample = self.sample.get_concrete_function(BATCH_SPEC, SEED_SPEC)

    @tf.function(jit_compile=False)
    def sample(self, v0, seed):
        return kgen_ops.gibbs_sweeps(v0, self.model.w, self.model.b_vis, self.model.b_hid, self.k, seed, validate_args=False).h

    def epoch(self):
        for step, v0 in enumerate(self.batches):
            h = self.traced_sample(v0, tf.constant([7, step], tf.int64))
        h.numpy()


# ---------------------------------------------------------------------------
# (c) the matrix-product floor


class ProductFloor:
    """The (2k + 3) dense products of an epoch of CD-k, in NumPy float32, and nothing else.

    Timed in the rotation like the other methods, so it sees the same machine
    load: its time is the FLOPs of those products divided by NumPy's measured
    matmul rate for exactly those shapes.
    """

    name = "(c) dense matmul floor (NumPy, same shapes)"

    def __init__(self, data, k, threads=None):
        # threads=None: NumPy's default (all cores). On a loaded machine OpenBLAS's
        # threads can lose badly to other processes, so a one-thread floor is timed too
        # and the faster of the two is the floor.
        self.threads = threads
        if threads == 1:
            self.name = "(c') same floor, OpenBLAS on 1 thread"
        rng = np.random.default_rng(1)
        self.w = rng.standard_normal((VISIBLE, HIDDEN)).astype(np.float32)
        self.v = (rng.random((BATCH, VISIBLE)) < 0.5).astype(np.float32)
        self.h = (rng.random((BATCH, HIDDEN)) < 0.5).astype(np.float32)
        self.batches = len(data) // BATCH
        self.k = k
        self.flops = 2.0 * BATCH * VISIBLE * HIDDEN * (2 * k + 3) * self.batches

    def epoch(self):
        with threadpoolctl.threadpool_limits(self.threads, user_api="blas"):
            self._products()

    def _products(self):
        v, h, w = self.v, self.h, self.w
        for _ in range(self.batches):
            v @ w  # v0 W
            for _ in range(self.k):
                h @ w.T  # p(v | h)
                v @ w  # p(h | v)
            v.T @ h  # positive statistics
            v.T @ h  # negative statistics


# ---------------------------------------------------------------------------


def time_epochs(methods, epochs):
    """Warm-up epoch each, then `epochs` rounds, each method one epoch per round in turn.

    Python's garbage collector runs before each timed epoch and is paused
    during it, for every method alike: otherwise its full collections of
    the heap that TensorFlow, Keras and scikit-learn built (millions of
    objects) land at random in some epochs (`perf` on a loop like the kgen
    row's put 6-9% of its samples in `gc_collect_main`).

    Each timed epoch then starts after a pause of SETTLE_SECONDS, so that
    the worker threads of the method before it have gone to sleep: after a
    call, OpenBLAS's threads (NumPy, scikit-learn) busy-wait for up to
    2^28 cycles (about 0.1 s here) and Eigen's (TensorFlow) spin a while
    too, taking a core from whichever method runs next.
    """
    for method in methods.values():
        getattr(method, "prepare", lambda: None)()
        method.epoch()
    times = {name: [] for name in methods}
    for round_index in range(epochs):
        order = list(methods.items())
        if round_index % 2:
            order.reverse()  # no method always runs right after the same neighbour
        for name, method in order:
            getattr(method, "prepare", lambda: None)()
            gc.collect()
            time.sleep(SETTLE_SECONDS)
            gc.disable()
            try:
                start = time.perf_counter()
                method.epoch()
                times[name].append(time.perf_counter() - start)
            finally:
                gc.enable()
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per method (median reported)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 600 digits, 2 timed epochs")
    parser.add_argument("--data", default=str(_common.SHARED_MNIST))
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()

    x_train, _ = _common.load_binarized_mnist(args.data)
    data = np.ascontiguousarray(x_train.reshape(len(x_train), VISIBLE), dtype=np.float32)
    epochs = args.epochs
    if args.quick:
        data, epochs = data[:600], 2
    batches = len(data) // BATCH

    results = {}
    for k in (1, 10):
        methods = {
            "kgen": FusedCD(data, k),
            "tf_stock": StockTensorFlowCD(data, k),
            "kgen_unfused": SamplerStatisticsCD(data, k),
            "kgen_rbm_fit": KerasRBMFit(data, k),
            "kgen_rbm_fit_optimizer": KerasRBMFitOptimizer(data, k),
            "kgen_rbm_fit_numpy": KerasRBMFitNumPy(data, k),
        }
        if k == 1:
            methods["sklearn"] = SklearnRBM(data, k)
        methods["native_sampler"] = NativeSampler(data, k, methods["kgen"])
        methods["tf_op_sampler"] = TensorFlowOpSampler(data, k, methods["kgen"])
        methods["floor_all_threads"] = ProductFloor(data, k)
        methods["floor_1_thread"] = ProductFloor(data, k, threads=1)
        print(f"k={k}: timing {', '.join(methods)} ...", flush=True)
        times = time_epochs(methods, epochs)
        medians = {name: statistics.median(t) for name, t in times.items()}
        floor_name = min(("floor_all_threads", "floor_1_thread"), key=medians.get)
        times["floor"] = times[floor_name]
        medians["floor"] = medians[floor_name]

        def paired(reference, method="kgen"):
            """Median over rounds of reference time / method time (same round, same load)."""
            if reference not in times or method not in times:
                return None
            return statistics.median(r / m for r, m in zip(times[reference], times[method]))

        results[f"k={k}"] = {
            "methods": {
                name: {"label": methods[name].name, **_common.summarize(t)} for name, t in times.items() if name != "floor"
            },
            "floor_is": floor_name,
            "floor_windows": times["floor"],
            "floor_numpy_gflops": methods[floor_name].flops / medians["floor"] / 1e9,
            "kgen_speedup_vs_tf_stock": paired("tf_stock"),
            "kgen_speedup_vs_sklearn": paired("sklearn"),
            "kgen_x_floor": 1 / paired("floor"),
            "kgen_rbm_fit_speedup_vs_tf_stock": paired("tf_stock", "kgen_rbm_fit"),
            "kgen_rbm_fit_x_cd_update": paired("kgen_rbm_fit"),
            "kgen_rbm_fit_speedup_vs_optimizer_path": paired("kgen_rbm_fit_optimizer", "kgen_rbm_fit"),
            "ratio_note": "median over rounds of the per-round time ratio",
        }

    table = format_table(results, batches)
    print(table)
    payload = {
        "benchmark": "CD-k epoch time, RBM 784-500, batch 100, float32",
        "data": f"{args.data}: {len(data)} training digits",
        "binarization": _common.BINARIZATION,
        "timed_epochs": epochs,
        "machine": {**_common.machine_info(), "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads()},
        "targets": TARGETS,
        "results": results,
        "table": table,
    }
    _common.write_json(args.output, payload)
    print(f"wrote {args.output}")


def format_table(results, batches):
    lines = [
        f"CD-k epoch ({batches} batches of {BATCH}), RBM {VISIBLE}-{HIDDEN}, float32; median epoch time;",
        "ratios = median over rounds of the per-round ratio (methods take turns, same load)",
        f"{'k':>3}  {'method':<44} {'epoch s':>8}  {'t / t_kgen':>10}  {'t / t_floor':>11}   (floor = faster of (c), (c'))",
    ]
    for key, result in results.items():
        windows = {name: entry["windows"] for name, entry in result["methods"].items()}
        windows["floor"] = result["floor_windows"]
        for name, entry in result["methods"].items():
            to_kgen = statistics.median(a / b for a, b in zip(windows[name], windows["kgen"]))
            to_floor = statistics.median(a / b for a, b in zip(windows[name], windows["floor"]))
            lines.append(f"{key[2:]:>3}  {entry['label']:<44} {entry['median']:8.3f}  {to_kgen:9.2f}x  {to_floor:10.2f}x")
        lines.append(
            f"     kgen {result['kgen_speedup_vs_tf_stock']:.2f}x faster than (a) (target >= {TARGETS['vs_tf_stock']}), "
            + (
                f"{result['kgen_speedup_vs_sklearn']:.2f}x faster than (b) (target >= {TARGETS['vs_sklearn']}), "
                if result["kgen_speedup_vs_sklearn"] is not None
                else ""
            )
            + f"{result['kgen_x_floor']:.2f}x the floor (target <= {TARGETS['x_floor']});"
            + f" floor = {result['floor_is']}, NumPy matmul rate {result['floor_numpy_gflops']:.0f} GFLOP/s"
        )
        lines.append(
            f"     RBM.fit {result['kgen_rbm_fit_x_cd_update']:.2f}x the time of cd_update "
            f"(target <= {TARGETS['fit_x_cd_update']}), "
            f"{result['kgen_rbm_fit_speedup_vs_tf_stock']:.2f}x faster than (a) "
            f"(target >= {TARGETS['fit_vs_tf_stock']}), "
            f"{result['kgen_rbm_fit_speedup_vs_optimizer_path']:.2f}x faster than fit with fused_update=False"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
