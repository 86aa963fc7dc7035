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
3. The metrics' own cost: 10,000 images (the 8,000 digits, then 2,000 of
   them again) scored against the 2,000 test digits. The features (d = 128)
   are extracted once (timed); then `frechet_distance`, `kernel_distance`
   and `precision_recall` against the same arithmetic written with
   NumPy/SciPy (`np.cov` + `scipy.linalg.sqrtm`; the subset MMD^2 loop;
   `scipy.spatial.distance.cdist` k-NN radii), which must agree.

4. One row per image model of the registry: trained by `kgen train NAME
   --data mnist:PATH --epochs E` (the CLI's recipe and defaults: its
   networks, learning rate, batch 64, seed 0; `--no-sample-quality`), on
   the 6,000 training digits, then 2,000 samples (`sample(2000, seed=0)`)
   scored against the 2,000 test digits in the feature map of 1
   (`kgen.evaluation.sample_quality_metrics`): FID, KID, precision/recall,
   the classifier score and the classes the samples are recognised as.
   The budget is the same number of epochs for every model, small on this
   CPU; the numbers rank the models at that budget, not at convergence.

## Usage

```
.venv/bin/python benchmarks/sample_quality_mnist.py [--epochs 15] [--model-epochs 5] [--models vae,dcgan]
    [--out benchmarks/results/sample_quality_mnist.json]
```
"""

import argparse
import json
import pathlib
import tempfile
import time

import keras
import numpy as np
import scipy.linalg

import _common
from kgen import cli
from kgen import datasets
from kgen import evaluation
from kgen import metrics
from kgen import registry


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


def _numpy_kid(x, y, seed, subsets=100, subset_size=1000):
    """KID written out in NumPy: the mean over subsets of the unbiased MMD^2, kernel (x.y/d + 1)^3."""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    size = min(subset_size, len(x), len(y))
    values = []
    for _ in range(subsets):
        a = x[rng.choice(len(x), size, replace=False)]
        b = y[rng.choice(len(y), size, replace=False)]
        k_aa, k_bb, k_ab = ((p @ q.T / d + 1) ** 3 for p, q in ((a, a), (b, b), (a, b)))
        off = size * (size - 1)
        values.append((k_aa.sum() - np.trace(k_aa)) / off + (k_bb.sum() - np.trace(k_bb)) / off
                      - 2 * k_ab.mean())
    return float(np.mean(values))


def _scipy_precision_recall(real, generated, k=3):
    """Improved precision/recall with `scipy.spatial.distance.cdist`: k-NN radii, then containment."""
    from scipy.spatial.distance import cdist

    def radii(points):
        distances = cdist(points, points).astype(np.float32)
        return np.partition(distances, k, axis=1)[:, k]  # column 0 is the point itself

    real_radii, generated_radii = radii(real), radii(generated)
    cross = cdist(generated, real).astype(np.float32)
    precision = float(np.mean((cross <= real_radii[None, :]).any(axis=1)))
    recall = float(np.mean((cross.T <= generated_radii[None, :]).any(axis=1)))
    return precision, recall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15, help="epochs of the feature map")
    parser.add_argument("--model-epochs", type=int, default=5, help="epochs of every model")
    parser.add_argument("--models", default=",".join(registry.names()),
                        help="comma-separated registry names (default: every registered model)")
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

    # The metrics' cost: 10,000 images (the 8,000 digits, then the first
    # 2,000 again) scored against the 2,000 test digits, against the same
    # arithmetic written with NumPy/SciPy on the same features.
    images = np.concatenate([x_train, x_test, x_train[:2000]])[:10_000]
    start = time.perf_counter()
    scored = np.asarray(extractor.predict(images, batch_size=500, verbose=0), np.float64)
    features_s = time.perf_counter() - start
    fid, fid_s = _seconds(lambda: metrics.frechet_distance(test, scored))
    scipy_fid, scipy_s = _seconds(lambda: _scipy_frechet(test, scored))
    kid, kid_s = _seconds(lambda: metrics.kernel_distance(test, scored, seed=0), repeats=1)
    numpy_kid, numpy_kid_s = _seconds(lambda: _numpy_kid(test, scored, seed=0), repeats=1)
    pr, pr_s = _seconds(lambda: metrics.precision_recall(test, scored), repeats=1)
    scipy_pr, scipy_pr_s = _seconds(lambda: _scipy_precision_recall(test, scored), repeats=1)
    cost = {"num_images": len(images), "features_s": features_s,
            "frechet_distance_s": fid_s, "scipy_frechet_s": scipy_s,
            "frechet_relative_difference": abs(fid - scipy_fid) / abs(scipy_fid),
            "kernel_distance_s": kid_s, "numpy_kernel_distance_s": numpy_kid_s,
            "kernel_distance": [kid.mean, numpy_kid],
            "precision_recall_s": pr_s, "scipy_precision_recall_s": scipy_pr_s,
            "precision_recall": [list(pr), list(scipy_pr)]}
    print("cost of scoring 10,000 images against 2,000 (features of 128):", cost)
    models = {}
    for name in filter(None, args.models.split(",")):
        models[name] = _model_row(name, args.model_epochs, classifier, x_test, y_test)
        print(f"{name}: {models[name]}")
    _print_table(floor, models)
    _common.write_json(args.out, {
        "machine": _common.machine_info(), "epochs": args.epochs,
        "train_seconds": train_seconds, "test_accuracy": accuracy,
        "real_vs_real": floor, "cost": cost,
        "model_epochs": args.model_epochs, "models": models,
    })


def _model_row(name, epochs, classifier, x_test, y_test):
    """Trains `name` with the CLI on the MNIST training digits, then scores 2,000 samples."""
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder) / name
        start = time.perf_counter()
        status = cli.main(["train", name, "--data", f"mnist:{_common.SHARED_MNIST}",
                           "--epochs", str(epochs), "--out", str(out), "--seed", "0",
                           "--no-sample-quality", "--verbose", "0"])
        train_seconds = time.perf_counter() - start
        if status != 0:
            return {"error": f"kgen train exited with {status}"}
        held_out = json.loads((out / "metrics.json").read_text())["held_out"]
        model = keras.saving.load_model(out / "model.keras")
    row = evaluation.sample_quality_metrics(model, x_test, classifier, y_real=y_test,
                                            num_samples=2000, seed=0)
    row.pop("units", None)
    return {"train_seconds": train_seconds, "held_out": held_out, **row}


def _print_table(floor, models):
    print("| model | FID | KID | precision | recall | classifier score | classes covered |")
    print("|---|---|---|---|---|---|---|")
    kid, pr = floor["kernel_distance"], floor["precision_recall"]
    print(f"| real vs real (floor) | {floor['frechet_distance']:.2f} | {kid['mean']:.3f} | "
          f"{pr['precision']:.3f} | {pr['recall']:.3f} | {floor['classifier_score_test']:.2f} | 10 |")
    for name, row in models.items():
        if "error" in row:
            print(f"| {name} | {row['error']} |")
            continue
        print(f"| {name} | {row['frechet_distance']:.2f} | {row['kernel_distance']:.3f} | "
              f"{row['precision']:.3f} | {row['recall']:.3f} | {row['classifier_score']:.2f} | "
              f"{row['classes_covered']} |")


if __name__ == "__main__":
    main()
