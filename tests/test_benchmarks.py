"""The benchmark command runs end to end in --quick mode (what it measures is never asserted)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.run import CASES

ROOT = Path(__file__).resolve().parents[1]
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_MPI = importlib.util.find_spec("mpi4py") is not None

# per benchmark module, one of its cases as named in --quick results, and whether it has a
# NumPy reference
EXPECTED = {
    "perop": ("per-op forward+backward", False),
    "mlp": ("mlp relu b128 step", True),
    "cnn": ("cnn step b64", False),
    "epoch": ("epoch 6000 samples b128", True),
    "memory": ("peak memory, mlp b512 3 steps", True),
    "pretrain": ("pretrain rbm cd-1 784-1000 b128", True),
    "distributed": ("allreduce 1000 floats", True),
    "compat": ("compat suite", False),
    "sequence": ("lstm lm step (2x256, seq 35, b20, vocab 10k)", False),
}
WITHOUT_TORCH = {"distributed"}  # compared with raw mpi4py, not PyTorch


def test_quick_benchmark_writes_results(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (json_file,) = tmp_path.glob("*.json")
    results = json.loads(json_file.read_text())["results"]
    cases = {(r["case"], r["impl"]) for r in results}
    assert set(EXPECTED) == set(CASES)
    for name, (case, has_numpy) in EXPECTED.items():
        if name == "distributed" and not HAS_MPI:
            continue
        with_torch = HAS_TORCH and name not in WITHOUT_TORCH
        impls = {"ember", *(["numpy"] if has_numpy else []), *(["torch"] if with_torch else [])}
        assert {impl for c, impl in cases if c == case} == impls, case
    assert {"import time", "import RSS"} <= {c for c, _ in cases}
    assert all(r["median"] > 0 for r in results)
    ratios = [r for r in results if r["impl"] == "ember" and r.get("vs_numpy")]
    assert ratios, "no ember/numpy ratio was computed"
    table = (tmp_path / json_file.name.replace(".json", ".md")).read_text()
    assert "## Targets" in table and "mlp relu b512 of peak" in table
