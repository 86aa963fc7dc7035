"""The CUDA kernels on the emulated device (kgen_ops._native_emulated), and what the emulation catches.

kgen_ops._native_emulated is kgen_ops.native built from the same .cu files
compiled as host C++ (cc/emulation/): device="cuda" runs every CUDA thread of a
block as a fiber, __syncthreads() as a barrier, blocks one after another; each
launch is checked against the limits of the device (grid and block sizes,
dynamic shared memory against 48 KB and the opted-in maximum); device memory
and dynamic shared memory start as all-one bytes (NaN). No GPU needed, so these
tests run in every CI run. What they cannot show (memory ordering within a
barrier interval, the device's exp bits, speed) is listed in
benchmarks/RESULTS.md, "What the CUDA emulation proves".

- Thread order: each kernel gives the same outputs whether the threads of
  every barrier interval run forward, in reverse or shuffled. A missing
  barrier makes the result depend on that order.
- Mutants: deliberately broken copies of the kernels, compiled into the
  emulated module behind a switch (cc/emulation/rewrite_cuda.py, MUTANTS). Each
  test shows that the check meant to catch a fault passes on the real kernel
  and fails on its mutant: a missing barrier (order dependence), a wrong
  Philox index (states differ from the CPU kernel's on chains without a
  near-tie), an output element never written (NaN left by the poisoned
  allocation), a grid past the device's y limit (the launch is refused).
- Fuzz: shapes from 0 to a few hundred units around the multiples the kernels
  care about (4, 8, 32, 64, 128), k = 0..3, float32 and float64, binary and
  probability starts, each CUDA path forced and both tile shapes of the tiled
  path: the emulated states equal the CPU kernel's on every chain without a
  near-tie (|u - p| > 4 eps, as in tests/test_native_gibbs.py), probabilities
  within 1e-5, and the fused path equals the tiled one exactly for 0/1 starts.
  Here the emulated exp is glibc's, the CPU kernel's is not necessarily, so
  the near-tie rule applies exactly as it will on a GPU.
"""

import numpy as np
import pytest

from kgen_ops.reference import gibbs_sweeps as reference

try:
    from kgen_ops import _native_emulated as emulated
except ImportError:
    emulated = None

pytestmark = pytest.mark.skipif(emulated is None, reason="kgen_ops._native_emulated was not built")

FIELDS = ("v", "h", "v_prob", "h_prob", "h0_prob")
ORDERS = ("forward", "reverse", "shuffled")


@pytest.fixture(autouse=True)
def _real_kernels_in_forward_order():
    """Every test starts (and leaves the module) with the real kernels, forward order, 132 SMs."""

    def reset():
        emulated.emulation_set_mutant("")
        emulated.emulation_set_thread_order("forward")
        emulated.emulation_set_multiprocessors(132)

    reset()
    yield
    reset()


def near_tie(dtype):
    return 4 * float(np.finfo(dtype).eps)


def gibbs(problem, k, seed, device="cuda", **kwargs):
    return emulated.gibbs_sweeps(*problem, k, list(seed), device=device, **kwargs)


def in_every_order(run):
    """run() with the threads of each barrier interval forward, reversed and shuffled."""
    results = []
    for order in ORDERS:
        emulated.emulation_set_thread_order(order, 1234)
        results.append(run())
    return results


def assert_identical(a, b, what=""):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=f"{what} {name}")


def assert_order_independent(results):
    for order, result in zip(ORDERS[1:], results[1:]):
        assert_identical(result, results[0], f"{order} order against forward:")


def assert_agrees_with_cpu(problem, k, seed, got):
    """States equal the CPU kernel's on every chain without a near-tie; probabilities within 1e-5."""
    dtype = problem[0].dtype
    cpu = gibbs(problem, k, seed, device="cpu")
    for name in FIELDS:
        assert getattr(got, name).shape == getattr(cpu, name).shape, name
    if problem[0].shape[0] == 0:
        return
    clean = reference.gibbs_sweeps(*problem, k, seed).min_margin > near_tie(dtype)
    for name in ("v", "h"):
        bad = np.argwhere(getattr(got, name)[clean] != getattr(cpu, name)[clean])
        assert bad.size == 0, f"{name}: {len(bad)} states differ on chains without a near-tie, first {bad[:3].tolist()}"
    for name in ("v_prob", "h_prob", "h0_prob"):
        np.testing.assert_allclose(getattr(got, name), getattr(cpu, name), rtol=0, atol=1e-5, err_msg=name)


def problem_of(batch, visible, hidden, dtype=np.float32, binary=True, seed=0):
    rng = np.random.default_rng([batch, visible, hidden, seed])
    return reference.random_problem(rng, batch, visible, hidden, dtype, binary=binary, scale=0.5)


# ---------------------------------------------------------------------------
# The real kernels: independent of the thread order, equal to the CPU kernel


@pytest.mark.parametrize("algorithm", ["fused", "tiled"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gibbs_paths_do_not_depend_on_thread_order(algorithm, dtype):
    problem = problem_of(37, 50, 33, dtype)
    results = in_every_order(lambda: gibbs(problem, 3, (5, 6), algorithm=algorithm))
    assert_order_independent(results)
    assert_agrees_with_cpu(problem, 3, (5, 6), results[0])


def test_philox_and_cd_statistics_do_not_depend_on_thread_order():
    bits = in_every_order(lambda: emulated.philox_bits([1027], [3, 4], device="cuda"))
    for other in bits:
        np.testing.assert_array_equal(other, emulated.philox_bits([1027], [3, 4]))
    rng = np.random.default_rng(2)
    inputs = [(rng.random(shape) < 0.5).astype(np.float32) for shape in [(5, 7), (5, 300), (6, 7), (6, 300)]]
    stats = in_every_order(lambda: emulated.cd_statistics(*inputs, device="cuda"))
    for other in stats[1:]:
        for a, b in zip(other, stats[0]):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(stats[0], emulated.cd_statistics(*inputs)):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)


def test_shared_memory_opt_in_is_set_once_and_checked():
    # V + H = 13,000 float32 states: 52,000 bytes of dynamic shared memory, past
    # the 48 KB a launch gets without the kernel's opt-in. The emulator refuses
    # such a launch unless cudaFuncSetAttribute raised the limit, so these
    # launches running shows the opt-in happened; the count shows it happened
    # once, not per call.
    problem = problem_of(2, 12_000, 1_000)
    before = emulated.emulation_stats()["function_attribute_calls"]
    for _ in range(3):
        got = gibbs(problem, 0, (1, 1), algorithm="fused")
        assert np.isfinite(got.h_prob).all()
    assert emulated.emulation_stats()["function_attribute_calls"] - before <= 1
    with pytest.raises(RuntimeError, match=r"algorithm='fused' keeps V \+ H = 100001 units"):
        gibbs(problem_of(1, 100_000, 1), 0, (0, 0), algorithm="fused")


# ---------------------------------------------------------------------------
# Mutants: each check passes on the real kernel and fails on the broken copy


def test_every_mutant_is_covered_below():
    assert set(emulated.emulation_mutants()) == {
        "fused-missing-barrier", "tiled-missing-barrier", "fused-philox-index", "tiled-philox-index",
        "fused-unwritten-output", "philox-block-size"}


@pytest.mark.parametrize("mutant, algorithm", [("fused-missing-barrier", "fused"), ("tiled-missing-barrier", "tiled")])
def test_a_missing_barrier_makes_the_result_depend_on_the_thread_order(mutant, algorithm):
    problem = problem_of(37, 50, 33)
    run = lambda: gibbs(problem, 2, (7, 8), algorithm=algorithm)  # noqa: E731
    assert_order_independent(in_every_order(run))
    emulated.emulation_set_mutant(mutant)
    with pytest.raises(AssertionError, match="order against forward"):
        assert_order_independent(in_every_order(run))


@pytest.mark.parametrize("mutant, algorithm", [("fused-philox-index", "fused"), ("tiled-philox-index", "tiled")])
def test_a_wrong_philox_index_changes_the_states(mutant, algorithm):
    problem = problem_of(16, 33, 21)
    assert_agrees_with_cpu(problem, 2, (9, 9), gibbs(problem, 2, (9, 9), algorithm=algorithm))
    emulated.emulation_set_mutant(mutant)
    with pytest.raises(AssertionError, match="states differ on chains without a near-tie"):
        assert_agrees_with_cpu(problem, 2, (9, 9), gibbs(problem, 2, (9, 9), algorithm=algorithm))


def test_an_unwritten_output_is_seen_as_nan():
    problem = problem_of(4, 9, 5)
    assert_agrees_with_cpu(problem, 2, (1, 2), gibbs(problem, 2, (1, 2), algorithm="fused"))
    emulated.emulation_set_mutant("fused-unwritten-output")
    got = gibbs(problem, 2, (1, 2), algorithm="fused")
    assert np.isnan(got.v_prob[:, -1]).all() and not np.isnan(got.v_prob[:, :-1]).any()
    with pytest.raises(AssertionError, match="v_prob"):
        assert_agrees_with_cpu(problem, 2, (1, 2), got)


def test_a_block_past_the_device_limit_is_refused():
    # The mutant launches the Philox kernel with blocks of 2048 threads: the
    # emulator refuses the launch as the device would, and the binding says so.
    failed = emulated.emulation_stats()["failed_launches"]
    np.testing.assert_array_equal(emulated.philox_bits([100], [1, 2], device="cuda"), emulated.philox_bits([100], [1, 2]))
    assert emulated.emulation_stats()["failed_launches"] == failed
    emulated.emulation_set_mutant("philox-block-size")
    with pytest.raises(RuntimeError, match="Philox launch: invalid configuration argument"):
        emulated.philox_bits([100], [1, 2], device="cuda")
    assert "block (2048, 1, 1) outside the limits" in emulated.emulation_stats()["last_launch_error"]


# ---------------------------------------------------------------------------
# Fuzz over shapes: emulated CUDA against the CPU kernel, fused against tiled

UNITS = [0, 1, 3, 4, 5, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 255, 256, 257]


def fuzz_cases(count=90):
    rng = np.random.default_rng(20261121)
    cases = []
    for index in range(count):
        visible, hidden = (int(x) for x in rng.choice(UNITS, 2))
        batch = int(rng.choice([1, 2, 5, 17, 64, 130]))
        k = int(rng.integers(0, 4))
        dtype = [np.float32, np.float64][index % 2]
        binary = index % 5 != 4
        # Every third case with 1 SM, so the tiled path takes its 128 x 128 tile
        # whenever the layer has two such tiles.
        sms = 1 if index % 3 == 0 else 132
        cases.append(pytest.param(batch, visible, hidden, k if binary else 0, dtype, binary, sms,
                                  id=f"B{batch}-V{visible}-H{hidden}-k{k if binary else 0}-{dtype.__name__}"
                                     f"-{'binary' if binary else 'probs'}-sm{sms}"))
    return cases


@pytest.mark.parametrize("batch, visible, hidden, k, dtype, binary, sms", fuzz_cases())
def test_fuzz_emulated_cuda_against_the_cpu_kernel(batch, visible, hidden, k, dtype, binary, sms):
    emulated.emulation_set_multiprocessors(sms)
    problem = problem_of(batch, visible, hidden, dtype, binary, seed=k)
    seed = (batch * 1000 + visible, hidden)
    fused = gibbs(problem, k, seed, algorithm="fused")
    tiled = gibbs(problem, k, seed, algorithm="tiled")
    for got in (fused, tiled):
        assert_last_draws_use_own_probabilities(got, k, seed)
    if binary:
        assert_agrees_with_cpu(problem, k, seed, fused)
        assert_identical(tiled, fused, "tiled against fused:")
    else:
        # A probability start (k = 0): the tiled path's sums are FMA-contracted,
        # the fused and CPU ones are not here, so p moves by rounding; h may
        # differ only where u lies between the two probabilities.
        cpu = gibbs(problem, 0, seed, device="cpu")
        u = reference.gibbs_uniforms(seed, 0, batch, hidden).astype(np.float64)
        for got in (fused, tiled):
            np.testing.assert_array_equal(got.v, problem[0])
            np.testing.assert_array_equal(got.v_prob, 0)
            np.testing.assert_allclose(got.h_prob, cpu.h_prob, rtol=0, atol=1e-5)
            low = np.minimum(got.h_prob, cpu.h_prob) - near_tie(dtype)
            high = np.maximum(got.h_prob, cpu.h_prob) + near_tie(dtype)
            assert not np.any((got.h != cpu.h) & ~((u >= low) & (u <= high)))


def assert_last_draws_use_own_probabilities(got, k, seed):
    """h (and v for k > 0) are `u < p` of the returned probabilities at the layout's positions."""
    batch, hidden = got.h.shape
    u_h = reference.gibbs_uniforms(seed, 2 * k, batch, hidden)
    np.testing.assert_array_equal(got.h, reference.bernoulli(got.h_prob, u_h), err_msg="h")
    if k > 0:
        u_v = reference.gibbs_uniforms(seed, 2 * k - 1, batch, got.v.shape[1])
        np.testing.assert_array_equal(got.v, reference.bernoulli(got.v_prob, u_v), err_msg="v")
