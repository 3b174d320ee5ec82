"""The compatibility suite's wall time: every program in ``tests/compat/programs/`` run to the
end in a fresh process, through ``ember run`` and with PyTorch (``python PROGRAM.py``), in
seconds per program and for the whole suite. Process start-up and each library's import are
included, as a user running the script sees them. ``--quick`` runs one short program."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..harness import Measurement, interleave

PROGRAMS = Path(__file__).resolve().parents[2] / "tests" / "compat" / "programs"
HELPERS = {"shared_init.py"}
QUICK = ("poly_optim.py",)
COMMANDS = {"ember": [sys.executable, "-m", "ember.run"], "torch": [sys.executable]}


def programs(quick: bool) -> list[Path]:
    """The programs to run, by name."""
    found = sorted(p for p in PROGRAMS.glob("*.py") if p.name not in HELPERS)
    return [p for p in found if p.name in QUICK] if quick else found


def _suite(command: list[str], progs: list[Path]):
    def once() -> dict[str, float]:
        times = {}
        with tempfile.TemporaryDirectory() as scratch:  # programs write checkpoints to cwd
            for program in progs:
                start = time.perf_counter()
                result = subprocess.run(
                    [*command, str(program)], cwd=scratch, capture_output=True, text=True
                )
                times[f"compat {program.stem}"] = time.perf_counter() - start
                if result.returncode != 0:
                    raise RuntimeError(f"{' '.join(command)} {program.name}:\n{result.stderr}")
        times["compat suite"] = sum(times.values())
        return times

    return once


def run(quick: bool) -> list[Measurement]:
    progs = programs(quick)
    libs = ["ember"] + (["torch"] if importlib.util.find_spec("torch") else [])
    impls = {lib: _suite(COMMANDS[lib], progs) for lib in libs}
    return interleave("s", impls, repeats=1, warmup=0)
