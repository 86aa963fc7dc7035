"""Tests of `kgen.models.RBM`: the chain's distribution, the free energy, log Z
(exact and AIS), learning on digits, the optimizer hand-off, PCD, saving,
serving, and the error messages.

Statistical tests use fixed seeds; each tolerance is derived in a comment.
"""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import expit, logsumexp

import kgen
import kgen_ops
from kgen.models.rbm import RBM
import zoo


def _set_parameters(rbm, w, b_vis, b_hid):
    rbm.w.assign(w)
    rbm.b_vis.assign(b_vis)
    rbm.b_hid.assign(b_hid)


def _parameters(rbm):
    return [np.asarray(p.numpy(), np.float64) for p in (rbm.w, rbm.b_vis, rbm.b_hid)]


def _all_states(n):
    """All 2**n binary vectors, state `c` having bit `i` = `(c >> i) & 1`; `(2**n, n)`."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def _numpy_free_energy(v, w, b_vis, b_hid):
    """`F(v) = -log sum_h exp(-E(v, h))` by brute force over every `h`."""
    h = _all_states(w.shape[1])
    minus_energy = (v @ w) @ h.T + (v @ b_vis)[:, None] + (h @ b_hid)[None, :]
    return -logsumexp(minus_energy, axis=1)


def _numpy_cd_gradients(v0, h0_prob, vk, hk_prob):
    return [
        -(v0.T @ h0_prob / len(v0) - vk.T @ hk_prob / len(vk)),
        -(v0.mean(0) - vk.mean(0)),
        -(h0_prob.mean(0) - hk_prob.mean(0)),
    ]


@pytest.fixture(scope="module")
def binary_digits():
    (x_train, _), (x_test, _) = kgen.datasets.load_digits(test_fraction=0.2, seed=0)
    return kgen.datasets.binarize(x_train).reshape(-1, 64), kgen.datasets.binarize(x_test).reshape(-1, 64)


@pytest.fixture(scope="module")
def trained_digits_rbm(binary_digits):
    """CD-1, H = 12, three epochs on the binarised digits; also its untrained log-likelihood."""
    x_train, x_test = binary_digits
    keras.utils.set_random_seed(0)  # `fit` shuffles with the global seed
    rbm = RBM(64, 12, cd_k=1, seed=0)
    untrained = float(np.mean(rbm.log_likelihood(x_test)))
    rbm.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
    rbm.fit(x_train, epochs=3, batch_size=32, verbose=0)
    return rbm, untrained


# The chain samples the RBM's distribution.


def test_gibbs_chain_matches_the_exact_joint_distribution():
    V, H = 6, 4
    rng = np.random.default_rng(0)
    w, b_vis, b_hid = rng.normal(size=(V, H)), rng.normal(size=V), rng.normal(size=H)

    # Exact joint p(v, h) over all 2**10 states, state index = v_code + 2**V * h_code.
    v_states, h_states = _all_states(V), _all_states(H)
    minus_energy = (v_states @ w) @ h_states.T + (v_states @ b_vis)[:, None] + (h_states @ b_hid)[None, :]
    p_joint = np.exp(minus_energy - logsumexp(minus_energy)).T.ravel()  # [h_code, v_code] row-major

    # Burn-in: chains start at uniform v. The exact distribution of v after k
    # sweeps is uniform @ T^k with T[v, v'] = sum_h p(h|v) p(v'|h); the final h
    # is drawn from p(h|v) exactly, so the joint's distance to stationarity
    # equals the marginal's. We check it is negligible (< 1e-4; it is 2e-7) for k = 8.
    k = 8
    p_h_given_v = np.prod(
        np.where(h_states[None], expit(v_states @ w + b_hid)[:, None], 1 - expit(v_states @ w + b_hid)[:, None]),
        axis=2,
    )  # [v, h]
    p_v_given_h = np.prod(
        np.where(v_states[None], expit(h_states @ w.T + b_vis)[:, None], 1 - expit(h_states @ w.T + b_vis)[:, None]),
        axis=2,
    )  # [h, v]
    p_v = np.full(2**V, 2.0**-V) @ np.linalg.matrix_power(p_h_given_v @ p_v_given_h, k)
    p_v_exact = p_joint.reshape(2**H, 2**V).sum(axis=0)
    assert 0.5 * np.abs(p_v - p_v_exact).sum() < 1e-4

    # n independent chains give a multinomial sample of size n. The expected
    # TV from sampling noise alone is 0.5 * sum_s E|p^_s - p_s|, and
    # E|p^_s - p_s| ~= sqrt(2 p_s (1 - p_s) / (pi n)) (half-normal mean).
    n = 1_000_000
    expected_noise_tv = 0.5 * np.sum(np.sqrt(2 * p_joint * (1 - p_joint) / (np.pi * n)))
    assert expected_noise_tv < 0.01  # so a TV of 0.02 would be a real error

    v0 = (rng.random((n, V)) < 0.5).astype(np.float32)
    chain = kgen_ops.gibbs_sweeps(
        v0, w.astype(np.float32), b_vis.astype(np.float32), b_hid.astype(np.float32), k, [7, 11]
    )
    v_code = chain.v.numpy().astype(np.int64) @ (1 << np.arange(V))
    h_code = chain.h.numpy().astype(np.int64) @ (1 << np.arange(H))
    p_empirical = np.bincount(v_code + 2**V * h_code, minlength=2 ** (V + H)) / n
    total_variation = 0.5 * np.abs(p_empirical - p_joint).sum()
    assert total_variation < 0.02, (total_variation, expected_noise_tv)


def test_sample_marginals_match_the_exact_model():
    V, H = 5, 3
    rng = np.random.default_rng(1)
    rbm = RBM(V, H, seed=0)
    w, b_vis, b_hid = rng.normal(size=(V, H)), rng.normal(size=V), rng.normal(size=H)
    _set_parameters(rbm, w, b_vis, b_hid)
    v_states = _all_states(V)
    log_p = -_numpy_free_energy(v_states, w, b_vis, b_hid)
    exact_means = np.exp(log_p - logsumexp(log_p)) @ v_states

    n = 20_000
    samples = rbm.sample(n, num_sweeps=30, seed=3).numpy()
    assert samples.shape == (n, V) and set(np.unique(samples)) <= {0.0, 1.0}
    # Each mean has standard error sqrt(p (1 - p) / n) <= 0.5 / sqrt(n) = 0.0035;
    # 0.015 is more than 4 standard errors.
    np.testing.assert_allclose(samples.mean(axis=0), exact_means, atol=0.015)
    np.testing.assert_array_equal(rbm.sample(4, num_sweeps=5, seed=9), rbm.sample(4, num_sweeps=5, seed=9))


# Deterministic quantities against NumPy.


def test_free_energy_hidden_probs_and_exact_log_z_match_numpy():
    rng = np.random.default_rng(2)
    for V, H in ((6, 4), (5, 7)):  # H > V makes log_partition enumerate v instead of h
        rbm = RBM(V, H, seed=0, dtype="float64")
        w, b_vis, b_hid = rng.normal(size=(V, H)), rng.normal(size=V), rng.normal(size=H)
        _set_parameters(rbm, w, b_vis, b_hid)
        v = (rng.random((10, V)) < 0.5).astype(np.float64)

        np.testing.assert_allclose(rbm.free_energy(v), _numpy_free_energy(v, w, b_vis, b_hid), rtol=1e-10)
        np.testing.assert_allclose(rbm.hidden_probs(v), expit(v @ w + b_hid), rtol=1e-10)

        log_z = logsumexp(-_numpy_free_energy(_all_states(V), w, b_vis, b_hid))
        estimate = rbm.log_partition()
        assert estimate.stderr == 0.0
        np.testing.assert_allclose(estimate.log_z, log_z, rtol=1e-12)
        np.testing.assert_allclose(rbm.log_likelihood(v), -_numpy_free_energy(v, w, b_vis, b_hid) - log_z, rtol=1e-10)


def test_free_energy_accepts_images_with_visible_shape():
    rbm = RBM(64, 5, visible_shape=(8, 8, 1), seed=0)
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(rbm.free_energy(x), rbm.free_energy(x.reshape(3, 64)))
    assert rbm.reconstruct(x).shape == (3, 8, 8, 1)
    assert rbm.sample(2, num_sweeps=1, seed=0).shape == (2, 8, 8, 1)


# log Z by AIS, and learning.


def test_ais_log_z_agrees_with_exact(trained_digits_rbm, binary_digits):
    # The AIS setting of benchmarks/rbm_likelihood_mnist.py (the paper's:
    # 100 runs, 14,500 inverse temperatures), checked where log Z is exact.
    from kgen.models import _rbm_log_partition

    rbm, _ = trained_digits_rbm
    exact = rbm.log_partition(method="exact").log_z
    estimate = rbm.log_partition(
        method="ais", num_chains=_rbm_log_partition.PAPER_AIS_CHAINS,
        num_betas=_rbm_log_partition.PAPER_AIS_BETAS, data=binary_digits[0], seed=0,
    )
    difference = abs(estimate.log_z - exact)
    assert difference < 0.1, (estimate, exact)
    # `stderr` is the delta-method standard error of log mean(w) (about 0.004
    # nats here). The difference is within 3 standard errors unless the
    # annealing is too short; 0.01 nats of slack covers the error of the
    # error bar itself, estimated from the spread of only 100 weights.
    assert difference < 3 * estimate.stderr + 0.01, (estimate, exact)


def test_cd1_raises_the_held_out_log_likelihood(trained_digits_rbm, binary_digits):
    rbm, untrained = trained_digits_rbm
    trained = float(np.mean(rbm.log_likelihood(binary_digits[1])))  # exact log Z: 2**12 states
    # Untrained, W ~ N(0, 0.01^2) and zero biases: about -64 log 2 = -44.4 nats.
    # The mean over 359 test digits has a standard error under 1 nat, so a
    # gain of 5 nats is a real one (three epochs reach about -27).
    assert untrained == pytest.approx(-64 * np.log(2), abs=0.1)
    assert trained > untrained + 5, (untrained, trained)


# Training mechanics.


@pytest.mark.parametrize("fused_update", [True, False], ids=["fused", "optimizer"])
def test_train_step_hands_the_cd_statistics_to_the_optimizer(binary_digits, fused_update):
    # Both paths of `train_step`: the fused op `cd_step` updating in place,
    # and the statistics handed to Keras' SGD as gradients.
    x = binary_digits[0][:16]
    rbm = RBM(64, 8, cd_k=2, seed=3)
    rng = np.random.default_rng(3)
    _set_parameters(rbm, rng.normal(scale=0.1, size=(64, 8)), rng.normal(scale=0.1, size=64), np.zeros(8))
    learning_rate = 0.1
    rbm.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9), fused_update=fused_update)
    before = _parameters(rbm)
    state = rbm.seed_generator.state.numpy()

    logs = rbm.train_on_batch(x, return_dict=True)

    # Replay the step: the op seed is the step's first draw from the generator.
    rbm.seed_generator.state.assign(state)
    op_seed = rbm._draw_op_seed()
    chain = kgen_ops.gibbs_sweeps(x, *(p.astype(np.float32) for p in before), 2, op_seed)
    first_sweep = kgen_ops.gibbs_sweeps(x, *(p.astype(np.float32) for p in before), 1, op_seed)
    v0 = x.astype(np.float64)
    vk, hk_prob, h0_prob = (np.asarray(t, np.float64) for t in (chain.v, chain.h_prob, chain.h0_prob))
    gradients = _numpy_cd_gradients(v0, h0_prob, vk, hk_prob)
    # SGD with momentum starts from zero velocity: the first step is -lr * grad.
    for old, new, gradient in zip(before, _parameters(rbm), gradients):
        np.testing.assert_allclose(new, old - learning_rate * gradient, atol=1e-6)
    assert np.abs(gradients[0]).max() > 1e-3  # the check is not vacuous

    w, b_vis, b_hid = before
    gap = _numpy_free_energy(v0, w, b_vis, b_hid).mean() - _numpy_free_energy(vk, w, b_vis, b_hid).mean()
    assert logs["loss"] == pytest.approx(gap, abs=1e-4)
    # One sampled up-down pass: p(v | h_0), h_0 the chain's first hidden draw.
    reconstruction = np.asarray(first_sweep.v_prob, np.float64)
    assert logs["reconstruction_error"] == pytest.approx(np.mean((v0 - reconstruction) ** 2), abs=1e-5)
    assert np.mean((v0 - reconstruction) ** 2) != pytest.approx(
        np.mean((v0 - expit(h0_prob @ w.T + b_vis)) ** 2), abs=1e-4
    )  # not the mean-field pass
    assert set(logs) == {"loss", "reconstruction_error", "pseudo_log_likelihood"}
    assert rbm.jit_compile is False


@pytest.mark.parametrize("fused_update", [True, False], ids=["fused", "optimizer"])
def test_pcd_keeps_its_chains_across_updates(binary_digits, fused_update):
    x = binary_digits[0][:16]
    rbm = RBM(64, 8, cd_k=2, persistent=True, num_chains=10, seed=4)
    learning_rate = 0.05
    rbm.compile(optimizer=keras.optimizers.SGD(learning_rate), fused_update=fused_update)
    chains = rbm.persistent_chains.numpy()
    np.testing.assert_array_equal(chains, np.zeros((10, 64)))

    for _ in range(2):
        before = _parameters(rbm)
        state = rbm.seed_generator.state.numpy()
        rbm.train_on_batch(x)
        rbm.seed_generator.state.assign(state)
        replay = kgen_ops.gibbs_sweeps(chains, *(p.astype(np.float32) for p in before), 2, rbm._draw_op_seed())
        # The chains continue from where the last update left them ...
        np.testing.assert_array_equal(rbm.persistent_chains.numpy(), replay.v.numpy())
        # ... and give the negative phase (M = 10 chains, B = 16 examples).
        h0_prob = expit(x @ before[0] + before[2])
        gradients = _numpy_cd_gradients(x, h0_prob, replay.v.numpy(), replay.h_prob.numpy())
        for old, new, gradient in zip(before, _parameters(rbm), gradients):
            np.testing.assert_allclose(new, old - learning_rate * gradient, atol=1e-6)
        assert not np.array_equal(replay.v.numpy(), chains)
        chains = replay.v.numpy()


@pytest.mark.parametrize(
    "cd_k, persistent, momentum",
    [(3, False, 0.5), (1, True, 0.0)],
    ids=["CD-3-momentum-schedule", "PCD-1-sgd-schedule"],
)
def test_fused_fit_equals_fit_through_the_optimizer(binary_digits, monkeypatch, cd_k, persistent, momentum):
    # `fit` with the fused step (`compile(fused_update="auto")`, plain SGD)
    # and through Keras' SGD (`fused_update=False`) from the same seed: the
    # same Gibbs chains (the op seeds are the same draws), so the weights
    # agree up to float32 rounding of sums of <= 32 products (atol 1e-6;
    # they move by > 1e-2) and the metrics to float32 rounding (rtol 1e-5).
    # Two epochs of 3 steps, steps_per_execution 8, a decaying schedule.
    x = binary_digits[0][:96]
    fused_steps = []
    original = RBM._fused_train_step
    monkeypatch.setattr(
        RBM, "_fused_train_step", lambda self, *a: fused_steps.append(1) or original(self, *a)
    )

    def train(fused_update):
        rbm = RBM(64, 16, cd_k=cd_k, persistent=persistent, num_chains=32 if persistent else None, seed=0)
        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5)
        rbm.compile(optimizer=keras.optimizers.SGD(schedule, momentum=momentum), fused_update=fused_update)
        history = rbm.fit(x, batch_size=32, epochs=2, shuffle=False, verbose=0).history
        return rbm, history

    fused, fused_history = train("auto")
    assert fused_steps, "the fused step did not run"
    traced = len(fused_steps)
    general, general_history = train(False)
    assert len(fused_steps) == traced, "fused_update=False ran the fused step"
    assert int(fused.optimizer.iterations) == int(general.optimizer.iterations) == 6
    moved = np.abs(general.get_weights()[0] - RBM(64, 16, seed=0).get_weights()[0]).max()
    assert moved > 1e-2
    for a, b in zip(fused.get_weights(), general.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    if momentum:
        for a, b in zip(fused.optimizer.momentums, general.optimizer.momentums):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-6)
    assert fused_history.keys() == general_history.keys()
    for name in fused_history:
        np.testing.assert_allclose(fused_history[name], general_history[name], rtol=1e-5, err_msg=name)


def test_fused_update_true_refuses_what_the_fused_step_cannot_do(binary_digits):
    rbm = RBM(64, 4, seed=0)
    rbm.compile(optimizer=keras.optimizers.Adam(), fused_update=True)
    with pytest.raises(ValueError, match="`fused_update=True` needs plain SGD.*Adam, not SGD"):
        rbm.train_on_batch(binary_digits[0][:8])
    rbm.compile(optimizer=keras.optimizers.SGD(clipnorm=1.0), fused_update=True)
    with pytest.raises(ValueError, match="clipnorm=1.0"):
        rbm.train_on_batch(binary_digits[0][:8])
    with pytest.raises(ValueError, match="`fused_update` must be"):
        rbm.compile(optimizer="sgd", fused_update="yes")
    assert rbm.get_compile_config()["fused_update"] is True


@pytest.mark.parametrize("persistent", [False, True], ids=["CD", "PCD"])
def test_scipy_sparse_input_gives_what_dense_input_gives(binary_digits, persistent):
    # As scikit-learn's BernoulliRBM: CSR data trains (Keras hands `fit`
    # tf.SparseTensor batches) and the methods take it; the result is the
    # dense input's exactly (same seed, same states).
    scipy_sparse = pytest.importorskip("scipy.sparse")
    x = binary_digits[0][:48]

    def train(data):
        rbm = RBM(64, 8, persistent=persistent, seed=0)
        rbm.compile(optimizer=keras.optimizers.SGD(0.1))
        history = rbm.fit(data, batch_size=16, epochs=1, shuffle=False, verbose=0).history
        return rbm, history

    dense, dense_history = train(x)
    sparse, sparse_history = train(scipy_sparse.csr_matrix(x))
    assert sparse.persistent_chains is None or sparse.persistent_chains.shape == (16, 64)
    for a, b in zip(dense.get_weights(), sparse.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert dense_history == sparse_history
    csr = scipy_sparse.csr_array(x)
    np.testing.assert_array_equal(sparse.hidden_probs(csr).numpy(), sparse.hidden_probs(x).numpy())
    np.testing.assert_array_equal(sparse.free_energy(csr).numpy(), sparse.free_energy(x).numpy())
    assert np.isfinite(list(sparse.evaluate(csr, batch_size=16, verbose=0, return_dict=True).values())).all()


def test_fit_accepts_arrays_and_datasets_and_sizes_pcd_chains(binary_digits):
    x = binary_digits[0][:100]
    for data, batch_size, expected_chains in (
        (x, 20, 20),
        (tf.data.Dataset.from_tensor_slices((x,)).batch(25), None, 25),
        (tf.data.Dataset.from_tensor_slices((x, np.zeros(100))).batch(50), None, 50),
    ):
        rbm = RBM(64, 4, persistent=True, seed=0)
        rbm.compile(optimizer="sgd")
        history = rbm.fit(data, batch_size=batch_size, epochs=1, verbose=0)
        assert set(history.history) == {"loss", "reconstruction_error", "pseudo_log_likelihood"}
        assert rbm.persistent_chains.shape == (expected_chains, 64)
        evaluation = rbm.evaluate(x, batch_size=50, verbose=0, return_dict=True)
        assert np.isfinite(list(evaluation.values())).all()


# Saving and serving.


def test_keras_file_round_trip(tmp_path, binary_digits):
    x = binary_digits[0][:64].reshape(-1, 8, 8, 1)
    for rbm in (
        RBM(64, 6, cd_k=2, visible_shape=(8, 8, 1), seed=5),
        RBM(64, 6, persistent=True, seed=6),  # chains sized by `fit`: 32
    ):
        rbm.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
        rbm.fit(x, epochs=1, batch_size=32, verbose=0)
        path = tmp_path / f"{rbm.name}.keras"
        rbm.save(path)
        loaded = keras.saving.load_model(path)
        assert isinstance(loaded, RBM)
        assert loaded.get_config() == rbm.get_config()
        for original, reloaded in zip(rbm.weights, loaded.weights):
            np.testing.assert_array_equal(original.numpy(), reloaded.numpy())
        np.testing.assert_array_equal(loaded.free_energy(x), rbm.free_energy(x))
        loaded.fit(x, epochs=1, batch_size=32, verbose=0)  # the compile config came back too


def test_export_runs_with_stock_tensorflow(tmp_path):
    rng = np.random.default_rng(7)
    rbm = RBM(12, 5, seed=0)
    _set_parameters(rbm, rng.normal(size=(12, 5)), rng.normal(size=12), rng.normal(size=5))
    x = (rng.random((4, 12)) < 0.5).astype(np.float32)
    path = rbm.export(tmp_path / "rbm" / "1")
    sample_call = {"num_samples": 7, "num_sweeps": 5, "seed": np.array([3, 4], np.int64)}
    report = zoo.serve_in_process(  # fresh process: test_zoo
        path,
        {"free_energy": {"x": x}, "hidden_probs": {"x": x}, "sample": [sample_call, sample_call]},
    )
    assert report.non_stock_ops == []
    assert {"free_energy", "hidden_probs", "sample", "serving_default"} <= set(report.signature_names)
    np.testing.assert_allclose(report.outputs["free_energy"]["free_energy"], rbm.free_energy(x), rtol=1e-6)
    np.testing.assert_allclose(report.outputs["hidden_probs"]["hidden_probs"], rbm.hidden_probs(x), rtol=1e-6)
    first, second = report.outputs["sample"]
    assert first["samples"].shape == (7, 12) and set(np.unique(first["samples"])) <= {0.0, 1.0}
    np.testing.assert_array_equal(first["samples"], second["samples"])
    assert ((first["probabilities"] > 0) & (first["probabilities"] < 1)).all()


# Error messages.


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"`n_hidden` must be an int >= 1. Received: n_hidden=0"):
        RBM(10, 0)
    with pytest.raises(ValueError, match=r"`cd_k` must be an int >= 1. Received: cd_k=-1"):
        RBM(10, 3, cd_k=-1)
    with pytest.raises(ValueError, match=r"`visible_shape` must be a tuple"):
        RBM(10, 3, visible_shape=(3, 3))
    rbm = RBM(10, 3, seed=0)
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch_size, 10\).*Received: x.shape=\(4, 9\)"):
        rbm.free_energy(np.zeros((4, 9)))
    rbm.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"Received: x.shape=\(None, 11\)|Received: x.shape=\(\d+, 11\)"):
        rbm.fit(np.zeros((8, 11)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`method` must be one of \('exact', 'ais'\). Received: method='mcmc'"):
        rbm.log_partition(method="mcmc")
    with pytest.raises(ValueError, match=r"`jit_compile` must be False"):
        rbm.compile(optimizer="sgd", jit_compile=True)
    with pytest.raises(ValueError, match=r"needs min\(n_visible, n_hidden\) <= 20.*n_hidden=21"):
        RBM(30, 21, seed=0).log_partition(method="exact")
    with pytest.raises(ValueError, match=r"`num_betas` must be an int >= 10. Received: num_betas=2"):
        rbm.log_partition(method="ais", num_betas=2)


def test_states_enumeration_helper_is_complete():
    # The tests above trust `_all_states`: every binary vector exactly once.
    states = _all_states(4)
    assert {tuple(s) for s in states} == set(itertools.product((0.0, 1.0), repeat=4))


def test_pseudo_log_likelihood_shortcut_equals_the_free_energy_difference():
    # The metric gets F(v~) from b_hid + v W by adding one row of W; compare with
    # free energies of the flipped vectors computed from scratch in NumPy (float64).
    rng = np.random.default_rng(11)
    model = RBM(9, 5, seed=0)
    model.w.assign(rng.normal(size=(9, 5)).astype(np.float32))
    model.b_vis.assign(rng.normal(size=9).astype(np.float32))
    model.b_hid.assign(rng.normal(size=5).astype(np.float32))
    v = (rng.random((6, 9)) < 0.5).astype(np.float32)
    flip = rng.integers(0, 9, size=6).astype(np.int32)
    got = model._pseudo_log_likelihood(tf.constant(v), flip=tf.constant(flip)).numpy()

    w, b_vis, b_hid = (x.numpy().astype(np.float64) for x in (model.w, model.b_vis, model.b_hid))

    def free_energy(x):
        return -x @ b_vis - np.logaddexp(0.0, x @ w + b_hid).sum(axis=1)

    v_flipped = v.astype(np.float64).copy()
    v_flipped[np.arange(6), flip] = 1.0 - v_flipped[np.arange(6), flip]
    gap = free_energy(v_flipped) - free_energy(v.astype(np.float64))
    expected = 9 * -np.logaddexp(0.0, -gap)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
