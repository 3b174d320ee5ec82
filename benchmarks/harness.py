"""Timing machinery shared by every benchmark case.

Implementations of one case take turns (A B A B ...) after a warm-up, so that drift of the
machine hits them alike; each reports the median of its repetitions and the spread (the
interquartile range as a fraction of the median).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measurement:
    """Repeated timings of one implementation of one case, in the case's unit."""

    case: str
    impl: str
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Interquartile range over the median."""
        if len(self.samples) < 4:
            return (max(self.samples) - min(self.samples)) / self.median
        q = statistics.quantiles(self.samples, n=4)
        return (q[2] - q[0]) / self.median

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "impl": self.impl,
            "unit": self.unit,
            "median": self.median,
            "spread": self.spread,
            "samples": self.samples,
        }


def interleave(
    unit: str,
    impls: dict[str, Callable[[], dict[str, float]]],
    repeats: int,
    warmup: int = 1,
) -> list[Measurement]:
    """Run each implementation ``warmup`` times, then ``repeats`` rounds in turn.

    One call of an implementation runs the workload once and returns ``{case: value}`` in
    ``unit`` (one workload may yield several cases, e.g. forward and backward separately).
    """
    results: dict[tuple[str, str], Measurement] = {}
    for _ in range(warmup):
        for fn in impls.values():
            fn()
    for _ in range(repeats):
        for impl, fn in impls.items():
            for case, value in fn().items():
                m = results.setdefault((case, impl), Measurement(case, impl, unit))
                m.samples.append(value)
    return list(results.values())


def timed(fn: Callable[[], Any]) -> float:
    """Seconds that one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
