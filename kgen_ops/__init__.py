"""kgen_ops: kgen's compiled kernels.

- TensorFlow ops (need TensorFlow and the built `_kgen_ops.so`):
  `philox_uniform(shape, seed)`, `philox_bits(shape, seed)`,
  `gibbs_sweeps(v, w, b_vis, b_hid, k, seed)` (fused RBM block-Gibbs sweeps),
  `cd_statistics(v_pos, h_pos, v_neg, h_neg)` (sparse CD statistics),
  `cd_update(v, w, b_vis, b_hid, k, seed, learning_rate, chains=None)` (a whole
  CD-k / PCD-k SGD step on the variables, in place, in one CPU kernel; with
  `momentum=` and `velocities=` as Keras' SGD with momentum), and `cd_step`,
  the same step also returning what the RBM's metrics need.
  Their wrappers first check the values (visible states in [0, 1], finite
  parameters; one reduction per input) unless `validate_args=False`.
- `kgen_ops.native`: the same kernels on NumPy arrays through pybind11, with
  `device="cpu"|"cuda"`; needs no TensorFlow.
- `kgen_ops.reference`: NumPy references of the ops, one module per op
  (`philox`, `gibbs_sweeps`, `cd_statistics`, `cd_update`);
  `kgen_ops.philox_reference` remains an alias of `kgen_ops.reference.philox`.

The TensorFlow wrappers are imported only when TensorFlow is installed, so
`kgen_ops.native` also works on a machine without it (the GPU test machine).
"""

import importlib.machinery as _importlib_machinery
import importlib.util as _importlib_util
import os as _os


def _native_from_path(path):
    """The pybind11 module in the file `path` (named after its file: native or _native_emulated)."""
    name = "kgen_ops." + _os.path.basename(path).split(".")[0]
    loader = _importlib_machinery.ExtensionFileLoader(name, path)
    module = _importlib_util.module_from_spec(_importlib_util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module


# KGEN_NATIVE_PATH names a freshly built module to use instead of the installed
# one: `make gpu-check` sets it to what it has just built (on the GPU machine,
# or the emulated module in its rehearsal).
if _os.environ.get("KGEN_NATIVE_PATH"):
    native = _native_from_path(_os.environ["KGEN_NATIVE_PATH"])
else:
    try:
        from kgen_ops import native
    except ImportError:  # not built: `kgen info` and the loaders say so
        native = None

from kgen_ops._loader import build_info, library_path, op_library_loaded  # noqa: E402

if _importlib_util.find_spec("tensorflow") is not None:
    from kgen_ops.cd_statistics import CdStatistics, cd_statistics  # noqa: E402,F401
    from kgen_ops.cd_update import CdStepResult, cd_step, cd_update  # noqa: E402,F401
    from kgen_ops.gibbs import GibbsSweepsGradientError, GibbsSweepsResult, gibbs_sweeps  # noqa: E402,F401
    from kgen_ops.philox import philox_bits, philox_uniform  # noqa: E402,F401


def cuda_available():
    """True when the CUDA kernels are built and a CUDA device is usable."""
    return bool(native is not None and native.built_with_cuda() and native.cuda_device_count() > 0)
