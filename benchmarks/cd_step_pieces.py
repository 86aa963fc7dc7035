"""Benchmark: where the time of one CD-1 step goes, piece by piece, unfused against `kgen_ops.cd_update`.

## What is measured

The per-batch time of growing prefixes of the unfused CD-1 step of
`benchmarks/gibbs_cpu.py` (RBM 784-500, batch 100, float32, the 6,000
binarised training digits of `../shared/data/mnist/mnist-t10k-8k.npz`), each
as one `tf.function` called once per batch through its concrete function:

    call        a function that only slices its input: the cost of the call
    sampler     kgen_ops.gibbs_sweeps (k = 1)
    + stats     ... + kgen_ops.cd_statistics
    + lr        ... + the three learning-rate products
    unfused     ... + the three assign_add updates (the whole step)
    fused       kgen_ops.cd_update: the whole step as one op

Every piece starts from the same weights, trained first by a few epochs of
CD-1 (the kernels' cost depends on how many units are on), each with its
own copy of the variables. Pieces take turns epoch by epoch, after 0.25 s
idle each (as in gibbs_cpu.py), and the table gives the median over rounds
of ms per batch and of the per-round ratio to the fused step.

## Usage

    PYTHONPATH=. python benchmarks/cd_step_pieces.py            # ~1 min on 2 cores
Writes benchmarks/results/cd_step_pieces.json.
"""

import argparse
import os
import pathlib
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import gibbs_cpu  # noqa: E402

import kgen_ops  # noqa: E402

RESULTS = _common.REPO_ROOT / "benchmarks" / "results" / "cd_step_pieces.json"
LEARNING_RATE = gibbs_cpu.LEARNING_RATE


class Piece:
    """One prefix of the CD-1 step on its own copy of the trained variables."""

    def __init__(self, name, label, body, batches, parameters):
        self.name, self.label, self.batches = name, label, batches
        self.w, self.b_vis, self.b_hid = (tf.Variable(p) for p in parameters)
        self.body = body
        self.traced = tf.function(self.run, jit_compile=False).get_concrete_function(
            gibbs_cpu.BATCH_SPEC, gibbs_cpu.SEED_SPEC
        )
        self.step_count = 0

    def run(self, v0, seed):
        return self.body(self, v0, seed)

    def epoch(self):
        for v0 in self.batches:
            self.step_count += 1
            result = self.traced(v0, tf.constant([99, self.step_count], tf.int64))
        tf.nest.map_structure(lambda t: t.numpy(), result)  # wait for the last step


def call_only(piece, v0, seed):
    return v0[0, 0]


def sampler(piece, v0, seed):
    return kgen_ops.gibbs_sweeps(v0, piece.w, piece.b_vis, piece.b_hid, 1, seed, validate_args=False).h_prob


def sampler_statistics(piece, v0, seed):
    chain = kgen_ops.gibbs_sweeps(v0, piece.w, piece.b_vis, piece.b_hid, 1, seed, validate_args=False)
    return kgen_ops.cd_statistics(v0, chain.h0_prob, chain.v, chain.h_prob, validate_args=False)


def sampler_statistics_products(piece, v0, seed):
    return [LEARNING_RATE * s for s in sampler_statistics(piece, v0, seed)]


def unfused_step(piece, v0, seed):
    steps = sampler_statistics_products(piece, v0, seed)
    for variable, step in zip((piece.w, piece.b_vis, piece.b_hid), steps):
        variable.assign_add(step)
    return piece.b_hid.read_value()


def fused_step(piece, v0, seed):
    return kgen_ops.cd_update(v0, piece.w, piece.b_vis, piece.b_hid, 1, seed, LEARNING_RATE, validate_args=False)


PIECES = [
    ("call", "call of a tf.function (slices its input)", call_only),
    ("sampler", "gibbs_sweeps", sampler),
    ("stats", "+ cd_statistics", sampler_statistics),
    ("lr", "+ learning-rate products", sampler_statistics_products),
    ("unfused", "+ assign_add: the unfused step", unfused_step),
    ("fused", "cd_update: the step as one op", fused_step),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="timed epochs per piece (median reported)")
    parser.add_argument("--train-epochs", type=int, default=5, help="CD-1 epochs that train the weights first")
    parser.add_argument("--data", default=str(_common.SHARED_MNIST))
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()

    x_train, _ = _common.load_binarized_mnist(args.data)
    data = np.ascontiguousarray(x_train.reshape(len(x_train), gibbs_cpu.VISIBLE), dtype=np.float32)
    trainer = gibbs_cpu.FusedCD(data, k=1)
    for _ in range(args.train_epochs):
        trainer.epoch()
    parameters = [v.numpy() for v in (trainer.w, trainer.b_vis, trainer.b_hid)]

    pieces = {name: Piece(name, label, body, trainer.batches, parameters) for name, label, body in PIECES}
    times = gibbs_cpu.time_epochs(pieces, args.epochs)
    batches = len(trainer.batches)
    rows = []
    for name, piece in pieces.items():
        per_batch_ms = [1e3 * t / batches for t in times[name]]
        to_fused = statistics.median(a / b for a, b in zip(times[name], times["fused"]))
        rows.append({"piece": name, "label": piece.label, "ms_per_batch": _common.summarize(per_batch_ms),
                     "time_over_fused": to_fused})
    lines = [
        f"CD-1 step pieces, RBM {gibbs_cpu.VISIBLE}-{gibbs_cpu.HIDDEN}, batch {gibbs_cpu.BATCH}, float32, "
        f"{batches} batches per epoch; median of {args.epochs} rounds",
        f"{'piece':<8} {'what':<42} {'ms / batch':>10}  {'t / t_fused':>11}",
    ]
    for row in rows:
        lines.append(
            f"{row['piece']:<8} {row['label']:<42} {row['ms_per_batch']['median']:10.3f}  {row['time_over_fused']:10.2f}x"
        )
    table = "\n".join(lines)
    print(table)
    _common.write_json(args.output, {
        "benchmark": "per-batch time of the pieces of a CD-1 step, unfused vs kgen_ops.cd_update",
        "data": f"{args.data}: {len(data)} training digits",
        "timed_epochs": args.epochs,
        "machine": _common.machine_info(),
        "rows": rows,
        "table": table,
    })
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
