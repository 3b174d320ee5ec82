"""Data parallelism over MPI, each figure from ranks started with ``mpiexec`` (skipped without
``ember[mpi]``):

* ``allreduce N floats``: ``ember.distributed.all_reduce`` of a float32 tensor of N elements on
  2 ranks, against the NumPy reference: the same array through mpi4py's buffer ``Allreduce``
  (seconds per call, medians of interleaved calls);
* ``MODEL step, R ranks x T threads``: one training step (batch 128 split over the ranks, SGD
  with momentum) of the Fashion-MNIST MLP 784-1024-1024-10 or the CNN, on 1 rank with 1 or 2
  BLAS threads and on 2 ranks of 1 thread each (seconds per global step, median over steps);
  the scaling efficiency is T(1) / (N x T(N)).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..harness import Measurement

ROOT = Path(__file__).resolve().parents[2]
SIZES = (1_000, 10_000, 100_000, 1_000_000, 4_000_000)
QUICK_SIZES = (1_000, 100_000)


def mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python, when ember[mpi] is installed."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    path = Path(sys.executable).parent / "mpiexec"
    return str(path) if path.exists() else None


def launch(ranks: int, threads: int, *args: str) -> list[dict]:
    """Run ``benchmarks.cases.dist_worker ARGS`` on ``ranks`` ranks; rank 0's rows."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    command = [mpiexec(), "-n", str(ranks), sys.executable, "-m", "benchmarks.cases.dist_worker"]
    proc = subprocess.run(
        [*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        raise RuntimeError(f"distributed benchmark failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[Measurement]:
    if mpiexec() is None:
        print("  skipped: ember[mpi] (mpi4py, mpiexec) is not installed")
        return []
    sizes = QUICK_SIZES if quick else SIZES
    rows = launch(2, 1, "allreduce", ",".join(map(str, sizes)), "20" if quick else "200")
    if quick:
        return _measurements(rows + launch(2, 1, "step", "mlp", "2"))
    for model in ("mlp", "cnn"):
        for ranks, threads in ((1, 1), (1, 2), (2, 1)):
            rows += launch(ranks, threads, "step", model, "30")
    return _measurements(rows)


def _measurements(rows: list[dict]) -> list[Measurement]:
    return [Measurement(r["case"], r["impl"], r["unit"], r["samples"]) for r in rows]
