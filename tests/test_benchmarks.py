"""The benchmark command runs end to end in --quick mode (what it measures is never asserted).

To stay at a few seconds, it runs in this process at the smallest sizes, ember and the NumPy
reference only (PyTorch made unimportable; case names keep their full-size labels): every case
module, the ratios, the targets table and the result files are exercised. The cases measured in
child processes (memory, MPI ranks, the compatibility programs) pay a Python start and ember's
import per child: they run in the slow set. ``make bench`` measures the real sizes with
PyTorch."""

import importlib.util
import json
import sys

import pytest
from benchmarks import run
from benchmarks.cases import cnn, common, epoch, loader, memory, mlp, pretrain, sequence

HAS_MPI = importlib.util.find_spec("mpi4py") is not None

# per benchmark module, one of its cases as named at these sizes, and whether it has a NumPy
# reference
EXPECTED = {
    "perop": ("per-op forward+backward", False),
    "mlp": ("mlp relu b16 step", True),
    "cnn": ("cnn step b4", False),
    "epoch": ("epoch 512 samples b128", True),
    "loader": ("loader epoch 64 samples w2", False),
    "memory": ("peak memory, mlp b512 1 steps", True),
    "pretrain": ("pretrain rbm cd-1 784-1000 b128", True),
    "distributed": ("allreduce 1000 floats", True),
    "compat": ("compat suite", False),
    "sequence": ("lstm lm step (2x256, seq 35, b20, vocab 10k)", False),
    "poly": ("poly loop, 30,000 steps", False),
    "charmlp": ("char mlp step, eager, fused SGD", False),
    "optim": ("optim adam step, char MLP (5 tensors), flat", False),
    "epoch_drift": ("mlp 15-epoch run, last epoch / first (CPU)", False),
    "compiled": ("per-op forward+backward, compiled", False),
}


@pytest.fixture
def tiny(monkeypatch):
    """Smallest sizes, no PyTorch, thread variables restored afterwards."""
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    for var in run.THREAD_VARS:
        monkeypatch.setenv(var, "1")
    monkeypatch.setattr(common, "SIZES", (784, 32, 32, 10))
    monkeypatch.setattr(pretrain, "HIDDEN", 32)
    monkeypatch.setattr(pretrain, "BATCH", 16)
    monkeypatch.setattr(mlp, "BATCHES", (16,))
    monkeypatch.setattr(mlp, "PEAK_SIZE", 64)
    monkeypatch.setattr(cnn, "BATCH", 4)
    monkeypatch.setattr(epoch, "QUICK_SAMPLES", 512)
    monkeypatch.setattr(epoch, "WARMUP_SAMPLES", 128)
    monkeypatch.setattr(loader, "QUICK_SAMPLES", 64)
    monkeypatch.setattr(loader, "ROUNDS", 1)
    monkeypatch.setattr(memory, "QUICK_STEPS", 1)
    monkeypatch.setattr(memory, "IMPORTS", {"ember": "ember", "python": None})
    monkeypatch.setattr(sequence, "GPT", {**sequence.GPT, "block": 8, "width": 16, "batch": 2})
    small_lstm = {"vocab": 50, "width": 16, "steps": 5, "batch": 2}
    monkeypatch.setattr(sequence, "LSTM", {**sequence.LSTM, **small_lstm})


IN_PROCESS = [
    *("perop", "mlp", "cnn", "epoch", "loader", "pretrain", "sequence", "poly", "charmlp"),
    *("epoch_drift", "optim", "compiled"),
]
CHILDREN = ["memory", "distributed", "compat"]


def _quick_run(tmp_path, capsys, cases: list[str]) -> tuple[list[dict], str]:
    """``benchmarks.run --quick`` over ``cases``: the checks every run passes; (rows, table)."""
    assert run.main(["--quick", "--cases", ",".join(cases), "--out", str(tmp_path)]) == 0
    assert "torch is not installed" in capsys.readouterr().out
    (json_file,) = tmp_path.glob("*.json")
    results = json.loads(json_file.read_text())["results"]
    cases_run = {(r["case"], r["impl"]) for r in results}
    for name in cases:
        case, has_numpy = EXPECTED[name]
        if name == "distributed" and not HAS_MPI:
            continue
        impls = {"ember", *(["numpy"] if has_numpy else [])}
        assert {impl for c, impl in cases_run if c == case} == impls, case
    assert all(r["median"] > 0 for r in results)
    return results, (tmp_path / json_file.name.replace(".json", ".md")).read_text()


def test_every_case_is_in_one_of_the_two_runs():
    assert sorted(IN_PROCESS + CHILDREN) == sorted(run.CASES) == sorted(EXPECTED)


def test_quick_benchmark_writes_results(tmp_path, tiny, capsys):
    results, table = _quick_run(tmp_path, capsys, IN_PROCESS)
    ratios = [r for r in results if r["impl"] == "ember" and r.get("vs_numpy")]
    assert ratios, "no ember/numpy ratio was computed"
    assert "| mlp relu b16 step | ember |" in table


@pytest.mark.slow
def test_quick_benchmark_of_the_cases_in_child_processes(tmp_path, tiny, capsys):
    results, table = _quick_run(tmp_path, capsys, ["mlp", *CHILDREN])
    assert {"import time", "import RSS"} <= {r["case"] for r in results}
    assert "## Targets" in table and "mlp relu b16 of peak" in table  # joins mlp and memory
