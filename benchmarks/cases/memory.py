"""Memory, each figure from a fresh subprocess:

- peak memory of training: the resident set's peak over its level after the library's import
  (and the input batch), while building the ReLU MLP and running 20 steps at batch 512, in MiB;
- the cost of importing the library: seconds for the ``import`` statement and the process's
  resident set afterwards, in MiB, beside a bare interpreter ("python").

The peak is read from /proc/self/status (VmHWM, reset to the current level through
/proc/self/clear_refs once the baseline is taken); where that is unavailable, from
``resource.getrusage`` (then the baseline is the peak so far, and the increase a lower bound).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..harness import Measurement, interleave

ROOT = Path(__file__).resolve().parents[2]
BATCH = 512
STEPS = 20
QUICK_STEPS = 3
IMPORTS = {"ember": "ember", "torch": "torch", "numpy": "numpy", "python": None}

_IMPORT_CHILD = """
import json, sys, time
def rss():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
if sys.argv[1]:
    __import__(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start, "rss": rss()}))
"""


def _status(field: str) -> float | None:
    """A VmRSS/VmHWM line of /proc/self/status in MiB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _maxrss() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return _status("VmHWM") is not None


def training_peak(lib: str, steps: int) -> float:
    """MiB of peak resident memory above the post-import level over ``steps`` MLP steps (to be
    called in a fresh process)."""
    if lib != "numpy":
        __import__(lib)
    from . import common

    x, y = common.inputs(lib, *common.batch(BATCH))
    baseline = _status("VmRSS") if _reset_peak() else _maxrss()
    step = common.mlp_step(lib, "relu", common.mlp_weights())
    for _ in range(steps):
        step(x, y)
    peak = _status("VmHWM") if _status("VmHWM") is not None else _maxrss()
    return peak - baseline


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"memory benchmark child {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[Measurement]:
    from . import common

    libs = common.libraries()
    steps = QUICK_STEPS if quick else STEPS
    name = f"peak memory, mlp b{BATCH} {steps} steps"

    def peak_of(lib: str) -> Any:
        args = ["-m", "benchmarks.cases.memory", lib, str(steps)]
        return lambda: {name: _child(args)["peak"]}

    def import_of(module: str | None) -> Any:
        def once() -> dict[str, float]:
            result = _child(["-c", _IMPORT_CHILD, module or ""])
            return {"import time": result["seconds"], "import RSS": result["rss"]}

        return once

    results = interleave("MiB", {lib: peak_of(lib) for lib in libs}, 1 if quick else 3, warmup=0)
    imports = {lib: import_of(m) for lib, m in IMPORTS.items() if lib in libs or lib == "python"}
    timings = interleave("s", imports, repeats=1 if quick else 7, warmup=0 if quick else 1)
    for m in timings:
        if m.case == "import RSS":
            m.unit = "MiB"
    return results + timings


if __name__ == "__main__":
    print(json.dumps({"peak": training_peak(sys.argv[1], int(sys.argv[2]))}))
