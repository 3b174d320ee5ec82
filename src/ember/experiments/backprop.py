"""The lecture's worked example: J = cos(sin(x^2) + 3x^2), forward values and adjoints per node.

Forward visits t = x^2, u1 = sin t, u2 = 3t, u = u1 + u2, J = cos u in topological order and
stores each value; backward visits them in reverse and accumulates dJ/dnode. The result is
checked against the closed form dJ/dx = -sin(u) (2x cos(x^2) + 6x).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import ember
from ember import viz


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--x", type=float, default=1.5, help="the input value (default 1.5)")
    parser.add_argument("--out", default="runs/backprop", help="output folder")


def closed_form(x: float) -> tuple[float, float]:
    """(J, dJ/dx) by hand."""
    u = math.sin(x * x) + 3 * x * x
    return math.cos(u), -math.sin(u) * (2 * x * math.cos(x * x) + 6 * x)


def trace(x0: float) -> tuple[viz.GraphRecord, ember.Tensor, ember.Tensor]:
    """Run the example in float64 under ``viz.record``; returns (graph, x, J) after backward."""
    x = ember.tensor(x0, dtype=ember.float64, requires_grad=True)
    with viz.record() as graph:
        t = x**2
        u1 = t.sin()
        u2 = 3 * t
        u = u1 + u2
        J = u.cos()
    J.backward()
    graph.name(x=x, t=t, u1=u1, u2=u2, u=u, J=J)
    return graph, x, J


def run(args: argparse.Namespace) -> dict[str, Any]:
    graph, x, J = trace(args.x)
    slope = closed_form(args.x)[1]
    error = abs(x.grad.item() - slope)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = graph.save(out / "graph.dot")
    result = {
        "x": args.x,
        "J": J.item(),
        "dJ_dx": x.grad.item(),
        "closed_form_dJ_dx": slope,
        "abs_error": error,
        "nodes": graph.rows(),
    }
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"J = cos(sin(x^2) + 3x^2) at x = {args.x}\n")
    print(graph.table())
    print(f"\ndJ/dx by backprop   {x.grad.item():.15g}")
    print(f"dJ/dx closed form   {slope:.15g}   (|difference| = {error:.2e})")
    print(f"\nwrote {', '.join(str(f) for f in [*files, out / 'result.json'])}")
    if error > 1e-9 * max(1.0, abs(slope)):
        raise SystemExit("backprop disagrees with the closed form")
    return result
