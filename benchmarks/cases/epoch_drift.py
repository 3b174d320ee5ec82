"""Whether training speed stays flat over the default ``ember train`` MLP run: the last of its 15
epochs over the first, in CPU time, read from the result that ``python -m benchmarks.epoch_times``
writes. That run takes 15 epochs for each variant (minutes even on a quiet machine), too long to
repeat inside ``make bench``; run it first, then ``make bench`` reports and checks its ratio."""

from __future__ import annotations

import json
from pathlib import Path

from ..harness import Measurement

RESULT = Path(__file__).parent.parent / "results" / "fashion-mnist-mlp-15ep-epoch-times.json"
CASE = "mlp 15-epoch run, last epoch / first (CPU)"


def run(quick: bool) -> list[Measurement]:
    if not RESULT.exists():
        print(f"  no {RESULT.name}: run python -m benchmarks.epoch_times first")
        return []
    result = json.loads(RESULT.read_text())
    ember = result["results"].get("ember")
    if ember is None or result["epochs_done"] < result["args"]["epochs"]:
        print(
            f"  {RESULT.name} holds no complete ember run: rerun python -m benchmarks.epoch_times"
        )
        return []
    return [Measurement(CASE, "ember", "ratio", [ember["last_over_first_cpu"]])]
