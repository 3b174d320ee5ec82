"""Start a script on two MPI ranks from a test (skips when ember[mpi] is not installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ember.distributed as dist

WORKERS = Path(__file__).parent / "workers"


def mpiexec() -> str:
    """The ``mpiexec`` beside this Python (the one ``pip install mpich`` puts in the venv)."""
    if not dist.is_available():
        pytest.skip("ember[mpi] is not installed (mpi4py); the distributed tests need it")
    found = Path(sys.executable).parent / "mpiexec"
    path = str(found) if found.exists() else shutil.which("mpiexec")
    if path is None:
        pytest.skip("no mpiexec found beside the Python interpreter or on PATH")
    return path


def environment() -> dict[str, str]:
    """The test's environment with ember's sources first and one BLAS thread per rank."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    src = str(Path(dist.__file__).parents[2])
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    return env


def launch(args: list[str], n: int = 2, timeout: float = 120) -> subprocess.CompletedProcess:
    """``mpiexec -n n ARGS`` to completion, output captured."""
    return subprocess.run(
        [mpiexec(), "-n", str(n), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
    )


def run_worker(name: str, *args: str, n: int = 2, timeout: float = 120):
    """Run ``workers/NAME.py`` on ``n`` ranks."""
    return launch([sys.executable, str(WORKERS / f"{name}.py"), *args], n=n, timeout=timeout)
