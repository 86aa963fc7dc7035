"""A binary RBM's partition function `log Z`: exactly, or by annealed importance sampling.

Used by `RBM.log_partition`. `exact` enumerates the states of the smaller
layer (`method="exact"`); `log_partition` is the AIS estimator of
Salakhutdinov & Murray, "On the quantitative analysis of deep belief
networks", ICML 2008, section 4 (`method="ais"`), described below.

The base model A has no hidden units to speak of (`W_A = 0`, `b_hid_A = 0`)
and visible biases `b_A`, so its partition function is known in closed form
and it can be sampled exactly:

```
Z_A = 2^H * prod_i (1 + exp(b_A_i)),   v ~ Bernoulli(sigmoid(b_A))
```

The target B is the RBM `(W, b_vis, b_hid)`. For `0 = beta_0 < beta_1 < ...
< beta_K = 1` the intermediate distributions are the RBMs with parameters

```
W_beta = beta * W,  b_vis_beta = (1 - beta) * b_A + beta * b_vis,
b_hid_beta = beta * b_hid
```

whose unnormalised marginal is
`p*_beta(v) = exp(b_vis_beta^T v) * prod_j (1 + exp(beta * (b_hid + v W)_j))`.
At `beta = 0` it is `p*_A` (the `2^H` factor is the base model's hidden
units), at `beta = 1` it is `p*_B = exp(-F(v))`. Each of `M` independent runs
draws `v_0 ~ A`, then for `k = 1 .. K`

```
log w += log p*_{beta_k}(v) - log p*_{beta_{k-1}}(v)
v ~ T_{beta_k}(v)    (one block-Gibbs sweep of the beta_k RBM; not after beta_K)
```

and `Z_B / Z_A` is estimated without bias by `r = mean(w)`. The sweep is one
call of the compiled op `kgen_ops.gibbs_sweeps` on the scaled parameters.

Standard error (the delta method): `log r` has
`stderr(log r) ~= std(w) / (sqrt(M) * mean(w))`, a ratio that does not change
when every `w` is multiplied by the same constant, so it is computed from
`w / max(w) = exp(log w - max(log w))`, which cannot overflow. It measures the
spread of the weights that were drawn: when the annealing is too fast the
weights are dominated by rare runs and both the estimate (biased low: `E[log
r] <= log E[r]`) and the error bar are too small.
"""

import numpy as np
import tensorflow as tf

import kgen_ops

# Salakhutdinov & Murray spend 500 of their 14,500 inverse temperatures on
# [0, 0.5], 4,000 on [0.5, 0.9] and 10,000 on [0.9, 1], where the
# distributions change fastest; `betas` keeps those proportions.
_SCHEDULE_KNOTS = (0.0, 0.5, 0.9, 1.0)
_SCHEDULE_SHARES = (500, 4000, 10000)
# The paper's setting: 100 AIS runs through 14,500 inverse temperatures
# (benchmarks/rbm_likelihood_mnist.py uses it; tests/test_rbm.py checks it
# against the exact log Z of a small RBM).
PAPER_AIS_CHAINS = 100
PAPER_AIS_BETAS = sum(_SCHEDULE_SHARES)
MIN_BETAS = 10
# `exact` enumerates 2**n states of the smaller layer, batch by batch.
MAX_EXACT_UNITS = 20
_EXACT_BATCH = 2**14


def exact(w, b_vis, b_hid):
    """`log Z` by enumerating the smaller layer, in float64 NumPy.

    Summing out the larger layer analytically, for `n = H` (the other case
    swaps the layers: `W -> W^T`, `b_vis <-> b_hid`):
    `log Z = logsumexp_h [b_hid^T h + sum_i softplus(b_vis_i + (W h)_i)]`.
    The log-sum-exp is accumulated over batches of `_EXACT_BATCH` states,
    so memory stays bounded; time grows as `2^min(V, H)`.
    """
    if w.shape[1] > w.shape[0]:
        w, b_vis, b_hid = w.T, b_hid, b_vis
    n = w.shape[1]
    bits = np.arange(n)
    total = -np.inf
    for start in range(0, 2**n, _EXACT_BATCH):
        codes = np.arange(start, min(start + _EXACT_BATCH, 2**n))
        h = ((codes[:, None] >> bits) & 1).astype(np.float64)  # (batch, n)
        log_terms = h @ b_hid + np.logaddexp(0.0, h @ w.T + b_vis).sum(axis=1)
        top = np.max(log_terms)
        total = np.logaddexp(total, top + np.log(np.sum(np.exp(log_terms - top))))
    return float(total)


def betas(num_betas):
    """The inverse temperatures `0 = beta_0 < ... < beta_{K} = 1`, `num_betas` of them.

    Piecewise linear with Salakhutdinov & Murray's proportions (see above).
    Returns a float64 NumPy array of shape `(num_betas,)`.
    """
    total = sum(_SCHEDULE_SHARES)
    n1 = max(1, round(num_betas * _SCHEDULE_SHARES[0] / total))
    n2 = max(1, round(num_betas * _SCHEDULE_SHARES[1] / total))
    n3 = num_betas - n1 - n2
    k0, k1, k2, k3 = _SCHEDULE_KNOTS
    return np.concatenate(
        [
            np.linspace(k0, k1, n1, endpoint=False),
            np.linspace(k1, k2, n2, endpoint=False),
            np.linspace(k2, k3, n3),
        ]
    )


def base_rate_biases(x, n_visible):
    """Visible biases of the base-rate model: the logit of the smoothed data mean.

    `p_i = (sum_n x_ni + 1) / (N + 2)` (Laplace's rule, so no pixel has
    probability 0 or 1), `b_A_i = log p_i - log(1 - p_i)`. Returns float64 `(V,)`.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1, n_visible)
    p = (x.sum(axis=0) + 1.0) / (x.shape[0] + 2.0)
    return np.log(p) - np.log1p(-p)


def log_partition(w, b_vis, b_hid, base_vis_bias, beta_schedule, num_chains, seed):
    """AIS estimate of `log Z` of the RBM `(w, b_vis, b_hid)`.

    Args:
        w, b_vis, b_hid: float64 arrays `[V, H]`, `[V]`, `[H]`.
        base_vis_bias: float64 `[V]`, the base model's visible biases `b_A`.
        beta_schedule: float64 `[K + 1]`, increasing from 0 to 1.
        num_chains: int, `M`, the number of independent AIS runs.
        seed: int64 `[2]`; the same seed gives the same estimate.

    Returns:
        `(log_z, stderr, log_weights)`: floats (nats) and the float64 `[M]`
        log importance weights `log w + log Z_A`, whose log-mean-exp is `log_z`.
    """
    w = tf.constant(w, tf.float64)
    b_vis = tf.constant(b_vis, tf.float64)
    b_hid = tf.constant(b_hid, tf.float64)
    b_base = tf.constant(base_vis_bias, tf.float64)
    beta_schedule = tf.constant(beta_schedule, tf.float64)
    seed = tf.constant(seed, tf.int64)
    log_w = _anneal(w, b_vis, b_hid, b_base, beta_schedule, tf.constant(num_chains), seed).numpy()

    n_hidden = w.shape[1]
    log_z_base = n_hidden * np.log(2.0) + np.sum(np.logaddexp(0.0, base_vis_bias))
    log_weights = log_w + log_z_base
    shift = np.max(log_weights)
    ratios = np.exp(log_weights - shift)  # w / max(w), in (0, 1]
    mean = np.mean(ratios)
    log_z = float(shift + np.log(mean))
    if num_chains > 1:
        stderr = float(np.std(ratios, ddof=1) / (np.sqrt(num_chains) * mean))
    else:
        stderr = float("inf")
    return log_z, stderr, log_weights


@tf.function(reduce_retracing=True)
def _anneal(w, b_vis, b_hid, b_base, beta_schedule, num_chains, seed):
    """The `M` log weights `log w` of the module docstring (without `log Z_A`)."""
    n_visible = tf.shape(w)[0]
    num_steps = tf.shape(beta_schedule)[0]
    # Every transition gets its own op seed, drawn from `seed`; the base
    # sample uses another stream of `seed`.
    step_seeds = tf.random.stateless_uniform(
        [num_steps, 2], seed=seed, minval=0, maxval=2**62, dtype=tf.int64
    )
    base_seed = tf.random.experimental.stateless_fold_in(seed, 1)
    u = tf.random.stateless_uniform([num_chains, n_visible], seed=base_seed, dtype=tf.float64)
    v = tf.cast(u < tf.sigmoid(b_base), tf.float64)
    log_w = tf.zeros([num_chains], tf.float64)

    def body(k, v, log_w):
        beta, beta_previous = beta_schedule[k], beta_schedule[k - 1]
        # log p*_beta(v) - log p*_beta_previous(v), both at the current v.
        activation = tf.matmul(v, w) + b_hid
        log_w += (beta - beta_previous) * tf.linalg.matvec(v, b_vis - b_base)
        log_w += tf.reduce_sum(
            tf.nn.softplus(beta * activation) - tf.nn.softplus(beta_previous * activation), axis=1
        )
        # One Gibbs sweep that leaves p_beta invariant (wasted after beta = 1,
        # which is the last step, so skipped there).
        v = tf.cond(
            k < num_steps - 1,
            lambda: kgen_ops.gibbs_sweeps(
                v, beta * w, (1.0 - beta) * b_base + beta * b_vis, beta * b_hid, 1, step_seeds[k],
                validate_args=False,  # the RBM's own parameters, once per step of thousands
            ).v,
            lambda: v,
        )
        return k + 1, v, log_w

    _, _, log_w = tf.while_loop(lambda k, v, log_w: k < num_steps, body, (tf.constant(1), v, log_w))
    return log_w
