"""Benchmark: the CD-k likelihood ordering of Salakhutdinov & Murray (2008) on MNIST.

## What is measured

RBMs with 784 visible and 500 hidden units, trained by `kgen.models.RBM.fit`
with CD-1, CD-3, CD-25 and PCD-1 on the 6,000 training digits of the shared
MNIST subset (`../shared/data/mnist/mnist-t10k-8k.npz`), binarised with the
fixed rule "raw value > 127". Every model gets the same training: seed 0,
batches of 100 in the same order, plain SGD with momentum 0.5 and a learning
rate decaying linearly from 0.05 to 0.005 over the run, the same number of
epochs (the fused step `kgen_ops.cd_step` runs every update). PCD keeps 100
chains.

Each model's `log Z` is estimated by annealed importance sampling
(`RBM.log_partition(method="ais")`) in the paper's setting: 100 runs and
14,500 inverse temperatures with the paper's spacing, from the base-rate
model of the training digits. The test log-likelihood is the mean over the
2,000 test digits of `-F(x) - log Z`, in nats.

Error bars: the four models are scored on the same 2,000 digits, whose
`mean -F(x)` is computed exactly, so what is uncertain in each number is the
AIS estimate of `log Z`: its standard error (the delta method, see
`kgen/models/_rbm_log_partition.py`) is the error bar, and "ordered" means
the intervals `estimate +- 2 stderr` do not overlap. The spread of the
per-digit log-likelihoods (their standard error of the mean over the test
set) is printed beside it: it says how much another 2,000 digits would move
all four numbers together. AIS settings are validated against the exact
`log Z` of a small RBM in `tests/test_rbm.py`.

The paper's numbers (Salakhutdinov & Murray, "On the quantitative analysis
of deep belief networks", ICML 2008, table 1: 60,000 training digits,
stochastic binarisation, their own number of epochs and learning rates):
CD-1 -125.53, CD-3 -105.50, CD-25 -86.34 nats. What differs here: a tenth
of the training data, a deterministic binarisation, our epochs and schedule,
so our numbers are not theirs; the ordering is what should carry over.

Samples: 64 chains per model, 1,000 Gibbs sweeps each from the base rate,
`p(v | h)` of the last sweep, saved as PNG grids beside the JSON.

## Usage

    PYTHONPATH=. python benchmarks/rbm_likelihood_mnist.py               # RESULTS.md's run
    PYTHONPATH=. python benchmarks/rbm_likelihood_mnist.py --quick       # smoke run (numbers mean nothing)
Writes benchmarks/results/rbm_likelihood_mnist.json and
benchmarks/results/rbm_likelihood_mnist/*.png.
"""

import argparse
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

from kgen import plotting  # noqa: E402
from kgen.models import RBM  # noqa: E402
from kgen.models import _rbm_log_partition  # noqa: E402

HIDDEN, BATCH = 500, 100
RESULTS = _common.REPO_ROOT / "benchmarks" / "results" / "rbm_likelihood_mnist.json"
# (name, cd_k, persistent)
METHODS = (("CD-1", 1, False), ("CD-3", 3, False), ("CD-25", 25, False), ("PCD-1", 1, True))
PAPER = {"CD-1": -125.53, "CD-3": -105.50, "CD-25": -86.34}
INITIAL_LEARNING_RATE, FINAL_LEARNING_RATE, MOMENTUM = 0.05, 0.005, 0.5


def train(x_train, cd_k, persistent, epochs):
    """An RBM trained as the module docstring says; returns it and the seconds `fit` took."""
    rbm = RBM(784, HIDDEN, cd_k=cd_k, persistent=persistent, num_chains=BATCH if persistent else None,
              visible_shape=(28, 28, 1), seed=0)
    steps = epochs * (len(x_train) // BATCH)
    schedule = keras.optimizers.schedules.PolynomialDecay(
        INITIAL_LEARNING_RATE, decay_steps=steps, end_learning_rate=FINAL_LEARNING_RATE
    )
    rbm.compile(optimizer=keras.optimizers.SGD(schedule, momentum=MOMENTUM))
    keras.utils.set_random_seed(0)  # `fit` shuffles with the global seed: the same order for all
    start = time.perf_counter()
    rbm.fit(x_train, batch_size=BATCH, epochs=epochs, verbose=0)
    return rbm, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=50, help="training epochs, the same for every model")
    parser.add_argument("--num-chains", type=int, default=_rbm_log_partition.PAPER_AIS_CHAINS, help="AIS runs")
    parser.add_argument("--num-betas", type=int, default=_rbm_log_partition.PAPER_AIS_BETAS,
                        help="AIS inverse temperatures")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 epochs, 500 temperatures")
    parser.add_argument("--data", default=str(_common.SHARED_MNIST))
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.num_betas = 2, 500

    x_train, x_test = _common.load_binarized_mnist(args.data)
    pictures = pathlib.Path(args.output).with_suffix("")
    pictures.mkdir(parents=True, exist_ok=True)

    rows = {}
    for name, cd_k, persistent in METHODS:
        print(f"{name}: training {args.epochs} epochs ...", flush=True)
        rbm, fit_seconds = train(x_train, cd_k, persistent, args.epochs)
        start = time.perf_counter()
        log_z = rbm.log_partition(method="ais", num_chains=args.num_chains, num_betas=args.num_betas,
                                  data=x_train, seed=0)
        ais_seconds = time.perf_counter() - start
        per_digit = rbm.log_likelihood(x_test, log_z=log_z).numpy().astype(np.float64)
        samples = rbm.sample(64, num_sweeps=1000, seed=1, mean=True).numpy()
        picture = pictures / f"samples_{name}.png"
        plotting.save_png(picture, plotting.image_grid(samples, ncols=8, scale=3))
        rows[name] = {
            "cd_k": cd_k,
            "persistent": persistent,
            "test_log_likelihood": float(per_digit.mean()),
            "ais_log_z": log_z.log_z,
            "ais_stderr": log_z.stderr,
            "test_set_stderr": float(per_digit.std(ddof=1) / np.sqrt(len(per_digit))),
            "paper": PAPER.get(name),
            "fit_seconds": fit_seconds,
            "ais_seconds": ais_seconds,
            "samples_png": str(picture),
        }
        print(f"  {name}: {rows[name]['test_log_likelihood']:.2f} nats "
              f"(AIS stderr {log_z.stderr:.3f}); fit {fit_seconds:.0f} s, AIS {ais_seconds:.0f} s", flush=True)

    def interval(name):
        row = rows[name]
        return row["test_log_likelihood"] - 2 * row["ais_stderr"], row["test_log_likelihood"] + 2 * row["ais_stderr"]

    ordered = interval("CD-25")[0] > interval("CD-3")[1] and interval("CD-3")[0] > interval("CD-1")[1]
    table = format_table(rows, args, ordered, len(x_train), len(x_test))
    print(table)
    _common.write_json(args.output, {
        "benchmark": "test log-likelihood of 784-500 RBMs trained by CD-1, CD-3, CD-25 and PCD-1",
        "data": f"{args.data}: {len(x_train)} training and {len(x_test)} test digits",
        "binarization": _common.BINARIZATION,
        "training": {"epochs": args.epochs, "batch_size": BATCH, "optimizer": "SGD", "momentum": MOMENTUM,
                     "learning_rate": f"linear {INITIAL_LEARNING_RATE} -> {FINAL_LEARNING_RATE}", "seed": 0},
        "ais": {"num_chains": args.num_chains, "num_betas": args.num_betas, "base_model": "base rate of x_train"},
        "ordered_cd25_cd3_cd1_2stderr": ordered,
        "machine": _common.machine_info(),
        "results": rows,
        "table": table,
    })
    print(f"wrote {args.output}")


def format_table(rows, args, ordered, num_train, num_test):
    lines = [
        f"RBM 784-{HIDDEN}, {num_train} training digits, {args.epochs} epochs each; test log-likelihood of "
        f"{num_test} test digits, nats;",
        f"log Z by AIS ({args.num_chains} runs, {args.num_betas} inverse temperatures); "
        "error bar = 2 AIS standard errors",
        f"{'method':<7} {'test LL':>9} {'2 stderr':>9} {'test-set s.e.':>14} {'log Z':>9} {'paper':>8} "
        f"{'fit s':>7} {'AIS s':>6}",
    ]
    for name, row in rows.items():
        paper = f"{row['paper']:.2f}" if row["paper"] is not None else "-"
        lines.append(
            f"{name:<7} {row['test_log_likelihood']:9.2f} {2 * row['ais_stderr']:9.3f} "
            f"{row['test_set_stderr']:14.2f} {row['ais_log_z']:9.2f} {paper:>8} {row['fit_seconds']:7.0f} "
            f"{row['ais_seconds']:6.0f}"
        )
    lines.append(f"CD-25 > CD-3 > CD-1 with non-overlapping 2-stderr intervals: {'yes' if ordered else 'NO'}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
