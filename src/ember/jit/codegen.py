"""A recording as straight-line Python: one forward and one backward function on arrays.

The forward calls each op's ``forward`` on the arrays of its slots, in the recorded order, and
drops every array after its last use. The backward calls the recorded nodes' ``backward_arrays``
in the eager engine's order (reverse creation order) and does what the engine does with each
gradient: reduce it to the input's shape, cast it to the input's dtype, and accumulate with
``old + g`` in the same order. Gradients for tensors from outside the call are handed back one
per contribution, in that order, so the engine accumulates them exactly as it would eagerly.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..autograd.function import Node
from ..backend import sum_to_shape
from ..tensor import Tensor
from .tracer import CAPTURED, CONST, INPUT, NODE, OP, OpStep, Recording, WriteStep


class ReplayCtx(Node):
    """The ``ctx`` of an op in a replay: saved values stay raw arrays; inputs and outputs among
    them come back as tensors for a tensor rule (as eager's ``saved_tensors`` gives them)."""

    __slots__ = ()
    __init__ = object.__init__  # the static fields are class attributes (ctx_class)
    _saved: Any = ()
    _wrap: tuple = ()

    def saved_like(self, grad: Any) -> tuple:
        saved = self._saved
        if type(grad) is np.ndarray or not saved:
            return tuple(saved)
        make = Tensor._make
        return tuple(make(v, None, False) if w else v for v, w in zip(saved, self._wrap))


@functools.lru_cache(maxsize=4096)
def ctx_class(cls: type, needs: tuple, shapes: tuple, dtypes: tuple, wrap: tuple) -> type:
    """A ctx type whose static fields are class attributes, so that making one costs nothing
    beyond the object."""
    fields = {
        "__slots__": (),
        "fn": cls,
        "needs_input_grad": needs,
        "shapes": shapes,
        "dtypes": dtypes,
        "_wrap": wrap,
    }
    return type(f"{cls.__name__}ReplayCtx", (ReplayCtx,), fields)


def conform(g: Any, shape: tuple, dtype: Any, ctx: Any, i: int) -> np.ndarray:
    """The engine's ``_conform`` on the array path: an array of the input's shape and dtype."""
    if isinstance(g, Tensor):
        g = g._data
    g = np.asarray(g)
    if g.shape != shape:
        try:
            g = sum_to_shape(g, shape)
        except ValueError:
            raise RuntimeError(
                f"{ctx.name()} returned a gradient of shape {tuple(g.shape)} for input {i}, "
                f"which cannot be reduced to the input's shape {tuple(shape)}"
            ) from None
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


class Generated:
    """The forward and backward functions of one recording, and what the replay node needs."""

    def __init__(self, rec: Recording) -> None:
        self.rec = rec
        self.ns: dict[str, Any] = {
            "ndarray": np.ndarray,
            "asarray": np.asarray,
            "copyto": np.copyto,
            "conform": conform,
            "keep_copy": _keep_copy,
            "as_output": _as_output,
        }
        self.nodes = [s for s in rec.steps if isinstance(s, OpStep) and s.node is not None]
        self.contributions: list = []  # per gradient handed out: external edge, shape, dtype
        src = self._forward_source() + "\n" + self._backward_source()
        exec(compile(src, "<ember.compile>", "exec"), self.ns)
        self.forward = self.ns["forward"]
        self.backward = self.ns["backward"]
        self.source = src

    # ------------------------------------------------------------------ forward
    def _forward_source(self) -> str:
        rec = self.rec
        ns = self.ns
        last: dict[int, int] = {}
        for i, step in enumerate(rec.steps):
            for s in _reads(step):
                last[s] = i
        returned = {o[1] for o in rec.outputs if o[0] == OP}
        lines = ["def forward(inp, cap):"]
        for s, (kind, index) in enumerate(rec.slots):
            if s not in last and s not in returned:
                continue
            if kind == INPUT:
                lines.append(f"    s{s} = inp[{index}]")
            elif kind == CAPTURED:
                lines.append(f"    s{s} = cap[{index}]._data")
            elif kind == CONST:
                ns[f"K{index}"] = rec.constants[index]
                copy = ".copy()" if index in rec.written_constants else ""
                lines.append(f"    s{s} = K{index}{copy}")
        dead_at: dict[int, list] = {}
        for s, i in last.items():
            if s not in returned:
                dead_at.setdefault(i, []).append(s)
        for i, step in enumerate(rec.steps):
            if isinstance(step, OpStep):
                lines += self._op_lines(i, step)
                if step.out not in last and step.out not in returned:
                    lines.append(f"    del s{step.out}")
            else:
                lines += self._write_lines(step)
            for s in dead_at.get(i, ()):
                lines.append(f"    del s{s}")
        outs = ", ".join(f"s{o[1]}" for o in rec.outputs if o[0] == OP)
        ctxs = ", ".join(f"c{n.node}" for n in self.nodes)
        lines.append(f"    return ({outs}{',' if outs else ''}), ({ctxs}{',' if ctxs else ''})")
        return "\n".join(lines) + "\n"

    def _op_lines(self, i: int, step: OpStep) -> list[str]:
        ns = self.ns
        ns[f"F{i}"] = step.cls.forward
        cls = ctx_class(step.cls, step.needs, step.shapes, step.dtypes, step.wrap)
        args = []
        for k, a in enumerate(step.args):
            if isinstance(a, int):
                args.append(f"s{a}")
            else:
                ns[f"A{i}_{k}"] = a.value
                args.append(f"A{i}_{k}")
        if step.fresh_ctx:
            ns[f"R{i}"] = cls
            ctx = f"R{i}()"
        else:
            ns[f"S{i}"] = cls()
            ctx = f"S{i}"
        lines = []
        if step.node is not None:
            lines.append(f"    c{step.node} = {ctx}")
            ctx = f"c{step.node}"
        lines.append(f"    s{step.out} = F{i}({ctx}, {', '.join(args)})")
        if step.scalar_out:
            out = f"s{step.out}"
            lines.append(f"    if type({out}) is not ndarray: {out} = as_output({ctx}, {out})")
        return lines

    def _write_lines(self, step: WriteStep) -> list[str]:
        lines = []
        if step.keep_saved is not None:
            producer = self.rec.steps[step.keep_saved]
            if producer.node is not None:
                c = f"c{producer.node}"
                lines.append(f"    {c}._saved = keep_copy({c}._saved, s{step.target})")
        lines.append(f"    copyto(s{step.target}, s{step.source}, casting='unsafe')")
        if step.bump is not None:
            lines.append(f"    cap[{step.bump}]._vc[0] += 1")
        return lines

    # ------------------------------------------------------------------ backward
    def _backward_source(self) -> str:
        rec = self.rec
        ns = self.ns
        seeds: dict[int, int] = {}  # node -> position among the gradient-carrying outputs
        for o in rec.outputs:
            if o[0] == OP and o[2] is not None and o[2] not in seeds:
                seeds[o[2]] = len(seeds)
        self.seeds = seeds
        fed = set(seeds)
        for step in self.nodes:
            for e in step.edges:
                if e is not None and e[0] == NODE:
                    fed.add(e[1])
        lines = ["def backward(c, seeds):"]
        if self.nodes:
            lines.append(f"    {', '.join(f'c{n.node}' for n in self.nodes)}, = c")
        for n, k in seeds.items():
            lines.append(f"    g{n} = seeds[{k}]")
        others = [n.node for n in self.nodes if n.node in fed and n.node not in seeds]
        if others:
            lines.append(f"    {' = '.join(f'g{n}' for n in others)} = None")
        for step in reversed(self.nodes):
            n = step.node
            if n not in fed:
                continue
            ns[f"B{n}"] = step.cls.backward_arrays
            lines.append(f"    if g{n} is not None:")
            lines.append(f"        r = B{n}(c{n}, g{n})")
            lines.append(f"        del g{n}")
            lines.append("        if type(r) is not tuple: r = (r,)")
            for k, e in enumerate(step.edges):
                if e is None:
                    continue
                ns[f"Q{n}_{k}"] = step.shapes[k]
                ns[f"D{n}_{k}"] = step.dtypes[k]
                lines.append(f"        a = r[{k}]")
                lines.append("        if a is not None:")
                lines.append(
                    f"            if type(a) is not ndarray or a.shape != Q{n}_{k} or "
                    f"a.dtype is not D{n}_{k}: a = conform(a, Q{n}_{k}, D{n}_{k}, c{n}, {k})"
                )
                if e[0] == NODE:
                    m = e[1]
                    lines.append(f"            g{m} = a if g{m} is None else g{m} + a")
                else:
                    x = len(self.contributions)
                    self.contributions.append((e[1], step.shapes[k], step.dtypes[k]))
                    lines.append(f"            x{x} = a")
        xs = [f"x{x}" for x in range(len(self.contributions))]
        if xs:
            lines.insert(1, f"    {' = '.join(xs)} = None")
        lines.append(f"    return ({', '.join(xs)}{',' if xs else ''})")
        return "\n".join(lines) + "\n"


def _reads(step: Any) -> list[int]:
    if isinstance(step, OpStep):
        return [a for a in step.args if isinstance(a, int)]
    return [step.target, step.source]


def _as_output(ctx: Any, value: Any) -> np.ndarray:
    """A forward's non-array result as the array eager makes of it, also where it was saved."""
    out = np.asarray(value)
    saved = ctx._saved
    if saved:
        ctx._saved = tuple(out if v is value else v for v in saved)
    return out


def _keep_copy(saved: tuple, target: np.ndarray) -> tuple:
    """The saved values with ``target`` replaced by a copy (it is about to be overwritten)."""
    copy = target.copy()
    return tuple(copy if v is target else v for v in saved)
