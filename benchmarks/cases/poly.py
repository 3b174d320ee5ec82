"""The polynomial-fitting loop of the PyTorch tutorials, eager, ember beside PyTorch: fit
``y = sin x`` on 2,000 float32 points of [-pi, pi] with ``y_pred = a + b x + c x^2 + d x^3``
(four 0-d parameters that require grad), loss ``(y_pred - y).pow(2).sum()``, ``.item()`` of
the loss every 100 steps, ``loss.backward()`` and a manual update under ``no_grad``
(``a -= lr * a.grad``, then ``a.grad = None``), lr 1e-6.

The tutorial runs 30,000 steps. Each sample here times a round of ROUND steps of the same loop,
continuing from where the previous round stopped (a step's cost does not depend on the values),
and reports it scaled to 30,000 steps: ``seconds per round * 30,000 / ROUND``. Both libraries
start from the same four values.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..harness import Measurement, interleave
from . import common

STEPS = 30_000
ROUND = 1_000
POINTS = 2_000
LR = 1e-6
CASE = "poly loop, 30,000 steps"


def poly_timer(lib: Any, steps: int) -> Any:
    """One round of ``steps`` tutorial steps in ``lib`` per call, in seconds per STEPS steps."""
    x = lib.linspace(-math.pi, math.pi, POINTS)
    y = lib.sin(x)
    start = np.random.default_rng(0).standard_normal(4).astype(np.float32)
    a, b, c, d = (lib.tensor(float(v), requires_grad=True) for v in start)
    done = [0]

    def once() -> dict[str, float]:
        nonlocal a, b, c, d
        t0 = time.perf_counter()
        for t in range(done[0], done[0] + steps):
            y_pred = a + b * x + c * x**2 + d * x**3
            loss = (y_pred - y).pow(2).sum()
            if t % 100 == 99:
                loss.item()
            loss.backward()
            with lib.no_grad():
                a -= LR * a.grad
                b -= LR * b.grad
                c -= LR * c.grad
                d -= LR * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        done[0] += steps
        return {CASE: (time.perf_counter() - t0) * STEPS / steps}

    return once


def run(quick: bool) -> list[Measurement]:
    import ember

    steps = 100 if quick else ROUND
    impls = {"ember": poly_timer(ember, steps)}
    torch = common.torch_or_none()
    if torch is not None:
        impls["torch"] = poly_timer(torch, steps)
    return interleave("s", impls, repeats=1 if quick else 7)
