"""Check that a SavedModel runs where only stock TensorFlow is installed.

TF Serving, and any client process that has TensorFlow but not kgen, can
only run a SavedModel whose graph uses ops registered in TensorFlow itself.
kgen's compiled ops (`Kgen>PhiloxRandom`, ...) are registered only in a
process that loaded the `kgen_ops` library, so a signature that calls one
exports fine, reloads fine in the exporting process, and then fails in
production with "Op type not registered". The checks here therefore never
trust the current process (which may have loaded `kgen_ops`): they look at
the graph on disk, and they ask a *fresh* Python process that imports only
TensorFlow.

- `graph_op_types(path)`: the op types in `saved_model.pb`, read with the
  protobuf (graph nodes and every function of the function library).
- `non_stock_ops(path)`: those op types that a pristine TensorFlow does not
  register, i.e. what TF Serving could not run.
- `call_in_fresh_process(path, inputs)`: load the SavedModel in a fresh
  process and call its signatures.
- `check_serving(path, inputs)`: both of the above in ONE fresh process
  (each process costs seconds to import TensorFlow), returning a
  `ServingReport`. This is what model tests use.

The fresh process is `sys.executable -I` (isolated mode: no `PYTHONPATH`,
no current directory on `sys.path`); it checks that neither `kgen` nor
`kgen_ops` is in `sys.modules`, and data travels through `.npz` files.

"Stock" means registered by the `tensorflow` pip package of this
environment. TF Serving is built from the same op set, so this is the
check that matters in practice; ops that exist only in a TF add-on library
would also be reported, correctly, as non-stock.

Example:

```python
report = check_serving(
    "exports/vae/1",
    {"encode": {"x": x}, "sample": {"num_samples": 4, "seed": [1, 2]}},
)
assert report.non_stock_ops == []
z_mean = report.outputs["encode"]["mean"]
```
"""

import dataclasses
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

_STDERR_TAIL_CHARS = 4000


@dataclasses.dataclass(frozen=True)
class ServingReport:
    """What a fresh TensorFlow-only process saw of a SavedModel.

    Attributes:
        outputs: `dict` signature name -> `dict` output name -> `np.ndarray`
            (a list of such dicts, one per call, where `inputs` gave a
            list), for every signature that was called.
        signature_names: Sorted names of all signatures in the SavedModel
            (including `"serving_default"`).
        signature_inputs: `dict` signature name -> `dict` input name ->
            `(shape, dtype)`, with `shape` a list whose unknown dimensions
            are `None` and `dtype` a TensorFlow dtype name such as
            `"float32"`.
        signature_outputs: Same layout as `signature_inputs`, for outputs.
        op_types: All op types in the SavedModel's graph (`graph_op_types`).
        non_stock_ops: Sorted op types that stock TensorFlow does not
            register (`[]` for a servable model).
    """

    outputs: dict
    signature_names: list
    signature_inputs: dict
    signature_outputs: dict
    op_types: set
    non_stock_ops: list


class ServingCheckError(RuntimeError):
    """The fresh process could not load or call the SavedModel.

    Attributes:
        non_stock_ops: The non-stock op types found before loading (often
            the reason for the failure), or `None` if the process failed
            before checking them.
        stderr_tail: The last characters of the child's stderr.
    """

    def __init__(self, message, non_stock_ops=None, stderr_tail=""):
        super().__init__(message)
        self.non_stock_ops = non_stock_ops
        self.stderr_tail = stderr_tail


def graph_op_types(path):
    """Op types used anywhere in a SavedModel's graphs.

    Reads `saved_model.pb` (or `saved_model.pbtxt`) with the protobuf and
    collects the `op` of every node of every MetaGraph's `graph_def` and of
    every function in its function library. A node whose `op` names a
    function of the library (a direct function call) is not an op type: it
    is left out, and the body of that function is scanned instead.

    Args:
        path: `str` or path-like, a SavedModel folder.

    Returns:
        A `set` of op type names, e.g. `{"MatMul", "VarHandleOp", ...}`.

    Raises:
        FileNotFoundError: If the folder has no `saved_model.pb(txt)`.
    """
    saved_model = _read_saved_model_proto(path)
    op_types = set()
    for meta_graph in saved_model.meta_graphs:
        graph = meta_graph.graph_def
        functions = {f.signature.name for f in graph.library.function}
        nodes = list(graph.node)
        for function in graph.library.function:
            nodes.extend(function.node_def)
        op_types.update(n.op for n in nodes if n.op not in functions)
    return op_types


def non_stock_ops(path, timeout=120):
    """Op types of a SavedModel that a pristine TensorFlow does not register.

    The op registry is queried in a fresh process that imports only
    TensorFlow, because in this process `kgen_ops` may have registered its
    custom ops. The SavedModel is not loaded.

    Args:
        path: `str` or path-like, a SavedModel folder.
        timeout: Seconds to wait for the fresh process.

    Returns:
        A sorted `list` of op type names; `[]` means TF Serving can run
        every op of the graph.
    """
    return _run_child(path, inputs={}, load=False, timeout=timeout).non_stock_ops


def call_in_fresh_process(path, inputs, timeout=120):
    """Load a SavedModel in a fresh TensorFlow-only process and call it.

    Args:
        path: `str` or path-like, a SavedModel folder.
        inputs: `dict` signature name -> `dict` input name -> array-like,
            or -> a `list` of such dicts to call the signature several times
            (e.g. to check that a seeded signature is deterministic). Each
            call is `loaded.signatures[name](**tensors)`, the arrays
            converted to the dtype of the signature's input.
        timeout: Seconds to wait for the fresh process.

    Returns:
        `dict` signature name -> `dict` output name -> `np.ndarray` (a list
        of such dicts where `inputs` gave a list).

    Raises:
        ServingCheckError: If the process fails to load the SavedModel or
            to call a signature (the message has the child's stderr tail).
    """
    return check_serving(path, inputs, timeout=timeout).outputs


def check_serving(path, inputs=None, timeout=120):
    """Check ops, load and call a SavedModel, all in ONE fresh process.

    The fresh process (`python -I`, importing only TensorFlow) first checks
    every op type of the graph against its registry, then
    `tf.saved_model.load`s the folder, lists its signatures and calls those
    named in `inputs`.

    Args:
        path: `str` or path-like, a SavedModel folder.
        inputs: Optional `dict` signature name -> `dict` input name ->
            array-like; see `call_in_fresh_process`. `None` loads the model
            and calls nothing.
        timeout: Seconds to wait for the fresh process.

    Returns:
        A `ServingReport`.

    Raises:
        ValueError: If `inputs` is not a dict of dicts.
        ServingCheckError: If the process fails to load the SavedModel or
            to call a signature; its `non_stock_ops` attribute then says
            which ops (if any) a pristine TensorFlow lacks.
    """
    return _run_child(path, inputs or {}, load=True, timeout=timeout)


def _read_saved_model_proto(path):
    from tensorflow.core.protobuf import saved_model_pb2

    path = os.fspath(path)
    saved_model = saved_model_pb2.SavedModel()
    pb = os.path.join(path, "saved_model.pb")
    pbtxt = os.path.join(path, "saved_model.pbtxt")
    if os.path.exists(pb):
        with open(pb, "rb") as f:
            saved_model.ParseFromString(f.read())
    elif os.path.exists(pbtxt):
        from google.protobuf import text_format

        with open(pbtxt) as f:
            text_format.Parse(f.read(), saved_model)
    else:
        raise FileNotFoundError(
            "`path` must be a SavedModel folder containing saved_model.pb. "
            f"Received: path={path!r}"
        )
    return saved_model


def _validate_inputs(inputs):
    def is_call(named):
        return isinstance(named, dict) and all(isinstance(n, str) for n in named)

    ok = isinstance(inputs, dict) and all(
        isinstance(k, str)
        and (
            is_call(v)
            or (isinstance(v, (list, tuple)) and v and all(is_call(c) for c in v))
        )
        for k, v in inputs.items()
    )
    if not ok:
        raise ValueError(
            "`inputs` must be a dict mapping signature names to a dict of "
            "input name -> array (or a list of such dicts, one per call). "
            f"Received: inputs={inputs!r}"
        )


def _run_child(path, inputs, load, timeout):
    _validate_inputs(inputs)
    path = os.path.abspath(os.fspath(path))
    op_types = graph_op_types(path)
    with tempfile.TemporaryDirectory(prefix="kgen-serving-") as work:
        # The arrays go in an .npz under generated keys ("i0", "i1", ...);
        # the job file maps them back to (signature, input name), so names
        # need no escaping.
        calls, arrays = [], {}
        for signature, named_or_list in inputs.items():
            for named in _as_list(named_or_list):
                keys = {}
                for name, value in named.items():
                    key = f"i{len(arrays)}"
                    arrays[key] = np.asarray(value)
                    keys[name] = key
                calls.append({"signature": signature, "inputs": keys})
        np.savez(os.path.join(work, "inputs.npz"), **arrays)
        job = {
            "path": path,
            "load": load,
            "op_types": sorted(op_types),
            "calls": calls,
            "inputs_npz": os.path.join(work, "inputs.npz"),
            "outputs_npz": os.path.join(work, "outputs.npz"),
            "report": os.path.join(work, "report.json"),
        }
        job_path = os.path.join(work, "job.json")
        with open(job_path, "w") as f:
            json.dump(job, f)

        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            proc = subprocess.run(
                [sys.executable, "-I", "-c", _CHILD_SCRIPT, job_path],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as e:
            raise ServingCheckError(
                f"The fresh TensorFlow process checking {path!r} did not "
                f"finish within {timeout} s.",
                stderr_tail=_tail(e.stderr),
            ) from None

        report = {}
        if os.path.exists(job["report"]):
            with open(job["report"]) as f:
                report = json.load(f)
        stock_missing = report.get("non_stock_ops")
        if proc.returncode != 0 or "error" in report or not report.get("done"):
            stderr_tail = _tail(proc.stderr)
            lines = [
                f"The fresh TensorFlow-only process failed on {path!r} "
                f"(exit code {proc.returncode}).",
            ]
            if report.get("error"):
                lines.append(f"Error: {report['error']}")
            if stock_missing:
                lines.append(
                    "The graph uses ops that stock TensorFlow does not "
                    f"register (TF Serving cannot run them): {stock_missing}"
                )
            lines.append(f"--- child stderr (tail) ---\n{stderr_tail}")
            raise ServingCheckError(
                "\n".join(lines),
                non_stock_ops=stock_missing,
                stderr_tail=stderr_tail,
            )

        # report["outputs"] has one entry per call, in the order of `calls`.
        results = []
        if report["outputs"]:
            with np.load(job["outputs_npz"], allow_pickle=False) as npz:
                for keys in report["outputs"]:
                    results.append({name: npz[k] for name, k in keys.items()})
        outputs, position = {}, 0
        for signature, named_or_list in inputs.items():
            count = len(_as_list(named_or_list))
            calls_results = results[position : position + count]
            position += count
            outputs[signature] = (
                calls_results[0] if isinstance(named_or_list, dict) else calls_results
            )

    def specs(table):
        return {
            sig: {name: (shape, dtype) for name, (shape, dtype) in named.items()}
            for sig, named in table.items()
        }

    return ServingReport(
        outputs=outputs,
        signature_names=report.get("signature_names", []),
        signature_inputs=specs(report.get("signature_inputs", {})),
        signature_outputs=specs(report.get("signature_outputs", {})),
        op_types=op_types,
        non_stock_ops=stock_missing,
    )


def _as_list(named_or_list):
    return [named_or_list] if isinstance(named_or_list, dict) else list(named_or_list)


def _tail(text):
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text[-_STDERR_TAIL_CHARS:]


# Run as `python -I -c _CHILD_SCRIPT job.json`. It must import nothing but
# the standard library, numpy and TensorFlow. It writes report.json after
# each stage so that the parent can say how far it got when it fails.
_CHILD_SCRIPT = r"""
import json
import sys
import traceback

job = json.load(open(sys.argv[1]))
report = {}


def write_report():
    with open(job["report"], "w") as f:
        json.dump(report, f)


def kgen_modules():
    return sorted(
        m for m in sys.modules
        if m in ("kgen", "kgen_ops") or m.startswith(("kgen.", "kgen_ops."))
    )


def spec_table(specs):
    return {
        name: ([None if d is None else int(d) for d in spec.shape.as_list()]
               if spec.shape.rank is not None else None,
               spec.dtype.name)
        for name, spec in specs.items()
    }


try:
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry

    if kgen_modules():
        raise RuntimeError(
            "the checking process must not import kgen, found: %s" % kgen_modules())

    report["non_stock_ops"] = sorted(
        op for op in job["op_types"] if op_def_registry.get(op) is None)
    write_report()

    if job["load"]:
        loaded = tf.saved_model.load(job["path"])
        signatures = loaded.signatures
        report["signature_names"] = sorted(signatures.keys())
        report["signature_inputs"] = {
            name: spec_table(fn.structured_input_signature[1])
            for name, fn in signatures.items()}
        report["signature_outputs"] = {
            name: spec_table(fn.structured_outputs)
            for name, fn in signatures.items()}
        write_report()

        arrays = dict(np.load(job["inputs_npz"], allow_pickle=False))
        outputs, report["outputs"] = {}, []
        for call in job["calls"]:
            name = call["signature"]
            if name not in signatures:
                raise KeyError("signature %r not in the SavedModel; it has %s"
                               % (name, report["signature_names"]))
            specs = signatures[name].structured_input_signature[1]
            unknown = sorted(set(call["inputs"]) - set(specs))
            missing = sorted(set(specs) - set(call["inputs"]))
            if unknown or missing:
                raise KeyError(
                    "signature %r takes inputs %s; unknown: %s, missing: %s"
                    % (name, sorted(specs), unknown, missing))
            tensors = {
                arg: tf.convert_to_tensor(arrays[key], dtype=specs[arg].dtype)
                for arg, key in call["inputs"].items()}
            result = signatures[name](**tensors)
            keys = {}
            for out_name, tensor in result.items():
                value = tensor.numpy()
                if value.dtype == object:  # tf.string
                    value = value.astype(np.bytes_)
                keys[out_name] = "o%d" % len(outputs)
                outputs[keys[out_name]] = value
            report["outputs"].append(keys)
        np.savez(job["outputs_npz"], **outputs)

        if kgen_modules():
            raise RuntimeError(
                "loading the SavedModel imported kgen: %s" % kgen_modules())
    else:
        report["outputs"] = []
    report["done"] = True
    write_report()
except BaseException as e:
    report["error"] = "".join(traceback.format_exception_only(type(e), e)).strip()
    write_report()
    traceback.print_exc()
    sys.exit(1)
"""
