"""Benchmark: the digit feature map of kgen.metrics on real MNIST, and the metrics' cost.

## What is measured

1. `kgen.metrics.train_feature_extractor` trained on the 6,000 training
   images of the shared MNIST subset (pixels / 255, not binarised), seed 0;
   its accuracy on the 2,000 test images (target >= 98%) and its training
   time.
2. The real-versus-real floor: FID, KID (mean, std over 100 subsets of
   1,000), precision/recall (k = 3) and the classifier score of the 2,000
   test digits against 2,000 training digits, in this feature map. A model
   whose samples score near this row is as close to the data as a second
   sample of it.
3. The metrics' own cost on those features (d = 128): `frechet_distance`
   against the textbook NumPy/SciPy computation (`np.cov`,
   `scipy.linalg.sqrtm`), and KID and precision/recall timed alone.

Rows for kgen's trained models (every image model on MNIST for a stated
budget) are not here yet.

## Usage

```
.venv/bin/python benchmarks/sample_quality_mnist.py [--epochs 15] [--out benchmarks/results/sample_quality_mnist.json]
```
"""

import argparse
import time

import numpy as np
import scipy.linalg

import _common
from kgen import datasets
from kgen import metrics


def _seconds(function, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return result, min(times)


def _scipy_frechet(x, y):
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = scipy.linalg.sqrtm(cov_x @ cov_y).real
    return float(np.sum((x.mean(0) - y.mean(0)) ** 2) + np.trace(cov_x + cov_y - 2 * root))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default=str(_common.REPO_ROOT / "benchmarks" / "results"
                                             / "sample_quality_mnist.json"))
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(_common.SHARED_MNIST)

    start = time.perf_counter()
    classifier = metrics.train_feature_extractor(x_train, y_train, epochs=args.epochs, seed=0)
    train_seconds = time.perf_counter() - start
    probabilities = np.asarray(classifier.predict(x_test, batch_size=500, verbose=0))
    accuracy = float(np.mean(probabilities.argmax(1) == y_test))
    print(f"feature map: {args.epochs} epochs in {train_seconds:.1f} s, "
          f"test accuracy {accuracy:.4f}")

    extractor = metrics.feature_extractor(classifier)
    real = np.asarray(extractor.predict(x_train[:2000], batch_size=500, verbose=0), np.float64)
    test = np.asarray(extractor.predict(x_test, batch_size=500, verbose=0), np.float64)
    floor = {
        "frechet_distance": metrics.frechet_distance(real, test),
        "kernel_distance": metrics.kernel_distance(real, test)._asdict(),
        "precision_recall": metrics.precision_recall(real, test)._asdict(),
        "classifier_score_test": metrics.classifier_score(probabilities),
    }
    print("real (train 2,000) vs real (test 2,000):", floor)

    fid, fid_s = _seconds(lambda: metrics.frechet_distance(real, test))
    scipy_fid, scipy_s = _seconds(lambda: _scipy_frechet(real, test))
    _, kid_s = _seconds(lambda: metrics.kernel_distance(real, test), repeats=1)
    _, pr_s = _seconds(lambda: metrics.precision_recall(real, test), repeats=1)
    cost = {"frechet_distance_s": fid_s, "scipy_frechet_s": scipy_s,
            "relative_difference": abs(fid - scipy_fid) / abs(scipy_fid),
            "kernel_distance_s": kid_s, "precision_recall_s": pr_s}
    print("cost on 2 x 2,000 features of 128:", cost)
    _common.write_json(args.out, {
        "machine": _common.machine_info(), "epochs": args.epochs,
        "train_seconds": train_seconds, "test_accuracy": accuracy,
        "real_vs_real": floor, "cost": cost,
    })


if __name__ == "__main__":
    main()
