"""
Title: Calling the compiled Gibbs sampler directly
Author: kgen
Date created: 2026/11/21
Last modified: 2026/11/21
Description: Run k fused block-Gibbs sweeps of an RBM from TensorFlow and from NumPy, check that both give the same chains, and take a whole CD-k step in one op.
"""

"""
## Introduction

`kgen_ops.gibbs_sweeps(v, w, b_vis, b_hid, k, seed)` runs `k` block-Gibbs
sweeps of a binary RBM on every row of `v` inside one kernel:

```
h_s ~ p(h | v_s) = sigmoid(b_hid + v_s W)
v_{s+1} ~ p(v | h_s) = sigmoid(b_vis + W h_s)
```

It is a TensorFlow op; `kgen_ops.native.gibbs_sweeps` is the same kernel on
NumPy arrays, through pybind11, with no TensorFlow at all. Every Bernoulli
draw is `u < p` with `u` taken from the Philox-4x32-10 stream of `seed` at a
position fixed by (sweep, layer, row, unit), so the two entry points, any
number of threads and the CPU and CUDA kernels all draw the same `u`: the
binary states agree exactly and the probabilities up to float rounding.
"""

"""
## Setup
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kgen_ops  # noqa: E402

tiny = os.environ.get("KGEN_EXAMPLE_BUDGET") == "tiny"
num_chains, n_visible, n_hidden = (64, 32, 16) if tiny else (1024, 784, 500)
k = 10  # sweeps
seed = (2026, 1)  # (key, stream)

"""
## A random RBM and starting states
"""

rng = np.random.default_rng(0)
w = rng.normal(scale=0.1, size=(n_visible, n_hidden)).astype(np.float32)
b_vis = rng.normal(scale=0.5, size=n_visible).astype(np.float32)
b_hid = rng.normal(scale=0.5, size=n_hidden).astype(np.float32)
v0 = (rng.random((num_chains, n_visible)) < 0.5).astype(np.float32)

"""
## The TensorFlow op and the NumPy binding

Both return `(v, h, v_prob, h_prob, h0_prob)`: the states after `k` sweeps,
`h ~ p(h | v)` of the final `v`, `p(v | h)` of the last sweep, `p(h | v)` of
the final `v`, and `p(h | v_0)` of the starting states.
"""

from_tf = kgen_ops.gibbs_sweeps(v0, w, b_vis, b_hid, k, tf.constant(seed, tf.int64))
from_numpy = kgen_ops.native.gibbs_sweeps(v0, w, b_vis, b_hid, k, seed)

for name, tf_value, np_value in zip(from_tf._fields, from_tf, from_numpy):
    tf_value = tf_value.numpy()
    if name in ("v", "h"):
        agree = np.mean(tf_value == np_value)
        print(f"{name:8s} {str(tf_value.shape):12s} states equal: {agree:.2%}")
        assert agree == 1.0
    else:
        error = np.max(np.abs(tf_value - np_value))
        print(f"{name:8s} {str(tf_value.shape):12s} max |difference|: {error:.2e}")
        assert error < 1e-5

"""
## Same seed, same chains; another seed, other chains
"""

again = kgen_ops.native.gibbs_sweeps(v0, w, b_vis, b_hid, k, seed)
other = kgen_ops.native.gibbs_sweeps(v0, w, b_vis, b_hid, k, (seed[0], seed[1] + 1))
print("same seed, same states:", np.array_equal(again[0], from_numpy[0]))
print(f"another stream, states differ in {np.mean(other[0] != from_numpy[0]):.1%} of the units")

"""
## A whole CD-k training step in one op

`kgen_ops.cd_update(v, w, b_vis, b_hid, k, seed, learning_rate)` is one step
of contrastive divergence with plain SGD on `tf.Variable`s: the `k` sweeps
above from the data `v`, then

```
W     += lr * (v^T p(h | v) / B - v_k^T p(h | v_k) / B)
b_vis += lr * mean(v - v_k)
b_hid += lr * mean(p(h | v) - p(h | v_k))
```

with the statistics added into `W` in place by the same kernel (pass
`chains=` for persistent CD). It returns `v_k`, the very chain of
`gibbs_sweeps` with the same seed; the update equals the three separate ops
up to float rounding.
"""

learning_rate = 0.05
variables = [tf.Variable(x) for x in (w, b_vis, b_hid)]
v_k = kgen_ops.cd_update(v0, *variables, k, seed, learning_rate)
statistics = kgen_ops.cd_statistics(v0, from_tf.h0_prob, from_tf.v, from_tf.h_prob)
same_chain = np.array_equal(v_k.numpy(), from_tf.v.numpy())
print("cd_update chain equal to gibbs_sweeps:", same_chain)
assert same_chain
for name, variable, start, step in zip(("w", "b_vis", "b_hid"), variables, (w, b_vis, b_hid), statistics):
    error = np.max(np.abs(variable.numpy() - (start + learning_rate * step.numpy())))
    print(f"{name:6s} updated in place, max |difference| to the unfused ops: {error:.1e}")
    assert error < 1e-5

"""
## On the GPU

When the CUDA kernels are built and a GPU is visible, `device="cuda"` runs
the same chains there, with the same random numbers.
"""

if kgen_ops.cuda_available():
    on_gpu = kgen_ops.native.gibbs_sweeps(v0, w, b_vis, b_hid, k, seed, device="cuda")
    print("CUDA states equal to CPU:", np.array_equal(on_gpu[0], from_numpy[0]))
else:
    print("no CUDA device: skipping the GPU run")
