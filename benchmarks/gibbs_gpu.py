"""Benchmark: CUDA Gibbs sweeps (fused and tiled paths) against PyTorch unfused sweeps and the cuBLAS floor.

For the GPU machine (CUDA, CMake, pybind11, NumPy; `make gpu-check` runs
it). Imports neither TensorFlow nor kgen: only `kgen_ops.native` (loaded
without running `kgen_ops/__init__.py`: the file named by the environment
variable KGEN_NATIVE_PATH, which `make gpu-check` sets to the module it has just
built, else the native*.so of this checkout's kgen_ops/ or of an installed
kgen_ops) and NumPy. PyTorch is optional: without it the PyTorch and cuBLAS-floor
columns are left empty (null in the JSON), with a message, and the native call
is timed with perf_counter (it returns after its copies, so that is its wall time).

## What is measured

k block-Gibbs sweeps of a binary RBM on B chains, float32, for
(V, H) in {(784, 500), (4096, 4096)}, B in {64, 256, 4096}, k in {1, 10, 100}:

    h0_prob = p(h | v0);  k times: h ~ p(h | v), v ~ p(v | h);  h ~ p(h | v_k)

- native: `native.gibbs_sweeps(..., device="cuda")` with algorithm="auto",
  which takes the fused path (one kernel for all k sweeps, a block per chain)
  for B <= 256 and the tiled path (one tiled matrix-product launch per
  half-sweep, sigmoid, Philox and draw in its epilogue) otherwise; the row's
  "path" says which (`native.gibbs_cuda_algorithm`). Each call also allocates
  device buffers, copies v, W and the biases to the device and the five
  outputs back (pageable NumPy memory). Reported twice: "total" (the call's
  wall time) and "net" = total minus the measured copy time (the same byte
  counts copied with PyTorch from pageable NumPy arrays, timed with
  synchronisation). cudaMalloc/cudaFree of the call stay in "net", so "net" is
  an upper bound on the kernel time.
- torch: the same sweeps unfused in PyTorch on the device (matmul, sigmoid,
  torch.bernoulli in a Python loop), data resident on the device, timed with
  CUDA events after synchronisation.
- floor: the dense products the sweeps need, v0 W, then per sweep h W^T and
  v W ((2k + 1) products), each torch.matmul shape timed alone with CUDA
  events; the sum is the cuBLAS matrix-product floor. (Default PyTorch fp32:
  TF32 off, the same arithmetic as the kernel.)

Targets: native >= 3x faster than torch at B <= 256 (speed-up = torch /
native; the fused path); native >= 60% of the floor at B = 4096 (share of the
floor = floor / native; the tiled path, which does the dense products).
The fused kernel adds only the rows of W picked by active units, so it can
beat the dense floor; reported as measured.

Crossover: for each (V, H), B in {64, 256, 1024, 4096} and k = 10, the native
call forced to each path (algorithm="fused" and "tiled"), net times side by
side, so that the batch at which "auto" switches (kGibbsFusedMaxBatch in
cc/gibbs_sweeps/gibbs_sweeps_launch.h, 256, not yet measured) can be set from figures.

Every case: one warm-up call per method, then the median of `--repeats` timed
calls (fewer, at least 3, when one call takes over a second).

## Usage

    python benchmarks/gibbs_gpu.py                      # GPU machine, all cases
    python benchmarks/gibbs_gpu.py --quick              # GPU smoke run, small cases
    python benchmarks/gibbs_gpu.py --device cpu         # dry run anywhere: tiny sizes, no CUDA
    python benchmarks/gibbs_gpu.py --tiny               # the CUDA code paths at toy sizes (the
                                                        # rehearsal of `make gpu-check` on the
                                                        # emulated device uses it)
Writes benchmarks/results/gibbs_gpu.json (or --output).
"""

import argparse
import glob
import importlib.machinery
import importlib.util
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import numpy as np

try:
    import torch
except ImportError:  # the GPU machine may have no PyTorch: its rows are skipped
    torch = None

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "benchmarks" / "results" / "gibbs_gpu.json"
TARGETS = {"speedup_vs_torch_at_batch_le_256": 3.0, "fraction_of_floor_at_batch_4096": 0.6}
CROSSOVER_BATCHES = [64, 256, 1024, 4096]
CROSSOVER_K = 10


def load_native():
    """kgen_ops.native without importing the kgen_ops package (which imports TensorFlow when present).

    In order: the file KGEN_NATIVE_PATH names; native*.so in this checkout's
    kgen_ops/ (`python3 benchmarks/gibbs_gpu.py` puts benchmarks/, not the repo
    root, on sys.path, so the root is searched explicitly); native*.so in the
    folders of an installed kgen_ops (`importlib.util.find_spec` does not run
    the package). Raises ImportError naming every place searched.
    """
    candidates = []
    if os.environ.get("KGEN_NATIVE_PATH"):
        candidates.append(os.environ["KGEN_NATIVE_PATH"])
    folders = [str(REPO_ROOT / "kgen_ops")]
    spec = importlib.util.find_spec("kgen_ops")
    folders += [f for f in ((spec.submodule_search_locations or []) if spec else []) if f not in folders]
    for folder in folders:
        candidates += sorted(glob.glob(os.path.join(folder, "native*.so")))
    for path in candidates:
        if not os.path.exists(path):
            raise ImportError(f"KGEN_NATIVE_PATH={path!r} does not exist")
        name = "kgen_ops." + os.path.basename(path).split(".")[0]  # native, or _native_emulated
        loader = importlib.machinery.ExtensionFileLoader(name, path)
        module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
        loader.exec_module(module)
        return module
    raise ImportError(f"kgen_ops.native not found: set KGEN_NATIVE_PATH, or build it (searched {folders})")


native = load_native()


# ---------------------------------------------------------------------------
# timing


class Timer:
    """Wall-clock seconds of `fn()`: CUDA events (after a synchronise) on cuda with PyTorch, else perf_counter."""

    def __init__(self, device):
        self.cuda = device == "cuda" and torch is not None

    def once(self, fn):
        if self.cuda:
            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end) / 1e3
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    def median(self, fn, repeats):
        fn()  # warm-up
        first = self.once(fn)
        count = repeats if first < 1.0 else max(3, min(repeats, int(10 / first)))
        times = [first] + [self.once(fn) for _ in range(count - 1)]
        return statistics.median(times), times


def wall_median(fn, repeats, synchronize):
    """perf_counter median for host-driven calls (the native call returns after its copies)."""
    fn()
    times = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        fn()
        synchronize()
        times.append(time.perf_counter() - start)
        if times[0] > 1.0 and len(times) >= 3:
            break
    return statistics.median(times), times


# ---------------------------------------------------------------------------
# the methods


def torch_sweeps(v0, w, b_vis, b_hid, k, generator):
    """Unfused reference sweeps: the same mathematics as the fused kernel, one PyTorch op at a time."""
    h_prob = h0_prob = torch.sigmoid(v0 @ w + b_hid)
    v, v_prob = v0, torch.zeros_like(v0)
    for _ in range(k):
        h = torch.bernoulli(h_prob, generator=generator)
        v_prob = torch.sigmoid(h @ w.T + b_vis)
        v = torch.bernoulli(v_prob, generator=generator)
        h_prob = torch.sigmoid(v @ w + b_hid)
    h = torch.bernoulli(h_prob, generator=generator)
    return v, h, v_prob, h_prob, h0_prob


def copy_seconds(arrays_in, shapes_out, device, timer, repeats):
    """Time of the fused call's transfers: inputs host->device, outputs device->host (pageable)."""
    if device != "cuda" or torch is None:
        return 0.0
    outputs = [torch.empty(shape, dtype=torch.float32, device="cuda") for shape in shapes_out]

    def transfers():
        for array in arrays_in:
            torch.from_numpy(array).to("cuda")
        for tensor in outputs:
            tensor.cpu()

    return timer.median(transfers, repeats)[0]


def make_problem(visible, hidden, batch, k):
    rng = np.random.default_rng([visible, hidden, batch, k])
    w = (0.01 * rng.standard_normal((visible, hidden))).astype(np.float32)
    b_vis = np.zeros(visible, np.float32)
    b_hid = np.zeros(hidden, np.float32)
    v0 = (rng.random((batch, visible)) < 0.2).astype(np.float32)  # ~ MNIST's share of active pixels
    return v0, w, b_vis, b_hid


def time_native(problem, k, device, repeats, algorithm="auto"):
    """Median wall time of one native call (copies included) and its windows."""
    v0, w, b_vis, b_hid = problem
    return wall_median(
        lambda: native.gibbs_sweeps(v0, w, b_vis, b_hid, k, [1, 2], device=device, algorithm=algorithm),
        repeats,
        torch.cuda.synchronize if device == "cuda" and torch is not None else (lambda: None),
    )


def native_copy_seconds(problem, device, timer, repeats):
    v0, w, b_vis, b_hid = problem
    batch, visible = v0.shape
    hidden = w.shape[1]
    return copy_seconds(
        [v0, w, b_vis, b_hid], [(batch, visible), (batch, hidden), (batch, visible), (batch, hidden), (batch, hidden)],
        device, timer, repeats,
    )


def floor_seconds(problem, k, device, timer, repeats):
    """cuBLAS time of the (2k + 1) dense products of the sweeps, each shape timed alone."""
    v0, w, _, _ = problem
    tv0, tw = torch.from_numpy(v0).to(device), torch.from_numpy(w).to(device)
    generator = torch.Generator(device=device).manual_seed(1)
    h = (torch.rand(v0.shape[0], w.shape[1], device=device, generator=generator) < 0.5).float()
    v_w, _ = timer.median(lambda: tv0 @ tw, max(repeats, 20))
    h_wt, _ = timer.median(lambda: h @ tw.T, max(repeats, 20))
    return (k + 1) * v_w + k * h_wt


def auto_path(batch, visible, hidden, device):
    return native.gibbs_cuda_algorithm(batch, visible, hidden) if device == "cuda" else "cpu"


def run_case(visible, hidden, batch, k, device, repeats):
    timer = Timer(device)
    problem = make_problem(visible, hidden, batch, k)
    v0, w, b_vis, b_hid = problem

    native_total, native_times = time_native(problem, k, device, repeats)
    copies = native_copy_seconds(problem, device, timer, repeats)
    net = max(native_total - copies, 1e-12)
    row = {
        "V": visible, "H": hidden, "B": batch, "k": k, "path": auto_path(batch, visible, hidden, device),
        "native_total_s": native_total, "native_copies_s": copies, "native_net_s": net,
        "native_total_windows": native_times,
        "torch_unfused_s": None, "floor_s": None, "floor_gflops": None,
        "speedup_vs_torch_total": None, "speedup_vs_torch_net": None,
        "fraction_of_floor_total": None, "fraction_of_floor_net": None,
    }
    if torch is None:
        return row

    tv0, tw = torch.from_numpy(v0).to(device), torch.from_numpy(w).to(device)
    tb_vis, tb_hid = torch.from_numpy(b_vis).to(device), torch.from_numpy(b_hid).to(device)
    generator = torch.Generator(device=device).manual_seed(0)
    unfused, _ = timer.median(lambda: torch_sweeps(tv0, tw, tb_vis, tb_hid, k, generator), repeats)
    floor = floor_seconds(problem, k, device, timer, repeats)
    row.update({
        "torch_unfused_s": unfused, "floor_s": floor,
        "floor_gflops": 2.0 * batch * visible * hidden * (2 * k + 1) / floor / 1e9,
        "speedup_vs_torch_total": unfused / native_total, "speedup_vs_torch_net": unfused / net,
        "fraction_of_floor_total": floor / native_total, "fraction_of_floor_net": floor / net,
    })
    return row


def run_crossover_case(visible, hidden, batch, k, repeats):
    """Both CUDA paths forced on one problem: net seconds and share of the floor of each."""
    timer = Timer("cuda")
    problem = make_problem(visible, hidden, batch, k)
    copies = native_copy_seconds(problem, "cuda", timer, repeats)
    floor = floor_seconds(problem, k, "cuda", timer, repeats) if torch is not None else None
    row = {"V": visible, "H": hidden, "B": batch, "k": k, "auto_path": auto_path(batch, visible, hidden, "cuda"),
           "copies_s": copies, "floor_s": floor}
    for algorithm in ("fused", "tiled"):
        try:
            total, _ = time_native(problem, k, "cuda", repeats, algorithm=algorithm)
        except RuntimeError as error:  # fused: V + H past shared memory
            row[f"{algorithm}_error"] = str(error)
            continue
        net = max(total - copies, 1e-12)
        row[f"{algorithm}_total_s"] = total
        row[f"{algorithm}_net_s"] = net
        row[f"{algorithm}_fraction_of_floor_net"] = floor / net if floor is not None else None
    if "fused_net_s" in row and "tiled_net_s" in row:
        row["faster"] = "fused" if row["fused_net_s"] < row["tiled_net_s"] else "tiled"
    return row


# ---------------------------------------------------------------------------


def machine(device):
    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "torch_cuda": torch.version.cuda if torch is not None else None,
        "torch_tf32_matmul": torch.backends.cuda.matmul.allow_tf32 if torch is not None else None,
        "native_built_with_cuda": bool(native.built_with_cuda()),
        "native_cuda_emulated": emulated(),
        "device": device,
    }
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0) if torch is not None and torch.cuda.is_available() else None
        info["native_cuda_devices"] = int(native.cuda_device_count())
    return info


def emulated():
    """True when `native` is the host emulation of the CUDA kernels (its timings mean nothing)."""
    return bool(getattr(native, "cuda_emulated", lambda: False)())


def _seconds(value):
    return f"{value:9.5f}" if value is not None else f"{'-':>9}"


def _ratio(value, width, scale=1.0, suffix="x"):
    return f"{scale * value:{width - 1}.{0 if suffix == '%' else 2}f}{suffix}" if value is not None else f"{'-':>{width}}"


def format_table(rows):
    lines = [
        "CUDA Gibbs sweeps (native, float32, algorithm='auto') vs PyTorch unfused and the cuBLAS floor;"
        " median seconds per call",
        f"{'V':>5} {'H':>5} {'B':>5} {'k':>4} {'path':>5} | {'native':>9} {'copies':>9} {'net':>9} |"
        f" {'torch':>9} {'floor':>9} | {'vs torch':>8} {'(net)':>7} | {'%floor':>6} {'(net)':>6} | target",
    ]
    for r in rows:
        if r["speedup_vs_torch_net"] is None:
            target = "no PyTorch: not judged"
        elif r["B"] <= 256:
            target = "ok" if r["speedup_vs_torch_net"] >= TARGETS["speedup_vs_torch_at_batch_le_256"] else "MISS"
            target = f">=3x torch: {target}"
        elif r["B"] >= 4096:
            target = "ok" if r["fraction_of_floor_net"] >= TARGETS["fraction_of_floor_at_batch_4096"] else "MISS"
            target = f">=60% floor: {target}"
        else:
            target = ""
        lines.append(
            f"{r['V']:>5} {r['H']:>5} {r['B']:>5} {r['k']:>4} {r['path']:>5} | {r['native_total_s']:9.5f}"
            f" {r['native_copies_s']:9.5f} {r['native_net_s']:9.5f} | {_seconds(r['torch_unfused_s'])}"
            f" {_seconds(r['floor_s'])} | {_ratio(r['speedup_vs_torch_total'], 8)} {_ratio(r['speedup_vs_torch_net'], 7)} |"
            f" {_ratio(r['fraction_of_floor_total'], 6, 100, '%')} {_ratio(r['fraction_of_floor_net'], 6, 100, '%')} | {target}"
        )
    lines.append("net = native total - measured host<->device copy time (targets judged on net; total also shown).")
    return "\n".join(lines)


def format_crossover(rows):
    def cell(row, algorithm):
        if f"{algorithm}_net_s" not in row:
            return f"{'n/a':>9} {'':>6}"
        return f"{row[f'{algorithm}_net_s']:9.5f} {_ratio(row[f'{algorithm}_fraction_of_floor_net'], 6, 100, '%')}"

    lines = [
        f"Crossover: each CUDA path forced, k = {CROSSOVER_K}; net seconds per call and share of the cuBLAS floor",
        f"{'V':>5} {'H':>5} {'B':>5} | {'fused':>9} {'%floor':>6} | {'tiled':>9} {'%floor':>6} | faster | auto",
    ]
    for r in rows:
        lines.append(
            f"{r['V']:>5} {r['H']:>5} {r['B']:>5} | {cell(r, 'fused')} | {cell(r, 'tiled')} |"
            f" {r.get('faster', 'n/a'):>6} | {r['auto_path']}"
        )
    lines.append("auto = the path algorithm='auto' takes (fused for B <= 256 when V + H fits in shared memory).")
    return "\n".join(lines)


def floor_share_at_batch_4096(rows):
    """Share of the cuBLAS floor (net) of every B = 4096 row: the tiled path's target."""
    return {f"V={r['V']} H={r['H']} k={r['k']}": r["fraction_of_floor_net"] for r in rows if r["B"] == 4096}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda", help="cpu: dry run with tiny sizes")
    parser.add_argument("--quick", action="store_true", help="small cases only (smoke run)")
    parser.add_argument("--tiny", action="store_true",
                        help="toy sizes through both CUDA paths (for the emulated device: a rehearsal, no timings)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    global torch

    if args.device == "cuda":
        if not (native.built_with_cuda() and native.cuda_device_count() > 0):
            sys.exit("kgen_ops.native was built without CUDA or sees no device")
        if torch is None:
            print("PyTorch is not installed: the PyTorch and cuBLAS-floor columns are skipped", flush=True)
        elif emulated():
            print("kgen_ops.native is the host emulation of the CUDA kernels: no timing means anything and"
                  " the PyTorch columns are skipped", flush=True)
            torch = None
        elif not torch.cuda.is_available():
            sys.exit("PyTorch sees no CUDA device (uninstall it to skip the PyTorch columns)")
    if args.device == "cpu":  # a dry run of every code path at toy sizes
        sizes, batches, ks = [(20, 12), (33, 17)], [4, 16], [1, 3]
        crossover_batches = []  # the CPU kernel has one path
    elif args.tiny:
        sizes, batches, ks = [(20, 12), (33, 17)], [4, 16], [1, 3]
        crossover_batches = [4, 16]
    elif args.quick:
        sizes, batches, ks = [(784, 500)], [64, 4096], [1, 10]
        crossover_batches = [256, 4096]
    else:
        sizes, batches, ks = [(784, 500), (4096, 4096)], [64, 256, 4096], [1, 10, 100]
        crossover_batches = CROSSOVER_BATCHES

    if torch is not None:
        warm = torch.ones(64, 64, device=args.device)  # first-use set-up (context, cuBLAS handle) out of the timings
        torch.bernoulli(torch.sigmoid(warm @ warm) * 0.5)
    rows = []
    for visible, hidden in sizes:
        for batch in batches:
            for k in ks:
                row = run_case(visible, hidden, batch, k, args.device, args.repeats)
                rows.append(row)
                print(f"  V={visible} H={hidden} B={batch} k={k} ({row['path']}): native {row['native_total_s']:.5f}s, "
                      f"torch {row['torch_unfused_s']}s, floor {row['floor_s']}s", flush=True)
    crossover = []
    for visible, hidden in sizes:
        for batch in crossover_batches:
            row = run_crossover_case(visible, hidden, batch, CROSSOVER_K, args.repeats)
            crossover.append(row)
            print(f"  crossover V={visible} H={hidden} B={batch}: fused {row.get('fused_net_s', 'n/a')}, "
                  f"tiled {row.get('tiled_net_s', 'n/a')} (net s)", flush=True)

    table = format_table(rows)
    print(table)
    crossover_table = format_crossover(crossover) if crossover else "Crossover: not run (dry run: the CPU kernel has one path)"
    print(crossover_table)
    payload = {
        "benchmark": "block-Gibbs sweeps on CUDA (fused and tiled paths) vs PyTorch unfused vs cuBLAS floor, float32",
        "dry_run": args.device == "cpu" or emulated(),
        "emulated": emulated(),
        "machine": machine(args.device),
        "targets": TARGETS,
        "fused_max_batch_assumed": 256,
        "rows": rows,
        "fraction_of_floor_at_batch_4096": floor_share_at_batch_4096(rows),
        "crossover": crossover,
        "table": table,
        "crossover_table": crossover_table,
    }
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
