"""Smoke test of an installed kgen wheel, run by `make wheel-check`.

Run with the Python of a fresh virtual environment into which the wheel (and
its dependencies) were installed, from a folder outside the source tree, so
that `import kgen` finds the installed package and not the sources. Checks
that the wheel holds the TensorFlow op library, built for the TensorFlow
that is installed, that `kgen_ops.gibbs_sweeps` runs on a tiny RBM, and that
an RBM (which trains through the op) and a VAE each fit one step on the 8x8
digits and reload from `.keras`. Exits non-zero with the reason on failure.
"""

import os
import pathlib
import sys
import sysconfig
import tempfile

import keras
import numpy as np
import tensorflow as tf

import kgen
import kgen_ops

site_packages = pathlib.Path(sysconfig.get_paths()["purelib"]).resolve()
for module in (kgen, kgen_ops):
    where = pathlib.Path(module.__file__).resolve()
    assert site_packages in where.parents, f"{module.__name__} imported from {where}, not from {site_packages}"

# The op library is in the wheel and was built for the TensorFlow installed.
assert kgen_ops.library_path() is not None, "the wheel holds no kgen_ops/_kgen_ops.so"
built_for = kgen_ops.build_info().get("tensorflow")
assert built_for == tf.__version__, f"op library built for TensorFlow {built_for}, running {tf.__version__}"
assert kgen_ops.op_library_loaded()

# The op on a tiny RBM: 4 chains, 6 visible and 3 hidden units, 2 sweeps.
rng = np.random.default_rng(0)
v = (rng.uniform(size=(4, 6)) < 0.5).astype(np.float32)
w = rng.normal(scale=0.1, size=(6, 3)).astype(np.float32)
result = kgen_ops.gibbs_sweeps(v, w, np.zeros(6, np.float32), np.zeros(3, np.float32), k=2, seed=[1, 2])
assert result.v.shape == (4, 6) and result.h.shape == (4, 3)
assert set(np.unique(result.v.numpy())) <= {0.0, 1.0}
assert np.all((result.h_prob.numpy() > 0) & (result.h_prob.numpy() < 1))

# Two models, one step each, and a `.keras` round trip.
(x_train, _), _ = kgen.datasets.load_digits(test_fraction=0.2, seed=0)
x = x_train[:32]
rbm = kgen.models.RBM(64, 8, seed=0)
rbm.compile(optimizer=keras.optimizers.SGD(0.05))
rbm.fit(kgen.datasets.binarize(x).reshape(-1, 64), epochs=1, batch_size=32, verbose=0)
vae = kgen.models.VAE(input_shape=(8, 8, 1), latent_dim=2, architecture="dense", likelihood="bernoulli")
vae.compile(optimizer=keras.optimizers.Adam(1e-3))
history = vae.fit(x, epochs=1, batch_size=32, verbose=0)
assert all(np.isfinite(values[-1]) for values in history.history.values()), history.history
with tempfile.TemporaryDirectory() as folder:
    for name, model in (("rbm", rbm), ("vae", vae)):
        path = os.path.join(folder, f"{name}.keras")
        model.save(path)
        assert type(keras.saving.load_model(path)) is type(model)

print(f"wheel smoke test passed: kgen {kgen.__version__} from {site_packages}, TensorFlow {tf.__version__}")
sys.exit(0)
