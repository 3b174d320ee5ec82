"""Whether training speed stays flat over the default ``ember train`` MLP run: the last of its 15
epochs over the first, in CPU time, read from the result that ``python -m benchmarks.epoch_times``
writes. That run trains 15 epochs per variant (minutes on a quiet machine), too long to repeat
inside ``make bench``: run it first (``make bench-epochs``), then ``make bench`` reports and checks
its ratio.
``--quick`` instead times 3 epochs of the same run on 600 synthetic images."""

from __future__ import annotations

import json
from pathlib import Path

from ..harness import Measurement

RESULT = Path(__file__).parent.parent / "results" / "fashion-mnist-mlp-15ep-epoch-times.json"
CASE = "mlp 15-epoch run, last epoch / first (CPU)"
QUICK_EPOCHS = 3


def run(quick: bool) -> list[Measurement]:
    if quick:
        return [Measurement(CASE, "ember", "ratio", [_quick_ratio()])]
    if not RESULT.exists():
        print(f"  no {RESULT.name}: run make bench-epochs first")
        return []
    result = json.loads(RESULT.read_text())
    ember = result["results"].get("ember")
    if ember is None or result["epochs_done"] < result["args"]["epochs"]:
        print(f"  {RESULT.name} holds no complete ember run: run make bench-epochs")
        return []
    return [Measurement(CASE, "ember", "ratio", [ember["last_over_first_cpu"]])]


def _quick_ratio() -> float:
    from ember.cli.train import load_data

    from ..epoch_times import EmberRun, timed_epoch

    (x, y), (tx, ty) = load_data("synthetic", True), load_data("synthetic", False)
    data = {"train_x": x, "train_y": y, "test_x": tx, "test_y": ty}
    run = EmberRun(QUICK_EPOCHS, data, flush_state=True)
    records = [timed_epoch(run, epoch) for epoch in range(1, QUICK_EPOCHS + 1)]
    return records[-1]["cpu_s"] / records[0]["cpu_s"]
