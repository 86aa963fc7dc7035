"""NumPy references of kgen's compiled ops, one module per op, written to be read.

- `philox`: the Philox-4x32-10 stream (op Kgen>PhiloxRandom).
- `gibbs_sweeps`: the fused block-Gibbs sweeps (Kgen>GibbsSweeps), drawing the
  very same Philox uniforms, so even sampled states compare exactly.
- `cd_statistics`: the contrastive-divergence statistics (Kgen>CdStatistics).
- `cd_update`: one CD-k / PCD-k SGD step (Kgen>CdUpdate).

Each is independent of the compiled code (no shared source) and imports no
TensorFlow, so the tests also run them on the GPU machine. They are slow on
purpose: loops in the kernels' summation order, not the fastest NumPy.
"""
