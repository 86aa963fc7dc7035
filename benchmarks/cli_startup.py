"""How long `kgen --help` takes, against importing kgen's models (what it cost before).

`kgen --help` parses with the standard library and `kgen.registry` only;
before, `import kgen` imported `kgen.models` and with it TensorFlow. Each
command runs in a fresh process, 5 times; the median wall time is reported
(`time.perf_counter` around `subprocess.run`).

Command: `.venv/bin/python benchmarks/cli_startup.py`
"""

import json
import pathlib
import platform
import statistics
import subprocess
import sys
import time

REPEATS = 5
RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "cli_startup.json"
KGEN = str(pathlib.Path(sys.executable).parent / "kgen")  # the console script
COMMANDS = {
    "kgen --help": [KGEN, "--help"],
    "kgen train --help": [KGEN, "train", "--help"],
    "kgen train nosuchmodel --out x (exit 2)": [KGEN, "train", "nosuchmodel", "--out", "x"],
    "reference: python -c 'import kgen.models'": [sys.executable, "-c", "import kgen.models"],
}


def wall_times(argv):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main():
    results = {name: wall_times(argv) for name, argv in COMMANDS.items()}
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    print(f"| command | median s | min s | max s |  ({REPEATS} runs each, fresh processes)")
    for name, times in results.items():
        print(f"| {name} | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"repeats": REPEATS, "seconds": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
