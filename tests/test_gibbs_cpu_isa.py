"""The three CPU builds of the Gibbs and CD kernels give the same numbers.

`kgen_ops.native` picks the best build the CPU runs (AVX-512, AVX2 or the
x86-64 baseline) once per process; `KGEN_CPU_ISA=avx2|baseline` selects a
lower one. Each lower build is run in its own subprocess on the same problem
and compared with the best build: the sums add the same rows in the same
order and the Philox words are integer arithmetic, so states must be
identical, probabilities equal to float rounding of the sigmoid (1e-6), and
the CD statistics equal to 1e-6.

A comparison needs two different builds: on a CPU without AVX-512 the best
build is AVX2 itself, so the AVX2 case skips (saying so) rather than compare
that build with itself, and the AVX-512 build is not tested there at all.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

native = pytest.importorskip("kgen_ops.native")

SCRIPT = r"""
import sys
import numpy as np
from kgen_ops import native
rng = np.random.default_rng(3)
B, V, H = 37, 70, 45
w = rng.normal(0, 0.5, (V, H)).astype(np.float32)
b_vis = rng.normal(0, 0.5, V).astype(np.float32)
b_hid = rng.normal(0, 0.5, H).astype(np.float32)
v = (rng.random((B, V)) < 0.3).astype(np.float32)
r = native.gibbs_sweeps(v, w, b_vis, b_hid, 3, [11, 12])
stats = native.cd_statistics(v, r.h0_prob, r.v, r.h_prob)
np.savez(sys.argv[1], isa=native.cpu_isa(), v=r.v, h=r.h, v_prob=r.v_prob, h_prob=r.h_prob,
         h0_prob=r.h0_prob, w=stats.w, b_vis=stats.b_vis, b_hid=stats.b_hid)
"""


def run_build(tmp_path, isa):
    out = tmp_path / f"{isa or 'default'}.npz"
    env = dict(os.environ)
    env.pop("KGEN_CPU_ISA", None)
    if isa:
        env["KGEN_CPU_ISA"] = isa
    subprocess.run([sys.executable, "-c", SCRIPT, str(out)], check=True, env=env, timeout=120)
    return dict(np.load(out))


@pytest.mark.parametrize("isa", ["avx2", "baseline"])
def test_lower_builds_match_the_best(tmp_path, isa):
    best = run_build(tmp_path, None)
    if str(best["isa"]) == "baseline":
        pytest.skip("this CPU runs only the baseline build: there is no other build to compare with")
    if str(best["isa"]) == isa:
        pytest.skip(
            f"this CPU has no AVX-512, so its best build is {isa} itself: comparing it with "
            f"KGEN_CPU_ISA={isa} would compare a build with itself"
        )
    lower = run_build(tmp_path, isa)
    assert str(lower["isa"]) == isa
    for name in ("v", "h"):
        np.testing.assert_array_equal(lower[name], best[name], err_msg=name)
    for name in ("v_prob", "h_prob", "h0_prob", "w", "b_vis", "b_hid"):
        np.testing.assert_allclose(lower[name], best[name], rtol=0, atol=1e-6, err_msg=name)
