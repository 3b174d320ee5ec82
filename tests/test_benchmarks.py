"""The benchmark command runs end to end in --quick mode (what it measures is never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    assert ("per-op forward+backward", "ember") in cases
    assert all(r["median"] > 0 for r in results)
    assert (tmp_path / json_file.name.replace(".json", ".md")).exists()
