"""Record a computation and show its DAG the way the lecture draws it.

>>> x = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
>>> with ember.viz.record() as graph:
...     t = x * x
...     J = t.sin()
>>> J.backward()
>>> graph.name(x=x, t=t, J=J)
>>> [row["node"] for row in graph.rows()]
['x', 't', 'J']
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..autograd import function
from ..tensor import Tensor


@dataclass
class _Step:
    op: str
    inputs: tuple
    output: Tensor


class GraphRecord:
    """The ops recorded inside ``ember.viz.record()``, in the order they ran (a topological order).

    Each intermediate result keeps its gradient (``retain_grad``), so after ``backward()`` the
    table shows the adjoint dJ/dnode of every node.
    """

    def __init__(self) -> None:
        self.steps: list[_Step] = []
        self._names: dict[int, str] = {}

    def _observe(self, cls: type, args: tuple, result: Tensor) -> None:
        if result.requires_grad:
            result.retain_grad()
        self.steps.append(_Step(cls.__name__.lower(), args, result))

    def name(self, **tensors: Tensor) -> None:
        """Give nodes readable names (``graph.name(t=t, u=u)``); others are called n1, n2, ..."""
        for label, t in tensors.items():
            self._names[id(t)] = label

    def _label(self, t: Any) -> str:
        if not isinstance(t, Tensor):
            return repr(t)
        if id(t) not in self._names:
            self._names[id(t)] = f"n{len(self._names) + 1}"
        return self._names[id(t)]

    def _leaves(self) -> list[Tensor]:
        produced = {id(s.output) for s in self.steps}
        seen: dict[int, Tensor] = {}
        for s in self.steps:
            for a in s.inputs:
                if isinstance(a, Tensor) and id(a) not in produced:
                    seen.setdefault(id(a), a)
        return list(seen.values())

    def rows(self) -> list[dict[str, Any]]:
        """One row per node in topological order: node, op, inputs, value, adjoint."""
        out = []
        for leaf in self._leaves():
            out.append(_row(self._label(leaf), "input", "", leaf))
        for s in self.steps:
            args = ", ".join(self._label(a) for a in s.inputs)
            out.append(_row(self._label(s.output), s.op, args, s.output))
        return out

    def table(self) -> str:
        """The rows as an aligned text table."""
        rows = self.rows()
        heads = ["node", "op", "inputs", "value", "adjoint dJ/dnode"]
        cells = [
            [r["node"], r["op"], r["inputs"], _fmt(r["value"]), _fmt(r["adjoint"])] for r in rows
        ]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
        line = "  ".join(h.ljust(w) for h, w in zip(heads, widths))
        body = ["  ".join(c.ljust(w) for c, w in zip(cell, widths)) for cell in cells]
        return "\n".join([line, "-" * len(line), *body])

    def to_dot(self) -> str:
        """The graph as Graphviz DOT text (values and adjoints in the node labels)."""
        lines = ["digraph ember {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
        for r in self.rows():
            label = (
                f"{r['node']} = {r['op']}\\nvalue {_fmt(r['value'])}\\nadjoint {_fmt(r['adjoint'])}"
            )
            lines.append(f'  "{r["node"]}" [label="{label}"];')
        for s in self.steps:
            for a in s.inputs:
                if isinstance(a, Tensor):
                    lines.append(f'  "{self._label(a)}" -> "{self._label(s.output)}";')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> list[Path]:
        """Write ``path`` (.dot) and, when Graphviz's ``dot`` is installed, an SVG beside it."""
        path = Path(path)
        path.write_text(self.to_dot())
        written = [path]
        dot = shutil.which("dot")
        if dot:
            svg = path.with_suffix(".svg")
            subprocess.run([dot, "-Tsvg", str(path), "-o", str(svg)], check=True)
            written.append(svg)
        return written


def _row(node: str, op: str, inputs: str, t: Tensor) -> dict[str, Any]:
    grad = t.grad
    return {
        "node": node,
        "op": op,
        "inputs": inputs,
        "value": t.detach().numpy().tolist(),
        "adjoint": None if grad is None else grad.detach().numpy().tolist(),
    }


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


@contextmanager
def record() -> Iterator[GraphRecord]:
    """Record every op that builds a graph inside the block."""
    graph = GraphRecord()
    function.observers.append(graph._observe)
    try:
        yield graph
    finally:
        function.observers.remove(graph._observe)
